"""Setup files as a user (or a fuzzer) hands them over: special files, huge and deep ones, duplicate keys,
a pyproject.toml that is not ours, and discovery from a subfolder with a note saying which file was used."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.setup import setupfile


def _one_line_error(code, out, err, *needles):
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(run_cli, tmp_path):
    fifo = tmp_path / "setup.yaml"
    os.mkfifo(fifo)
    _one_line_error(*run_cli("diagnose", "--setup", fifo), "--setup", "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_an_endless_device_is_refused_not_read(run_cli, tmp_path):
    link = tmp_path / "setup.json"
    link.symlink_to("/dev/zero")
    _one_line_error(*run_cli("diagnose", "--setup", link), "not a regular file")


def test_a_file_larger_than_any_setup_is_refused_before_parsing(run_cli, tmp_path):
    big = tmp_path / "setup.yaml"
    big.write_text("gpu: t4\n" + "# padding\n" * (setupfile.SIZE_LIMIT // 10 + 1))
    _one_line_error(*run_cli("diagnose", "--setup", big), "setup.yaml", "MiB")


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"a": ' * 2000 + "1" + "}" * 2000),
    (".json", "[" * 2000 + "]" * 2000),
    (".toml", "a = " + "[" * 2000 + "]" * 2000),
    (".toml", "a = " + "{b = " * 2000 + "1" + "}" * 2000),
    (".yaml", "a: " + "[" * 2000 + "]" * 2000),
])
def test_deep_nesting_is_one_line_naming_the_file(run_cli, tmp_path, suffix, text):
    path = tmp_path / f"setup{suffix}"
    path.write_text(text)
    _one_line_error(*run_cli("diagnose", "--setup", path), f"setup{suffix}")


@pytest.mark.parametrize("text, key", [
    ('{"gpu_mem_gb": 8, "gpu_mem_gb": 24}', "gpu_mem_gb"),
    ('{"rules": {"x": 1, "x": 2}}', "x"),
])
def test_a_json_key_given_twice_is_refused_naming_it(run_cli, tmp_path, text, key):
    path = tmp_path / "setup.json"
    path.write_text(text)
    _one_line_error(*run_cli("diagnose", "--setup", path), f"'{key}'", "twice")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository root (it has .git) with a working folder two levels down."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    work = root / "src" / "train"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return root


@pytest.mark.parametrize("text", ['tool = "x"\n', "tool = [1, 2]\n", '[tool.black]\nline-length = 100\n',
                                  '[project]\nname = "x"\n', "tool = {advisor = }\n", "\x00\xff", "[" * 3000])
def test_a_pyproject_that_is_not_ours_means_no_setup_there(run_cli, repo, text):
    (repo / "pyproject.toml").write_text(text)
    code, out, err = run_cli("diagnose", "--imbalance", "1:20", "--format", "json")
    assert code == 0 and err == ""
    assert json.loads(out)["setup"] == {"class_ratio": "1:20"}


def test_an_explicit_pyproject_without_our_table_is_an_error(run_cli, repo):
    (repo / "pyproject.toml").write_text('tool = "x"\n')
    _one_line_error(*run_cli("diagnose", "--setup", repo / "pyproject.toml"), "[tool.advisor]")


def test_the_setup_file_is_found_from_a_subfolder_and_named_on_stderr(run_cli, repo):
    (repo / "advisor.yaml").write_text("class_ratio: '1:20'\n")
    code, out, err = run_cli("diagnose", "--format", "json")
    assert code == 0 and json.loads(out)["setup"]["class_ratio"] == "1:20"  # stdout stays plain JSON
    assert err == f"advisor: setup from {os.path.join('..', '..', 'advisor.yaml')}\n"


def test_precedence_in_one_folder_and_the_others_named_as_ignored(run_cli, repo):
    (repo / "pyproject.toml").write_text('[tool.advisor]\nclass_ratio = "1:4"\n')
    (repo / "advisor.toml").write_text('class_ratio = "1:8"\n')
    (repo / "advisor.yaml").write_text("class_ratio: '1:16'\n")
    expected = [("advisor.yaml", "1:16", "(advisor.toml, pyproject.toml ignored)"),
                ("advisor.toml", "1:8", "(pyproject.toml ignored)"), ("pyproject.toml", "1:4", "")]
    for name, ratio, ignored in expected:
        code, out, err = run_cli("diagnose", "--format", "json")
        assert code == 0 and json.loads(out)["setup"]["class_ratio"] == ratio
        assert err == f"advisor: setup from {os.path.join('..', '..', name)} {ignored}".rstrip() + "\n"
        (repo / name).unlink()
    code, out, err = run_cli("diagnose", "--format", "json")
    assert code == 0 and err == "" and json.loads(out)["setup"] == {}


def test_the_nearest_folder_wins_and_the_search_stops_at_the_repository_root(run_cli, repo):
    (repo.parent / "advisor.yaml").write_text("class_ratio: '1:40'\n")  # above the repository: not this project's
    code, _, err = run_cli("diagnose", "--format", "json")
    assert code == 0 and err == ""
    (repo / "advisor.yaml").write_text("class_ratio: '1:16'\n")
    (repo / "src" / "advisor.toml").write_text('class_ratio = "1:8"\n')
    _, out, err = run_cli("diagnose", "--format", "json")
    assert json.loads(out)["setup"]["class_ratio"] == "1:8"
    assert err == f"advisor: setup from {os.path.join('..', 'advisor.toml')}\n"


def test_a_given_setup_file_is_used_without_a_note(run_cli, repo):
    (repo / "advisor.yaml").write_text("class_ratio: '1:16'\n")
    chosen = repo / "other.json"
    chosen.write_text('{"class_ratio": "1:20"}')
    code, out, err = run_cli("diagnose", "--setup", chosen, "--format", "json")
    assert code == 0 and err == "" and json.loads(out)["setup"] == {"class_ratio": "1:20"}


def test_a_folder_or_fifo_named_like_a_setup_file_is_not_one(run_cli, repo):
    (repo / "advisor.yaml").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(repo / "advisor.toml")
    code, _, err = run_cli("diagnose", "--format", "json")
    assert code == 0 and err == ""


_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=3), max_leaves=10)
_KEYS = st.sampled_from(["gpu", "gpu_mem_gb", "class_ratio", "symptoms", "rules", "model", "$schema", "tool", "x"])


@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_KEYS, _VALUES, max_size=4) | _VALUES, st.sampled_from([".json", ".yaml"]))
def test_random_setup_data_is_accepted_or_one_line(run_cli, tmp_path, data, suffix):
    path = tmp_path / f"setup{suffix}"
    path.write_text(json.dumps(data))  # JSON is YAML too
    code, out, err = run_cli("diagnose", "--setup", path, "--format", "json")
    assert code in (0, 2) and "Traceback" not in err
    if code == 0:
        json.loads(out)
    else:
        assert out == "" and err.count("\n") == 1


@settings(max_examples=80, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from([".json", ".yaml", ".toml"]))
def test_random_bytes_as_a_setup_file_are_one_line_at_worst(run_cli, tmp_path, data, suffix):
    path = tmp_path / f"setup{suffix}"
    path.write_bytes(data)
    code, out, err = run_cli("diagnose", "--setup", path, "--format", "json")
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert out == "" and err.count("\n") == 1
