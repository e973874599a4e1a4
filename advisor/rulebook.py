"""Load the knowledge base: the strategy catalog and rule files, checked at load time.

Every rule is checked before anything runs: its fields and their types, a
permanent unique id, a known strategy, conditions compiled against the fact
specs, templates that only name facts the condition guarantees are known, and
examples that are valid setups. `check_examples` then runs the examples.
Errors name the file, the line and the rule id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import conditions, facts, fields, templates, yamlfile
from .errors import InputError, RuleError
from .units import nearest

SEVERITIES = ("high", "medium", "low")
FRAMEWORKS = ("pytorch", "keras", "huggingface", "sklearn", "lightning", "tensorflow")
SECTIONS = range(1, 21)
_ID = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
STRATEGY_FILE = "strategies.yaml"


def builtin_dir() -> Path:
    """`rules/` beside the package in a checkout, `advisor/rules/` in an installed wheel."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "rules"
    return checkout if (checkout / STRATEGY_FILE).is_file() else here / "rules"


@dataclass(frozen=True)
class Strategy:
    id: str
    title: str
    description: str
    conflicts: frozenset[str]


@dataclass(frozen=True)
class Boost:
    condition: conditions.Condition
    add: int


@dataclass(frozen=True)
class SnippetSpec:
    """How the snippet test runs one framework's code (rules/README.md, "Snippet contract")."""
    needs: tuple[str, ...] = ()  # pip names of the packages it imports beyond the framework's own
    runs: bool = True  # False: cannot run on one CPU; compiled and import-checked only
    reason: str = ""  # why not, when runs is False
    replace: tuple[tuple[str, str], ...] = ()  # test-only text swaps: hub name -> local copy, nccl -> gloo


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    strategy: str
    severity: str
    priority: int
    condition: conditions.Condition
    boosts: tuple[Boost, ...]
    why: str
    do: str
    code: dict[str, str]
    sources: tuple[int, ...]
    references: tuple[str, ...]
    examples: dict[str, list[dict[str, Any]]]
    file: str
    line: int
    snippets: dict[str, SnippetSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Rulebook:
    strategies: dict[str, Strategy]
    rules: tuple[Rule, ...]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id.upper()), None)


# ------------------------------------------------------------------ schema

# key: (accepted types, required, description for errors)
_RULE_KEYS: dict[str, tuple[tuple[type, ...], bool, str]] = {
    "id": ((str,), True, "a permanent id like IMB001"),
    "title": ((str,), True, "text"),
    "strategy": ((str,), True, "a strategy id from strategies.yaml"),
    "severity": ((str,), True, "high, medium or low"),
    "priority": ((int,), True, "a whole number 0..40"),
    "when": ((str,), True, "a condition"),
    "boost": ((list,), False, "a list of {when, add}"),
    "why": ((str,), True, "text"),
    "do": ((str,), True, "text"),
    "code": ((dict,), False, "a map of framework -> snippet"),
    "snippets": ((dict,), False, "a map of framework -> {needs, runs, reason, replace} for the snippet test"),
    "sources": ((list,), True, "a list of source-document sections 1..20 (empty beyond the document)"),
    "references": ((list,), False, "a list of citations"),
    "examples": ((dict,), True, "{fires: [setups], silent: [setups]}"),
}


class _Checker:
    """Collects RuleErrors for one file, so `rules validate` can report them all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[RuleError] = []

    def error(self, message: str, *, rule: str | None = None, line: int | None = None) -> None:
        self.errors.append(RuleError(self.file, message, rule=rule, line=line))


def _read(path: Path, checker: _Checker) -> Any:
    try:
        return yamlfile.load_file(path)
    except yamlfile.YamlError as exc:
        checker.error(str(exc), line=exc.line)
    except (OSError, UnicodeDecodeError) as exc:
        checker.error(f"cannot read: {exc}")
    return None


def load_strategies(path: Path) -> tuple[dict[str, Strategy], list[RuleError]]:
    checker = _Checker(str(path))
    data = _read(path, checker)
    catalog: dict[str, Strategy] = {}
    entries = data.get("strategies") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        checker.error("expected a top-level 'strategies:' map")
        return catalog, checker.errors
    for sid, entry in entries.items():
        line = entries.lines.get(sid)
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str) \
                or not isinstance(entry.get("description"), str):
            checker.error("a strategy needs a title and a description", rule=sid, line=line)
            continue
        conflicts = entry.get("conflicts", [])
        catalog[sid] = Strategy(sid, entry["title"], entry["description"], frozenset(conflicts))
    for strategy in catalog.values():
        for other in strategy.conflicts - catalog.keys():
            checker.error(f"conflicts with unknown strategy {other!r}", rule=strategy.id,
                          line=entries.lines.get(strategy.id))
    return catalog, checker.errors


def _check_templates(rule_id: str, texts: dict[str, str], condition: conditions.Condition,
                     checker: _Checker, line: int) -> None:
    guaranteed = condition.implied_known(lambda names: frozenset().union(*(facts.SPECS[n].requires for n in names)))
    for where, text in texts.items():
        try:
            found = templates.placeholders(text)
        except templates.TemplateError as exc:
            checker.error(f"{where}: {exc}", rule=rule_id, line=line)
            continue
        for p in found:
            spec = facts.SPECS.get(p.name)
            if spec is None:
                checker.error(f"{where}: unknown fact {p.name!r}{nearest(p.name, facts.SPECS)}",
                              rule=rule_id, line=line)
                continue
            try:
                templates.check_spec(p, spec.kind)
            except templates.TemplateError as exc:
                checker.error(f"{where}: {exc}", rule=rule_id, line=line)
            missing = spec.requires - guaranteed
            if p.fallback is None and missing:
                checker.error(f"{where}: {{{{{p.name}}}}} may be unknown when the rule fires (needs "
                              f"{', '.join(sorted(missing))}); test it in 'when' or give a fallback "
                              f"{{{{{p.name}|...}}}}", rule=rule_id, line=line)


_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SNIPPET_KEYS = ("needs", "runs", "reason", "replace")


def _parse_snippets(specs: dict, code: dict, err: Callable[..., None]) -> dict[str, SnippetSpec]:
    parsed = {}
    for framework, spec in specs.items():
        where = f"snippets.{framework}"
        if framework not in code:
            err(f"{where}: the rule has no code for {framework!r}", "snippets")
            continue
        if not isinstance(spec, dict):
            err(f"{where} must be a map of {', '.join(_SNIPPET_KEYS)}", "snippets")
            continue
        for key in spec:
            if key not in _SNIPPET_KEYS:
                err(f"{where}: unknown key {key!r}{nearest(key, _SNIPPET_KEYS)}", "snippets")
        needs, runs, reason = spec.get("needs", []), spec.get("runs", True), spec.get("reason", "")
        replace = spec.get("replace", {})
        if not isinstance(needs, list) or not all(isinstance(n, str) and _PACKAGE.match(n) for n in needs):
            err(f"{where}.needs must be a list of pip package names, like [peft, scikit-learn]", "snippets")
            needs = []
        if not isinstance(runs, bool):
            err(f"{where}.runs must be true or false", "snippets")
            runs = True
        if not isinstance(reason, str) or (runs is False) != bool(reason.strip()):
            err(f"{where}: give a 'reason' exactly when 'runs: false' (why it cannot run on one CPU)",
                "snippets")
        if not isinstance(replace, dict) or not all(isinstance(k, str) and k and isinstance(v, str)
                                                    for k, v in replace.items()):
            err(f"{where}.replace must map snippet text to its test-time stand-in", "snippets")
            replace = {}
        for old in replace:
            if isinstance(code[framework], str) and old not in code[framework]:
                err(f"{where}.replace: {old!r} does not occur in code.{framework}", "snippets")
        parsed[framework] = SnippetSpec(tuple(needs), runs, reason if isinstance(reason, str) else "",
                                        tuple(replace.items()))
    return parsed


def _parse_rule(raw: Any, strategies: dict[str, Strategy], checker: _Checker) -> Rule | None:
    if not isinstance(raw, yamlfile.Map):
        checker.error("each rule is a map of keys")
        return None
    rid = raw.get("id") if isinstance(raw.get("id"), str) else None
    line, lines = raw.line, raw.lines
    before = len(checker.errors)

    def err(message: str, key: str | None = None) -> None:
        checker.error(message, rule=rid, line=lines.get(key, line) if key else line)

    for key in raw:
        if key not in _RULE_KEYS:
            err(f"unknown key {key!r}{nearest(key, _RULE_KEYS)}", key)
    for key, (types, required, what) in _RULE_KEYS.items():
        if key not in raw:
            if required:
                err(f"missing {key!r} ({what})")
        elif not isinstance(raw[key], types) or isinstance(raw[key], bool):
            err(f"{key!r} must be {what}", key)
    if len(checker.errors) > before:
        return None

    if not _ID.match(rid):
        err(f"id {rid!r} must be 2-5 capital letters and 3 digits, like IMB001", "id")
    if raw["strategy"] not in strategies:
        err(f"unknown strategy {raw['strategy']!r}{nearest(raw['strategy'], strategies)}", "strategy")
    if raw["severity"] not in SEVERITIES:
        err(f"severity must be one of {', '.join(SEVERITIES)}", "severity")
    if not 0 <= raw["priority"] <= 40:
        err("priority must be 0..40", "priority")
    sources = raw["sources"]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s in SECTIONS for s in sources):
        err("sources must be section numbers 1..20", "sources")
    code = raw.get("code", {})
    for framework, snippet in code.items():
        if framework not in FRAMEWORKS:
            err(f"code for unknown framework {framework!r}{nearest(framework, FRAMEWORKS)}", "code")
        elif not isinstance(snippet, str) or not snippet.strip():
            err(f"code.{framework} must be a non-empty snippet", "code")
    snippets = _parse_snippets(raw.get("snippets", {}), code, err)
    references = raw.get("references", [])
    if not all(isinstance(r, str) for r in references):
        err("references must be text", "references")

    try:
        condition = conditions.compile_condition(raw["when"], facts.SPECS)
    except conditions.ConditionError as exc:
        err(f"when: {exc}", "when")
        return None
    boosts = []
    for boost in raw.get("boost", []):
        if not isinstance(boost, dict) or set(boost) != {"when", "add"} or not isinstance(boost["add"], int):
            err("each boost is {when: condition, add: whole number}", "boost")
            continue
        try:
            boosts.append(Boost(conditions.compile_condition(boost["when"], facts.SPECS), boost["add"]))
        except conditions.ConditionError as exc:
            err(f"boost: {exc}", "boost")

    texts = {"title": raw["title"], "why": raw["why"], "do": raw["do"]}
    texts.update({f"code.{fw}": s for fw, s in code.items() if isinstance(s, str)})
    _check_templates(rid, texts, condition, checker, line)

    examples = raw["examples"]
    for kind in ("fires", "silent"):
        items = examples.get(kind)
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            err(f"examples need at least one '{kind}' setup (a map like {{gpu_mem_gb: 8}})", "examples")
    for kind in set(examples) - {"fires", "silent"}:
        err(f"examples: unknown key {kind!r}; use fires and silent", "examples")

    if len(checker.errors) > before:
        return None
    return Rule(rid, raw["title"], raw["strategy"], raw["severity"], raw["priority"], condition, tuple(boosts),
                raw["why"], raw["do"], dict(code), tuple(sources), tuple(references),
                {kind: [dict(e) for e in examples[kind]] for kind in ("fires", "silent")},
                checker.file, line, snippets)


def display_path(path: Path) -> str:
    """A rule file's name in messages: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


def load_rule_file(path: Path, strategies: dict[str, Strategy]) -> tuple[list[Rule], list[RuleError]]:
    checker = _Checker(display_path(path))
    data = _read(path, checker)
    rules: list[Rule] = []
    if data is None and not checker.errors:
        return rules, checker.errors
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or set(data) != {"rules"}:
        if not checker.errors:
            checker.error("expected a top-level 'rules:' list and nothing else")
        return rules, checker.errors
    for raw in data["rules"]:
        rule = _parse_rule(raw, strategies, checker)
        if rule is not None:
            rules.append(rule)
    return rules, checker.errors


def rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.glob("*.y*ml") if p.name != STRATEGY_FILE)
    return [path]


def load_rulebook(extra: tuple[Path, ...] | list[Path] = (), *, collect: bool = False
                  ) -> tuple[Rulebook, list[RuleError]]:
    """Built-in rules plus those under `extra` (directories or files).

    Raises the first RuleError unless `collect` is set, in which case every
    error is returned beside what did load.
    """
    base = builtin_dir()
    strategies, errors = load_strategies(base / STRATEGY_FILE)
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    files: dict[Path, Path] = {}  # resolved -> as given; `rules validate rules/` names the built-ins again
    for source in [base, *map(Path, extra)]:
        if not source.exists():
            errors.append(RuleError(str(source), "no such rule file or directory"))
            continue
        files.update({p.resolve(): p for p in rule_files(source) if p.resolve() not in files})
    for path in files.values():
        loaded, file_errors = load_rule_file(path, strategies)
        errors.extend(file_errors)
        for rule in loaded:
            if rule.id in seen:
                first = seen[rule.id]
                errors.append(RuleError(rule.file, f"duplicate id; first defined at {first.file}:{first.line}",
                                        rule=rule.id, line=rule.line))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if errors and not collect:
        raise errors[0]
    return Rulebook(strategies, tuple(rules)), errors


def check_examples(rule: Rule) -> list[RuleError]:
    """Run a rule's examples: each must be a valid setup, on which the rule fires ('fires') or not ('silent').

    Kept out of loading: `advisor diagnose` need not normalise hundreds of example setups.
    """
    problems = []
    for kind, expected in (("fires", True), ("silent", False)):
        for raw in rule.examples.get(kind, []):
            try:
                setup = fields.normalize_setup(raw)
            except InputError as exc:
                problems.append(RuleError(rule.file, f"examples.{kind}: {exc}", rule=rule.id, line=rule.line))
                continue
            result, _ = rule.condition.evaluate(facts.derive(setup))
            if (result is True) != expected:
                verb = "does not fire" if expected else "fires"
                problems.append(RuleError(rule.file, f"example {kind}: {verb} on {setup}", rule=rule.id,
                                          line=rule.line))
    return problems
