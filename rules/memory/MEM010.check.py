"""What MEM010's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, fsdp_torch


@applies("huggingface")
def _fsdp_hf(run: Run) -> None:
    args = args_of(run)
    assert args.fsdp and args.fsdp_config.get("reshard_after_forward") is True, (args.fsdp, args.fsdp_config)
    run.ok("FSDP with full resharding (ZeRO-3) configured")


_fsdp_torch = applies("pytorch")(fsdp_torch)  # shared with other rules: tests/snippets/checks.py
