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


@pytest.mark.parametrize("gpu, model, word", [("t4", "t5-base", "fp32"), ("t4", "bert-base", "GradScaler"),
                                              ("v100", None, "GradScaler"), ("a100-80gb", None, "bf16")])
def test_safer_precision_depends_on_the_card_and_the_model(gpu, model, word):
    # fp32 on a card without bf16 is for models pretrained in bf16; BERT and CNNs train in fp16 AMP there
    setup = {"symptoms": ["nan-loss"], "precision": "fp16", "gpu": gpu, **({"model": model} if model else {})}
    item = next(a for a in diagnose(**setup)["advice"] if a["strategy"] == "safer-precision")
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


# --- issue 12: knowledge a senior engineer would sign ------------------------------------------------

def _item(report, rule_id):
    return next((a for a in report["advice"] if rule_id in a["rules"]), None)


def _text(item):
    return " ".join(w["text"] for w in item["why"]) + " " + item["do"] + " " + item["title"]


def _dropped(report, rule_id):
    return next((d["reason"] for d in report["dropped"] if d.get("rule") == rule_id), None)


def test_a_rate_below_its_band_is_raised_not_decayed():
    report = diagnose(lr=1e-5, fine_tuning="lora", symptoms=["loss-plateau"], model="llama-2-7b")
    assert top(report, 1) == ["lr-increase"]
    assert "lr-reduction" not in {a["strategy"] for a in report["advice"]}


def test_a_stall_from_vanishing_gradients_is_not_answered_with_a_decay():
    report = diagnose(symptoms=["loss-plateau", "vanishing-gradients"])
    assert _item(report, "STB009") is None
    assert "vanishing gradients" in _dropped(report, "STB009")


def test_the_fine_tuning_band_names_its_regime():
    # T5 with AdamW is documented at 1e-4..3e-4: 3e-4 is not "too high", so fp16 (T5 was pretrained in bf16) leads
    report = diagnose(model="t5-base", pretrained=True, lr=3e-4, precision="fp16", gpu="t4", symptoms=["nan-loss"])
    assert top(report, 1) == ["safer-precision"]
    assert "STB003" in report["advice"][0]["rules"]
    report = diagnose(model="bert-base", pretrained=True, lr=1e-3, symptoms=["diverging-loss"])
    assert "full fine-tuning of a pretrained transformer" in _text(_item(report, "STB006"))


def test_when_not_one_sample_fits_diagnose_gives_the_memory_plan():
    from advisor.estimate import planner

    setup = {"gpu": "rtx3090", "model": "llama-2-7b", "seq_len": 8192, "batch_size": 4, "fine_tuning": "qlora",
             "precision": "bf16", "symptoms": ["out-of-memory"]}
    report = diagnose(**setup)
    assert report["facts"]["max_micro_batch"] == 0
    item = _item(report, "MEM020")
    assert item is not None and report["advice"].index(item) < 3
    _, plan = planner.plan_setup(fields.normalize_setup(setup))
    assert plan.settings.checkpointing and plan.settings.micro_batch == 1  # what `advisor memory` plans
    assert "micro-batch to 1" in item["do"] and "accumulate 4" in item["do"] and "checkpointing" in item["do"]


def test_the_8bit_optimizer_advice_quotes_the_estimator():
    report = diagnose(gpu="rtx3090", model_params="1.3B", precision="bf16", fine_tuning="full")
    item, facts = _item(report, "MEM007"), report["facts"]
    assert item is not None
    text = _text(item)
    assert f"{facts['adamw8bit_peak_gib']:.1f} GiB" in text and f"{facts['adamw8bit_memory_ratio']:.2f}×" in text
    assert "37%" not in text
    # where 8-bit states cannot fit the card the rule stays silent (the states alone are 4× the card)
    assert _item(diagnose(gpu="rtx3090", model_params="7B", fine_tuning="full"), "MEM007") is None


def test_the_effective_batch_counts_every_gpu():
    report = diagnose(gpu_mem_gb=8, model_params="25M", image_size=224, batch_size=256, model_family="cnn", gpu_count=2)
    assert "512" in _item(report, "MEM003")["do"] and "512" in _item(report, "MEM004")["title"]


def test_sequences_are_truncated_where_they_are_tokenised():
    report = diagnose(gpu="rtx3090", model_params="1.3B", seq_len=4096, batch_size=4, precision="bf16",
                      fine_tuning="lora")
    do = _item(report, "MEM006")["do"]
    assert "truncation=True" in do and "generation max_length" in do


def test_a_language_model_is_checked_against_ln_of_its_vocabulary():
    report = diagnose(task="language-modeling", vocab_size=32000, symptoms=["loss-plateau"])
    assert _item(report, "STB013") is None
    assert "10.4" in _text(_item(report, "STB023"))  # ln(32000)
    assert "ln(k)" not in " ".join(_text(a) for a in report["advice"])


def test_a_rare_class_share_keeps_its_digits():
    report = diagnose(class_ratio="1:2173")  # 1 in 2174 samples: 0.046%
    text = " ".join(_text(a) for a in report["advice"])
    assert "0.046%" in text and " 0.0%" not in text


def test_assumed_values_are_not_shown_as_the_users():
    report = diagnose(class_ratio="1:20", symptoms=["minority-class-ignored"])
    text = " ".join(_text(a) for a in report["advice"])
    assert "micro-batch of 64" not in text
    sk = diagnose(framework="sklearn", class_ratio="1:20", symptoms=["minority-class-ignored"])
    assert "micro-batch" not in " ".join(_text(a) for a in sk["advice"])


def test_a_recurrent_net_gets_recurrent_advice():
    report = diagnose(model_family="rnn", symptoms=["vanishing-gradients"], seq_len=400, depth=2)
    assert _item(report, "STB015") is None
    item = _item(report, "STB024")
    assert item is report["advice"][0]
    text = _text(item)
    assert "400 time steps" in text and "orthogonal" in text and "truncated backpropagation" in text


def test_a_pre_ln_decoder_is_not_told_to_become_pre_ln():
    report = diagnose(model="gpt2", pretrained=False, symptoms=["diverging-loss"])
    assert _item(report, "STB018") is None and "pre-LN" in _dropped(report, "STB018")
    assert _item(diagnose(model_family="transformer", symptoms=["diverging-loss"]), "STB018") is not None


def test_focal_loss_uses_the_papers_alpha():
    item = _item(diagnose(class_ratio="1:100"), "IMB008")
    assert "alpha 0.25" in item["title"] and "Lin et al. 2017" in item["do"]


def test_unstable_adversarial_training_hears_about_beta1():
    report = diagnose(task="generation", model_family="cnn", optimizer="adam", symptoms=["oscillating-loss"])
    item = _item(report, "OPT003")
    assert item is not None and report["advice"].index(item) < 3
    assert "(0.5, 0.999)" in item["do"]


def test_pruning_is_not_offered_for_slow_training():
    report = diagnose(model_family="cnn", symptoms=["slow-training"])
    assert "pruning" not in {a["strategy"] for a in report["advice"]}


def test_tabular_overfitting_gets_no_image_augmentation_or_pretrained_weights():
    for setup in ({"framework": "sklearn"}, {"modality": "tabular", "model_family": "mlp"}, {"model_family": "tree"}):
        strategies = {a["strategy"] for a in diagnose(symptoms=["overfitting"], **setup)["advice"]}
        assert not strategies & {"data-augmentation", "transfer-learning"}, setup
        assert strategies & {"regularization", "early-stopping"}, setup


def test_the_fp32_speed_advice_knows_tf32():
    text = _text(_item(diagnose(symptoms=["slow-training"], gpu="a100-80gb", precision="fp32"), "PERF004"))
    assert "TF32" in text and "1.12" in text


def test_rule_texts_name_fields_not_command_line_flags():
    import re

    # the library reads these texts too; another tool's flags (torchrun --nproc_per_node) are fine
    ours = {f.cli_flag for f in fields.FIELDS} | {"--no-" + f.cli_flag[2:] for f in fields.FIELDS}
    flag = re.compile(r"(?<![\w-])--[a-z][\w-]*")
    for rule in BOOK.rules:
        texts = [rule.title, rule.why, rule.do, *(e.says for e in (*rule.evidence, *rule.contra))]
        for text in texts:
            assert not set(flag.findall(text or "")) & ours, (rule.id, text)
