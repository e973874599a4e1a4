"""The knowledge base covers the source document and the product vocabulary, and ranks like an expert."""

import pytest

from advisor.rank import engine
from advisor.setup import fields
from advisor.rulebook import loader as rulebook

BOOK = rulebook.load_rulebook()[0]

# PRODUCT.md's stable vocabulary: these ids must exist and keep their meaning.
STRATEGIES = """data-cleaning data-augmentation crowdsourced-labeling data-integration open-datasets resampling
synthetic-minority class-weighting focal-loss threshold-tuning imbalance-metrics stratified-split
parallel-preprocessing preprocessing-cache efficient-dataloading distributed-data-parallel sharded-training
cpu-offload pruning quantization transfer-learning parameter-efficient-finetuning mixed-precision reduce-batch-size
gradient-accumulation gradient-checkpointing memory-efficient-optimizer larger-hardware optimizer-choice
regularization dropout early-stopping ensembling weight-initialization activation-choice batch-normalization
gradient-clipping lr-reduction lr-warmup-schedule residual-connections check-data-pipeline cross-validation
confusion-matrix performance-visualization hyperparameter-search error-analysis stress-testing monitoring
feature-importance local-explanations model-visualization model-comparison model-simplification anonymization
encryption access-control data-backup security-audit differential-privacy reduce-sequence-length safer-precision
sanity-checks seed-control""".split()
SYMPTOMS = """diverging-loss nan-loss loss-plateau oscillating-loss overfitting underfitting vanishing-gradients
exploding-gradients out-of-memory slow-training low-gpu-utilization minority-class-ignored unstable-training
poor-generalization black-box-concern""".split()


def diagnose(**raw):
    return engine.run(BOOK, fields.normalize_setup(raw))


def top(report, n):
    return [a["strategy"] for a in report["advice"][:n]]


def test_at_least_60_rules():
    assert len(BOOK.rules) >= 60


def test_vocabulary_is_in_the_catalog_and_the_setup():
    assert set(STRATEGIES) <= set(BOOK.strategies)
    assert set(SYMPTOMS) == set(fields.SYMPTOMS)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_is_reachable(strategy):
    rules = [r for r in BOOK.rules if r.strategy == strategy]
    assert rules, f"no rule recommends {strategy}"
    assert any(r.examples["fires"] for r in rules)


@pytest.mark.parametrize("symptom", SYMPTOMS)
def test_every_symptom_fires_advice(symptom):
    assert diagnose(symptoms=[symptom])["advice"], f"--symptom {symptom} alone gives no advice"


@pytest.mark.parametrize("section", range(1, 21))
def test_every_source_section_is_cited(section):
    assert any(section in r.sources for r in BOOK.rules)


def test_every_rule_says_what_it_rests_on():
    for rule in BOOK.rules:
        assert rule.sources or rule.references, rule.id


def test_source_document_mistakes_are_not_repeated():
    # comments may name the old API to say what replaces it
    code = "\n".join(line.split("#")[0] for r in BOOK.rules for s in r.code.values() for line in s.splitlines())
    for mistake in ("pretrained=True", "mixed_precision.experimental", "multi_gpu_model", "scoring=make_scorer",
                    "bcrypt", "set_policy("):
        assert mistake not in code, mistake


def test_nan_loss_in_fp16_gets_the_four_fixes_first():
    report = diagnose(symptoms=["nan-loss"], precision="fp16")
    assert {"check-data-pipeline", "lr-reduction", "gradient-clipping", "safer-precision"} <= set(top(report, 5))


@pytest.mark.parametrize("gpu, word", [("t4", "fp32"), ("a100-80gb", "bf16")])
def test_safer_precision_depends_on_the_card(gpu, word):
    report = diagnose(symptoms=["nan-loss"], precision="fp16", gpu=gpu)
    item = next(a for a in report["advice"] if a["strategy"] == "safer-precision")
    assert word in item["title"] + item["do"]


def test_imbalance_advice_comes_before_anything_about_memory():
    report = diagnose(gpu_mem_gb=8, class_ratio="1:20")
    assert set(top(report, 3)) & {"class-weighting", "resampling"}
    assert "imbalance-metrics" in top(report, 5)
    memory = {"mixed-precision", "reduce-batch-size", "gradient-accumulation", "gradient-checkpointing",
              "memory-efficient-optimizer", "larger-hardware", "sharded-training", "cpu-offload", "quantization"}
    imbalance_ranks = [a["rank"] for a in report["advice"] if a["strategy"] in ("class-weighting", "resampling")]
    memory_ranks = [a["rank"] for a in report["advice"] if a["strategy"] in memory]
    assert not memory_ranks or min(imbalance_ranks) < min(memory_ranks)


def test_balanced_class_weights_are_in_the_code():
    item = next(a for a in diagnose(class_ratio="1:20")["advice"] if a["strategy"] == "class-weighting")
    assert "10.5" in item["code"]["pytorch"] and "0.525" in item["code"]["pytorch"]


def test_a_model_far_too_big_for_the_card_is_told_so():
    report = diagnose(gpu_mem_gb=24, model_params="7B", fine_tuning="full", precision="bf16",
                      symptoms=["out-of-memory"])
    assert set(top(report, 3)) & {"parameter-efficient-finetuning", "sharded-training", "larger-hardware"}


def test_too_high_learning_rate_for_fine_tuning_is_the_first_suspect():
    report = diagnose(symptoms=["diverging-loss"], lr=1e-3, pretrained=True, model_family="transformer")
    assert top(report, 1) == ["lr-reduction"]


def test_overfitting_gets_specific_fixes_first():
    report = diagnose(symptoms=["overfitting"])
    assert set(top(report, 5)) & {"data-augmentation", "regularization", "early-stopping", "dropout"}
    assert not set(top(report, 5)) & {"data-backup", "security-audit", "monitoring"}


def test_no_privacy_or_interpretability_spam_without_a_reason():
    report = diagnose(gpu_mem_gb=16, model_params="350M", symptoms=["overfitting"])
    assert not {a["strategy"] for a in report["advice"]} & {"anonymization", "encryption", "access-control",
                                                            "differential-privacy", "local-explanations"}


def test_hints_name_the_facts_that_decide_the_declared_problem():
    flags = [m["flag"] for m in diagnose(symptoms=["nan-loss"], precision="fp16")["missing"]]
    assert {"--gpu", "--lr"} <= set(flags)  # bf16 vs fp32, and whether the rate is off its range
    flags = [m["flag"] for m in diagnose(symptoms=["out-of-memory"])["missing"]]
    assert "--model-params" in flags or "--model" in flags


def _ruledocs():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "ruledocs.py"
    spec = importlib.util.spec_from_file_location("ruledocs_script", path)
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def test_every_rule_has_a_current_documentation_page():
    ruledocs = _ruledocs()
    stale = ruledocs.stale()
    assert not stale, f"stale rule pages: {', '.join(stale)}; run {ruledocs.REGENERATE}"


def test_a_rule_page_shows_the_rule_firing_with_its_rendered_advice_and_code():
    ruledocs = _ruledocs()
    text = ruledocs.page(BOOK, BOOK.get("IMB001"))
    assert text.startswith(ruledocs.GENERATED) and "# IMB001: " in text
    for heading in ("## What it does", "## When it fires", "## Why", "## Example", "## The fix, per framework",
                    "### pytorch", "## Silent on", "## Sources"):
        assert f"\n{heading}\n" in text, heading
    assert "class_ratio: \"1:20\"" in text and "10.5" in text  # the example setup, and its numbers filled in
    assert "{{class_weight_minority" in text  # the template itself, in "What it does" / "Why"
