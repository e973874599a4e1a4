"""Evaluate rules on facts, weigh the evidence, merge by strategy, drop conflicts, rank, ask.

A rule's `when` decides whether its fix applies to this setup at all; it never adds score.
What orders the fixes is the diagnosis (advisor/rank/diagnose.py): the present problems, the
causes that explain them, and the evidence of the known facts for and against each cause. The
score of a fired rule (rules/README.md, "Ranking", has a worked example):

    the best cause it treats among those that explain a present problem:
        cause score + directness (direct 2, partial 1, indirect 0)
  + its own evidence (weights of the rule's `evidence` items that hold)
  - cost (low 0, medium 1, high 2)
  - 3 for each contraindication that holds with `effect: demote`, and when the fix is already
    in use or was tried (`tried`)

Items that address a present problem (tier 0) rank above all that do not (tier 1, scored with
the causes' evidence but no prior). Within a tier: score, then the score of its cause (the likelier
cause is checked first), the number of evidence items for it, severity and cost; the strategy id
only orders items equal in all of these. A
contraindication with `effect: drop` removes the item, with its reason, into `dropped`. Rules
recommending the same strategy merge into one item that keeps every reason. Of two conflicting
strategies the lower-ranked one is dropped, with the reason.
"""

from __future__ import annotations

from typing import Any, Collection

from advisor.facts import derive as facts_mod
from advisor.rank import diagnose, questions
from advisor.rank.diagnose import Belief, Weighed
from advisor.setup import fields
from advisor.rulebook import diagnosis, templates
from advisor.rulebook.loader import Rule, Rulebook
from advisor.vocabulary import SEVERITY_RANK

DEMOTION = 3  # what a contraindication that demotes, or a fix already tried, takes off
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


FRAMEWORK_NAMES = {"pytorch": "PyTorch", "lightning": "Lightning", "huggingface": "Hugging Face",
                   "keras": "Keras", "sklearn": "scikit-learn", "tensorflow": "TensorFlow"}


def code_note(code: dict[str, str], framework: str | None) -> str | None:
    """Says so when the code shown first is not for the framework the user named; None when it is."""
    if not framework or not code or framework in code:
        return None
    shown = next(iter(code))
    return (f"no {FRAMEWORK_NAMES.get(framework, framework)} code for this rule; "
            f"{FRAMEWORK_NAMES.get(shown, shown)} code shown")


def _preferred(code: dict[str, str], framework: str | None) -> dict[str, str]:
    """The framework asked first, then its fallback, then the rest in the rule's order."""
    order = list(code)
    if framework:
        preferred = [framework, FRAMEWORK_FALLBACK.get(framework)]
        order = [f for f in preferred if f in code] + [f for f in order if f not in preferred]
    return {fw: code[fw] for fw in order}


def _code(rule: Rule, facts: dict[str, Any], framework: str | None) -> dict[str, str]:
    return {fw: templates.render(text, facts).rstrip() + "\n" for fw, text in _preferred(rule.code, framework).items()}


class Scored:
    """A rule as the ranking sees it on this setup: its score and the reasons, before rendering."""

    def __init__(self, rule: Rule, book: Rulebook, facts: dict[str, Any], beliefs: dict[str, Belief],
                 problems: dict[str, diagnosis.Problem]) -> None:
        self.rule = rule
        treats = book.treats(rule)
        causes = [(beliefs[cid], directness) for cid, directness in treats.items() if cid in beliefs]
        addressing = [(b, d) for b, d in causes if b.problems]
        self.tier = 0 if addressing else 1
        best, directness = max(addressing or causes, key=lambda bd: (bd[0].score + diagnosis.DIRECTNESS[bd[1]],
                                                                      len(bd[0].held)))
        self.cause = best
        own, self.undecided = diagnose.weigh(rule.evidence, facts)
        self.demoted: list[Weighed] = []
        self.dropped: str | None = None
        for contra in rule.contra:
            result, trace = contra.condition.evaluate(facts)
            if result is True:
                text = " ".join(templates.render(contra.says, facts).split())
                if contra.effect == "drop":
                    self.dropped = self.dropped or text
                else:
                    self.demoted.append(Weighed(text, -DEMOTION, {}))
        if rule.strategy in facts["tried"]:
            self.demoted.append(Weighed(f"{book.strategies[rule.strategy].title.lower()}: already in use or tried",
                                        -DEMOTION, {"tried": sorted(facts["tried"])}))
        prior = diagnose.prior_text(best, problems)  # None in tier 1: its cause explains no present problem
        lines = ([prior] if prior else []) + best.held + own + self.demoted
        self.evidence_for = [w for w in lines if w.weight > 0]
        self.evidence_against = [w for w in lines if w.weight < 0]
        self.score = (best.score + diagnosis.DIRECTNESS[directness] + sum(w.weight for w in own)
                      - diagnosis.COSTS[book.cost(rule)] - DEMOTION * len(self.demoted))
        self.cost = book.cost(rule)

    def order(self) -> tuple:
        """Sort key: tier, score, how likely its cause is (check the likelier cause first), the evidence for
        it, severity, cost; the id last, for equal items only."""
        return (self.tier, -self.score, -self.cause.score, -len(self.evidence_for),
                SEVERITY_RANK[self.rule.severity], diagnosis.COSTS[self.cost], self.rule.strategy, self.rule.id)

    def value(self) -> int:
        """Tier and score as one number: what questions.py compares."""
        return self.score - questions.TIER_GAP * self.tier


def _item(scored: Scored, facts: dict[str, Any], framework: str | None, trace) -> dict[str, Any]:
    rule = scored.rule
    held = [a for a in trace.atoms if a.result is True]
    read = {name: value for atom in held for name, value in atom.values.items()}
    cause = scored.cause
    return {
        "strategy": rule.strategy,
        "rule": rule.id,
        "rules": [rule.id],
        "title": templates.render(rule.title, facts),
        "score": scored.score,
        "severity": rule.severity,
        "cause": {"id": cause.cause.id, "title": cause.cause.title, "score": cause.score},
        "addresses": list(cause.problems) if scored.tier == 0 else [],
        "evidence_for": [w.data() for w in scored.evidence_for],
        "evidence_against": [w.data() for w in scored.evidence_against],
        "why": [{"rule": rule.id, "text": templates.render(rule.why, facts).strip(), "facts": read}],
        "do": templates.render(rule.do, facts).strip(),
        "code": _code(rule, facts, framework),
        "source": list(rule.sources),
        "references": list(rule.references),
    }


def _merge(items: list[tuple[Scored, dict[str, Any]]], framework: str | None) -> tuple[Scored, dict[str, Any]]:
    """One item per strategy: the best-ranked rule's, with every other rule's reasons and code."""
    items = sorted(items, key=lambda pair: pair[0].order())
    scored, best = items[0][0], dict(items[0][1])
    for _, other in items[1:]:
        best["rules"] = best["rules"] + other["rules"]
        best["why"] = best["why"] + other["why"]
        best["code"] = {**other["code"], **best["code"]}
        best["source"] = sorted(set(best["source"]) | set(other["source"]))
        best["references"] = list(dict.fromkeys(best["references"] + other["references"]))
        if SEVERITY_RANK[other["severity"]] < SEVERITY_RANK[best["severity"]]:
            best["severity"] = other["severity"]
    best["code"] = _preferred(best["code"], framework)
    note = code_note(best["code"], framework)
    if note:  # only when another framework's code is shown
        best["code_note"] = note
    return scored, best


def run(book: Rulebook, setup: dict[str, Any], *, top: int | None = None, explain: bool = False,
        detected: list[dict[str, Any]] | None = None, findings: list[dict[str, Any]] | None = None
        ) -> dict[str, Any]:
    """The report for a normalised setup: the output contract of PRODUCT.md, as plain data.

    `detected`: symptoms found in a training log ({symptom, step, evidence}); their ids are
    already among the setup's symptoms, the list is reported as the evidence for them.
    `findings`: what `advisor check` found in the training code; each is evidence for its cause.
    """
    facts = facts_mod.derive(setup)
    framework = setup.get("framework")
    problems = diagnose.present_problems(book.diagnosis, facts)
    beliefs = diagnose.beliefs(book.diagnosis, problems, facts, findings or ())
    fired: dict[str, list[tuple[Scored, dict[str, Any]]]] = {}
    dropped: list[dict[str, Any]] = []
    undecided: list[questions.Undecided] = []
    explained = []
    for rule in book.rules:
        result, trace = rule.condition.evaluate(facts)
        if result is not False or explain:
            scored = Scored(rule, book, facts, beliefs, problems)
        if result is True:
            if scored.dropped:
                dropped.append({"strategy": rule.strategy, "rule": rule.id, "reason": scored.dropped})
            else:
                fired.setdefault(rule.strategy, []).append((scored, _item(scored, facts, framework, trace)))
        elif result is None:
            undecided.append(questions.Undecided(rule, scored, questions.unknown_names(trace)))
        if explain:  # `when` as a tree (and / or / not / maybe) and its leaves, and the evidence that ranked it
            explained.append({"rule": rule.id, "strategy": rule.strategy, "fired": result,
                              "when": rule.condition.explain(facts),
                              "conditions": [{"test": a.text, "result": a.result, "facts": a.values}
                                             for a in trace.atoms],
                              "cause": scored.cause.cause.id, "tier": scored.tier, "score": scored.score,
                              "evidence": [w.data() for w in scored.evidence_for + scored.evidence_against]})

    merged = sorted((_merge(items, framework) for items in fired.values()), key=lambda pair: pair[0].order())
    advice, ranked = [], []
    for scored, item in merged:
        rival = next((kept for kept in advice
                      if item["strategy"] in book.strategies[kept["strategy"]].conflicts
                      or kept["strategy"] in book.strategies[item["strategy"]].conflicts), None)
        if rival:
            dropped.append({"strategy": item["strategy"], "rule": item["rule"],
                            "reason": f"conflicts with {rival['strategy']} ({rival['rule']}, score "
                                      f"{rival['score']}), which ranks higher"})
        else:
            advice.append(item)
            ranked.append(scored)
    for rank, item in enumerate(advice, start=1):
        item["rank"] = rank

    report: dict[str, Any] = {
        "setup": {k: _shown(k, v) for k, v in setup.items()},
        "facts": {k: _plain(v) for k, v in facts.items()},  # derive already gives plain data
        "problems": [{"id": p.id, "kind": p.kind, "text": diagnose.problem_text(p, facts)} for p in problems.values()],
        "causes": _differential(beliefs),
        "advice": advice[:top] if top else advice,
        "dropped": dropped,
        "missing": questions.worth_asking(ranked, undecided, beliefs, facts, setup.keys()),
    }
    if detected is not None:
        report["detected"] = detected
    if findings is not None:
        report["findings"] = findings
    if explain:
        report["explain"] = explained
    return report


def _differential(beliefs: dict[str, Belief]) -> list[dict[str, Any]]:
    """The causes that explain a present problem, most likely first: the diagnosis the advice follows."""
    present = sorted((b for b in beliefs.values() if b.problems), key=lambda b: (-b.score, -len(b.held), b.cause.id))
    return [{"id": b.cause.id, "title": b.cause.title, "score": b.score, "explains": b.problems,
             "evidence": [w.data() for w in b.held]} for b in present]
