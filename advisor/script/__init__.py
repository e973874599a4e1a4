"""Read training scripts without running them: setup facts and code findings (`advisor check`).

    source      the file parsed with `ast` (never imported or run); not Python: one InputError
    names       follows names through the file: imports, assignments, argparse defaults, callers
    flow        what a value is: a model (its class's forward), a loss, the activation it ends in
    sites       the places code rules look at, each with its facts (SITE_FACTS: their vocabulary)
    rulefile    rules/code/CODEnnn.yaml: conditions over site facts, compiled by rulebook.conditions
    setupfacts  framework, model, optimizer, lr, batch size, precision, LoRA, ... with their lines

`read_script(paths)` is the library entry: (setup, findings), the setup normalised as
`diagnose` normalises one, the findings plain data with the rule's cause for the ranking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.rulebook import templates

UNSURE_SEVERITY = "low"  # a "could not tell" note is never a medium or high finding


def findings_for(script, rules=None) -> tuple[list[dict[str, Any]], Any]:
    """The findings of one parsed script and its Finder (whose names the setup reader reuses)."""
    from advisor.script import rulefile, sites

    finder = sites.Finder(script.tree)
    rules = rulefile.load() if rules is None else rules
    found = []
    for site in finder.sites():
        facts = {**site.facts, "code": site.code}
        for rule in rules:
            if rule.at != site.kind:
                continue
            result, _ = rule.condition.evaluate(facts)
            if result is True:
                found.append(_finding(rule, script.path, site, facts, certain=True))
            elif result is None and rule.unsure:
                found.append(_finding(rule, script.path, site, facts, certain=False))
    return found, finder


def _finding(rule, path: str, site, facts: dict[str, Any], *, certain: bool) -> dict[str, Any]:
    fill = lambda text: " ".join(templates.render(text, facts).split())  # noqa: E731
    if certain:
        title, severity, why = fill(rule.title), rule.severity, fill(rule.why)
    else:
        title, severity = f"Could not tell: {fill(rule.unsure)}", UNSURE_SEVERITY
        why = f"The code at this line (`{site.code}`) does not settle it from this file; if it holds: {fill(rule.why)}"
    return {"rule": rule.id, "path": path, "line": site.line, "severity": severity, "title": title, "why": why,
            "fix": fill(rule.fix), "snippet": rule.snippet, "cause": rule.cause, "certain": certain,
            "code": site.code, "references": list(rule.references)}


def read_scripts(paths: list[str | Path]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Code facts ({name: {value, path, line}}, the first file that settles a fact wins) and findings."""
    from advisor.script import setupfacts, source

    facts: dict[str, dict[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    for path in paths:
        script = source.read(path)
        found, finder = findings_for(script)
        findings.extend(found)
        for name, fact in setupfacts.read(script.tree, finder.names).items():
            facts.setdefault(name, {"value": fact.value, "path": script.path, "line": fact.line}
                             | ({"default": True} if fact.default else {}))
    return facts, findings


def setup_of(facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The code facts that are setup fields, normalised by `normalize_setup`; a model outside the catalog
    (or any value the field does not accept) is left to the code facts rather than failing the read."""
    from advisor.errors import InputError
    from advisor.setup import fields

    setup: dict[str, Any] = {}
    raw = {name: fact["value"] for name, fact in facts.items()}
    if "model_id" in raw:
        raw["model"] = raw["model_id"]
    for name, value in raw.items():
        if fields.field_for(name) is None:
            continue
        try:
            setup.update(fields.normalize_setup({name: value}))
        except InputError:
            continue
    return fields.normalize_setup(fields.as_data(setup))


def read_script(paths: list[str | Path]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(setup facts normalised as `diagnose` normalises a setup, findings) of the scripts at `paths`.

    Raises advisor.errors.InputError (one line) for a file that cannot be read or is not Python.
    """
    facts, findings = read_scripts(paths)
    return setup_of(facts), findings
