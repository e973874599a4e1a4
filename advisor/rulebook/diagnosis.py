"""The diagnosis vocabulary: problems, the causes that explain them, and the evidence for each.

`rules/causes.yaml` is its one source (rules/README.md, "Ranking"). A *problem* is what
the user wants solved: a declared symptom, a declared concern (personal data,
interpretability) or one the facts reveal (the estimated peak does not fit the card). A
*cause* explains problems, each with a prior (how often it is the cause of that problem:
common, occasional, rare), and carries evidence: conditions over known facts that point
towards it (a positive weight) or away from it (a negative one). Strategies and rules say
which causes they treat and how directly; the ranking (advisor/rank/) weighs them.

Evidence speaks only of facts the setup knows: `maybe()` and `known()` are refused in
evidence, contraindications and problem conditions, so not knowing can never add score.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

from advisor.rulebook import conditions

CAUSE_FILE = "causes.yaml"
PRIORS = {"common": 3, "occasional": 2, "rare": 1}  # points a cause starts from for a problem it explains
DIRECTNESS = {"direct": 2, "partial": 1, "indirect": 0}  # how directly a fix treats its cause
COSTS = {"low": 0, "medium": 1, "high": 2}  # what applying the fix costs: subtracted
WEIGHTS = range(-5, 6)  # an evidence item's weight
EFFECTS = ("drop", "demote")  # what a contraindication does to the item
PROBLEM_KINDS = ("symptom", "concern", "revealed")
_GUESSING = re.compile(r"\b(maybe|known)\s*\(")


class Evidence(NamedTuple):
    condition: conditions.Condition
    weight: int  # > 0 points towards the cause (or fix), < 0 away from it
    says: str  # a template; empty: the condition and the facts it read are shown


class Contra(NamedTuple):
    """When a fix is unlikely to help or already in place."""
    condition: conditions.Condition
    says: str
    effect: str  # "drop" or "demote"


class Problem(NamedTuple):
    id: str
    title: str
    kind: str  # symptom (declared in `symptoms`), concern (declared by a setup field) or revealed
    condition: conditions.Condition | None  # None for a symptom: present when declared or detected
    says: str


class Cause(NamedTuple):
    id: str
    title: str
    explains: dict[str, int]  # problem id -> prior points
    evidence: tuple[Evidence, ...]


class Diagnosis(NamedTuple):
    problems: dict[str, Problem]
    causes: dict[str, Cause]


Err = Callable[[str, "str | None", "int | None"], None]  # (message, key, line)


def parse_evidence(entries: Any, where: str, compile_: Callable[[str, str, int | None], conditions.Condition | None],
                   err: Callable[[str, int | None], None]) -> list[Evidence]:
    """A list of {when, weight, says?}."""
    if not isinstance(entries, list):
        err(f"{where} must be a list of {{when, weight, says}}", None)
        return []
    found = []
    for number, entry in enumerate(entries, start=1):
        at = getattr(entry, "line", None)
        weight = entry.get("weight") if isinstance(entry, dict) else None
        says = entry.get("says", "") if isinstance(entry, dict) else ""
        valid = isinstance(entry, dict) and set(entry) <= {"when", "weight", "says"} and "when" in entry \
            and isinstance(entry["when"], str) and isinstance(weight, int) and not isinstance(weight, bool) \
            and weight in WEIGHTS and weight != 0 and isinstance(says, str)
        if not valid:
            err(f"{where} {number}: each item is {{when: condition, weight: whole number {WEIGHTS[0]}..{WEIGHTS[-1]} "
                f"but not 0, says: text}}", at)
        # the condition is checked too, so one run reports every problem of the item
        when = entry.get("when") if isinstance(entry, dict) else None
        condition = _compile_known_only(when, f"{where} {number}", compile_, err, at) \
            if isinstance(when, str) else None
        if valid and condition is not None:
            found.append(Evidence(condition, weight, says))
    return found


def parse_contra(entries: Any, where: str, compile_: Callable[[str, str, int | None], conditions.Condition | None],
                 err: Callable[[str, int | None], None]) -> list[Contra]:
    """A list of {when, says, effect}."""
    if not isinstance(entries, list):
        err(f"{where} must be a list of {{when, says, effect}}", None)
        return []
    found = []
    for number, entry in enumerate(entries, start=1):
        at = getattr(entry, "line", None)
        if not isinstance(entry, dict) or set(entry) != {"when", "says", "effect"} \
                or not isinstance(entry["when"], str) or not isinstance(entry["says"], str) \
                or entry["effect"] not in EFFECTS:
            err(f"{where} {number}: each item is {{when: condition, says: text, effect: {' or '.join(EFFECTS)}}}", at)
            continue
        condition = _compile_known_only(entry["when"], f"{where} {number}", compile_, err, at)
        if condition is not None:
            found.append(Contra(condition, entry["says"], entry["effect"]))
    return found


def parse_treats(raw: Any, causes: dict[str, Cause] | set[str], where: str, err: Callable[[str, int | None], None]
                 ) -> dict[str, str]:
    """{cause id: direct | partial | indirect}."""
    if not isinstance(raw, dict) or not raw:
        err(f"{where} must map cause ids to {', '.join(DIRECTNESS)}", None)
        return {}
    treats = {}
    for cause, directness in raw.items():
        if cause not in causes:
            from advisor.setup.units import nearest

            err(f"{where}: unknown cause {cause!r}{nearest(cause, causes)} (the causes are in {CAUSE_FILE})", None)
        elif directness not in DIRECTNESS:
            err(f"{where}.{cause} must be one of {', '.join(DIRECTNESS)}", None)
        else:
            treats[cause] = directness
    return treats


def _compile_known_only(source: str, where: str, compile_: Callable[[str, str, int | None], conditions.Condition | None],
                        err: Callable[[str, int | None], None], at: int | None) -> conditions.Condition | None:
    if _GUESSING.search(source):
        err(f"{where}: evidence speaks of known facts only; maybe() and known() are not allowed here", at)
        return None
    return compile_(source, where, at)


def symptom_title(symptom: str) -> str:
    """'nan-loss' -> 'NaN loss', 'low-gpu-utilization' -> 'low GPU utilization'."""
    words = {"nan": "NaN", "gpu": "GPU"}
    return " ".join(words.get(w, w) for w in symptom.split("-"))


def parse(data: Any, symptoms: tuple[str, ...], compile_: Callable[[str, str, int | None], conditions.Condition | None],
          err: Callable[[str, str | None, int | None], None]) -> Diagnosis:
    """causes.yaml's {problems, causes}; every problem reported through `err` (message, item id, line)."""
    if not isinstance(data, dict) or set(data) != {"problems", "causes"}:
        err("expected top-level 'problems:' and 'causes:' maps and nothing else", None, None)
        return Diagnosis({}, {})
    problems: dict[str, Problem] = {s: Problem(s, symptom_title(s), "symptom", None, "") for s in symptoms}
    entries = data["problems"] if isinstance(data["problems"], dict) else {}
    for pid, entry in entries.items():
        line = entries.lines.get(pid) if hasattr(entries, "lines") else None
        say = lambda message, at=None, pid=pid, line=line: err(message, pid, at or line)  # noqa: E731
        if pid in symptoms:
            say("a symptom is a problem already; list only concerns and revealed problems here")
            continue
        if not isinstance(entry, dict) or set(entry) != {"title", "kind", "when", "says"} \
                or entry.get("kind") not in ("concern", "revealed") \
                or not all(isinstance(entry[k], str) for k in ("title", "when", "says")):
            say("a problem is {title, kind: concern or revealed, when: condition, says: text}")
            continue
        condition = _compile_known_only(entry["when"], "when", compile_, say, None)
        if condition is not None:
            problems[pid] = Problem(pid, entry["title"], entry["kind"], condition, entry["says"])
    causes: dict[str, Cause] = {}
    entries = data["causes"] if isinstance(data["causes"], dict) else {}
    for cid, entry in entries.items():
        line = entries.lines.get(cid) if hasattr(entries, "lines") else None
        say = lambda message, at=None, cid=cid, line=line: err(message, cid, at or line)  # noqa: E731
        if not isinstance(entry, dict) or not set(entry) <= {"title", "explains", "evidence"} \
                or not isinstance(entry.get("title"), str) or not isinstance(entry.get("explains"), dict):
            say("a cause is {title, explains: {problem: common|occasional|rare}, evidence: [...]}")
            continue
        explains = {}
        for pid, prior in entry["explains"].items():
            if pid not in problems:
                from advisor.setup.units import nearest

                say(f"explains unknown problem {pid!r}{nearest(pid, problems)}")
            elif prior not in PRIORS:
                say(f"explains.{pid} must be one of {', '.join(PRIORS)}")
            else:
                explains[pid] = PRIORS[prior]
        evidence = parse_evidence(entry.get("evidence", []), "evidence", compile_, say)
        causes[cid] = Cause(cid, entry["title"], explains, tuple(evidence))
    return Diagnosis(problems, causes)
