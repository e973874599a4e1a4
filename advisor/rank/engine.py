"""Evaluate rules on facts, merge by strategy, drop conflicts, rank, and name missing facts.

Score of one fired rule (documented in rules/README.md):

    severity base (high 30, medium 15, low 0)
  + priority     (0..40, the rule's place among fixes for the same problem)
  + boosts       (conditional adds: how strongly this setup calls for it)
  + specificity  (2 per condition atom that held, at most 10)

Rules recommending the same strategy merge into one item that keeps every
reason; it scores as its best rule plus 3 per further supporting rule (at
most +9). Items are ranked by score, then severity, then strategy id, so the
order is deterministic. Of two conflicting strategies the lower-ranked one is
dropped, with the reason.
"""

from __future__ import annotations

from typing import Any, Collection

from advisor.facts import derive as facts_mod
from advisor.setup import fields
from advisor.rulebook import templates
from advisor.rulebook.loader import Rule, Rulebook
from advisor.vocabulary import SEVERITIES, SEVERITY_RANK

SEVERITY_BASE = dict(zip(SEVERITIES, (30, 15, 0)))  # what a fired rule's score starts from
SPECIFICITY_PER_ATOM, SPECIFICITY_MAX = 2, 10
MERGE_BONUS, MERGE_MAX = 3, 9
MISSING_LIMIT = 3
# Code shown for a framework that has none of its own.
FRAMEWORK_FALLBACK = {"tensorflow": "keras", "lightning": "pytorch", "huggingface": "pytorch"}


def _plain(value: Any) -> Any:
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def _shown(name: str, value: Any) -> Any:
    """A setup field or fact as the report shows it: a field's typed value in its plain form ("1:20")."""
    field = fields.BY_NAME.get(name)
    return _plain(field.plain(value) if field is not None else value)


def _code(rule: Rule, facts: dict[str, Any], framework: str | None) -> dict[str, str]:
    order = list(rule.code)
    if framework:
        preferred = [framework, FRAMEWORK_FALLBACK.get(framework)]
        order = [f for f in preferred if f in rule.code] + [f for f in order if f not in preferred]
    return {fw: templates.render(rule.code[fw], facts).rstrip() + "\n" for fw in order}


def _fire(rule: Rule, facts: dict[str, Any], framework: str | None, trace) -> dict[str, Any]:
    held = [a for a in trace.atoms if a.result is True]
    boost = sum(b.add for b in rule.boosts if b.condition.evaluate(facts)[0] is True)
    specificity = min(SPECIFICITY_MAX, SPECIFICITY_PER_ATOM * len(held))
    score = SEVERITY_BASE[rule.severity] + rule.priority + boost + specificity
    evidence = {name: value for atom in held for name, value in atom.values.items()}
    return {
        "strategy": rule.strategy,
        "rule": rule.id,
        "rules": [rule.id],
        "title": templates.render(rule.title, facts),
        "score": score,
        "severity": rule.severity,
        "why": [{"rule": rule.id, "text": templates.render(rule.why, facts).strip(), "facts": evidence}],
        "do": templates.render(rule.do, facts).strip(),
        "code": _code(rule, facts, framework),
        "source": list(rule.sources),
        "references": list(rule.references),
    }


def _merge(items: list[dict[str, Any]]) -> dict[str, Any]:
    items = sorted(items, key=lambda i: (-i["score"], i["rule"]))
    best = dict(items[0])
    for other in items[1:]:
        best["rules"] = best["rules"] + other["rules"]
        best["why"] = best["why"] + other["why"]
        best["code"] = {**other["code"], **best["code"]}
        best["source"] = sorted(set(best["source"]) | set(other["source"]))
        best["references"] = list(dict.fromkeys(best["references"] + other["references"]))
        if SEVERITY_RANK[other["severity"]] < SEVERITY_RANK[best["severity"]]:
            best["severity"] = other["severity"]
    best["score"] += min(MERGE_MAX, MERGE_BONUS * (len(items) - 1))
    return best


HINT_RULES_NAMED = 3


def hint_text(field_name: str, rules: list[str], how: str | None = None) -> str:
    """'give lr (learning rate) to decide STB005, STB006 and 2 more': the one wording of a missing-fact hint.

    `how` says how to give the field; the engine names the setup key, so library users read no
    command-line words, and the renderers pass the flag for the CLI.
    """
    what = fields.BY_NAME[field_name].help.split(" (")[0].split("; ")[0]  # without examples of accepted forms
    gloss = f" ({what})" if what != field_name.replace("_", " ") else ""  # not 'task (task)'
    named = ", ".join(rules[:HINT_RULES_NAMED])
    more = len(rules) - HINT_RULES_NAMED
    decides = f"{named} and {more} more" if more > 0 else named
    return f"give {how or field_name}{gloss} to decide {decides}"


def _missing(unknown_by_rule: list[tuple[Rule, set[str], int | None]], known: Collection[str]) -> list[dict[str, Any]]:
    """The setup fields whose absence left the most relevant rules undecided.

    An undecided rule counts by its severity (high 3, medium 2, low 1) times
    the square of the number of its conditions that already held: a rule that
    matched the declared symptom and waits only for the learning rate matters,
    one about a topic the user never raised does not. A rule that fired on an
    assumption (`maybe`) counts 1: knowing the fact only confirms it; one that
    fired *because* a fact is missing (`not known(lr)`) counts in full. When
    nothing held anywhere (an empty setup), severity alone decides. Only fields
    not in `known` are named: a derived fact also needs the inputs already given.
    The rules a field decides are listed most relevant first.
    """
    def weigh(rule: Rule, held: int | None, relevant: bool) -> int:
        if held is None:
            return 1
        return (len(SEVERITIES) - SEVERITY_RANK[rule.severity]) * (held ** 2 if relevant else 1)

    relevant = any(held for _, _, held in unknown_by_rule)
    weight: dict[str, int] = {}
    decides: dict[str, dict[str, int]] = {}  # field -> rule id -> weight
    for rule, names, held in unknown_by_rule:
        unknown = set().union(*(facts_mod.SPECS[n].requires for n in names)) - set(known)
        for field_name in sorted(unknown):
            add = weigh(rule, held, relevant)
            weight[field_name] = weight.get(field_name, 0) + add
            by_rule = decides.setdefault(field_name, {})
            by_rule[rule.id] = by_rule.get(rule.id, 0) + add  # a rule may wait on it twice: once listed
    ranked = sorted((f for f in weight if weight[f] > 0), key=lambda f: (-weight[f], f))[:MISSING_LIMIT]
    missing = []
    for f in ranked:
        rules = sorted(decides[f], key=lambda r: (-decides[f][r], r))
        missing.append({"field": f, "flag": fields.BY_NAME[f].cli_flag, "rules": rules, "hint": hint_text(f, rules)})
    return missing


def run(book: Rulebook, setup: dict[str, Any], *, top: int | None = None,
        explain: bool = False, detected: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report for a normalised setup: the output contract of PRODUCT.md, as plain data.

    `detected`: symptoms found in a training log ({symptom, step, evidence}); their ids are
    already among the setup's symptoms, the list is reported as the evidence for them.
    """
    facts = facts_mod.derive(setup)
    framework = setup.get("framework")
    fired: dict[str, list[dict[str, Any]]] = {}
    undecided: list[tuple[Rule, set[str], int | None]] = []  # held None: the rule fired
    explained = []
    for rule in book.rules:
        result, trace = rule.condition.evaluate(facts)
        held = sum(a.result is True for a in trace.atoms)
        absent = {n for a in trace.atoms if a.result is False for n in a.unknown}  # known(x) that failed
        if result is True:
            fired.setdefault(rule.strategy, []).append(_fire(rule, facts, framework, trace))
            if trace.assumed - absent:
                undecided.append((rule, trace.assumed - absent, None))
            if absent:
                undecided.append((rule, absent, held))
        elif result is None:
            undecided.append((rule, {n for a in trace.atoms if a.result is None for n in a.unknown} | absent, held))
        elif absent and all(a.unknown for a in trace.atoms if a.result is False):
            undecided.append((rule, absent, held))  # false only because a fact is missing
        if explain:  # `when` as a tree (and / or / not / maybe) and its leaves; the boosts apart, with what each added
            boosts = [{"test": b.condition.source, "add": b.add, "when": b.condition.explain(facts)}
                      for b in rule.boosts]
            for boost in boosts:  # as _fire scores: a boost adds only to a rule that fired
                boost["added"] = boost["add"] if result is True and boost["when"]["result"] is True else 0
            explained.append({"rule": rule.id, "strategy": rule.strategy, "fired": result,
                              "when": rule.condition.explain(facts),
                              "conditions": [{"test": a.text, "result": a.result, "facts": a.values}
                                             for a in trace.atoms],
                              "boosts": boosts})

    merged = sorted((_merge(items) for items in fired.values()),
                    key=lambda i: (-i["score"], SEVERITY_RANK[i["severity"]], i["strategy"]))
    advice, dropped = [], []
    for item in merged:
        rival = next((kept for kept in advice
                      if item["strategy"] in book.strategies[kept["strategy"]].conflicts
                      or kept["strategy"] in book.strategies[item["strategy"]].conflicts), None)
        if rival:
            dropped.append({"strategy": item["strategy"], "rule": item["rule"],
                            "reason": f"conflicts with {rival['strategy']} ({rival['rule']}, score "
                                      f"{rival['score']}), which ranks higher"})
        else:
            advice.append(item)
    for rank, item in enumerate(advice, start=1):
        item["rank"] = rank

    report: dict[str, Any] = {
        "setup": {k: _shown(k, v) for k, v in setup.items()},
        "facts": {k: _plain(v) for k, v in facts.items()},  # derive already gives plain data
        "advice": advice[:top] if top else advice,
        "dropped": dropped,
        "missing": _missing(undecided, facts.keys()),
    }
    if detected is not None:
        report["detected"] = detected
    if explain:
        report["explain"] = explained
    return report
