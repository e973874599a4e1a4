"""What MEM011's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, fsdp_torch


@applies("huggingface")
def _offload_hf(run: Run) -> None:
    config = run.new("ds_config")
    assert config["zero_optimization"]["offload_optimizer"]["device"] == "cpu"
    assert args_of(run).deepspeed == config
    run.ok("DeepSpeed ZeRO optimizer offload to CPU configured")


_fsdp_torch = applies("pytorch")(fsdp_torch)  # shared with other rules: tests/snippets/checks.py
