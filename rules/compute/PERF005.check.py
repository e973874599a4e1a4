"""What PERF005's snippets must have done (tests/test_snippets.py runs them; rules/README.md)."""

from __future__ import annotations

from tests.snippets.checks import Run, applies, args_of, fit_lightning


@applies("lightning")
def _ddp_lightning(run: Run) -> None:
    from lightning.pytorch.strategies import DDPStrategy

    trainer = run.new("trainer")
    assert isinstance(trainer.strategy, DDPStrategy)
    trainer.logger = None
    fit_lightning(run, trainer)
    run.ok("the DDP Trainer fits the model (one CPU process)")


@applies("pytorch")
def _ddp_torch(run: Run) -> None:
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data.distributed import DistributedSampler

    assert isinstance(run.new("model"), DistributedDataParallel), "the model was not wrapped in DDP"
    assert isinstance(run.new("sampler"), DistributedSampler)
    run.ok("model wrapped in DDP over gloo, loader sharded by a DistributedSampler")


@applies("huggingface")
def _ddp_hf(run: Run) -> None:
    assert args_of(run).ddp_find_unused_parameters is False
    run.ok("ddp_find_unused_parameters=False")
