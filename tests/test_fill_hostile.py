"""`advisor fill` against hostile configs and hostile places to write, as a user would meet them.

Every failure is one stderr line and exit 2; the user's file keeps its bytes; no temporary file stays.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import fill as filler
from advisor.errors import AdvisorError
from advisor.fill import formats, writing

SETUP = ["--gpu", "a10g", "--model-params", "350M", "--batch-size", "32", "--fine-tuning", "full", "--gpus", "4"]
YAML = "# run\nfp16: auto\nbf16: auto\nlr: 2e-05\n"
FILLED = "# run\nfp16: false\nbf16: true\nlr: 2e-05\n"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def one_line_error(code: int, err: str, *words: str) -> None:
    """Exit 2 and one error line (the last; a write failure follows the line saying what was filled)."""
    assert code == 2, err
    lines = err.splitlines()
    assert "Traceback" not in err and lines and lines[-1].startswith("advisor: error: "), err
    assert sum(line.startswith("advisor: error: ") for line in lines) == 1, err
    for word in words:
        assert word in lines[-1], (word, err)


def only(folder: Path, *names: str) -> None:
    """No temporary file (or anything else) left beside the user's files."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(YAML)
    return path


# ------------------------------------------------------------------ where the output goes

def test_output_a_folder_missing_folder_or_under_a_file(run_cli, config, tmp_path):
    (tmp_path / "out").mkdir()
    code, out, err = run_cli("fill", config, *SETUP, "-o", tmp_path / "out")
    one_line_error(code, err, "out", "folder")
    code, out, err = run_cli("fill", config, *SETUP, "-o", tmp_path / "missing" / "x.yaml")
    one_line_error(code, err, "x.yaml", "does not exist")
    code, out, err = run_cli("fill", config, *SETUP, "-o", config / "x.yaml")
    one_line_error(code, err, "x.yaml", "not a folder")
    assert config.read_text() == YAML
    only(tmp_path, "train.yaml", "out")
    only(tmp_path / "out")


def test_output_a_device_is_refused(run_cli, config, tmp_path):
    code, out, err = run_cli("fill", config, *SETUP, "-o", os.devnull)
    one_line_error(code, err, os.devnull, "not a regular file")


@pytest.mark.skipif(ROOT or os.name != "posix", reason="root may write anywhere")
def test_read_only_target_and_read_only_folder(run_cli, config, tmp_path):
    config.chmod(0o444)
    code, out, err = run_cli("fill", config, *SETUP, "--in-place")
    one_line_error(code, err, "train.yaml", "read-only")
    config.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        code, out, err = run_cli("fill", config, *SETUP, "--in-place")
        one_line_error(code, err, "train.yaml", "permission denied")
    finally:
        tmp_path.chmod(0o755)
    assert config.read_text() == YAML
    only(tmp_path, "train.yaml")


@pytest.mark.parametrize("code_, words", [("ENOSPC", "no space left"), ("EDQUOT", "quota"), ("EIO", "error")])
def test_a_failing_disk_is_one_line_and_the_original_stays(run_cli, config, tmp_path, monkeypatch, code_, words):
    import errno

    def failing(fd, data):
        raise OSError(getattr(errno, code_), os.strerror(getattr(errno, code_)))

    monkeypatch.setattr(os, "write", failing)
    code, out, err = run_cli("fill", config, *SETUP, "--in-place")
    one_line_error(code, err, "train.yaml", words)
    assert config.read_text() == YAML
    only(tmp_path, "train.yaml")


@pytest.mark.skipif(not hasattr(os, "setrlimit") and sys.platform != "linux", reason="needs ulimit -f")
def test_file_size_limit_is_one_line_and_the_original_stays(tmp_path):
    import resource

    config = tmp_path / "train.yaml"
    config.write_text(YAML + "".join(f"key_{i}: {i}\n" for i in range(2000)))
    before = config.read_bytes()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run([sys.executable, "-m", "advisor", "fill", str(config), *SETUP, "--in-place"],
                          capture_output=True, text=True, preexec_fn=limit, timeout=120)
    one_line_error(proc.returncode, proc.stderr, "train.yaml", "file-size limit")
    assert config.read_bytes() == before
    only(tmp_path, "train.yaml")


# ------------------------------------------------------------------ links, owner, mode

@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_in_place_writes_through_a_symlink(run_cli, config, tmp_path):
    link = tmp_path / "link.yaml"
    link.symlink_to(config.name)
    config.chmod(0o640)
    code, out, err = run_cli("fill", link, *SETUP, "--in-place")
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "train.yaml"
    assert config.read_text() == FILLED and stat.S_IMODE(config.stat().st_mode) == 0o640
    only(tmp_path, "train.yaml", "link.yaml")


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_output_through_a_dangling_symlink_or_a_loop(run_cli, config, tmp_path):
    (tmp_path / "dangling.yaml").symlink_to("made.yaml")
    assert run_cli("fill", config, *SETUP, "-o", tmp_path / "dangling.yaml")[0] == 0
    assert (tmp_path / "made.yaml").read_text() == FILLED
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    code, out, err = run_cli("fill", config, *SETUP, "-o", tmp_path / "a.yaml")
    one_line_error(code, err, "a.yaml", "symbolic links")


@pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")
def test_a_file_with_hard_links_is_refused(run_cli, config, tmp_path):
    os.link(config, tmp_path / "other.yaml")
    code, out, err = run_cli("fill", config, *SETUP, "--in-place")
    one_line_error(code, err, "train.yaml", "2 hard links")
    assert config.read_text() == YAML and (tmp_path / "other.yaml").read_text() == YAML
    only(tmp_path, "train.yaml", "other.yaml")


@pytest.mark.skipif(not ROOT, reason="giving a file to another user needs root")
def test_in_place_keeps_owner_and_group(run_cli, config):
    os.chown(config, 4321, 4322)
    assert run_cli("fill", config, *SETUP, "--in-place")[0] == 0
    info = config.stat()
    assert (info.st_uid, info.st_gid) == (4321, 4322) and config.read_text() == FILLED


@pytest.mark.skipif(ROOT or not hasattr(os, "fchown"), reason="root may give files away")
def test_owner_that_cannot_be_kept_refuses(config, monkeypatch):
    real = os.fstat

    def other_owner(fd):  # as if the original belonged to someone else: our temp file must then be chowned
        info = real(fd)
        return os.stat_result((info.st_mode, info.st_ino, info.st_dev, info.st_nlink, info.st_uid + 1,
                               info.st_gid, info.st_size, info.st_atime, info.st_mtime, info.st_ctime))

    monkeypatch.setattr(os, "fstat", other_owner)
    with pytest.raises(AdvisorError, match="cannot keep|belongs to user"):
        filler.write_atomic(config, FILLED)
    assert config.read_text() == YAML


# ------------------------------------------------------------------ a fill killed mid-write

_KILLED_MID_WRITE = """
import os, signal, sys
from advisor import cli
os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)  # killed after the write, before the rename
cli.main(sys.argv[1:])
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and advisory locks")
def test_a_leftover_of_a_killed_fill_is_recognisable_and_removed(run_cli, config, tmp_path):
    proc = subprocess.run([sys.executable, "-c", _KILLED_MID_WRITE, "fill", str(config), *SETUP, "--in-place"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "train.yaml"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".train.yaml.advisor-fill-"), leftovers
    assert config.read_text() == YAML
    assert run_cli("fill", config, *SETUP, "--in-place")[0] == 0
    assert config.read_text() == FILLED
    only(tmp_path, "train.yaml")


@pytest.mark.skipif(os.name != "posix", reason="advisory locks")
def test_a_temporary_file_in_use_is_left_alone(run_cli, config, tmp_path):
    import fcntl

    busy = tmp_path / f".train.yaml{writing.TEMP_TAG}busy.tmp"
    busy.write_text("half")
    with open(busy) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a fill running in another process holds it
        assert run_cli("fill", config, *SETUP, "--in-place")[0] == 0
        assert busy.read_text() == "half"
    only(tmp_path, "train.yaml", busy.name)


# ------------------------------------------------------------------ hostile configs

@pytest.mark.parametrize("name, text, words", [
    ("dup.json", '{"fp16": "auto", "fp16": false}', ["fp16", "twice"]),
    ("dup_nested.json", '{"a": {"fp16": 1, "fp16": "auto"}}', ["a.fp16", "twice"]),
    ("dup.yaml", "fp16: auto\nbf16: 1\nfp16: false\n", ["fp16", ":3", "twice"]),
    ("dup.toml", 'fp16 = "auto"\nfp16 = false\n', ["fp16"]),
    ("deep.json", '{"a": ' * 2000 + "1" + "}" * 2000, ["nested"]),
    ("deep100.json", '{"a": ' * 100 + "1" + "}" * 100, ["nested deeper than"]),
    ("deep.yaml", "a: " + "[" * 2000 + "]" * 2000, ["nest"]),
    ("deep100.yaml", "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "fp16: auto\n",
     ["nested deeper than"]),
    ("deep.toml", "a = " + "[" * 2000 + "]" * 2000, ["nested"]),
    ("digits.json", '{"lr": 1' + "0" * 5000 + "}", ["not valid JSON"]),
    ("digits.yaml", "lr: 1" + "0" * 5000 + "\n", ["cannot read"]),
    ("docs.yaml", "fp16: auto\n---\nbf16: auto\n", ["2 YAML documents"]),
    ("anchor.yaml", "x: &a auto\nfp16: *a\n", ["write auto as a plain"]),
    ("tag.yaml", "fp16: !!python/object:os.system auto\n", ["write auto as a plain"]),
    ("block.yaml", "fp16: |\n  auto\n", ["write auto as a plain"]),
    ("alias.yaml", "fp16: *nowhere\n", ["alias"]),
    ("nul.yaml", "fp16: auto\x00\n", ["not valid YAML"]),
    ("list.json", "[1, 2]", ["JSON object"]),
    ("bad.json", '{"fp16": auto}', ["not valid JSON"]),
])
def test_hostile_config_is_one_line_and_untouched(run_cli, tmp_path, name, text, words):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    code, out, err = run_cli("fill", path, *SETUP, "--in-place")
    one_line_error(code, err, *words)
    assert path.read_bytes() == text.encode("utf-8")
    only(tmp_path, name)


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n", "\x85", "\u2028"])
def test_any_yaml_line_break_fills_only_the_autos(run_cli, tmp_path, newline):
    path = tmp_path / "c.yaml"
    path.write_bytes(newline.join(["# c", "fp16: auto", "bf16: 'auto'", "n: 1", ""]).encode("utf-8"))
    code, out, err = run_cli("fill", path, *SETUP)
    assert code == 0, err
    assert out == newline.join(["# c", "fp16: false", "bf16: true", "n: 1", ""])


def test_a_byte_order_mark_and_non_ascii_keys_stay(run_cli, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("\ufeff# 训练 😀\nnote: é😀\nfp16: auto\n".encode())
    assert run_cli("fill", path, *SETUP, "--in-place")[0] == 0
    assert path.read_bytes() == "\ufeff# 训练 😀\nnote: é😀\nfp16: false\n".encode()
    path = tmp_path / "c.json"
    path.write_bytes('\ufeff{"note": "😀", "fp16": "auto"}'.encode())
    assert run_cli("fill", path, *SETUP, "--in-place")[0] == 0
    assert path.read_bytes() == '\ufeff{"note": "😀", "fp16": false}'.encode()


def test_json_nan_and_infinity_are_kept_and_reported(run_cli, tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"fp16": NaN, "x": -Infinity, "bf16": "auto"}')
    code, out, err = run_cli("fill", path, *SETUP)
    assert code == 0, err
    assert out == '{"fp16": NaN, "x": -Infinity, "bf16": true}'
    assert "fp16 = nan is not a valid value" in err


def test_anchors_aliases_and_merge_keys_are_read_once(run_cli, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("base: &base\n  fp16: auto\n  lr: 0.001\nrun:\n  <<: *base\n  bf16: auto\nother: *base\n")
    code, out, err = run_cli("fill", path, *SETUP)
    assert code == 0, err
    assert out == "base: &base\n  fp16: false\n  lr: 0.001\nrun:\n  <<: *base\n  bf16: true\nother: *base\n"
    assert yaml.safe_load(out)["run"]["fp16"] is False


def test_billion_laughs_is_read_without_expanding(tmp_path):
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")]
    doc = formats.parse("\n".join(lines + ["fp16: auto", ""]), "yaml", "c.yaml")
    assert len(doc.leaves) == 2 and doc.leaves[("fp16",)] == "auto"  # 9**9 expanded leaves would be 387M


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_or_a_device_as_the_config(run_cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    code, out, err = run_cli("fill", tmp_path / "pipe.yaml", *SETUP)
    one_line_error(code, err, "pipe.yaml", "not a regular file")
    if os.path.exists("/dev/zero"):
        (tmp_path / "zero.yaml").symlink_to("/dev/zero")
        code, out, err = run_cli("fill", tmp_path / "zero.yaml", *SETUP)
        one_line_error(code, err, "zero.yaml", "not a regular file")


def test_a_large_config_fills_every_auto(run_cli, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("".join(f"section_{i}:\n  name: run {i}\n  items: [1, 2]\n  fp16: auto\n" for i in range(20000)))
    code, out, err = run_cli("fill", path, *SETUP)
    assert code == 0 and "filled 20000 values" in err
    assert out.count("fp16: false") == 20000 and "auto" not in out


# ------------------------------------------------------------------ random text, random configs

def _fill_or_refuse(text: str, kind: str) -> None:
    setup = {"gpu": "a10g", "gpu_mem_gb": 24.0, "model_params": 350_000_000}
    try:
        result = filler.fill_text(text, kind, setup, where=f"c.{kind}")
    except AdvisorError as exc:
        assert "\n" not in str(exc)
        return
    if not result.filled:
        assert result.text == text  # an unchanged file comes back byte for byte


_TEXT = st.lists(st.sampled_from(list("{}[]:,-#&*!|>'\"\\ \t\r\n\ufeff\x85") + ["auto", "fp16", "1e9", "NaN",
                                                                               "[[a]]", "= ", "é", "\x00"]),
                max_size=40).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, kind=st.sampled_from(["yaml", "json", "toml"]))
def test_random_text_is_filled_or_refused_in_one_line(text, kind):
    _fill_or_refuse(text, kind)


_KEYS = st.sampled_from(["fp16", "bf16", "lr", "note", "é", "a b", "<<", "auto", "0"])
_SCALARS = st.one_of(st.just("auto"), st.just("AUTO"), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.none())
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(_KEYS, inner, max_size=3)), max_leaves=12)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.dictionaries(_KEYS, _TREES, max_size=4), kind=st.sampled_from(["yaml", "json"]),
       flow=st.booleans())
def test_random_configs_keep_every_value_but_the_autos(tree, kind, flow):
    text = json.dumps(tree, indent=None if flow else 2) if kind == "json" else \
        yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    setup = {"gpu": "a10g", "gpu_mem_gb": 24.0, "model_params": 350_000_000}
    try:
        result = filler.fill_text(text, kind, setup, where=f"c.{kind}", family="plain")
    except AdvisorError as exc:
        assert "cannot fill" in str(exc) and "\n" not in str(exc)  # an auto on a key advisor has no value for
        return
    after = json.loads(result.text) if kind == "json" else yaml.safe_load(result.text)
    filled = dict(result.filled)

    def same(before, now, path):
        if isinstance(before, dict):
            assert list(before) == list(now)
            for key in before:
                same(before[key], now[key], path + (key,))
        elif isinstance(before, list) and not all(formats._is_scalar(v) for v in before):
            assert len(before) == len(now)
            for i, (b, n) in enumerate(zip(before, now)):
                same(b, n, path + (i,))
        elif formats.dotted(path) in filled:
            assert formats.is_auto(before) and now == filled[formats.dotted(path)]
        else:
            assert now == before or (before != before and now != now)

    same(tree, after, ())
