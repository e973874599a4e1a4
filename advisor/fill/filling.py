"""`fill_text`: one planner call for the config's auto memory knobs, then every value written (see the package
docstring for the whole flow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.errors import AdvisorError
from advisor.fill import families, formats, values
from advisor.fill.writing import write_atomic

__all__ = ["Result", "config_request", "disagreement_message", "fill_text", "write_atomic"]


@dataclass
class Result:
    text: str
    family: str
    filled: list[tuple[str, Any]] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    left_to_library: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)   # what the filled values rest on, for the summary
    warnings: list[str] = field(default_factory=list)      # e.g. the run does not fit with the values it sets
    settings: dict[str, Any] | None = None                  # the memory plan the values came from

    @property
    def changed(self) -> bool:
        return bool(self.filled)


_ORDER = {name: i for i, name in enumerate(values.KNOBS)}


def _classify(doc: formats.Document, family: str, result: Result
              ) -> tuple[list[tuple[tuple, str | None]], list[tuple[tuple, str, Any]]]:
    """(the `auto` keys with their knob, the user's values of keys that have one)."""
    autos: list[tuple[tuple, str | None]] = []
    user: list[tuple[tuple, str, Any]] = []
    for path, value in doc.leaves.items():
        knob = families.knob_for(family, path)
        if formats.is_auto(value):
            if families.is_native_auto(family, path):
                result.left_to_library.append(formats.dotted(path))
            else:
                autos.append((path, knob))
        elif knob is not None:
            user.append((path, knob, value))
    return autos, user


def _constraints(readings: dict[tuple, Any], family: str) -> dict[str, Any]:
    """What the user's values fix for the plan; precision rules out what a `false` flag says it is not."""
    fixed: dict[str, Any] = {}
    for path, reading in readings.items():
        knob = values.KNOBS[families.knob_for(family, path)]
        if knob.constrain is None:
            continue
        for key, value in knob.constrain(reading).items():
            if key == "precisions" and "precisions" in fixed:
                value = tuple(p for p in fixed["precisions"] if p in value)
            fixed[key] = value
    return fixed


def _request(doc: formats.Document, family: str, result: Result
             ) -> tuple[list[tuple[tuple, str | None]], dict[tuple, Any], frozenset[str], dict[str, Any]]:
    """What the config asks of the planner: (the auto keys with their knob, the user's values read, the
    planner knobs the autos leave free, what the user's values fix)."""
    autos, user = _classify(doc, family, result)
    readings: dict[tuple, Any] = {}
    for path, knob, value in user:
        try:
            readings[path] = values.KNOBS[knob].read(value)
        except ValueError:
            result.disagreements.append(f"{formats.dotted(path)} = {value!r} is not a valid value")
    free = frozenset(values.KNOBS[k].plans for _, k in autos if k is not None and values.KNOBS[k].plans)
    constraints = _constraints(readings, family)
    for _, knob in autos:  # a precision key that cannot say every precision narrows the plan's choice
        expresses = knob and values.KNOBS[knob].expresses
        if expresses:
            constraints["precisions"] = tuple(p for p in constraints.get("precisions", expresses) if p in expresses)
    return autos, readings, free, constraints


def config_request(doc: formats.Document, family: str) -> tuple[frozenset[str], dict[str, Any]]:
    """What a parsed config asks of the planner: the knobs its `auto` values free, and what its values fix.

    `advisor memory --config` plans with these, so that its plan is the one `fill` writes.
    """
    _, _, free, constraints = _request(doc, family, Result(doc.text, family))
    return free, constraints


def fill_text(text: str, kind: str, setup: dict[str, Any], *, where: str = "config",
              family: str | None = None) -> Result:
    """Fill `text` (a config of `kind` yaml/json/toml) for a normalised setup, from one memory plan."""
    doc = formats.parse(text, kind, where)
    family = family or families.detect(doc.top_keys)
    result = Result(text, family)
    autos, readings, free, constraints = _request(doc, family, result)
    siblings = {p[-1]: v for p, v in doc.leaves.items()
                if isinstance(p[-1], str) and p[-1] in values.SIBLINGS and not formats.is_auto(v)}
    ctx = values.Context(setup, free=free, constraints=constraints, siblings=siblings)

    changes: dict[tuple, Any] = {}
    errors: list[str] = []
    for path, knob in sorted(autos, key=lambda a: _ORDER.get(a[1], len(_ORDER))):
        key = formats.dotted(path)
        if knob is None:
            errors.append(f"{key} has no advice in advisor (set it yourself: `auto` is filled only where "
                          f"advisor has a value for the {family} key)")
            continue
        try:
            changes[path] = values.KNOBS[knob].compute(ctx)
        except values.Missing as exc:
            errors.append(f"{key} {exc.needs}")
    if errors:
        raise AdvisorError(f"{where}: cannot fill {len(errors)} auto value{'s' if len(errors) > 1 else ''}: "
                           + "; ".join(errors))

    result.assumptions = list(ctx.notes)  # what the filled values rest on; judging the user's own adds nothing
    for path, reading in readings.items():
        knob = values.KNOBS[families.knob_for(family, path)]
        if knob.plans:
            continue  # a value the plan was built around: judged below, as a whole
        try:
            recommended = knob.compute(ctx)
        except values.Missing:
            continue  # nothing to compare against for this setup
        if not knob.agrees(reading, recommended, ctx):
            result.disagreements.append(f"{formats.dotted(path)} = {values.show(reading)} (advice: "
                                        f"{values.show(recommended)}; {knob.reason(recommended, ctx)})")
    result.disagreements += _plan_disagreements(readings, family, ctx, setup)

    result.filled = [(formats.dotted(p), v) for p, v in changes.items()]
    result.warnings = list(ctx.warnings)
    if ctx.planned is not None:
        result.settings = ctx.planned.as_dict()
    result.text = doc.render(changes)
    return result


def _plan_disagreements(readings: dict[tuple, Any], family: str, ctx: values.Context,
                        setup: dict[str, Any]) -> list[str]:
    """The user's memory values, when no plan around them fits: each one the plan with them free would change."""
    planned = {p: r for p, r in readings.items() if values.KNOBS[families.knob_for(family, p)].plans}
    if not planned or not ctx.can_plan():
        return []
    try:
        ctx.plan()
        if not ctx.warnings:
            return _global_batch_disagreement(planned, family, ctx)  # a plan fits around every value set
    except values.Missing:
        pass
    relaxed = values.Context(setup, free=ctx.free | {values.KNOBS[families.knob_for(family, p)].plans
                                                      for p in planned})
    try:
        relaxed.plan()
    except values.Missing:
        return [f"{formats.dotted(p)} = {values.show(r)} (no plan fits on this GPU; advisor memory shows the "
                f"closest)" for p, r in planned.items()]
    out = []
    for path, reading in planned.items():
        knob = values.KNOBS[families.knob_for(family, path)]
        recommended = knob.compute(relaxed)
        if not knob.agrees(reading, recommended, relaxed):
            out.append(f"{formats.dotted(path)} = {values.show(reading)} (advice: {values.show(recommended)}; "
                       f"{knob.reason(recommended, relaxed)})")
    return out


def _global_batch_disagreement(planned: dict[tuple, Any], family: str, ctx: values.Context) -> list[str]:
    """The batch values the user set, when together they miss the global batch asked for."""
    wanted, got = ctx.setup.get("global_batch_size"), ctx.settings.global_batch
    batch_keys = [p for p in planned if values.KNOBS[families.knob_for(family, p)].plans in ("micro_batch",
                                                                                             "grad_accum")]
    if not wanted or got == wanted or not batch_keys:
        return []
    shown = ", ".join(f"{formats.dotted(p)} = {values.show(planned[p])}" for p in batch_keys)
    return [f"{shown} (give {got} samples per step over {ctx.settings.gpu_count} GPU(s), not the global batch "
            f"{wanted} the setup asks for)"]


def disagreement_message(where: str, result: Result) -> str:
    n = len(result.disagreements)
    return f"{where}: {n} value{'s' if n > 1 else ''} disagree{'s' if n == 1 else ''} with the advice: " \
           + "; ".join(result.disagreements)
