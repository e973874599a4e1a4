"""Load the knowledge base: the strategy catalog and rule files, checked at load time.

Every rule is checked before anything runs: its fields and their types, a
permanent unique id, a known strategy, conditions compiled against the fact
specs, templates that only name facts the condition guarantees are known, and
examples that are valid setups. `check_examples` then runs the examples.
Errors name the file, the line and the rule id, each on one line, and a rule
reports every problem it has, not only the first.

Rule files are user input (`--rules`), so each is bounded by the limits below and
anything else (a FIFO, a symlink loop, a 10 MB file, a template or condition
built to exhaust time, memory or the stack) is a RuleError, never a hang or
a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, NamedTuple

from advisor.rulebook import conditions, diagnosis, templates, yamlfile
from advisor.rulebook.location import RULES_PACKAGE, STRATEGY_FILE, builtin_dir
from advisor.facts import derive as facts
from advisor.setup import fields
from advisor.setup.fields import FRAMEWORKS
from advisor.vocabulary import SEVERITIES
from advisor import files
from advisor.errors import InputError, RuleError
from advisor.setup.units import nearest

SECTIONS = range(1, 21)
CATALOG_FILES = (STRATEGY_FILE, diagnosis.CAUSE_FILE)  # beside the rules, not rule files
_ID = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")

# ------------------------------------------------------------------ limits
# The rule format's bounds, one source: the loader enforces them (and the JSON schema is to read them).
# Far above any real rule (the largest built-in file is 65 KB, the longest text 2 KB, the longest
# condition 401 characters nested 9 deep), they make a hostile file a load error instead of a hang,
# a gigabyte allocation or a RecursionError. YAML nesting and number length: yamlfile.MAX_DEPTH, MAX_NUMBER_CHARS.
FILE_BYTES = files.MIB
TEXT_CHARS = 20_000  # a title, why, do or code snippet
CONDITION = conditions.Bounds(chars=2_000, depth=32, magnitude=1e15)
FORMAT_PRECISION = 20  # the N of {{fact:.Nf}}; a format has no width
MESSAGE_CHARS = 300  # an error line echoes at most this much


# The built-in rules: one rule to a file, rules/<topic>/<ID>.yaml, the topic named by the id's prefix.
# The one map of prefixes to topic folders; a built-in rule elsewhere is a load error (_check_layout).
TOPICS = {"PERF": "compute", "DAT": "data", "EVAL": "evaluation", "GEN": "generalization", "IMB": "imbalance",
          "EXPL": "interpretability", "MEM": "memory", "PRIV": "privacy", "REL": "reliability",
          "STB": "stability", "OPT": "stability"}
CODE_FOLDER = "code"  # rules/code/: rules over facts read from training code (advisor.script.rulefile)


class Strategy(NamedTuple):
    id: str
    title: str
    description: str
    conflicts: frozenset[str]
    treats: dict[str, str]  # cause id -> directness (diagnosis.DIRECTNESS): what the fix acts on
    cost: str  # diagnosis.COSTS: what applying it costs
    scope: str = ""  # a name from the catalog's `scopes`: where the technique exists; "" everywhere
    applies: conditions.Condition | None = None  # that scope's condition, joined to each of its rules' `when`


class SnippetSpec(NamedTuple):
    """How the snippet test runs one framework's code (rules/README.md, "Snippet contract")."""
    needs: tuple[str, ...] = ()  # pip names of the packages it imports beyond the framework's own
    runs: bool = True  # False: cannot run on one CPU; compiled and import-checked only
    reason: str = ""  # why not, when runs is False
    replace: tuple[tuple[str, str], ...] = ()  # test-only text swaps: hub name -> local copy, nccl -> gloo


class Rule(NamedTuple):
    id: str
    title: str
    strategy: str
    severity: str
    condition: conditions.Condition
    why: str
    do: str
    code: dict[str, str]
    sources: tuple[int, ...]
    references: tuple[str, ...]
    examples: dict[str, list[dict[str, Any]]]
    file: str
    line: int
    snippets: dict[str, SnippetSpec]
    treats: dict[str, str]  # its own causes, when not its strategy's
    cost: str = ""  # its own cost, when not its strategy's
    evidence: tuple[diagnosis.Evidence, ...] = ()  # for (or against) this fix in particular
    contra: tuple[diagnosis.Contra, ...] = ()  # when this fix is unlikely to help or already in place


class Rulebook(NamedTuple):
    strategies: dict[str, Strategy]
    rules: tuple[Rule, ...]
    diagnosis: diagnosis.Diagnosis  # the problems and causes its strategies and rules treat

    def treats(self, rule: Rule) -> dict[str, str]:
        return rule.treats or self.strategies[rule.strategy].treats

    def cost(self, rule: Rule) -> str:
        return rule.cost or self.strategies[rule.strategy].cost

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id.upper()), None)


# ------------------------------------------------------------------ schema

# key: (accepted types, required, description for errors)
_RULE_KEYS: dict[str, tuple[tuple[type, ...], bool, str]] = {
    "id": ((str,), True, "a permanent id like IMB001"),
    "title": ((str,), True, "text"),
    "strategy": ((str,), True, "a strategy id from strategies.yaml"),
    "severity": ((str,), True, "high, medium or low"),
    "when": ((str,), True, "a condition"),
    "treats": ((dict,), False, "a map of cause id -> direct, partial or indirect (default: its strategy's)"),
    "cost": ((str,), False, "low, medium or high (default: its strategy's)"),
    "evidence": ((list,), False, "a list of {when, weight, says}"),
    "contra": ((list,), False, "a list of {when, says, effect: drop or demote}"),
    "why": ((str,), True, "text"),
    "do": ((str,), True, "text"),
    "code": ((dict,), False, "a map of framework -> snippet"),
    "snippets": ((dict,), False, "a map of framework -> {needs, runs, reason, replace} for the snippet test"),
    "sources": ((list,), True, "a list of source-document sections 1..20 (empty beyond the document)"),
    "references": ((list,), False, "a list of citations"),
    "examples": ((dict,), True, "{fires: [setups], silent: [setups]}"),
}


def _error(file: str, message: str, *, rule: str | None = None, line: int | None = None) -> RuleError:
    """A RuleError of one line: a rule file can put newlines and megabytes into what a message echoes."""
    text = " ".join(message.split())
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS - 1] + "…"
    return RuleError(files.shown(file, 120), text, rule=files.shown(rule, 40) if rule else None, line=line)


class _Checker:
    """Collects RuleErrors for one file, so `rules validate` can report them all."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[RuleError] = []

    def error(self, message: str, *, rule: str | None = None, line: int | None = None) -> None:
        self.errors.append(_error(self.file, message, rule=rule, line=line))


def _read(path: Path, checker: _Checker) -> Any:
    try:
        return yamlfile.load_file(path, field="rules", limit=FILE_BYTES)
    except yamlfile.YamlError as exc:
        checker.error(str(exc), line=exc.line)
    except InputError as exc:  # not a regular file, too large, not UTF-8, a symlink loop, ...
        checker.error(str(exc).removeprefix(f"{exc.field}: "))
    return None


def load_diagnosis(path: Path) -> tuple[diagnosis.Diagnosis, list[RuleError]]:
    """causes.yaml: the problems and causes the ranking reasons with."""
    checker = _Checker(str(path))
    data = _read(path, checker)
    if data is None:
        return diagnosis.Diagnosis({}, {}), checker.errors

    def err(message: str, item: str | None, line: int | None) -> None:
        checker.error(message, rule=item, line=line)

    def compile_(source: str, where: str, at: int | None = None) -> conditions.Condition | None:
        return _compile(source, where, lambda m: checker.error(m, line=at))

    found = diagnosis.parse(data, fields.SYMPTOMS, compile_, err)
    for item in [*found.problems.values(), *found.causes.values()]:
        tests = [(f"says", item.says, item.condition)] if isinstance(item, diagnosis.Problem) and item.condition \
            else [(f"evidence {n}", e.says, e.condition) for n, e in enumerate(getattr(item, "evidence", ()), 1)]
        for where, text, condition in tests:
            _check_templates({where: text}, condition, lambda m, key=None, item=item: err(m, item.id, None))
    return found, checker.errors


def load_strategies(path: Path, causes: Collection[str] = ()) -> tuple[dict[str, Strategy], list[RuleError]]:
    checker = _Checker(str(path))
    data = _read(path, checker)
    catalog: dict[str, Strategy] = {}
    entries = data.get("strategies") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        checker.error("expected a top-level 'strategies:' map")
        return catalog, checker.errors
    scopes = _scopes(data, checker)
    for sid, entry in entries.items():
        line = entries.lines.get(sid)
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str) \
                or not isinstance(entry.get("description"), str):
            checker.error("a strategy needs a title and a description", rule=sid, line=line)
            continue
        unknown = set(entry) - {"title", "description", "conflicts", "treats", "cost", "scope"}
        if unknown:
            checker.error(f"unknown key {sorted(unknown)[0]!r}; a strategy has title, description, treats, cost, "
                          f"scope and conflicts", rule=sid, line=line)
        conflicts = entry.get("conflicts", [])
        say = lambda message, at, sid=sid, line=line: checker.error(message, rule=sid, line=at or line)  # noqa: E731
        treats = diagnosis.parse_treats(entry.get("treats"), causes, "treats", say)
        cost = entry.get("cost")
        if cost not in diagnosis.COSTS:
            say(f"cost must be one of {', '.join(diagnosis.COSTS)}", None)
        scope = entry.get("scope", "")
        if scope and scope not in scopes:
            say(f"unknown scope {scope!r}; the catalog's scopes are {', '.join(scopes) or 'none'}", None)
        catalog[sid] = Strategy(sid, entry["title"], entry["description"], frozenset(conflicts), treats,
                                cost if cost in diagnosis.COSTS else "medium", scope, scopes.get(scope))
    for strategy in catalog.values():
        for other in strategy.conflicts - catalog.keys():
            checker.error(f"conflicts with unknown strategy {other!r}", rule=strategy.id,
                          line=entries.lines.get(strategy.id))
    return catalog, checker.errors


def _scopes(data: dict, checker: _Checker) -> dict[str, conditions.Condition]:
    """The catalog's `scopes:` map, name -> compiled condition (a scope says where a technique exists)."""
    raw = data.get("scopes", {})
    if not isinstance(raw, dict):
        checker.error("'scopes' must map a name to a condition")
        return {}
    compiled = {}
    for name, source in raw.items():
        condition = _compile(source, f"scope {name}", lambda m, name=name: checker.error(m, rule=name))
        if condition is not None:
            compiled[name] = condition
    return compiled


def _check_templates(texts: dict[str, str], condition: conditions.Condition | None,
                     err: Callable[..., None]) -> None:
    """Each text's placeholders; when the condition did not compile (None), all but what it would guarantee."""
    guaranteed = condition.implied_known(lambda names: frozenset().union(*(facts.SPECS[n].requires for n in names))) \
        if condition else None
    for where, text in texts.items():
        key = where.split(".")[0]
        if len(text) > TEXT_CHARS:
            err(f"{where} has {len(text):,} characters; at most {TEXT_CHARS:,}", key)
            continue
        try:
            found = templates.placeholders(text)
        except templates.TemplateError as exc:
            err(f"{where}: {exc}", key)
            continue
        for p in found:
            spec = facts.SPECS.get(p.name)
            if spec is None:
                err(f"{where}: unknown fact {p.name!r}{nearest(p.name, facts.SPECS)}", key)
                continue
            try:
                templates.check_spec(p, spec.kind, FORMAT_PRECISION)
            except templates.TemplateError as exc:
                err(f"{where}: {exc}", key)
            missing = spec.requires - guaranteed if guaranteed is not None else None
            if p.fallback is None and missing:
                err(f"{where}: {{{{{p.name}}}}} may be unknown when the rule fires (needs "
                    f"{', '.join(sorted(missing))}); test it in 'when' or give a fallback {{{{{p.name}|...}}}}", key)


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


def _parse_rule(raw: Any, strategies: dict[str, Strategy], checker: _Checker, causes: Collection[str]) -> Rule | None:
    """The rule, or None with every problem it has recorded in `checker`."""
    if not isinstance(raw, yamlfile.Map):
        checker.error("each rule is a map of keys")
        return None
    rid = raw.get("id") if isinstance(raw.get("id"), str) else None
    line, lines = raw.line, raw.lines
    before = len(checker.errors)

    def err(message: str, key: str | None = None, at: int | None = None) -> None:
        checker.error(message, rule=rid, line=at or (lines.get(key, line) if key else line))

    ok = _typed_keys(raw, err)  # the keys present with the right type; the checks below read only these
    if "id" in ok and not _ID.match(rid):
        err(f"id {rid!r} must be 2-5 capital letters and 3 digits, like IMB001", "id")
    if "strategy" in ok and ok["strategy"] not in strategies:
        err(f"unknown strategy {ok['strategy']!r}{nearest(ok['strategy'], strategies)}", "strategy")
    if "severity" in ok and ok["severity"] not in SEVERITIES:
        err(f"severity must be one of {', '.join(SEVERITIES)}", "severity")
    if "cost" in ok and ok["cost"] not in diagnosis.COSTS:
        err(f"cost must be one of {', '.join(diagnosis.COSTS)}", "cost")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s in SECTIONS for s in ok.get("sources", [])):
        err("sources must be section numbers 1..20", "sources")
    code = ok.get("code", {})
    for framework, snippet in code.items():
        if framework not in FRAMEWORKS:
            err(f"code for unknown framework {framework!r}{nearest(framework, FRAMEWORKS)}", "code")
        elif not isinstance(snippet, str) or not snippet.strip():
            err(f"code.{framework} must be a non-empty snippet", "code")
    snippets = _parse_snippets(ok.get("snippets", {}), code, err)
    if not all(isinstance(r, str) for r in ok.get("references", [])):
        err("references must be text", "references")

    condition = _compile(ok["when"], "when", lambda m: err(m, "when")) if "when" in ok else None
    scope = strategies[ok["strategy"]].applies if ok.get("strategy") in strategies else None
    if condition is not None and scope is not None:  # the technique's own scope: silent where it does not exist
        condition = conditions.both(condition, scope)

    def compile_(source: str, where: str, at: int | None = None) -> conditions.Condition | None:
        return _compile(source, where, lambda m: err(m, where.split(" ")[0], at))

    at = lambda key: lambda m, line: err(m, key, line)  # noqa: E731
    evidence = diagnosis.parse_evidence(ok.get("evidence", []), "evidence", compile_, at("evidence"))
    contra = diagnosis.parse_contra(ok.get("contra", []), "contra", compile_, at("contra"))
    treats = diagnosis.parse_treats(ok["treats"], causes, "treats", at("treats")) if "treats" in ok else {}
    texts = {key: ok[key] for key in ("title", "why", "do") if key in ok}
    texts.update({f"code.{fw}": s for fw, s in code.items() if isinstance(s, str)})
    _check_templates(texts, condition, err)
    for kind, items in (("evidence", evidence), ("contra", contra)):
        for number, item in enumerate(items, start=1):  # a text may use what the rule's `when` and its own test know
            _check_templates({f"{kind} {number}": item.says}, _both(condition, item.condition), err)
    if "examples" in ok:
        _check_example_lists(ok["examples"], err)

    if len(checker.errors) > before:
        return None
    examples = raw["examples"]
    return Rule(rid, raw["title"], raw["strategy"], raw["severity"], condition,
                raw["why"], raw["do"], dict(code), tuple(raw["sources"]), tuple(raw.get("references", [])),
                {kind: [dict(e) for e in examples[kind]] for kind in ("fires", "silent")},
                checker.file, line, snippets, treats, ok.get("cost", ""), tuple(evidence), tuple(contra))


def _both(first: conditions.Condition | None, second: conditions.Condition) -> conditions.Condition | None:
    """What is known when both hold: the facts either guarantees."""
    return None if first is None else conditions.both(first, second)


_REPLACED = {"priority": "the ranking weighs evidence now: say which causes the fix treats (its strategy's `treats`, "
                         "or the rule's) and give `evidence` (rules/README.md, Ranking)",
             "boost": "a boost became `evidence: [{when, weight, says}]` over known facts (rules/README.md, Ranking)"}


def _typed_keys(raw: dict, err: Callable[..., None]) -> dict[str, Any]:
    for key in raw:
        if key in _REPLACED:
            err(f"{key!r} is no longer part of the rule format: {_REPLACED[key]}", key)
        elif key not in _RULE_KEYS:
            err(f"unknown key {key!r}{nearest(key, _RULE_KEYS)}", key)
    ok = {}
    for key, (types, required, what) in _RULE_KEYS.items():
        if key not in raw:
            if required:
                err(f"missing {key!r} ({what})")
        elif not isinstance(raw[key], types) or isinstance(raw[key], bool):
            err(f"{key!r} must be {what}", key)
        else:
            ok[key] = raw[key]
    return ok


def _compile(source: str, where: str, report: Callable[[str], None]) -> conditions.Condition | None:
    """The compiled condition, or None after reporting each of its problems."""
    try:
        return conditions.compile_condition(source, facts.SPECS, CONDITION)
    except conditions.ConditionError as exc:
        for problem in exc.problems:
            report(f"{where}: {problem}")
        return None


def _check_example_lists(examples: dict, err: Callable[..., None]) -> None:
    for kind in ("fires", "silent"):
        items = examples.get(kind)
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            err(f"examples need at least one '{kind}' setup (a map like {{gpu_mem_gb: 8}})", "examples")
    for kind in set(examples) - {"fires", "silent"}:
        err(f"examples: unknown key {kind!r}; use fires and silent", "examples")


def display_path(path: Path) -> str:
    """A rule file's name in messages: relative to the working directory when inside it."""
    resolved = Path(os.path.realpath(path))  # not Path.resolve(): that raises on a symlink loop
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


def load_rule_file(path: Path, strategies: dict[str, Strategy], causes: Collection[str] = ()
                   ) -> tuple[list[Rule], list[RuleError]]:
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
        rule = _parse_rule(raw, strategies, checker, causes)
        if rule is not None:
            rules.append(rule)
    return rules, checker.errors


def rule_files(path: Path) -> list[Path]:
    """The rule files under a folder, flat or nested, or `path` itself; what cannot be read is reported
    when it is read. Hidden folders (.git, .github) are skipped; links to folders are not followed."""
    try:
        if not path.is_dir():
            return [path]
        found = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            found += [Path(folder, n) for n in names
                      if n.endswith((".yaml", ".yml")) and n not in CATALOG_FILES and not n.startswith(".")]
        return sorted(found, key=lambda p: p.parts)  # Path's own < is ~10x slower, same order on POSIX
    except (OSError, ValueError):  # a name too long, a NUL byte: reading it says which
        return [path]


def real_paths(paths: Iterable[Path]) -> dict[str, Path]:
    """Real path -> path as given, the first given for each: the same file reached twice is read once.

    A folder's real path is resolved once for all its files (realpath walks every component, ~1,300
    lstat calls for the built-in rules); only a file that is itself a link is resolved alone.
    """
    folders: dict[str, str] = {}
    found: dict[str, Path] = {}
    for path in paths:
        folder, name = os.path.split(os.fspath(path))
        try:
            linked = os.path.islink(path)
        except ValueError:  # a NUL byte: reading it says so
            linked = True
        if linked or not name:
            real = os.path.realpath(path)
        else:
            if folder not in folders:
                folders[folder] = os.path.realpath(folder or ".")
            real = os.path.join(folders[folder], name)
        found.setdefault(real, path)
    return found


def _check_layout(where: str, rules: list[Rule], path: Path) -> list[RuleError]:
    """A built-in rule file (`where`: its path inside the built-in folder) holds one rule, is named by
    its id and sits in the topic folder of the id's prefix."""
    if len(rules) != 1:
        return [_error(display_path(path), f"a built-in rule file holds exactly one rule, not {len(rules)}")]
    rule = rules[0]
    prefix = rule.id.rstrip("0123456789")
    topic = TOPICS.get(prefix)
    if topic is None:
        return [_error(rule.file, f"prefix {prefix!r} has no topic folder; add it to TOPICS in "
                             f"advisor/rulebook/loader.py", rule=rule.id, line=rule.line)]
    if where != os.path.join(topic, f"{rule.id}.yaml"):
        return [_error(rule.file, f"belongs in {topic}/{rule.id}.yaml (its prefix's topic folder, named by its id)",
                       rule=rule.id, line=rule.line)]
    return []


def load_rulebook(extra: tuple[Path, ...] | list[Path] = (), *, collect: bool = False
                  ) -> tuple[Rulebook, list[RuleError]]:
    """Built-in rules plus those under `extra` (directories or files).

    Raises the first RuleError unless `collect` is set, in which case every
    error is returned beside what did load.
    """
    base = builtin_dir()
    found, errors = load_diagnosis(base / diagnosis.CAUSE_FILE)
    strategies, strategy_errors = load_strategies(base / STRATEGY_FILE, found.causes)
    errors += strategy_errors
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    # real path -> as given; `rules validate rules/` names the built-ins again
    paths = real_paths(path for source in [base, *map(Path, extra)] for path in rule_files(source))
    builtin = os.path.realpath(base) + os.sep
    for real, path in paths.items():
        if real.startswith(builtin + CODE_FOLDER + os.sep):  # their own format, read by `advisor check`
            continue
        loaded, file_errors = load_rule_file(path, strategies, found.causes)
        errors.extend(file_errors)
        if real.startswith(builtin) and not file_errors:
            errors.extend(_check_layout(real.removeprefix(builtin), loaded, path))
        for rule in loaded:
            if rule.id in seen:
                first = seen[rule.id]
                errors.append(_error(rule.file, f"duplicate id; first defined at {first.file}:{first.line}",
                                     rule=rule.id, line=rule.line))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if errors and not collect:
        raise errors[0]
    return Rulebook(strategies, tuple(rules), found), errors


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
                problems.append(_error(rule.file, f"examples.{kind}: {exc}", rule=rule.id, line=rule.line))
                continue
            result, _ = rule.condition.evaluate(facts.derive(setup))
            if (result is True) != expected:
                verb = "does not fire" if expected else "fires"
                problems.append(_error(rule.file, f"example {kind}: {verb} on {fields.as_data(setup)}", rule=rule.id,
                                       line=rule.line))
    return problems


def validate(paths: list[Path]) -> tuple[list[Rule], list[RuleError]]:
    """`advisor rules validate`: the rules of `paths` (loaded beside the built-ins) and every problem,
    their examples run."""
    book, errors = load_rulebook(paths, collect=True)
    wanted = {display_path(p) for path in paths for p in rule_files(path)}
    checked = [r for r in book.rules if r.file in wanted]
    for rule in checked:
        errors.extend(check_examples(rule))
    return checked, errors


def validation_summary(checked: list[Rule], errors: list[RuleError]) -> str:
    """'3 rules checked, 6 examples run, 1 problem'."""
    examples = sum(len(v) for r in checked for v in r.examples.values())
    return ", ".join([f"{templates.counted(len(checked), 'rule', 'rules')} checked",
                      f"{templates.counted(examples, 'example', 'examples')} run",
                      templates.counted(len(errors), "problem", "problems")])
