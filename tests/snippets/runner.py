"""Execute one rendered snippet the way a user's training script would: as `__main__`, in a fresh namespace."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import types
import warnings
from typing import Any, Iterator


def freeze_imports() -> None:
    """Move everything alive now (the frameworks' modules) out of the collector's sight.

    A full gc.collect() walks torch + transformers + keras for seconds, and the
    libraries call it often (Keras' clear_session, accelerate's free_memory).
    """
    gc.collect()
    gc.freeze()


# Deprecations no snippet can avoid, each one message of one defect, with its upstream report; never a
# whole library. torch.Tensor.__array__ lacks NumPy 2's `copy` keyword, so every tensor -> array
# conversion (Keras on its torch backend converts at each fit step) warns:
# https://github.com/pytorch/pytorch/issues/136264
# Lightning's Trainer checks `isinstance(treespec, LeafSpec)`, deprecated by torch's pytree, in every fit:
# https://github.com/Lightning-AI/pytorch-lightning/issues/21326
# peft's PeftModel.__init__ reads `model.is_gradient_checkpointing` (peft 0.21, peft/peft_model.py:184), which
# transformers 5 deprecates, on every get_peft_model.
UNAVOIDABLE = (
    (DeprecationWarning, r"__array__ implementation doesn't accept a copy keyword"),
    (FutureWarning, r"`is_gradient_checkpointing` is deprecated"),
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated"),
)


def run(text: str, namespace: dict[str, Any], filename: str) -> dict[str, Any]:
    """exec the snippet as the `__main__` module, so that its functions pickle for worker processes."""
    code = compile(text, filename, "exec")
    module = types.ModuleType("__main__")
    module.__dict__.update(namespace)
    module.__dict__["__file__"] = filename
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        with warnings.catch_warnings():
            # "current APIs only": a deprecation raised while the snippet runs fails the run, wherever
            # the library attributes it (a deprecated argument passed to Trainer warns inside
            # transformers, not at the snippet's line). Scoped to this exec; no library is exempt.
            for category in (DeprecationWarning, FutureWarning):
                warnings.simplefilter("error", category)
            for category, message in UNAVOIDABLE:  # later filters take precedence: shown, not raised
                warnings.filterwarnings("default", message=message, category=category)
            exec(code, module.__dict__)  # our own rule files' snippets: this is what the test is for
    finally:
        sys.modules["__main__"] = saved
    return module.__dict__


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Undo the process-wide settings a snippet may change (environment, determinism, precision policies)."""
    environ = dict(os.environ)
    torch_state = keras_policy = None
    if "keras" in sys.modules:
        import keras

        keras_policy = keras.mixed_precision.global_policy().name
    if "torch" in sys.modules:
        import torch

        torch_state = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
                       torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32,
                       torch.backends.cudnn.allow_tf32, torch.get_default_dtype(), torch.get_num_threads())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environ)
        if "torch" in sys.modules:
            import torch
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.destroy_process_group()
            if torch_state is not None:
                deterministic, warn_only, benchmark, tf32, cudnn_tf32, dtype, threads = torch_state
                torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
                torch.backends.cudnn.benchmark = benchmark
                torch.backends.cuda.matmul.allow_tf32 = tf32
                torch.backends.cudnn.allow_tf32 = cudnn_tf32
                torch.set_default_dtype(dtype)
                torch.set_num_threads(threads)
        if "keras" in sys.modules:
            import keras

            keras.mixed_precision.set_global_policy(keras_policy or "float32")
        if "matplotlib.pyplot" in sys.modules:
            import matplotlib.pyplot as plt

            plt.close("all")
