"""Hypothesis strategies for valid setups, in the forms people type."""

from __future__ import annotations

from hypothesis import strategies as st

from advisor.setup import fields, gpus


def _numberish(low: float, high: float) -> st.SearchStrategy:
    return st.one_of(st.floats(low, high), st.floats(low, high).map(lambda x: f"{x:g}"))


_COUNT = st.integers(1, 10**9)
_VALUES = {
    "gpu": st.sampled_from(sorted(gpus.CATALOG)),
    "gpu_mem_gib": st.one_of(_numberish(1, 200), st.integers(1, 200).map(lambda x: f"{x}GB"),
                            st.integers(1, 200).map(lambda x: f"{x}GiB")),
    "gpu_count": st.integers(1, 64),
    "model_params": st.one_of(st.integers(1000, 10**12), st.integers(1, 500).map(lambda x: f"{x}M"),
                              st.integers(1, 200).map(lambda x: f"{x}B")),
    "dataset_size": st.one_of(_COUNT, st.integers(1, 999).map(lambda x: f"{x}k")),
    "num_classes": st.integers(2, 1000),
    "class_ratio": st.one_of(
        st.tuples(st.integers(1, 100), st.integers(1, 1000)).map(lambda t: f"{t[0]}:{t[1]}"),
        st.floats(0.1, 99.9).map(lambda x: f"{x:.1f}%")),
    "batch_size": st.integers(1, 4096),
    "seq_len": st.integers(1, 131072),
    "image_size": st.integers(8, 4096),
    "lr": st.floats(1e-8, 10),
    "depth": st.integers(1, 400),
    "symptoms": st.lists(st.sampled_from(fields.SYMPTOMS), max_size=4),
    "zero_stage": st.integers(0, 3),
    "class_counts": st.lists(st.integers(1, 10**6), min_size=2, max_size=6).map(lambda c: ",".join(map(str, c))),
}
_NOT_GENERATED = {"model_config"}  # a path to a file: tested where it is read


def _field_values(field: fields.Field) -> st.SearchStrategy:
    if field.name in _VALUES:
        return _VALUES[field.name]
    if field.kind == "bool":
        return st.booleans()
    if field.kind == "int":  # within the field's own bounds, at most 4096: counts people type
        return st.integers(int(field.minimum if field.minimum is not None else 1),
                           int(min(field.maximum if field.maximum is not None else 4096, 4096)))
    if field.kind == "number":
        return _numberish(field.minimum or 0.0, min(field.maximum or 1e3, 1e3))
    if field.kind == "set":
        return st.lists(st.sampled_from(field.choices), max_size=4)
    return st.sampled_from(field.choices or field.examples)


setups = st.fixed_dictionaries(
    {}, optional={f.name: _field_values(f) for f in fields.FIELDS if f.name not in _NOT_GENERATED})
