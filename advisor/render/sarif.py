"""SARIF 2.1.0: the rules table generated from the rule files, one result per advice item.

Rule ids are the rule files' permanent ids (IMB001), so code-scanning tools
track a finding across runs. Severity maps to SARIF levels high → error,
medium → warning, low → note, and to GitHub's `problem.severity`.
"""

from __future__ import annotations

from typing import Any

from advisor import __version__
from advisor.rulebook import templates
from advisor.render import detected, json_format
from advisor.vocabulary import SEVERITIES

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = dict(zip(SEVERITIES, ("error", "warning", "note")))
PROBLEM_SEVERITY = dict(zip(SEVERITIES, ("error", "warning", "recommendation")))


def _untemplated(text: str) -> str:
    """Rule text outside a setup: a placeholder reads as <fact>."""
    return " ".join(templates.substitute(text, lambda p: f"<{p.name}>").split())


def _with_help_uri(descriptor: dict[str, Any], references) -> dict[str, Any]:
    """The descriptor with its first web reference as helpUri, where it has one."""
    uri = next((r for r in references if r.startswith(("https://", "http://"))), None)
    if uri:
        descriptor["helpUri"] = uri.split()[0]
    return descriptor


def _log(rules: list[dict[str, Any]], results: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    """The SARIF document: one run of advisor with its rules table, its results and the run's own keys."""
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "advisor", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "results": results,
            **run,
        }],
    }


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
    return _with_help_uri(descriptor, rule.references)


def sarif_log(report: dict[str, Any], book, location=None) -> dict[str, Any]:
    rules = [rule_descriptor(r, book.strategies[r.strategy]) for r in book.rules]
    found = detected.detected(report)
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
    return _log(rules, results,
                properties={"setup": report["setup"], **({"detected": found} if found else {}),
                            **({"log": report["log"]} if report.get("log") else {})},
                **({"invocations": [_detected_notifications(found)]} if found else {}))


def _detected_notifications(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The symptoms the training log showed: what the run observed, not rule results (no rule fired on them
    by itself), so they are notifications of the invocation, each with its step and evidence."""
    return {"executionSuccessful": True, "toolExecutionNotifications": [
        {"level": "note", "message": {"text": detected.text(item)}, "descriptor": {"id": f"detected/{item['symptom']}"},
         "properties": dict(item)} for item in found]}


def render(report: dict[str, Any], book, location=None) -> str:
    return json_format.dumps(sarif_log(report, book, location))


# ------------------------------------------------------------------ code findings (`advisor check`)

def code_rule_descriptor(rule) -> dict[str, Any]:
    """A code rule (rules/code/CODEnnn.yaml) as a SARIF reportingDescriptor."""
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.cause,
        "shortDescription": {"text": _untemplated(rule.title)},
        "help": {"text": " ".join(rule.fix.split())},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"cause": rule.cause, "severity": rule.severity, "tags": ["training-code", rule.cause],
                       "problem.severity": PROBLEM_SEVERITY[rule.severity]},
    }
    return _with_help_uri(descriptor, rule.references)


def code_findings_log(findings: list[dict[str, Any]], rules, setup: dict[str, Any]) -> dict[str, Any]:
    """SARIF for findings located in the scripts: each result on its file and line."""
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding["rule"],
            "level": LEVEL[finding["severity"]],
            "message": {"text": f"{finding['title']}. {finding['why']} Fix: {finding['fix']}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": finding["path"]},
                                                "region": {"startLine": finding["line"]}}}],
            "partialFingerprints": {"advisorCode/v1": f"{finding['rule']}:{finding['code']}"},
            "properties": {"cause": finding["cause"], "certain": finding["certain"]},
        }
        if finding["rule"] in index:
            result["ruleIndex"] = index[finding["rule"]]
        results.append(result)
    return _log([code_rule_descriptor(r) for r in rules], results, properties={"setup": setup})
