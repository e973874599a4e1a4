"""Log readers against hostile logs: special files, compression, deep nesting, huge numbers, random bytes.

A log that cannot be read is one stderr line and exit 2 (`advisor diagnose --log`), never a hang or a traceback;
a trainer_state.json streams in the memory of one entry.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import math
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.errors import InputError
from advisor.logs import analyze, hf_trainer, jsonstream, read_log, source

CSV = "step,loss,val_loss\n" + "".join(f"{i},{2 - i / 100},{'' if i % 5 else 2 - i / 90}\n" for i in range(1, 60))


def one_line_error(run_cli, log: Path, *words: str) -> None:
    code, out, err = run_cli("diagnose", "--log", log)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and err.startswith("advisor: error: log: ") and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)


def state(entries: list, **extra) -> str:
    return json.dumps({"best_metric": None, "log_history": entries, "global_step": len(entries), **extra}, indent=2)


# ------------------------------------------------------------------ special files and endless input

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
@pytest.mark.parametrize("name", ["run.csv", "trainer_state.json", "events.out.tfevents.1"])
def test_a_fifo_as_the_log_is_refused_at_once(run_cli, tmp_path, name):
    os.mkfifo(tmp_path / name)
    one_line_error(run_cli, tmp_path / name, "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_as_the_log_is_refused(run_cli, tmp_path):
    one_line_error(run_cli, Path("/dev/zero"), "not a regular file")
    (tmp_path / "metrics.csv").symlink_to("/dev/zero")
    one_line_error(run_cli, tmp_path / "metrics.csv", "not a regular file")


def test_a_missing_file_or_a_name_too_long_is_one_line(run_cli, tmp_path):
    one_line_error(run_cli, tmp_path / "nope.csv", "no such file")
    one_line_error(run_cli, tmp_path / ("n" * 300 + ".csv"), "too long")
    one_line_error(run_cli, tmp_path / ("n" * 300) / "trainer_state.json", "too long")


def test_a_file_without_line_breaks_is_not_read_whole(run_cli, tmp_path):
    (tmp_path / "zeros.csv").write_bytes(b"\x00" * (source.MAX_LINE + 10))
    one_line_error(run_cli, tmp_path / "zeros.csv", "longer than")
    (tmp_path / "long.jsonl").write_text('{"step": 1, "loss": 1}\n{"note": "' + "x" * source.MAX_LINE + '"}\n')
    one_line_error(run_cli, tmp_path / "long.jsonl", "long.jsonl:2", "longer than")


# ------------------------------------------------------------------ compressed logs

@pytest.mark.parametrize("compress, suffix", [(gzip.compress, ".gz"), (bz2.compress, ".bz2"), (lzma.compress, ".xz")])
@pytest.mark.parametrize("name, text", [("run.csv", CSV),
                                        ("run.jsonl", "".join(json.dumps({"step": i, "loss": 1 / i}) + "\n"
                                                              for i in range(1, 40))),
                                        ("trainer_state.json", state([{"step": i, "loss": 1 / i} for i in range(1, 40)]))])
def test_compressed_logs_read_as_their_plain_text(tmp_path, compress, suffix, name, text):
    plain, packed = tmp_path / name, tmp_path / (name + suffix)
    plain.write_text(text)
    packed.write_bytes(compress(text.encode()))
    a, b = analyze(plain), analyze(packed)
    assert (a.format, a.rows, a.curves) == (b.format, b.rows, b.curves)


def test_compression_is_recognised_by_content_not_name(tmp_path):
    (tmp_path / "run.csv").write_bytes(gzip.compress(CSV.encode()))
    assert analyze(tmp_path / "run.csv").rows == 59


def test_unsupported_or_corrupt_compression_is_one_line(run_cli, tmp_path):
    with zipfile.ZipFile(tmp_path / "run.zip", "w") as archive:
        archive.writestr("run.csv", CSV)
    one_line_error(run_cli, tmp_path / "run.zip", "zip-compressed", "cannot read")
    (tmp_path / "run.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    one_line_error(run_cli, tmp_path / "run.csv.zst", "zstd-compressed")
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(CSV.encode() * 50)[:200])
    one_line_error(run_cli, tmp_path / "cut.csv.gz", "cut.csv.gz")
    (tmp_path / "junk.csv.gz").write_bytes(b"\x1f\x8b" + os.urandom(300))
    one_line_error(run_cli, tmp_path / "junk.csv.gz", "junk.csv.gz")


# ------------------------------------------------------------------ trainer_state.json

def test_deeply_nested_trainer_state_is_one_line(run_cli, tmp_path):
    path = tmp_path / "trainer_state.json"
    path.write_text('{"log_history": [' + "[" * 2000 + "]" * 2000 + "]}")
    one_line_error(run_cli, path, "nested too deeply")
    path.write_text('{"log_history": [{"step": 1, "loss": ' + '{"a": ' * 2000 + "1" + "}" * 2000 + "}]}")
    one_line_error(run_cli, path, "nested too deeply")


@pytest.mark.parametrize("text, words", [
    ("", ["no `log_history`"]),
    ("[]", ["no logged values"]),
    ('{"log_history": {}}', ["no `log_history`"]),
    ('{"a": 1}', ["no `log_history`"]),
    ('{"global_step": 3, "epoch": 1.0}', ["no `log_history`"]),
    ('{"log_history": [{"step": 1, "loss": 1}], "log_history": []}', ["given twice"]),
    ('{"log_history": [{"step": 1, "loss": 1}]} trailing', ["extra data"]),
    ('{"log_history": [{"step": 1, "loss": 1},\n {"step": 2, "loss": }]}', [":2:", "not valid JSON"]),
    ('{"log_history": [{"step": 1, "loss": 1}', ["not valid JSON"]),
    ('{"log_history": [{"step": 1, "loss": 1' + "0" * 5000 + "}]}", ["not valid JSON"]),
    ('{"log_history": [{"step": 1, "loss": [1, 2]}]}', ["holds a list, not a number"]),
])
def test_broken_trainer_states_are_one_line(run_cli, tmp_path, text, words):
    path = tmp_path / "trainer_state.json"
    path.write_text(text)
    one_line_error(run_cli, path, *words)


def test_trainer_state_streams_in_the_memory_of_one_entry(tmp_path):
    path = tmp_path / "trainer_state.json"
    entries = [{"epoch": i / 100, "grad_norm": 1.5, "learning_rate": 1e-4, "loss": 2 - i / 1e5, "step": i}
               for i in range(1, 40_000)]
    path.write_text(state(entries))  # ~5 MB; json.load holds the text and ~40,000 dicts at once
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_log(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == len(entries)
    assert peak < path.stat().st_size / 4, peak


_ENTRY = st.fixed_dictionaries({"step": st.integers(0, 10**6)}, optional={
    "loss": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**400, 10**400), st.none()),
    "eval_loss": st.floats(0, 10), "note": st.text(max_size=12),
    "nested": st.recursive(st.integers(), lambda inner: st.lists(inner, max_size=3), max_leaves=5)})


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(_ENTRY, max_size=12), indent=st.sampled_from([None, 0, 2]),
       extra=st.dictionaries(st.sampled_from(["a", "best_metric", "stateful_callbacks"]),
                             st.recursive(st.text(max_size=5), lambda inner: st.dictionaries(st.text(max_size=3), inner,
                                                                                              max_size=2)),
                             max_size=3),
       chunk=st.sampled_from([1, 3, 7, 64]))
def test_streamed_log_history_is_what_json_load_reads(tmp_path_factory, entries, indent, extra, chunk):
    text = json.dumps({**extra, "log_history": entries, "z": [1, {"b": None}]}, indent=indent)
    path = tmp_path_factory.mktemp("state") / "trainer_state.json"
    path.write_text(text)
    old, jsonstream.Scanner.CHUNK = jsonstream.Scanner.CHUNK, chunk  # force values across chunk edges
    try:
        with source.open_text(path) as handle:
            runs = list(hf_trainer._objects(jsonstream.Scanner(handle, path)))
    finally:
        jsonstream.Scanner.CHUNK = old
    expected = json.loads(text)["log_history"]
    streamed = [(line, entry) for line, entries, run in runs
                for line, entry in (jsonstream.lines_of(run, line) if run is not None else [(line, entries[0])])]
    assert all(len(entries) == 1 for _, entries, run in runs if run is None)
    assert json.dumps([entries for _, entries, _ in runs]) == json.dumps(  # each run decoded as its text says
        [[e for _, e in jsonstream.lines_of(run, line)] if run is not None else entries for line, entries, run in runs])
    assert json.dumps([e for _, e in streamed]) == json.dumps(expected)  # NaN compares equal as text
    for line, entry in streamed:  # each entry's line is where it starts
        assert line == 1 if indent is None else text.splitlines()[line - 1].lstrip().startswith("{")


_RECORD = st.fixed_dictionaries({}, optional={
    "step": st.one_of(st.integers(0, 10**4), st.floats(0, 1e4), st.just(float("nan"))),
    "epoch": st.floats(0, 10), "loss": st.one_of(st.floats(0, 10), st.integers(0, 3), st.none(), st.just(math.inf)),
    "train_loss": st.floats(0, 10), "eval_loss": st.floats(0, 10), "grad_norm": st.floats(0, 5),
    "learning_rate": st.one_of(st.floats(0, 1e-2), st.booleans()), "grad_norm/fc.weight": st.floats(0, 1),
    "note": st.sampled_from(["x", "1.5"]), "eval_runtime": st.floats(0, 9)})


_TRAINING = st.fixed_dictionaries({"step": st.integers(0, 10**4), "epoch": st.floats(0, 10), "loss": st.floats(0, 10),
                                   "grad_norm": st.floats(0, 5), "learning_rate": st.floats(0, 1e-2)})
_EVALUATION = st.fixed_dictionaries({"step": st.integers(0, 10**4), "epoch": st.floats(0, 10),
                                     "eval_loss": st.floats(0, 10), "eval_runtime": st.floats(0, 9)})


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.one_of(st.lists(st.one_of(*[_TRAINING] * 4, _EVALUATION), max_size=60),
                         st.lists(st.one_of(*[_TRAINING] * 8, _EVALUATION, _EVALUATION, _RECORD, st.integers()),
                                  max_size=60)),
       block=st.sampled_from([1, 3, 7]), chunk=st.sampled_from([64, 1024, 1 << 16]))
def test_log_history_read_column_by_column_is_what_entry_by_entry_reads(tmp_path_factory, entries, block, chunk):
    # runs of plain entries take the column path, any other run the entry-by-entry one: the same records
    # (merged as merge.blocks merges them), or the same error naming the same line
    from advisor.logs import merge, plain

    text = json.dumps({"log_history": entries}, indent=2)
    path = tmp_path_factory.mktemp("state") / "trainer_state.json"
    path.write_text(text)
    old, jsonstream.Scanner.CHUNK = jsonstream.Scanner.CHUNK, chunk
    try:
        columnar = _outcome(lambda: list(hf_trainer.read(path, block=block)))
    finally:
        jsonstream.Scanner.CHUNK = old
    lines = [n + 1 for n, row in enumerate(text.splitlines())  # where each entry starts, 4 spaces in
             if row.startswith("    ") and row[4] not in " }"]
    pairs = list(zip(lines, json.loads(text)["log_history"]))
    each = _outcome(lambda: list(merge.blocks(plain.records_from_objects(pairs, path), block) if block > 1
                                 else plain.records_from_objects(pairs, path)))
    assert json.dumps(columnar, sort_keys=True) == json.dumps(each, sort_keys=True)


def _outcome(read):
    try:
        return read()
    except InputError as exc:
        return str(exc)


# ------------------------------------------------------------------ odd values and odd bytes

def test_huge_numbers_read_as_infinite_and_nan_cells_are_kept(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 1' + "0" * 400 + "}\n"
                    '{"step": 3, "loss": -1' + "0" * 400 + '}\n{"step": 4, "loss": NaN}\n')
    assert [r.get("loss") for r in read_log(path)][1:3] == [math.inf, -math.inf]
    path = tmp_path / "run.csv"
    path.write_text("step,loss\n1,0.5\n2,1e999\n3,nan\n4,-inf\n5,1" + "0" * 400 + "\n")
    losses = [r["loss"] for r in read_log(path)]
    assert losses[1] == math.inf and math.isnan(losses[2]) and losses[3] == -math.inf and losses[4] == math.inf


def test_a_non_finite_step_is_one_line(run_cli, tmp_path):
    (tmp_path / "run.jsonl").write_text('{"step": 1' + "0" * 400 + ', "loss": 1}\n')
    one_line_error(run_cli, tmp_path / "run.jsonl", "step is inf")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xff\xfe\x00\x01" * 50, "步骤,损失\n1,2\n".encode(),
                                  b"step,loss\n" + b"1,\x00\n" * 3, b'{"step": "\xff"}\n', b"\xef\xbb\xbf",
                                  b"step;loss\n1;2\n", b"{" * 3000, b"[" * 3000])
@pytest.mark.parametrize("name", ["run.csv", "run.jsonl", "trainer_state.json", "run.log"])
def test_odd_bytes_are_one_line_or_an_analysis(run_cli, tmp_path, data, name):
    (tmp_path / name).write_bytes(data)
    code, out, err = run_cli("diagnose", "--log", tmp_path / name)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 1) or (code == 2 and err.count("\n") == 1), err


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(["step", "loss", "val_loss", "epoch", ",", "\t", ";", "\n", "\r", '"', "{", "}",
                                      "[", "]", ":", "1", "-2.5", "1e999", "nan", "NaN", "inf", "é", "\x00",
                                      '"log_history"', "null", "1" * 400]), max_size=40).map("".join),
       name=st.sampled_from(["run.csv", "run.jsonl", "trainer_state.json", "run.csv.gz"]))
def test_random_text_in_any_format_is_an_input_error_or_an_analysis(tmp_path_factory, text, name):
    path = tmp_path_factory.mktemp("log") / name
    data = text.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    try:
        analysis = analyze(path)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert analysis.rows >= 1
