"""The questions worth asking: the missing setup fields whose answer could change the top 3 the most.

Unknown facts never add score (advisor/rank/diagnose.py); instead, each undecided piece of
evidence and each rule that waits on a fact says how far the answer could move an item. For a
missing field, the *swing* is how far past the top-3 boundary its answer could carry an item:

- an item outside the top 3 whose undecided evidence for it (weights > 0) could lift it above
  the third item (evidence waiting on k missing fields counts 1/k for each);
- an item inside the top 3 whose undecided evidence against it could drop it below the fourth;
- a rule that does not fire yet only for want of the field, scoring above the third item.

The fields with the largest swing are named (at most MISSING_LIMIT), each with the rules it
could move. A derived fact is asked for through the fields it needs that are still missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.facts import derive as facts_mod
from advisor.setup import fields

MISSING_LIMIT = 3
TOP = 3
TIER_GAP = 1000  # items as one number: any tier-0 item (addresses a present problem) above any tier-1 item


@dataclass
class Undecided:
    """A rule whose `when` cannot be decided: how it would score if it fired, and the facts it waits on."""
    rule: Any
    scored: Any  # engine.Scored
    unknown: set[str]


def unknown_names(trace) -> set[str]:
    """The facts a rule waits on; not those a maybe() assumed, whose answer could only silence it."""
    return {n for atom in trace.atoms if atom.result is None and not atom.assumed for n in atom.unknown}


def _fields(names: set[str] | list[str], known: set[str]) -> set[str]:
    """The missing setup fields behind facts: a derived fact's inputs, less those already given."""
    needed = set().union(*(facts_mod.SPECS[n].requires for n in names if n in facts_mod.SPECS))
    return {f for f in needed - known if f in fields.BY_NAME}


def worth_asking(ranked: list, undecided: list[Undecided], beliefs: dict, facts: dict[str, Any],
                 given: Any = ()) -> list[dict[str, Any]]:
    """`given`: the setup's fields, also those the rules read as unknown (a choice of `other`): never asked."""
    known = set(facts) | set(given)
    values = [s.value() for s in ranked]
    third = values[TOP - 1] if len(values) >= TOP else float("-inf")
    fourth = values[TOP] if len(values) > TOP else float("-inf")
    swing: dict[str, int | float] = {}
    moves: dict[str, dict[str, float]] = {}  # field -> rule id -> swing

    def note(field: str, rule_id: str, amount: float) -> None:
        if amount <= 0:
            return
        swing[field] = max(swing.get(field, 0), amount)
        moves.setdefault(field, {})
        moves[field][rule_id] = max(moves[field].get(rule_id, 0), amount)

    def _pending(scored) -> dict[str, list[float]]:
        """The weights of the item's undecided evidence (its cause's and its own), by missing field; an item
        that waits on several missing fields counts a share for each, as one answer alone cannot decide it."""
        by_field: dict[str, list[float]] = {}
        for item, names in list(scored.cause.undecided) + list(scored.undecided):
            needed = _fields(names, known)
            for field in needed:
                by_field.setdefault(field, []).append(item.weight / len(needed))
        return by_field

    for position, scored in enumerate(ranked):
        for field, weights in _pending(scored).items():
            if position < TOP:
                drop = sum(w for w in weights if w < 0)
                note(field, scored.rule.id, fourth - (values[position] + drop) if fourth > float("-inf") else 0)
            else:
                rise = sum(w for w in weights if w > 0)
                note(field, scored.rule.id, values[position] + rise - third + 0.5)
    for waiting in undecided:
        for field in _fields(waiting.unknown, known):
            # what the answer could add besides letting the rule fire: its evidence waiting on the same field
            rise = sum(w for w in _pending(waiting.scored).get(field, []) if w > 0)
            value = waiting.scored.value() + rise
            # with fewer than three items, any rule that could fire would enter the top 3
            note(field, waiting.rule.id, value - third + 0.5 if third > float("-inf") else value + 2 * TIER_GAP)

    order = {f.name: i for i, f in enumerate(fields.FIELDS)}
    chosen = sorted(swing, key=lambda f: (-swing[f], -len(moves[f]), order[f]))[:MISSING_LIMIT]
    missing = []
    for field in chosen:
        rules = sorted(moves[field], key=lambda r: (-moves[field][r], r))
        missing.append({"field": field, "flag": fields.BY_NAME[field].cli_flag, "rules": rules,
                        "hint": hint_text(field, rules)})
    return missing


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
