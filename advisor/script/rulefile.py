"""Code rules: rules/code/CODEnnn.yaml, conditions over the facts of one kind of code site.

The files are YAML read by the rule book's `yamlfile` (plain data, cached) and their conditions are
compiled by the rule book's `conditions` against the site kind's facts (`sites.SITE_FACTS`), so a
code rule is checked at load time the way every other rule is: unknown facts, wrong types and
values outside a fact's choices are RuleErrors naming the file, the line and the rule id.

A rule fires on a site when its condition is true. When it is unknown (a fact the code did not
settle) and the rule has an `unsure:` text, it gives a low "could not tell" note instead: a finding
is never claimed from a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.errors import InputError, RuleError
from advisor.facts.derive import FactSpec
from advisor.rulebook import conditions, templates, yamlfile
from advisor.rulebook.loader import CODE_FOLDER, CONDITION, FILE_BYTES, TEXT_CHARS, builtin_dir
from advisor.script.sites import SITE_FACTS
from advisor.vocabulary import SEVERITIES

# The ranking's causes (issue 16): what a finding is evidence of when `diagnose --script` ranks advice.


@lru_cache(maxsize=1)
def causes() -> tuple[str, ...]:
    """The cause ids of rules/causes.yaml: a finding's cause is evidence the ranking reads, so one vocabulary."""
    from advisor.rulebook import diagnosis, loader

    found, _ = loader.load_diagnosis(loader.builtin_dir() / diagnosis.CAUSE_FILE)
    return tuple(found.causes)


_ID = re.compile(r"^CODE[0-9]{3}$")
_KEYS = {"id": str, "title": str, "cause": str, "severity": str, "at": str, "when": str, "unsure": str,
         "why": str, "fix": str, "snippet": str, "references": list, "examples": dict}
_REQUIRED = ("id", "title", "cause", "severity", "at", "when", "why", "fix", "snippet", "references", "examples")
_SITE_TEXT = ("code",)  # placeholders every site fills besides its facts


@dataclass(frozen=True)
class CodeRule:
    id: str
    title: str
    cause: str
    severity: str
    at: str
    condition: conditions.Condition
    unsure: str
    why: str
    fix: str
    snippet: str
    references: tuple[str, ...]
    examples: dict[str, list[str]]
    file: str
    line: int


def specs_for(kind: str) -> dict[str, FactSpec]:
    return {name: FactSpec(name, "number" if k == "number" else k, text, frozenset({name}), choices)
            for name, (k, choices, text) in SITE_FACTS[kind].items()}


def parse_rule(raw: Any, file: str) -> CodeRule:
    """One rule from its YAML data; RuleError naming every problem in one line."""
    line = getattr(raw, "line", None)
    rid = raw.get("id") if isinstance(raw, dict) else None
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise RuleError(file, "a rule is a map of id, title, cause, severity, at, when, why, fix, snippet, ...", line=line)
    for key in raw:
        if key not in _KEYS:
            problems.append(f"unknown key {key!r} (keys: {', '.join(_KEYS)})")
    for key in _REQUIRED:
        if key not in raw:
            problems.append(f"missing {key!r}")
        elif not isinstance(raw[key], _KEYS[key]):
            problems.append(f"{key!r} must be a {_KEYS[key].__name__}")
    if "unsure" in raw and not isinstance(raw["unsure"], str):
        problems.append("'unsure' must be text")
    if problems:
        raise RuleError(file, "; ".join(problems), rule=rid if isinstance(rid, str) else None, line=line)
    if not _ID.match(rid):
        problems.append("the id is CODE and three digits, like CODE001")
    if raw["severity"] not in SEVERITIES:
        problems.append(f"severity is one of {', '.join(SEVERITIES)}")
    if raw["cause"] not in causes():
        problems.append(f"cause is one of {', '.join(causes())}")
    if raw["at"] not in SITE_FACTS:
        problems.append(f"'at' names a site kind: {', '.join(SITE_FACTS)}")
        raise RuleError(file, "; ".join(problems), rule=rid, line=line)
    specs = specs_for(raw["at"])
    condition = None
    try:
        condition = conditions.compile_condition(raw["when"], specs, CONDITION)
    except conditions.ConditionError as exc:
        problems.extend(f"when: {p}" for p in exc.problems)
    for key in ("title", "why", "fix", "snippet", "unsure"):
        text = raw.get(key, "")
        if len(text) > TEXT_CHARS:
            problems.append(f"{key} has more than {TEXT_CHARS:,} characters")
            continue
        try:
            found = templates.placeholders(text)
        except templates.TemplateError as exc:
            problems.append(f"{key}: {exc}")
            continue
        for p in found:
            if p.name not in specs and p.name not in _SITE_TEXT:
                problems.append(f"{key}: {{{{{p.name}}}}} is not a fact of {raw['at']} sites "
                                f"({', '.join([*_SITE_TEXT, *specs])})")
            elif p.name in specs and p.fallback is None and condition is not None \
                    and p.name not in condition.implied_known():
                problems.append(f"{key}: {{{{{p.name}}}}} may be unknown when the rule fires; give a fallback")
    examples = raw["examples"]
    if set(examples) - {"fires", "silent"} or not all(
            isinstance(examples.get(k, []), list) and all(isinstance(e, str) for e in examples.get(k, []))
            for k in ("fires", "silent")) or not examples.get("fires") or not examples.get("silent"):
        problems.append("examples: {fires: [code, ...], silent: [code, ...]}, each at least one Python source text")
    if problems or condition is None:
        raise RuleError(file, "; ".join(problems), rule=rid, line=line)
    return CodeRule(rid, raw["title"], raw["cause"], raw["severity"], raw["at"], condition, raw.get("unsure", ""),
                    raw["why"], raw["fix"], raw["snippet"], tuple(raw["references"]),
                    {k: list(examples[k]) for k in ("fires", "silent")}, file, line or 1)


def load_file(path: Path) -> list[CodeRule]:
    try:
        data = yamlfile.load_file(path, field="rules", limit=FILE_BYTES)
    except yamlfile.YamlError as exc:
        raise RuleError(str(path), str(exc), line=exc.line) from None
    except InputError as exc:
        raise RuleError(str(path), str(exc)) from None
    entries = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(entries, list) or len(entries) != 1:
        raise RuleError(str(path), "a code rule file holds a top-level 'rules:' list of exactly one rule")
    rule = parse_rule(entries[0], str(path))
    if path.name != f"{rule.id}.yaml":
        raise RuleError(str(path), f"the file is named by its rule's id: {rule.id}.yaml", rule=rule.id, line=rule.line)
    return [rule]


@lru_cache(maxsize=1)
def load() -> tuple[CodeRule, ...]:
    """The built-in code rules, rules/code/CODEnnn.yaml, in id order; ids unique."""
    folder = builtin_dir() / CODE_FOLDER
    rules: list[CodeRule] = []
    for path in sorted(folder.glob("CODE*.yaml")):
        rules.extend(load_file(path))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(rule.file, "duplicate id", rule=rule.id, line=rule.line)
        seen.add(rule.id)
    return tuple(rules)
