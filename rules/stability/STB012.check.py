"""What STB012's snippets must have done (tests/test_snippets.py runs them; rules/README.md).

Clean data must pass every scan, and each scan must also catch the faults it names: every check
runs the snippet again on a copy of the data with one bad sample at its end (a label out of
range, a NaN input, an unknown token id), so a snippet that scans nothing fails.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from tests.snippets.checks import Run, applies, finite, trained_keras


def _fresh(run: Run) -> dict:
    from tests.snippets import contexts

    return contexts.build(contexts.shape_for(run.framework, run.facts))


def _corrupt_torch(run: Run) -> dict:
    """The context again, its training loader unshuffled, the last sample with a NaN input and label k."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    context = _fresh(run)
    inputs, targets = (t.clone() for t in context["train_dataset"].tensors)
    targets[-1] = context["num_classes"]
    if inputs.is_floating_point():
        inputs.view(len(inputs), -1)[-1, 0] = float("nan")
    dataset = TensorDataset(inputs, targets)
    context["train_loader"] = DataLoader(dataset, batch_size=context["train_loader"].batch_size, shuffle=False)
    if "lit_model" in context:  # the anomaly-mode run must still see only clean batches first
        assert len(context["train_loader"]) > 2
    return context


@applies("lightning", "pytorch")
def _pipeline_torch(run: Run) -> None:
    assert run.new("problems") == [], run.new("problems")
    if run.framework == "pytorch":
        assert finite(run.new("loss"))
    else:
        assert run.new("trainer").global_step > 0
    corrupt = _corrupt_torch(run)
    found = run.rerun(corrupt)["problems"]
    assert any("outside [0," in p for p in found), f"an out-of-range label went unreported: {found}"
    if corrupt["train_dataset"].tensors[0].is_floating_point():
        assert any("NaN/Inf in the inputs" in p for p in found), f"a NaN input went unreported: {found}"
    run.ok(f"clean data passes; a bad label{' and a NaN input' if len(found) > 1 else ''} in the last batch "
           f"are reported: {found}")


@applies("huggingface")
def _pipeline_hf(run: Run) -> None:
    assert run.new("problems") == [], run.new("problems")
    assert finite(run.new("loss"))
    context = _fresh(run)
    vocab = context["model"].get_input_embeddings().num_embeddings
    data = context["train_dataset"]
    last = len(data) - 1

    def spoil(row, i):
        if i == last:
            row["input_ids"] = [*row["input_ids"][:-1], vocab]  # an id the embedding does not have
            if "label" in row:
                row["label"] = context["model"].config.num_labels
        return row

    context["train_dataset"] = data.map(spoil, with_indices=True)
    found = run.rerun(context)["problems"]
    assert any("token id" in p for p in found), f"an unknown token id went unreported: {found}"
    if "label" in data.column_names:
        assert any("label" in p and "outside" in p for p in found), f"an out-of-range label went unreported: {found}"
    run.ok(f"clean data passes; a bad row is reported: {found}")


@applies("keras")
def _pipeline_keras(run: Run) -> None:
    assert "non-finite values: inputs 0 labels 0" in run.output
    trained_keras(run)
    context = _fresh(run)
    context["x_train"] = context["x_train"].copy()
    context["x_train"].reshape(len(context["x_train"]), -1)[-1, 0] = np.nan
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        run.rerun(context)
    assert "non-finite values: inputs 1 labels 0" in shown.getvalue(), shown.getvalue()[:300]
    run.ok("clean data passes; one NaN input is counted")


@applies("sklearn")
def _pipeline_sklearn(run: Run) -> None:
    assert run.new("problems") == [], run.new("problems")
    context = _fresh(run)
    context["X_train"] = context["X_train"].copy()
    context["X_train"][:, 0] = 1.0  # a constant feature
    context["y_val"] = context["y_val"].copy()
    context["y_val"][0] = run.classes  # a label the training split never has
    found = run.rerun(context)["problems"]
    assert any("constant features" in p and "[0]" in p for p in found), found
    assert any("never seen in training" in p for p in found), found
    run.ok(f"clean data passes; a constant feature and an unseen label are reported: {found}")
