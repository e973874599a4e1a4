"""Differential diagnosis: which problems this setup has, and how strongly its facts point at each cause.

The score of a cause (documented with a worked example in rules/README.md, "Ranking"):

    prior      the largest prior among the present problems it explains (common 3, occasional 2,
               rare 1), one less when that problem is only revealed by the facts, not declared
  + 1          for each further present problem it explains (NaN *and* exploding gradients)
  + evidence   the weights of its evidence items whose conditions hold on known facts

An unknown fact never adds: an evidence condition that cannot be decided counts 0 and is
listed among the facts worth asking for (advisor/rank/questions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.rulebook import diagnosis, templates
from advisor.rulebook.diagnosis import Cause, Evidence, Problem

REVEALED_PENALTY = 1  # a problem the user did not declare weighs less than one they did
MORE_PROBLEMS = 1  # per further present problem a cause explains
# A bug `advisor check` found in the training code, as evidence for its cause, by the finding's severity:
# a low one is a "could not tell" note or a style matter, no evidence.
FINDING_WEIGHT = {"high": 4, "medium": 2, "low": 0}


@dataclass
class Weighed:
    """One evidence item as it came out on this setup."""
    text: str
    weight: int
    facts: dict[str, Any]

    def data(self) -> dict[str, Any]:
        return {"text": self.text, "weight": self.weight, "facts": self.facts}


@dataclass
class Belief:
    cause: Cause
    score: int
    problems: list[str]  # present problems it explains, strongest prior first
    prior: int  # the points those problems give it (0 when it explains none)
    held: list[Weighed] = field(default_factory=list)  # evidence items that held, in file order
    undecided: list[tuple[Evidence, list[str]]] = field(default_factory=list)  # (item, unknown facts)


def present_problems(book_diagnosis: diagnosis.Diagnosis, facts: dict[str, Any]) -> dict[str, Problem]:
    """Declared symptoms and concerns, and the problems the facts reveal."""
    found = {}
    for problem in book_diagnosis.problems.values():
        if problem.condition is None:
            if problem.id in facts["symptoms"]:
                found[problem.id] = problem
        elif problem.condition.evaluate(facts)[0] is True:
            found[problem.id] = problem
    return found


def problem_text(problem: Problem, facts: dict[str, Any]) -> str:
    """A symptom by its name; a concern or a revealed problem in its own words, with this setup's numbers."""
    return problem.title if problem.kind == "symptom" else " ".join(templates.render(problem.says, facts).split())


def weigh(items: tuple[Evidence, ...], facts: dict[str, Any]) -> tuple[list[Weighed], list[tuple[Evidence, list[str]]]]:
    """The evidence items that hold, and those that cannot be decided with the facts known."""
    held, undecided = [], []
    for item in items:
        result, trace = item.condition.evaluate(facts)
        if result is True:
            values = {name: value for atom in trace.atoms if atom.result is True for name, value in atom.values.items()}
            held.append(Weighed(say(item, facts, values), item.weight, _plain(values)))
        elif result is None:
            undecided.append((item, sorted({n for atom in trace.atoms for n in atom.unknown})))
    return held, undecided


def say(item: Evidence, facts: dict[str, Any], values: dict[str, Any]) -> str:
    if item.says:
        return " ".join(templates.render(item.says, facts).split())
    shown = ", ".join(f"{name} {_plain(value)}" for name, value in values.items())
    return f"{' '.join(item.condition.source.split())} ({shown})" if shown else item.condition.source


def beliefs(book_diagnosis: diagnosis.Diagnosis, problems: dict[str, Problem], facts: dict[str, Any],
            findings: tuple | list = ()) -> dict[str, Belief]:
    """Every cause with its score; causes that explain no present problem score their evidence alone.

    `findings` (advisor check's, on the training code) are evidence for the cause each names.
    """
    found = {}
    for cause in book_diagnosis.causes.values():
        explained = sorted((pid for pid in cause.explains if pid in problems),
                           key=lambda pid: -_prior(cause, problems[pid]))
        prior = _prior(cause, problems[explained[0]]) + MORE_PROBLEMS * (len(explained) - 1) if explained else 0
        held, undecided = weigh(cause.evidence, facts)
        held += [Weighed(f"{f['path']}:{f['line']}: {f['title']}", FINDING_WEIGHT[f["severity"]],
                         {"rule": f["rule"]}) for f in findings
                 if f["cause"] == cause.id and FINDING_WEIGHT[f["severity"]]]
        found[cause.id] = Belief(cause, prior + sum(w.weight for w in held), explained, prior, held, undecided)
    return found


def prior_text(belief: Belief, problems: dict[str, Problem]) -> Weighed | None:
    """The prior as an evidence line: 'a common cause of NaN loss'."""
    if not belief.problems:
        return None
    level = {points: name for name, points in diagnosis.PRIORS.items()}
    parts = [f"{_article(level[belief.cause.explains[pid]])} cause of {problems[pid].title}"
             for pid in belief.problems]
    return Weighed("; ".join(parts), belief.prior, {})


def _article(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _prior(cause: Cause, problem: Problem) -> int:
    return cause.explains[problem.id] - (REVEALED_PENALTY if problem.kind == "revealed" else 0)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value
