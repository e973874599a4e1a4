"""Planner: cheapest changes that fit with a margin, each step with its estimate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.setup import architectures, fields
from advisor.estimate import memory, planner

SETUPS = st.fixed_dictionaries({
    "model": st.sampled_from(sorted(architectures.CATALOG)),
    "gpu_mem_gb": st.sampled_from([8, 12, 16, 24, 40, 80]),
    "precision": st.sampled_from(["fp32", "fp16", "bf16"]),
    "fine_tuning": st.sampled_from(["full", "lora", "qlora", "none"]),
    "batch_size": st.sampled_from([1, 2, 4, 8, 16, 32, 64]),
    "seq_len": st.integers(64, 4096),
    "gpu_count": st.integers(1, 8),
    "mode": st.sampled_from(["training", "training", "inference"]),
})


@settings(max_examples=60, deadline=None)
@given(SETUPS)
def test_every_step_lowers_the_estimate_or_is_explained(raw):
    w, p = planner.plan_setup(fields.normalize_setup(raw))
    for step in p.steps:
        assert step.why
        if step.delta_gib >= 0 and not p.fits_with_margin:
            assert "does not lower" in step.why or step.change == "more_hardware"
    if p.final_fits and not p.fits_with_margin:
        assert p.steps[-1].fits and p.steps[-1].peak_gib <= p.limit_gib
    if not p.final_fits:
        assert p.steps[-1].change == "more_hardware"


@settings(max_examples=60, deadline=None)
@given(SETUPS)
def test_a_plan_that_fits_keeps_the_margin(raw):
    _, p = planner.plan_setup(fields.normalize_setup(raw))
    if p.final_fits:
        assert p.final.peak <= memory.limit_gib(raw["gpu_mem_gb"]) + 1e-9


def test_issue_example_lora_7b_on_24gb():
    w, p = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-2-7b", gpu_mem_gb=24, fine_tuning="lora", batch_size=4, seq_len=2048)))
    assert not p.fits and p.final_fits
    changes = [s.change for s in p.steps]
    assert changes[0] == "precision"  # free: fp32 → bf16 first
    assert "checkpointing" in changes
    micro = [s for s in p.steps if s.change == "micro_batch"]
    for step in micro:  # effective batch preserved
        assert step.setting["per_device_train_batch_size"] * step.setting["gradient_accumulation_steps"] == 4
    peaks = [s.peak_gib for s in p.steps]
    assert peaks == sorted(peaks, reverse=True)


def test_full_finetune_too_big_turns_to_peft_or_sharding():
    _, alone = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-2-13b", gpu_mem_gb=24, precision="bf16", fine_tuning="full", batch_size=1, seq_len=512)))
    assert {s.change for s in alone.steps} & {"fine_tuning", "offload"}
    _, many = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-2-13b", gpu_mem_gb=80, precision="bf16", fine_tuning="full", batch_size=1, seq_len=512,
        gpu_count=8)))
    assert many.final_fits and any(s.change == "zero_stage" for s in many.steps)
    assert not any(s.change == "fine_tuning" for s in many.steps)  # sharding is cheaper than changing the method


def test_from_scratch_never_gets_lora():
    _, p = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-2-7b", gpu_mem_gb=24, precision="bf16", fine_tuning="none", batch_size=8, seq_len=2048)))
    assert not any(s.change == "fine_tuning" for s in p.steps)


def test_nothing_fits_says_what_would():
    _, p = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-3-70b", gpu_mem_gb=8, precision="bf16", fine_tuning="none", batch_size=1, seq_len=8192)))
    assert not p.final_fits
    last = p.steps[-1]
    assert last.strategy == "larger-hardware" and last.setting["min_gpu_mem_gib"] > 8 and "GB" in last.why


def test_fitting_run_gets_ways_to_use_spare_memory():
    _, p = planner.plan_setup(fields.normalize_setup(dict(
        model="bert-base", gpu_mem_gb=80, precision="fp32", batch_size=8, seq_len=128, gradient_checkpointing=True)))
    assert p.fits_with_margin
    changes = [s.change for s in p.steps]
    assert "checkpointing" in changes and "micro_batch" in changes
    assert all(s.fits for s in p.steps)


def test_no_bf16_card_gets_fp16():
    _, p = planner.plan_setup(fields.normalize_setup(dict(
        model="llama-3.2-1b", gpu="t4", precision="fp32", fine_tuning="full", batch_size=8, seq_len=1024)))
    precision = [s for s in p.steps if s.change == "precision"]
    assert precision and precision[0].setting == {"fp16": True}


@pytest.mark.parametrize("margin", [0.0, 0.1, 0.3])
def test_margin_is_respected(margin):
    w = memory.Workload(arch=architectures.lookup("mistral-7b"), precision="bf16", fine_tuning="qlora",
                        batch=16, seq_len=2048)
    p = planner.plan(w, 24, margin=margin)
    assert p.final_fits and p.final.peak <= 24 * memory.VISIBLE_FRACTION * (1 - margin)
