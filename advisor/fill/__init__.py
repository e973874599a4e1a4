"""Fill a training config's `auto` values with the values the advice recommends.

    config text ──formats.parse──▶ leaves (key path → value)
        │ families: which recommended value each key holds (HF, Lightning, DeepSpeed, plain)
        ▼ values: the value from the setup's facts and advice; Missing names the flags it needs
    changes ──Document.render──▶ the same text with only the `auto` values replaced

Every `auto` is filled or the fill fails naming each key it could not fill;
values the user set are read with their types normalised and checked against
the advice, and all disagreements come back together.

Reading refuses what would make advisor and the config's own library read two
different files: a key given twice, nesting deeper than formats.MAX_DEPTH, an
`auto` that a splice would corrupt (YAML anchors, tags, block scalars).

Writing (writing.py) is atomic and keeps what a user expects of an edited file:
a symlink is written through to its target (the link stays); mode, owner and
group are kept, and when they cannot be, nothing is written; a file with other
hard links is refused rather than split from them or written non-atomically.
Every failure is one error naming the file; the original is untouched. A fill
killed mid-write leaves `.NAME.advisor-fill-XXXXXXXX.tmp` beside the file;
the next fill of NAME removes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.errors import AdvisorError
from advisor.fill import families, formats, values
from advisor.fill.writing import write_atomic

__all__ = ["Result", "disagreement_message", "fill_text", "write_atomic"]


@dataclass
class Result:
    text: str
    family: str
    filled: list[tuple[str, Any]] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    left_to_library: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.filled)


_ORDER = {name: i for i, name in enumerate(values.KNOBS)}


def fill_text(text: str, kind: str, setup: dict[str, Any], *, where: str = "config", family: str | None = None,
              rule_paths: list | tuple = ()) -> Result:
    """Fill `text` (a config of `kind` yaml/json/toml) for a normalised setup."""
    doc = formats.parse(text, kind, where)
    family = family or families.detect(doc.top_keys)
    ctx = values.Context(setup, rule_paths)
    result = Result(text, family)

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

    readings: dict[tuple, Any] = {}
    for path, knob, value in user:
        try:
            readings[path] = values.KNOBS[knob].read(value)
        except ValueError:
            result.disagreements.append(f"{formats.dotted(path)} = {value!r} is not a valid value")
            continue
        ctx.file.setdefault(knob, readings[path])

    changes: dict[tuple, Any] = {}
    errors: list[str] = []
    for path, knob in sorted(autos, key=lambda a: _ORDER.get(a[1], len(_ORDER))):
        key = formats.dotted(path)
        if knob is None:
            errors.append(f"{key} has no advice in advisor ({family} keys it fills: "
                          f"{', '.join(sorted({p[-1] for p in families.TABLES[family]}))})")
            continue
        try:
            value = values.KNOBS[knob].compute(ctx)
        except values.Missing as exc:
            errors.append(f"{key} {exc.needs}")
            continue
        ctx.file.setdefault(knob, value)
        changes[path] = value
    if errors:
        raise AdvisorError(f"{where}: cannot fill {len(errors)} auto value{'s' if len(errors) > 1 else ''}: "
                           + "; ".join(errors))

    for path, reading in readings.items():
        knob = values.KNOBS[families.knob_for(family, path)]
        try:
            recommended = knob.compute(ctx)
        except values.Missing:
            continue  # nothing to compare against for this setup
        if not knob.agrees(reading, recommended, ctx):
            result.disagreements.append(f"{formats.dotted(path)} = {values.show(reading)} (advice: "
                                        f"{values.show(recommended)}; {knob.reason(recommended, ctx)})")

    result.filled = [(formats.dotted(p), v) for p, v in changes.items()]
    result.text = doc.render(changes)
    return result


def disagreement_message(where: str, result: Result) -> str:
    n = len(result.disagreements)
    return f"{where}: {n} value{'s' if n > 1 else ''} disagree{'s' if n == 1 else ''} with the advice: " \
           + "; ".join(result.disagreements)
