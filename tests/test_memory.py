"""Memory estimator: calibration against published measurements, properties, model descriptions."""

from __future__ import annotations

import json
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.setup import architectures, fields, modelconfig
from advisor.facts import derive as facts
from advisor.estimate import memory
from advisor.errors import InputError

GB = 1e9 / 2**30  # one decimal GB in GiB


def _peak(model, **kw):
    return memory.estimate(memory.Workload(arch=architectures.lookup(model), **kw)).peak


def _within(estimate, measured, tolerance=0.15):
    assert abs(estimate / measured - 1) <= tolerance, f"estimate {estimate:.2f} vs measured {measured:.2f} GiB"


# --- calibration: the published measurements live in tests/data/memory_references.json ----------------
# (tests/test_memory_references.py); the ZeRO paper's model-state figures are not a peak, so they stay here.

def test_zero_paper_model_states():
    # ZeRO paper §3.1/Table 1: 7.5B, mixed-precision Adam, 16 bytes/param = 120 GB; ZeRO-3 over 64 GPUs = 1.9 GB
    arch = architectures.from_params(7_500_000_000, "transformer", None)
    alone = memory.estimate(memory.Workload(arch=arch, precision="fp16", zero_stage=1, batch=1, seq_len=1))
    _within(alone.model_states, 120 * GB)
    sharded = memory.estimate(memory.Workload(arch=arch, precision="fp16", zero_stage=3, gpu_count=64, batch=1,
                                              seq_len=1))
    _within(sharded.model_states, 1.9 * GB)


# --- properties -----------------------------------------------------------------------

MODELS = st.sampled_from(sorted(architectures.CATALOG))
SETUPS = st.fixed_dictionaries({
    "model": MODELS,
    "precision": st.sampled_from(["fp32", "fp16", "bf16", "bf16-pure"]),
    "optimizer": st.sampled_from(["adamw", "sgd", "adamw-8bit", "adafactor", "sgd-plain"]),
    "fine_tuning": st.sampled_from(["full", "lora", "qlora"]),
    "batch_size": st.integers(1, 64),
    "seq_len": st.integers(16, 4096),
    "gradient_checkpointing": st.booleans(),
    "gpu_count": st.integers(1, 8),
    "zero_stage": st.integers(0, 3),
    "mode": st.sampled_from(["training", "inference"]),
})


@settings(max_examples=150, deadline=None)
@given(SETUPS, st.integers(1, 32))
def test_more_batch_never_lowers_the_estimate(raw, extra):
    w = memory.workload_from_setup(fields.normalize_setup(raw))
    assert memory.estimate(w.with_(batch=w.batch + extra)).peak >= memory.estimate(w).peak


@settings(max_examples=150, deadline=None)
@given(SETUPS, st.floats(4, 200), st.floats(0, 200))
def test_more_gpu_memory_never_stops_a_fitting_setup_fitting(raw, gb, more):
    small = facts.derive(fields.normalize_setup({**raw, "gpu_mem_gb": gb}))
    large = facts.derive(fields.normalize_setup({**raw, "gpu_mem_gb": gb + more}))
    assert large["fits"] or not small["fits"]
    assert large["max_micro_batch"] >= small["max_micro_batch"]


@settings(max_examples=100, deadline=None)
@given(SETUPS)
def test_breakdown_is_non_negative_and_sums_to_peak(raw):
    est = memory.estimate(memory.workload_from_setup(fields.normalize_setup(raw)))
    parts = est.breakdown()
    assert all(v >= 0 for v in parts.values())
    assert sum(parts.values()) == pytest.approx(est.peak)


def test_knobs_lower_what_they_should():
    base = memory.Workload(arch=architectures.lookup("llama-2-7b"), precision="bf16", batch=4, seq_len=2048)
    peak = memory.estimate(base).peak
    assert memory.estimate(base.with_(checkpointing=True)).activations < memory.estimate(base).activations / 5
    assert memory.estimate(base.with_(optimizer="adamw-8bit")).optimizer == pytest.approx(
        memory.estimate(base).optimizer / 4)
    assert memory.estimate(base.with_(fine_tuning="qlora")).weights < memory.estimate(
        base.with_(fine_tuning="lora")).weights / 2.5
    sharded = [memory.estimate(base.with_(gpu_count=8, zero_stage=s)).model_states for s in range(4)]
    assert sharded == sorted(sharded, reverse=True) and sharded[3] < peak / 8


def test_eager_attention_grows_quadratically_and_sdpa_linearly():
    bert = architectures.lookup("bert-base")
    per_token = [memory.layer_bytes_per_token(bert, s, 2, eager=True) for s in (128, 256)]
    assert per_token[1] > per_token[0]
    assert memory.layer_bytes_per_token(bert, 128, 2, eager=False) == memory.layer_bytes_per_token(
        bert, 4096, 2, eager=False)


def test_cnn_activations_come_from_the_architecture():
    # ResNet-50 at 224 px keeps ~90-105 MB of fp32 feature maps per image (Chen et al. 2016; Gist, Jain et al. 2018)
    w = memory.Workload(arch=architectures.lookup("resnet50"), precision="fp32", batch=1, image_size=224)
    per_image_mb = memory.estimate(w).activations_per_sample * 2**30 / 1e6
    assert 80 < per_image_mb < 120
    deeper = memory.estimate(w.with_(arch=architectures.lookup("resnet101"))).activations_per_sample
    assert deeper > memory.estimate(w).activations_per_sample
    assert memory.estimate(w.with_(image_size=448)).activations_per_sample == pytest.approx(
        4 * memory.estimate(w).activations_per_sample, rel=0.02)


def test_inference_counts_kv_cache():
    w = memory.Workload(arch=architectures.lookup("llama-2-7b"), mode="inference", precision="bf16", batch=1,
                        seq_len=4096)
    # 2 (K,V) x 32 layers x 4096 dims x 4096 tokens x 2 bytes = 2 GiB
    assert memory.estimate(w).kv_cache == pytest.approx(2.0)
    assert memory.estimate(w).gradients == memory.estimate(w).optimizer == 0


# --- model descriptions ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n, a in architectures.CATALOG.items() if a.family == "transformer"
                                        and a.kind != "vision"))
def test_catalog_dimensions_reproduce_published_parameter_counts(name):
    # the catalog's dimensions, written back as a config.json, count the parameter total its model card publishes
    arch = architectures.CATALOG[name]
    model_type = {"encoder": "bert", "encoder-decoder": "t5"}.get(arch.kind, "llama" if arch.gated_mlp else "gpt2")
    config = {"model_type": model_type, "hidden_size": arch.hidden, "num_hidden_layers": arch.layers,
              "num_attention_heads": arch.heads, "num_key_value_heads": arch.kv_heads,
              "intermediate_size": arch.intermediate, "vocab_size": arch.vocab,
              "tie_word_embeddings": arch.tied_embeddings, "is_encoder_decoder": arch.kind == "encoder-decoder",
              "max_position_embeddings": 512 if arch.kind == "encoder" else 1024 if name.startswith("gpt2") else 0,
              "head_dim": arch.head_dim or None, "num_local_experts": arch.experts or None,
              "feed_forward_proj": "gated-gelu" if arch.gated_mlp and arch.kind == "encoder-decoder" else None}
    counted = modelconfig.from_config(config).params
    assert counted == pytest.approx(arch.params, rel=0.04)


def test_catalog_covers_the_families_people_train():
    for name in ("mistral-7b", "mixtral-8x7b", "llama-3-8b", "llama-3-70b", "qwen2.5-0.5b", "qwen2.5-3b",
                 "qwen2.5-7b", "gemma-2-2b", "gemma-2-9b", "phi-3-mini", "distilbert-base", "vit-h-14", "t5-small",
                 "t5-3b", "flan-t5-base"):
        assert name in architectures.CATALOG
    assert architectures.canonical("meta-llama/Llama-3.1-8B-Instruct") == "llama-3-8b"
    mixtral = architectures.CATALOG["mixtral-8x7b"]
    assert mixtral.mlp_copies == (8, 2) and mixtral.kv_dim == 1024  # 8 KV heads of 128: grouped-query attention


def test_local_config_json(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000, "tie_word_embeddings": False,
        "max_position_embeddings": 32768}))
    setup = fields.normalize_setup({"model_config": str(tmp_path)})
    assert setup["model_params"] == pytest.approx(7_241_732_096, rel=0.001)
    assert setup["depth"] == 32 and setup["model_family"] == "transformer"


def test_a_config_json_is_read_once_per_run_and_again_when_edited(tmp_path, monkeypatch, run_cli):
    path = tmp_path / "config.json"
    config = {"model_type": "llama", "hidden_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 8,
              "vocab_size": 32000}
    path.write_text(json.dumps(config))
    reads = []
    real = modelconfig.files.read_text
    monkeypatch.setattr(modelconfig.files, "read_text",
                        lambda p, **kw: (kw["field"] == "model_config" and reads.append(p)) or real(p, **kw))
    code, out, err = run_cli("diagnose", "--model-config", path, "--gpu-mem", "8", "--batch-size", "4",
                             "--format", "json")
    assert code == 0, err
    assert len(reads) == 1  # the parser, the normalisation and the memory estimate share one parse
    setup = {"model_config": str(path), "gpu_mem_gb": 8, "seq_len": 2048, "batch_size": 8}
    before = facts.derive(fields.normalize_setup(setup))["est_peak_gib"]
    # dropout keeps masks for backward: more activation memory, the same parameters and setup values
    path.write_text(json.dumps({**config, "attention_dropout": 0.1}))
    edited = fields.normalize_setup(setup)
    assert edited == fields.normalize_setup(setup) and len(reads) == 2  # read again once, when edited
    assert facts.derive(edited)["est_peak_gib"] > before


def test_broken_config_json_names_the_field(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama"}')
    with pytest.raises(InputError, match="model_config: .*hidden size"):
        fields.normalize_setup({"model_config": str(path)})
    with pytest.raises(InputError, match="model_config: .*no such file"):
        fields.normalize_setup({"model_config": str(tmp_path / "missing.json")})


@pytest.mark.parametrize("typo,closest", [("lama-2-7b", "llama-2-7b"), ("resnt50", "resnet50"),
                                           ("bert-larg", "bert-large"), ("lama2-7b", "llama-2-7b")])
def test_a_misspelt_model_is_read_as_its_closest_name_and_said_so(run_cli, typo, closest):
    code, out, err = run_cli("memory", "--model", typo, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["model"] == closest and any(closest in note and "closest" in note for note in report["assumptions"])


@pytest.mark.parametrize("name,canonical", [("meta-llama/Llama-2-7b-hf", "llama-2-7b"),
                                            ("google-bert/bert-large-uncased", "bert-large"),
                                            ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b"), ("ResNet_50", "resnet50")])
def test_hub_ids_resolve(name, canonical):
    assert architectures.canonical(name) == canonical


def test_named_model_fills_the_setup():
    setup = fields.normalize_setup({"model": "resnet50"})
    assert setup["model_params"] == 25_557_032 and setup["model_family"] == "cnn"
    assert fields.normalize_setup({"model": "gpt2", "model_params": "130M"})["model_params"] == 130_000_000


# --- the command ------------------------------------------------------------------------------

def test_memory_json_shape_and_no_rich(run_cli):
    for name in [m for m in sys.modules if m.startswith(("rich", "pydantic"))]:
        sys.modules.pop(name)
    code, out, err = run_cli("memory", "--model", "llama-2-7b", "--gpu-mem", "24", "--fine-tuning", "lora",
                             "--batch-size", "4", "--seq-len", "2048", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report["breakdown"]) == {"weights", "gradients", "optimizer", "activations", "temporary",
                                        "allocator_reserve", "cuda_context"}
    assert report["fits"] is False and report["plan"] and report["plan"][-1]["fits"] is True
    assert report["peak_gib"] == pytest.approx(sum(report["breakdown"].values()), abs=0.05)
    # the three readings a user compares with, each named
    assert report["peak_allocated_gib"] < report["peak_reserved_gib"] < report["peak_gib"]
    assert report["peak_reserved_gib"] == pytest.approx(report["peak_allocated_gib"]
                                                        + report["breakdown"]["allocator_reserve"], abs=0.02)
    assert report["peak_phase"] in report["phases_allocated_gib"]
    assert "rich" not in sys.modules and "pydantic" not in sys.modules


def test_memory_terminal_table(run_cli):
    code, out, _ = run_cli("memory", "--model", "bert-base", "--gpu", "t4", "--batch-size", "32", "--seq-len", "128")
    assert code == 0 and "activations" in out and "fits" in out
    assert "max_memory_allocated" in out and "max_memory_reserved" in out and "nvidia-smi" in out
    assert "allocator reserve" in out and "cuda context" in out


def test_inference_mode(run_cli):
    code, out, _ = run_cli("memory", "--model", "llama-3-8b", "--mode", "inference", "--precision", "bf16",
                           "--gpu-mem", "16", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["breakdown"]["gradients"] == 0 and report["details"]["kv_cache_gib"] > 0
    assert report["fits"] is False and any(s["setting"].get("precision") in ("int8", "4bit") for s in report["plan"])


def test_memory_without_a_model_is_an_input_error(run_cli):
    code, _, err = run_cli("memory", "--gpu-mem", "24")
    assert code == 2 and "model:" in err


def test_diagnose_facts_come_from_the_estimator(run_json):
    report = run_json("--model", "llama-2-7b", "--gpu-mem", "24", "--precision", "bf16", "--fine-tuning", "full",
                      "--batch-size", "8", "--seq-len", "1024")
    f = report["facts"]
    assert f["fits"] is False and f["max_micro_batch"] == 0 and f["qlora_peak_gib"] < f["est_peak_gib"]
    small = run_json("--model", "bert-base", "--gpu-mem", "24", "--precision", "bf16", "--batch-size", "64",
                     "--seq-len", "128")["facts"]
    assert small["fits"] is True and small["max_micro_batch"] >= 64 and small["grad_accum_steps"] == 1


# --- one unit (GiB), robust cache, bounded numbers ------------------------------------------

def test_gpu_memory_in_gib_or_gb_gives_the_card_the_catalog_has(run_cli):
    # `--gpu-mem 80GiB` once gave 82.5 GiB visible (more than the card has) while `--gpu a100-80gb` gave 76.8
    visible = set()
    for args in (["--gpu-mem", "80GiB"], ["--gpu-mem", "80GB"], ["--gpu-mem", "80"], ["--gpu", "a100-80gb"]):
        code, out, err = run_cli("memory", "--model", "llama-2-7b", *args, "--format", "json")
        assert code == 0, err
        report = json.loads(out)
        assert report["gpu_mem_gib"] == 80.0
        visible.add(report["visible_gib"])
    assert len(visible) == 1 and visible.pop() < 80


def test_memory_json_names_every_amount_in_gib(run_cli):
    code, out, _ = run_cli("memory", "--model", "llama-2-7b", "--gpu", "rtx3090", "--format", "json")
    report = json.loads(out)
    amounts = [k for k in report if k.endswith(("_gib", "_gb"))] + [k for k in report["details"] if "_g" in k]
    assert code == 0 and amounts and all(k.endswith("_gib") for k in amounts)
    assert all(k.endswith("_gib") for s in report["plan"] for k in s if k.startswith(("peak", "delta")))


def test_memory_facts_accept_a_setup_with_lists():
    # the library hands symptoms over as a list: the memory cache once hashed the whole setup
    setup = fields.normalize_setup({"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora",
                                    "symptoms": ["out-of-memory"]})
    as_lists = {**setup, "symptoms": list(setup["symptoms"])}
    assert facts.derive(as_lists) == facts.derive(setup)
    # the estimate depends only on what it reads
    imbalanced = fields.normalize_setup({**setup, "class_ratio": "1:20"})
    assert facts.derive(imbalanced)["est_peak_gib"] == facts.derive(setup)["est_peak_gib"]


_BOUNDS = [f for f in fields.FIELDS if f.kind in ("int", "number")]


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.sampled_from(["llama-2-7b", "resnet50", "t5-base", "vit-b-16", None]),
       st.fixed_dictionaries({f.key: st.sampled_from([f.minimum, f.maximum]) for f in _BOUNDS}),
       st.sampled_from(["training", "inference"]), st.sampled_from(["full", "lora", "qlora", "none"]),
       st.booleans())
def test_every_number_at_its_bounds_gives_finite_facts_and_json(model, numbers, mode, fine_tuning, checkpointing):
    # at 1e308 seq_len, depth, image_size, batch_size... once overflowed in memory/facts/classmath
    raw = {**numbers, "mode": mode, "fine_tuning": fine_tuning, "gradient_checkpointing": checkpointing,
           "class_ratio": "1:1000000000", "gpu": "rtx3090"}
    if model:
        raw["model"] = model
    setup = fields.normalize_setup(raw)
    derived = facts.derive(setup)
    assert all(math.isfinite(v) for v in derived.values() if isinstance(v, float))
    from advisor.cli.memory import memory_report

    json.dumps(memory_report(setup, margin=0.1), allow_nan=False)  # no Infinity in the JSON


def test_a_long_model_config_path_is_one_line(run_cli):
    code, out, err = run_cli("memory", "--model-config", "x" * 300)
    assert code == 2 and out == "" and err.count("\n") == 1 and "too long" in err and len(err) < 400


@pytest.mark.parametrize("command, used, unused", [
    ("memory", ["--gpu-mem", "--model", "--seq-len", "--zero-stage"], ["--symptom", "--imbalance", "--lr", "--pii"]),
    ("imbalance", ["--class-counts", "--imbalance", "--dataset-size"], ["--gpu-mem", "--model", "--symptom"]),
])
def test_help_lists_only_the_fields_the_command_uses(run_cli, command, used, unused):
    code, out, _ = run_cli(command, "--help")
    assert code == 0
    assert all(flag in out for flag in used) and not any(flag + " " in out for flag in unused)
