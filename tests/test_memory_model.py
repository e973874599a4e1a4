"""What the estimator models: the step's phases, the three readings, quantised weights, KV cache, MoE, GQA."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.estimate import memory
from advisor.setup import architectures, fields


def _w(model: str, **kw) -> memory.Workload:
    return memory.Workload(arch=architectures.lookup(model), **kw)


def _setup(**raw) -> memory.Workload:
    return memory.workload_from_setup(fields.normalize_setup(raw))


# --- 4-bit weights: served, or trained through adapters only -----------------------------

def test_4bit_inference_keeps_4bit_weights():
    # a 70B at 4 bits is ~35 GiB of weights; the old estimate took it as QLoRA and counted 16-bit weights
    for raw in ({"precision": "4bit", "mode": "inference"}, {"precision": "4bit"},
                {"precision": "4bit", "fine_tuning": "none"}):
        w = _setup(model="llama-2-70b", seq_len=512, **raw)
        est = memory.estimate(w)
        assert w.mode == "inference" and w.precision == "4bit" and w.fine_tuning == "none"
        assert 33 < est.weights < 40 and est.gradients == est.optimizer == 0
    assert any("estimated as inference" in n for n in _setup(model="llama-2-70b", precision="4bit").assumptions)


def test_qlora_only_when_training_through_adapters():
    w = _setup(model="llama-2-7b", precision="4bit", fine_tuning="qlora")
    assert (w.mode, w.fine_tuning, w.precision) == ("training", "qlora", "bf16")
    trained = _setup(model="llama-2-7b", precision="4bit", mode="training")
    assert trained.fine_tuning == "qlora" and any("adapters" in n for n in trained.assumptions)


def test_nf4_double_quantisation_and_the_quantised_head():
    base = _w("llama-2-7b", mode="inference", precision="4bit", seq_len=8)
    plain, dq = memory.estimate(base).weights, memory.estimate(base.with_(double_quant=True)).weights
    # 0.5625 vs 0.5159 bytes per packed weight (QLoRA §3)
    assert plain - dq == pytest.approx(base.arch.linear_params() * (memory.NF4_BYTES - memory.NF4_DQ_BYTES) / 2**30)
    head = memory.estimate(base.with_(quantized_head=True)).weights
    assert head < plain  # litgpt quantises the output head too; transformers keeps it in 16 bits


def test_kbit_preparation_keeps_unquantised_parameters_in_fp32():
    w = _w("llama-3-8b", precision="bf16", fine_tuning="qlora", seq_len=512)
    assert memory.estimate(w).weights > memory.estimate(w.with_(kbit_prep=False)).weights
    assert memory.estimate(w).activations > memory.estimate(w.with_(kbit_prep=False)).activations  # fp32 residual


def test_kv_cache_is_sized_from_prompt_and_new_tokens_with_grouped_query_attention():
    w = _w("llama-2-7b", mode="inference", precision="bf16", batch=1, seq_len=4096)
    # 2 (K,V) x 32 layers x 4096 dims x 4096 tokens x 2 bytes = 2 GiB
    assert memory.estimate(w).kv_cache == pytest.approx(2.0)
    assert memory.estimate(w.with_(seq_len=2048, new_tokens=2048)).kv_cache == pytest.approx(2.0)
    # Llama-3-8B keeps 8 KV heads of 32: a quarter of the cache of the same-width multi-head model
    gqa = _w("llama-3-8b", mode="inference", precision="bf16", batch=1, seq_len=4096)
    assert memory.estimate(gqa).kv_cache == pytest.approx(0.5)


# --- the step's phases ------------------------------------------------------------------

def test_full_finetuning_peaks_in_the_optimizer_step_with_the_foreach_temporary():
    w = _w("llama-2-7b", precision="bf16-pure", batch=1, seq_len=256)
    est = memory.estimate(w)
    assert est.phase == "optimizer step" and est.activations == 0
    p = w.arch.params
    assert est.temporary == pytest.approx(2 * p / 2**30)  # ~ sizeof(params) (torch.optim docs)
    no_foreach = memory.estimate(w.with_(foreach=False))
    assert est.peak_allocated - no_foreach.peak_allocated == pytest.approx(2 * p / 2**30, rel=0.01)


def test_gradients_are_freed_before_the_forward_pass_unless_accumulating():
    w = _w("bert-large", precision="fp32", batch=8, seq_len=512, task="classification")
    start = dict(memory.estimate(w).phases)["backward start"]
    accumulating = dict(memory.estimate(w.with_(accumulation=True)).phases)["backward start"]
    assert accumulating - start == pytest.approx(4 * w.arch.params / 2**30, rel=0.01)


def test_lora_peaks_with_the_activations():
    est = memory.estimate(_w("llama-2-7b", precision="bf16-pure", fine_tuning="lora", batch=2, seq_len=1024))
    assert est.phase == "backward start" and est.activations > est.gradients + est.optimizer


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(architectures.CATALOG)), st.sampled_from(["fp32", "bf16", "bf16-pure"]),
       st.sampled_from(["full", "lora", "qlora"]), st.integers(1, 16), st.sampled_from(["training", "inference"]))
def test_the_three_readings_are_ordered_and_the_peak_is_the_largest_phase(model, precision, fine_tuning, batch,
                                                                         mode):
    est = memory.estimate(_w(model, precision=precision, fine_tuning=fine_tuning, batch=batch, seq_len=512,
                             mode=mode))
    assert 0 < est.peak_allocated <= est.peak_reserved < est.peak
    assert est.peak_allocated == pytest.approx(max(v for _, v in est.phases))
    assert est.peak - est.peak_reserved == pytest.approx(memory.CUDA_CONTEXT_GIB)


def test_a_measured_cuda_context_replaces_the_assumed_one():
    w = _w("bert-base", precision="fp32", batch=4, seq_len=128)
    assert memory.estimate(w.with_(cuda_context_gib=1.3)).context == 1.3
    assert any("CUDA context" in n for n in memory.estimate(w).notes)
    assert not any("CUDA context" in n for n in memory.estimate(w.with_(cuda_context_gib=1.3)).notes)


# --- activations -------------------------------------------------------------------------

def test_checkpointing_keeps_layer_inputs_one_recomputed_layer_and_the_logits():
    w = _w("llama-2-7b", precision="bf16-pure", fine_tuning="lora", batch=1, seq_len=2048)
    full, ckpt = memory.estimate(w), memory.estimate(w.with_(checkpointing=True))
    layer = memory.layer_bytes_per_token(w.arch, 2048, 2, eager=False, w=w) * 2048 / 2**30
    h = w.arch.hidden
    inputs = 2 * h * 2048 * w.arch.layers / 2**30
    ends = (2 + 6) * h * 2048 / 2**30  # the head's 16-bit input and the final RMSNorm's fp32 + bf16 tensors
    assert ckpt.activations == pytest.approx(inputs + layer + ends + ckpt.logits, rel=0.01)
    assert ckpt.activations < full.activations / 5


def test_autocast_keeps_softmax_in_fp32_and_casts_per_projection():
    bert = architectures.lookup("bert-large")
    amp = memory.layer_bytes_per_token(bert, 512, 2, eager=True, w=memory.Workload(arch=bert, precision="fp16"))
    pure = memory.layer_bytes_per_token(bert, 512, 2, eager=True, w=memory.Workload(arch=bert, precision="bf16-pure"))
    h, a, s = bert.hidden, bert.heads, 512
    # fp32 softmax (4) vs 16-bit (2) probabilities; three cast copies of the QKV input instead of one shared
    # tensor (+2·2h); both LayerNorms' inputs in fp32 (+2·2h)
    assert amp - pure == pytest.approx(2 * a * s + 2 * 2 * h + 2 * 2 * h, rel=0.01)


def test_eager_attention_grows_quadratically_and_sdpa_linearly():
    w = _w("gpt2", precision="bf16-pure", fine_tuning="full", batch=1, seq_len=1024)
    eager, sdpa = memory.estimate(w.with_(attention="eager")), memory.estimate(w.with_(attention="sdpa"))
    assert eager.activations > sdpa.activations
    long = memory.estimate(w.with_(attention="sdpa", seq_len=2048)).activations_per_sample
    assert long / sdpa.activations_per_sample == pytest.approx(2, rel=0.05)


def test_cross_entropy_implementations_order_the_logit_memory():
    w = _w("llama-3-8b", precision="bf16-pure", fine_tuning="lora", batch=1, seq_len=4096)
    logits = [memory.estimate(w.with_(cross_entropy=c)).logits for c in ("upcast", "chunked", "fused")]
    assert logits[0] > logits[1] > logits[2] == 0
    # 4096 tokens x 128256 vocabulary x (2 + 4) bytes: the 16-bit logits and the fp32 log-softmax
    assert logits[0] == pytest.approx(4096 * 128256 * 6 / 2**30)


def test_mixture_of_experts_keeps_every_expert_and_routes_activations_through_two():
    mixtral, mistral = architectures.lookup("mixtral-8x7b"), architectures.lookup("mistral-7b")
    assert mixtral.params > 6 * mistral.params  # all eight experts' weights are resident
    per_token = [memory.layer_bytes_per_token(a, 512, 2, eager=False) for a in (mixtral, mistral)]
    ff = 3 * 2 * mistral.intermediate  # a second expert's saved ff-wide tensors (bf16, frozen-input rule aside)
    assert ff < per_token[0] - per_token[1] < 3 * ff


def test_a_stated_vocabulary_shapes_a_model_known_by_its_size_alone():
    small = memory.workload_from_setup(fields.normalize_setup({"model_params": "1B", "task": "language-modeling",
                                                               "seq_len": 2048}))
    large = memory.workload_from_setup(fields.normalize_setup({"model_params": "1B", "task": "language-modeling",
                                                               "seq_len": 2048, "vocab_size": 256000}))
    assert large.arch.vocab == 256000 and memory.estimate(large).logits > 7 * memory.estimate(small).logits
