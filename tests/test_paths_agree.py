"""The library, the CLI and the Monitor are one pipeline: the same setup gives the same advice through each,
and a bad setup the same refusal (ValidationError in Python, exit 2 with one line in the CLI)."""

from __future__ import annotations

import io
import json
import warnings
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import advisor
from advisor import cli
from advisor.setup import fields

FIELDS = {f.key: f for f in fields.FIELDS if f.name != "model_config"}  # model_config names a file: test_setup


def _number_forms(low: int, high: int, *suffixes: str) -> st.SearchStrategy:
    """An amount as people give it: an int, a float, the number as text, or the number with a unit."""
    forms = [st.integers(low, high), st.integers(low, high).map(float), st.integers(low, high).map(str)]
    forms += [st.integers(low, high).map(lambda x, s=s: f"{x}{s}") for s in suffixes]
    return st.one_of(forms)


_VALID = {
    "gpu_mem_gb": st.one_of(_number_forms(1, 200, "GB", "GiB", " gb"), st.floats(1.0, 200.0)),
    "gpu_count": _number_forms(1, 64),
    "model_params": st.one_of(st.integers(1000, 10**12), st.integers(1, 500).map(lambda x: f"{x}M"),
                              st.integers(1, 200).map(lambda x: f"{x}B"), st.integers(1, 99).map(lambda x: f"{x}e8")),
    "dataset_size": st.one_of(_number_forms(1, 10**9), st.integers(1, 999).map(lambda x: f"{x}k")),
    "num_classes": _number_forms(2, 1000),
    "class_ratio": st.one_of(st.tuples(st.integers(1, 100), st.integers(1, 1000)).map(lambda t: f"{t[0]}:{t[1]}"),
                             st.floats(0.1, 99.9).map(lambda x: f"{x:.1f}%")),
    "batch_size": _number_forms(1, 4096),
    "seq_len": st.one_of(_number_forms(1, 131072), st.integers(1, 128).map(lambda x: f"{x}k")),
    "image_size": _number_forms(8, 4096),
    "lr": st.one_of(st.floats(1e-7, 1.0), st.floats(1e-7, 1.0).map(lambda x: f"{x:g}")),
    "depth": _number_forms(1, 400),
    "zero_stage": _number_forms(0, 3),
    "lora_rank": _number_forms(1, 256),
    "class_counts": st.lists(st.integers(1, 10**6), min_size=2, max_size=6).map(lambda c: ",".join(map(str, c))),
    "symptoms": st.lists(st.sampled_from(fields.SYMPTOMS + ("oom", "nan", "plateau")), max_size=3),
}
_INVALID_BY_KIND = {
    "int": ["-3", "abc", "0.5", "1e400", "nan", "1e308", 10**400],
    "number": ["nan", "-8", "lots", "inf", "0", "1e308", 1e-320],
    "ratio": ["1:0", "abc", "0:5", "150%"],
    "str": ["bogus-value"],
    "set": [["bogus-symptom"], ["nan-loss", "not-a-symptom"]],
}
# the other numbers (a loss, an accuracy, a count of workers) may be 0 or unbounded: only what no bound allows
_INVALID_ANY_BOUNDS = {"int": ["-3", "abc", "0.5", "nan"], "number": ["nan", "-8", "lots", "inf"]}
_INVALID = {"class_counts": ["5", "a,b"], "zero_stage": ["4"]}


def _invalid(field: fields.Field) -> list:
    if field.key in _INVALID:
        return _INVALID[field.key]
    if field.key not in _VALID and field.kind in _INVALID_ANY_BOUNDS:
        return _INVALID_ANY_BOUNDS[field.kind]
    return _INVALID_BY_KIND[field.kind]


def _valid(field: fields.Field) -> st.SearchStrategy:
    if field.key in _VALID:
        return _VALID[field.key]
    if field.kind == "bool":
        return st.booleans()
    if field.kind == "int":  # within the field's own bounds
        return _number_forms(int(field.minimum if field.minimum is not None else 1),
                             int(min(field.maximum if field.maximum is not None else 4096, 4096)))
    if field.kind == "number":  # a bound may be exclusive (an accuracy above 0): keep off it
        low = field.minimum if field.minimum is not None else 0.0
        return st.floats(low, min(field.maximum if field.maximum is not None else 1e3, 1e3), exclude_min=True,
                         exclude_max=field.maximum is not None)
    if field.kind == "set":
        return st.lists(st.sampled_from(field.choices), max_size=3)
    # a closed vocabulary, or an open one (model and card names outside the catalog are read too) by its examples
    choices = st.sampled_from(field.choices or field.examples)
    return st.one_of(choices, choices.map(str.upper))  # names are case-insensitive


# a value refused whatever the rest of the setup says: an open vocabulary (a model name) refuses no name
_invalid_entry = st.sampled_from([f for f in FIELDS.values() if f.kind != "bool" and (f.kind != "str" or f.choices)]
                                 ).flatmap(lambda f: st.sampled_from(_invalid(f)).map(lambda v: (f.key, v)))
# a valid setup; one time in four, one of its values replaced by one that is refused
setups = st.tuples(st.fixed_dictionaries({}, optional={key: _valid(f) for key, f in FIELDS.items()}),
                   st.integers(0, 3), _invalid_entry
                   ).map(lambda t: ({**t[0], t[2][0]: t[2][1]}, False) if t[1] == 0 else (t[0], True))


def _flags(setup: dict) -> list[str]:
    """The CLI flags that say what the setup dict says."""
    argv = []
    for key, value in setup.items():
        flag = FIELDS[key].cli_flag
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, list):
            argv += [f"{flag}={item}" for item in value]
        else:
            argv.append(f"{flag}={value}")
    return argv


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module", autouse=True)
def _outside_any_project(tmp_path_factory):
    """The CLI reads advisor.yaml / pyproject.toml from the working directory: run where there is none."""
    mp = pytest.MonkeyPatch()
    mp.chdir(tmp_path_factory.mktemp("no-project"))
    yield
    mp.undo()


def _advice(has_advice) -> list[dict]:
    """A report's or a finding's advice items, as plain data."""
    return [item.model_dump() for item in has_advice.advice]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(setups)
def test_library_cli_and_monitor_agree(case):
    setup, valid = case
    code, out, err = _cli(["diagnose", *_flags(setup), "--format", "json"])
    if not valid:
        with pytest.raises(ValidationError):
            advisor.diagnose(setup)
        with pytest.raises(ValidationError):
            advisor.Monitor(setup)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, err)
        assert err.startswith("advisor: error: ")
        return
    report = advisor.diagnose(setup)
    assert code == 0, err
    assert json.loads(out) == json.loads(report.model_dump_json(exclude_none=True))

    # the Monitor's first finding gets the advice the library gives with that symptom added
    monitor = advisor.Monitor(setup, stop_on=())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed advice lookup is a warning: here it is a failure
        found = monitor.update(1, loss=float("nan"))
    assert [f.symptom for f in found] == ["nan-loss"]
    expected = advisor.diagnose({**setup, "symptoms": [*setup.get("symptoms", []), "nan-loss"]}, top=3)
    assert _advice(found[0]) == _advice(expected)
