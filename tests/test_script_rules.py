"""Code rules (rules/code/): each loads, and its examples written as code fire / stay silent."""

from __future__ import annotations

import pytest

from advisor.errors import RuleError
from advisor.script import findings_for, rulefile, source
from advisor.script.sites import SITE_FACTS

RULES = rulefile.load()


def test_the_code_rules_load_with_ids_in_order():
    ids = [r.id for r in RULES]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) >= 22
    assert {r.cause for r in RULES} <= set(rulefile.causes())


def test_the_normal_rulebook_does_not_read_code_rules(book):
    assert not any(r.id.startswith("CODE") for r in book.rules)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_examples(rule):
    for kind, expected in (("fires", True), ("silent", False)):
        for code in rule.examples[kind]:
            found, _ = findings_for(source.parse_text(code, "example.py"), [rule])
            certain = [f for f in found if f["certain"]]
            assert bool(certain) == expected, f"{rule.id} {kind}: {code}"
            for finding in certain:  # templates filled: nothing left unrendered
                assert "{{" not in finding["title"] + finding["why"] + finding["fix"]


def _rule(**changes):
    raw = {"id": "CODE999", "title": "t", "cause": "training-code-bug", "severity": "high", "at": "data_loader",
           "when": "split == 'train'", "why": "w {{code}}", "fix": "f", "snippet": "s", "references": [],
           "examples": {"fires": ["x = 1"], "silent": ["x = 2"]}}
    raw.update(changes)
    return raw


@pytest.mark.parametrize("changes, message", [
    ({"when": "split == 'trian'"}, "'trian' is not a value of split"),
    ({"when": "workers == 'x'"}, "cannot compare number with str"),
    ({"when": "lr > 1"}, "unknown fact 'lr'"),
    ({"at": "nowhere"}, "'at' names a site kind"),
    ({"cause": "bad-luck"}, "cause is one of"),
    ({"why": "{{workers}} workers"}, "may be unknown when the rule fires"),
    ({"why": "{{nope}}"}, "not a fact of data_loader sites"),
    ({"id": "X1"}, "CODE and three digits"),
    ({"examples": {"fires": []}}, "examples:"),
    ({"colour": "red"}, "unknown key 'colour'"),
])
def test_a_bad_rule_is_one_error_naming_the_problem(changes, message):
    with pytest.raises(RuleError) as caught:
        rulefile.parse_rule(_rule(**changes), "rules/code/CODE999.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_every_site_kind_has_a_rule():
    assert {r.at for r in RULES} == set(SITE_FACTS)
