"""Rule templates: placeholders, format specs, nouns that agree with their number, and hostile text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.rulebook import loader as rulebook, templates
from advisor.rulebook.templates import Placeholder, TemplateError


def check(text, kind="number"):
    for p in templates.placeholders(text):
        templates.check_spec(p, kind, rulebook.FORMAT_PRECISION)


def test_placeholders_specs_and_fallbacks():
    facts = {"ratio": "1:20", "w": 10.123456, "n": 12345.0}
    text = "{{ratio}} {{w:.3g}} {{n:,.0f}} {{lr|not given}} {{ratio| keeps inner space }}"
    assert templates.render(text, facts) == "1:20 10.1 12,345 not given 1:20"
    assert templates.render("{{lr| not given  }}", {}) == " not given"  # trailing space dropped, as before
    assert templates.placeholders("{{ w : .3g }}") == [Placeholder("w", ".3g", None)]


def test_single_braces_and_fstring_braces_stay_text():
    assert templates.render("d = {0: {{w:.2f}}, 1: 2}", {"w": 1.5}) == "d = {0: 1.50, 1: 2}"
    assert templates.render('f"{{{w}}}"', {"w": 3}) == 'f"{3}"'
    assert templates.render("}} and { alone", {}) == "}} and { alone"


@pytest.mark.parametrize("value, text", [(1, "1 sample"), (2, "2 samples"), (0, "0 samples"),
                                         (1.5, "1.5 samples"), (1.04, "1.04 samples")])
def test_a_noun_agrees_with_its_number(value, text):
    assert templates.render("{{n sample/samples}}", {"n": value}) == text


def test_the_noun_agrees_with_the_number_as_shown():
    assert templates.render("{{n:.0f sample/samples}}", {"n": 1.04}) == "1 sample"
    assert templates.render("{{n:,.0f sample/samples}}", {"n": 1234.0}) == "1,234 samples"
    assert templates.render("{{n GPU/GPUs|several GPUs}}", {}) == "several GPUs"
    assert templates.counted(1, "problem", "problems") == "1 problem"
    assert templates.counted(3, "problem", "problems") == "3 problems"


@pytest.mark.parametrize("text, message", [
    ("{{n samples}}", "singular/plural"),
    ("{{n a/b/c}}", "singular/plural"),
    ("{{n /samples}}", "singular/plural"),
    ("{{n/samples}}", "malformed placeholder"),
    ("{{n", "malformed placeholder"),
    ("{{n.real}}", "malformed placeholder"),
    ("{{n[0]}}", "malformed placeholder"),
    ("{{n}", "malformed placeholder"),
    ("{{ }}", "malformed placeholder"),
])
def test_malformed_placeholders_are_refused(text, message):
    with pytest.raises(TemplateError, match=message):
        templates.placeholders(text)


@pytest.mark.parametrize("spec", ["1000000000", ".1000000000f", ".21f", ">50", "x^30", "=+020,.3f", "!r", "d", "n"])
def test_only_the_format_specs_rules_need_are_accepted(spec):
    with pytest.raises(TemplateError, match="is not accepted"):
        check(f"{{{{w:{spec}}}}}")


@pytest.mark.parametrize("spec", [".3g", ",.0f", ".1%", ".20f", "e", ",", ""])
def test_accepted_specs(spec):
    check(f"{{{{w:{spec}}}}}")


def test_a_spec_or_a_noun_that_does_not_fit_the_fact_is_refused():
    with pytest.raises(TemplateError, match="does not apply"):
        check("{{task:.3g}}", "str")
    with pytest.raises(TemplateError, match="needs a number"):
        check("{{task thing/things}}", "str")


def test_an_unclosed_placeholder_before_much_whitespace_is_refused_in_one_pass():
    # a backtracking matcher took 223 s for 4,000 spaces; the scanner reads the text once
    with pytest.raises(TemplateError, match="malformed placeholder"):
        templates.placeholders("{{x" + " " * 200_000 + ":" + " " * 200_000 + "|" + " " * 200_000)
    with pytest.raises(TemplateError, match="malformed placeholder") as caught:
        templates.placeholders("text {{x" + " " * 100_000)
    assert len(str(caught.value)) < 200  # the message does not echo the whole text


def test_values_too_large_to_format_do_not_raise():
    assert templates.format_value(10**5000, ".3g") == "(too large to show)"
    assert templates.format_value(10**400, ",.0f") == "(too large to show)"
    assert templates.format_value(1e308, ".1%").endswith("%")


def test_substitute_replaces_each_placeholder():
    assert templates.substitute("a {{x:.3g}} b {{y|z}}", lambda p: f"<{p.name}>") == "a <x> b <y>"


_PIECES = st.sampled_from(["{{", "}}", "{", "}", " ", ":", "|", "/", ".3g", "x", "n", "sample", "\n", "é"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_any_text_parses_or_fails_cleanly_and_text_is_kept(text):
    try:
        parts = templates.parse(text)
    except TemplateError as exc:
        assert "\n" not in str(exc).split("'")[0]
        return
    literal = "".join(p for p in parts if isinstance(p, str))
    assert literal == text if "{{" not in text else len(literal) <= len(text)
    for p in parts:
        if isinstance(p, Placeholder):
            try:
                templates.check_spec(p, "number", rulebook.FORMAT_PRECISION)
            except TemplateError:
                continue
            templates.render(text, {p.name: 1.5})  # a checked placeholder always renders
