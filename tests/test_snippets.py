"""Every code snippet of every rule runs against the real libraries (rules/README.md, "The snippet test").

Parametrised over the rule book itself, so a new rule's snippets are compiled,
import-checked and executed with no test code of its own; one that cannot run
says why in its `snippets:` entry.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the snippet test needs the test extras (pip install -e '.[test]'); "
                                    "the core suite runs without them: python -m pytest -m 'not heavy'")

from tests.snippets import contexts  # noqa: E402  first: sets the Keras backend and hub offline mode
from tests.snippets import cases as snippet_cases  # noqa: E402
from tests.snippets import checks, report, runner  # noqa: E402

MIN_EXECUTED = 0.90
# Libraries warn about their own internals thousands of times a run; warnings raised at a line of a
# snippet (module __main__) still show in the summary.
pytestmark = [pytest.mark.heavy] + [pytest.mark.filterwarnings(f"ignore::Warning:{lib}(\\.|$)") for lib in (
    "keras", "torch", "transformers", "accelerate", "peft", "datasets", "sklearn", "imblearn", "shap", "lime",
    "captum", "opacus", "optuna", "lightning", "lightning_fabric", "pytorch_lightning", "torchao", "bitsandbytes",
    "numpy", "scipy", "matplotlib", "pandas", "joblib", "tensorboard")]
FRAMEWORK_MODULE = {"pytorch": "torch", "lightning": "lightning", "huggingface": "transformers",
                    "keras": "keras", "sklearn": "sklearn", "tensorflow": "tensorflow"}

SNIPPETS = snippet_cases.snippets()
CASES = {s.id: snippet_cases.cases_for(s) for s in SNIPPETS}
RUNS = [case for s in SNIPPETS if s.mode != "compile-only" for case in CASES[s.id]]
RULES = snippet_cases.rulebook_().rules
# each rule's own checks, from the file beside it; read now: the runs change the working directory
OWN = {rule.id: checks.load_checks(checks.checks_file(Path(rule.file).resolve())) for rule in RULES}
for _s in SNIPPETS:
    report.SNIPPETS[_s.framework][_s.mode] += 1


def _needs(framework: str) -> None:
    module = FRAMEWORK_MODULE[framework]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_renders_compiles_and_declares_its_imports(snippet):
    found = CASES[snippet.id]
    assert found, (f"{snippet.id}: none of the rule's `fires` examples renders this snippet; add one on which "
                   f"the rule fires (see rules/README.md, 'The snippet test')")
    _needs(snippet.framework)
    for case in found:
        compile(case.text, f"<{case.id}>", "exec")
        compile(case.shown, f"<{case.id} as shown>", "exec")
    problems = snippet_cases.import_problems(snippet, found[0].shown)
    assert not problems, f"{snippet.id}: " + "; ".join(problems)


@pytest.mark.parametrize("case", RUNS, ids=lambda c: c.id)
def test_snippet_runs_and_does_what_it_says(case, tmp_path, monkeypatch, capsys):
    framework = case.snippet.framework
    _needs(framework)
    monkeypatch.chdir(tmp_path)
    context = contexts.build(case.shape)
    before = checks.snapshot(framework, context)
    with runner.isolated():
        try:
            namespace = runner.run(case.text, context, f"<{case.id}>")
        except BaseException:
            report.RUNS[framework]["failed"] += 1
            raise
        run = checks.Run(framework, case.snippet.rule.id, case.snippet.rule.strategy, case.facts,
                         case.shape.counts, context, namespace, before, capsys.readouterr().out, tmp_path,
                         text=case.text)
        try:
            verified = checks.verify(run, OWN[case.snippet.rule.id])
        except BaseException:
            report.RUNS[framework]["failed"] += 1
            raise
    if not verified:
        report.RUNS[framework]["failed"] += 1
    rule = case.snippet.rule
    assert verified, (f"{case.id} ran, but nothing it did could be checked: add a check for {framework} to "
                      f"{checks.checks_file(Path(rule.file))} (rules/README.md, 'Where checks go')")
    report.RUNS[framework]["passed"] += 1


def test_at_least_90_percent_of_snippets_run_as_shown():
    executed = sum(s.mode == "executed" for s in SNIPPETS)
    assert executed / len(SNIPPETS) >= MIN_EXECUTED, "\n".join(report.lines())


def test_every_check_file_sits_beside_its_rule_and_checks_frameworks_the_rule_has():
    by_file = {checks.checks_file(Path(rule.file).resolve()): rule for rule in RULES}
    found = sorted(p.resolve() for p in Path(snippet_cases.rulebook.builtin_dir()).rglob("*" + checks.CHECK_SUFFIX))
    assert found, "no rule check files found"
    for path in found:
        rule = by_file.get(path)
        assert rule is not None, f"{path}: no rule {path.name.split('.')[0]} beside it"
        own = OWN[rule.id]
        assert own, f"{path}: defines no check (mark each with @applies(framework, ...))"
        for fn in own:
            assert set(fn.frameworks) <= set(rule.code), f"{path}: {fn.fn.__name__} checks {fn.frameworks}, " \
                                                          f"{rule.id} has code for {sorted(rule.code)}"


def test_the_hugging_face_context_tokenizes_its_words_into_distinct_ids():
    """Text classifiers must see inputs that differ by their words, or no check of what training did can fail."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(contexts._tokenizer_dir())
    ids = tokenizer(" ".join(contexts._WORDS[:5]))["input_ids"]
    assert tokenizer.unk_token_id not in ids and len(set(ids)) == len(ids), ids
