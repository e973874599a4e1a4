"""SARIF 2.1.0: the rules table generated from the rule files, one result per advice item.

Rule ids are the rule files' permanent ids (IMB001), so code-scanning tools
track a finding across runs. Severity maps to SARIF levels high → error,
medium → warning, low → note, and to GitHub's `problem.severity`.
"""

from __future__ import annotations

from typing import Any

from advisor import __version__
from advisor.rulebook import templates
from advisor.render import json_format
from advisor.vocabulary import SEVERITIES

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = dict(zip(SEVERITIES, ("error", "warning", "note")))
PROBLEM_SEVERITY = dict(zip(SEVERITIES, ("error", "warning", "recommendation")))


def _untemplated(text: str) -> str:
    """Rule text outside a setup: a placeholder reads as <fact>."""
    return " ".join(templates.substitute(text, lambda p: f"<{p.name}>").split())


def rule_descriptor(rule, strategy) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.strategy,
        "shortDescription": {"text": _untemplated(rule.title)},
        "fullDescription": {"text": " ".join(strategy.description.split())},
        "help": {"text": _untemplated(rule.do)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"strategy": rule.strategy, "severity": rule.severity, "sources": list(rule.sources),
                       "tags": ["training", rule.strategy],
                       "problem.severity": PROBLEM_SEVERITY[rule.severity]},
    }
    uri = next((r for r in rule.references if r.startswith(("https://", "http://"))), None)
    if uri:
        descriptor["helpUri"] = uri.split()[0]
    return descriptor


def sarif_log(report: dict[str, Any], book, location=None) -> dict[str, Any]:
    rules = [rule_descriptor(r, book.strategies[r.strategy]) for r in book.rules]
    index = {r.id: i for i, r in enumerate(book.rules)}
    results = []
    for item in report["advice"]:
        why = " ".join(reason["text"] for reason in item["why"])
        result: dict[str, Any] = {
            "ruleId": item["rule"],
            "level": LEVEL[item["severity"]],
            "message": {"text": f"{item['title']}. {why} Do: {item['do']}"},
            "partialFingerprints": {"advisorStrategy/v1": item["strategy"]},
            "properties": {"rank": item["rank"], "score": item["score"], "strategy": item["strategy"],
                           "rules": item["rules"], "sources": item["source"],
                           "facts": {k: v for reason in item["why"] for k, v in reason["facts"].items()}},
        }
        if item["rule"] in index:
            result["ruleIndex"] = index[item["rule"]]
        if location is not None:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": location.uri},
                "region": {"startLine": location.line_for(item)}}}]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "advisor", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "results": results,
            "properties": {"setup": report["setup"]},
        }],
    }


def render(report: dict[str, Any], book, location=None) -> str:
    return json_format.dumps(sarif_log(report, book, location))
