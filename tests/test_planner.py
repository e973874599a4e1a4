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
        assert step.fits == (step.peak_gib <= p.limit_gib + 0.005)
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
        model="llama-2-7b", gpu_mem_gb=24, fine_tuning="lora", batch_size=4, global_batch_size=4, seq_len=2048)))
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
        model="bert-base", gpu="a100-80gb", precision="fp32", batch_size=8, seq_len=128, gradient_checkpointing=True)))
    assert p.fits_with_margin
    changes = [s.change for s in p.steps]
    assert "checkpointing" in changes and "precision" in changes  # recomputation off, bf16 for speed
    assert all(s.fits for s in p.steps)
    assert p.settings.micro_batch == 8 and p.max_micro_batch > 8  # no global batch: the micro-batch stays
    assert p.settings.grad_accum == 1 and any("accumulation 1" in n for n in p.notes)


def test_no_bf16_card_gets_fp16():
    _, p = planner.plan_setup(fields.normalize_setup(dict(
        model="bert-base", gpu="t4", precision="fp32", fine_tuning="full", batch_size=8, seq_len=512)))
    precision = [s for s in p.steps if s.change == "precision"]
    assert precision and precision[0].setting == {"fp16": True} and p.settings.precision == "fp16"


@pytest.mark.parametrize("margin", [0.0, 0.1, 0.3])
def test_margin_is_respected(margin):
    w = memory.Workload(arch=architectures.lookup("mistral-7b"), precision="bf16", fine_tuning="qlora",
                        batch=16, seq_len=2048)
    p = planner.plan(w, 24, margin=margin)
    assert p.final_fits and p.final.peak <= 24 * memory.VISIBLE_FRACTION * (1 - margin)


_FIXES = {"precision": lambda w: w.precision, "checkpointing": lambda w: w.checkpointing,
          "optimizer": lambda w: w.optimizer, "zero_stage": lambda w: w.zero_stage, "offload": lambda w: w.offload,
          "fine_tuning": lambda w: w.fine_tuning}


@settings(max_examples=25, deadline=None)
@given(SETUPS, st.sampled_from([None, 8, 32, 64]))
def test_never_two_fixes_where_one_suffices(raw, global_batch):
    # undoing any one memory fix of the plan, at the plan's micro-batch, no longer fits: each was needed
    raw = {**raw, "mode": "training", "global_batch_size": global_batch and global_batch * raw["gpu_count"]}
    w, p = planner.plan_setup(fields.normalize_setup(raw))
    if not p.final_fits:
        return
    s = p.settings
    chosen = w.with_(batch=s.micro_batch, precision=s.precision, checkpointing=s.checkpointing,
                     optimizer=s.optimizer, zero_stage=s.zero_stage, offload=s.offload, fine_tuning=s.fine_tuning)
    for step in p.steps:
        if step.change not in _FIXES or step.delta_gib >= 0 or step.cost == 0:
            continue  # not a memory fix that costs something (bf16 is free; faster settings spend memory)
        undone = chosen.with_(**{step.change: _FIXES[step.change](w)})
        if step.change == "offload" and undone.offload != "all" and w.zero_stage < 3:
            undone = undone.with_(zero_stage=s.zero_stage if s.offload != "all" else w.zero_stage)
        assert memory.estimate(undone).peak > p.limit_gib - 1e-9, step.title


@settings(max_examples=25, deadline=None)
@given(SETUPS, st.integers(1, 64))
def test_the_global_batch_is_split_exactly(raw, per_gpu):
    raw = {**raw, "mode": "training", "global_batch_size": per_gpu * raw["gpu_count"]}
    _, p = planner.plan_setup(fields.normalize_setup(raw))
    s = p.settings
    assert s.global_batch == raw["global_batch_size"]
    assert s.micro_batch * s.grad_accum == per_gpu


@settings(max_examples=20, deadline=None)
@given(SETUPS)
def test_without_a_global_batch_accumulation_is_1_and_said(raw):
    _, p = planner.plan_setup(fields.normalize_setup({**raw, "mode": "training"}))
    assert p.settings.grad_accum == 1 and p.settings.micro_batch <= raw["batch_size"]
    assert any("no global batch given" in note for note in p.notes)


def test_only_the_free_knobs_change():
    setup = fields.normalize_setup(dict(model="llama-2-7b", gpu_mem_gb=24, fine_tuning="lora", batch_size=4,
                                        seq_len=2048, precision="bf16", global_batch_size=16))
    w, p = planner.plan_setup(setup, free=frozenset({"micro_batch", "grad_accum"}))
    s = p.settings
    assert (s.precision, s.checkpointing, s.optimizer, s.zero_stage, s.offload, s.fine_tuning) == \
           (w.precision, w.checkpointing, w.optimizer, w.zero_stage, w.offload, w.fine_tuning)
    assert {step.change for step in p.steps} <= {"micro_batch", "more_hardware"}


def test_eval_batch_is_larger_than_the_training_micro_batch():
    setup = fields.normalize_setup(dict(model="llama-3.2-1b", gpu="a10g", fine_tuning="lora", batch_size=8,
                                        seq_len=2048, precision="bf16"))
    w, p = planner.plan_setup(setup)
    assert planner.eval_batch(w.with_(batch=p.settings.micro_batch), 24) > p.max_micro_batch
