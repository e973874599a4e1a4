"""Command-line conventions a user expects of any tool: --version, -h, completion, help at any width,
exit codes, a closed pipe, any stdout encoding, and never a Python traceback for what they typed."""

import inspect
import io
import json
import os
import subprocess
import sys

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

import advisor
from advisor import cli
from advisor.cli import core

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _commands(command, path=()):
    """(argv prefix, click command) for the app, every group and every command."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(cli.app)))


def test_each_command_starts_with_only_its_own_module():
    # `main` imports the module COMMANDS names for the first word, so that table must name every
    # command of the whole app, and the module that really registers it
    top = COMMANDS[()]
    assert set(cli.COMMANDS) == set(top.commands)
    for name, module in cli.COMMANDS.items():
        callback = top.commands[name].callback or next(iter(top.commands[name].commands.values())).callback
        assert callback.__module__ == f"advisor.cli.{module}", name
    probe = ("import sys\nfrom advisor import cli\ncode = cli.main(sys.argv[1:])\n"
             "print(sorted(m for m in sys.modules if m.startswith('advisor.cli.')), code)")
    run = subprocess.run([sys.executable, "-c", probe, "imbalance", "--imbalance", "1:20", "--format", "json"],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert run.stdout.rstrip().endswith("['advisor.cli.command', 'advisor.cli.core', 'advisor.cli.memory', "
                                        "'advisor.cli.stdout'] 0"), run.stdout + run.stderr


def test_version(run_cli):
    assert run_cli("--version") == (0, f"advisor {advisor.__version__}\n", "")


@pytest.mark.parametrize("prefix", list(COMMANDS), ids=" ".join)
def test_dash_h_is_help_on_every_command(run_cli, prefix):
    code, out, err = run_cli(*prefix, "-h")
    assert code == 0 and err == "" and out.startswith(f"Usage: advisor {' '.join(prefix)}".rstrip())
    assert run_cli(*prefix, "--help") == (0, out, "")


@pytest.mark.parametrize("prefix", [(), ("rules",)])
def test_a_bare_group_prints_its_help_and_exits_0(run_cli, prefix):
    code, out, err = run_cli(*prefix)
    assert code == 0 and err == ""
    assert out == run_cli(*prefix, "--help")[1]


def test_shell_completion_is_offered(run_cli, monkeypatch):
    code, out, err = run_cli("--show-completion", "bash")
    assert code == 0 and "_advisor_completion" in out, (code, out, err)
    # what the installed script asks: the words so far, and the completions
    monkeypatch.setenv("_ADVISOR_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "advisor diagnose --form")
    monkeypatch.setenv("COMP_CWORD", "2")
    code, out, _ = run_cli()
    assert code == 0 and out.split() == ["--format"]


def _options(command):
    return [opt for param in command.params for opt in (*param.opts, *param.secondary_opts)
            if opt.startswith("-") and not param.hidden]


@pytest.mark.parametrize("columns", [60, 80, 120])
@pytest.mark.parametrize("prefix", list(COMMANDS), ids=" ".join)
def test_help_is_whole_and_fits_the_terminal(run_cli, monkeypatch, prefix, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run_cli(*prefix, "--help")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns
    command = COMMANDS[prefix]
    words = out.split()
    for option in _options(command):  # every flag whole: not `--gradient-checkpoin…`
        assert option in words or f"{option}," in words, option
    assert "{" not in out.splitlines()[0]  # usage says CONFIG, not typer's {config}
    if "--setup" in _options(command):
        assert "[tool.advisor]" in out  # not eaten as markup


def test_help_never_breaks_a_name_at_its_hyphen(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    _, out, _ = run_cli("diagnose", "--help")
    assert not any(line.rstrip().endswith("-") and not line.strip().startswith("-") for line in out.splitlines())
    assert "minority-class-ignored" in out.split() or "minority-class-ignored," in out.split()


def test_fill_usage_names_its_argument_in_capitals(run_cli):
    _, out, _ = run_cli("fill", "--help")
    assert out.startswith("Usage: advisor fill [OPTIONS] CONFIG\n")


def test_fail_on_says_how_many_findings_at_which_severity(run_cli):
    code, out, _ = run_cli("diagnose", "--imbalance", "1:20", "--format", "json")
    advice = json.loads(out)["advice"]
    high = sum(item["severity"] == "high" for item in advice)
    assert high >= 2
    code, _, err = run_cli("diagnose", "--imbalance", "1:20", "--format", "json", "--fail-on", "high")
    assert code == 1
    assert err == f"advisor: {high} advice items at or above severity high (--fail-on high): exit 1\n"
    code, _, err = run_cli("diagnose", "--imbalance", "1:20", "--format", "json", "--fail-on", "high", "--exit-zero")
    assert code == 0 and err == ""


def _advisor(*args, stdout, env=None):
    return subprocess.run([sys.executable, "-m", "advisor", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize("args", [["diagnose", "--imbalance", "1:20"], ["diagnose", "--imbalance", "1:20",
                                  "--format", "json"], ["rules", "list"], ["--help"]], ids=" ".join)
def test_a_closed_pipe_exits_141_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: `advisor … | head -0`
    try:
        result = _advisor(*args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def _run_on(encoding, argv, monkeypatch):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding)  # errors="strict", as PYTHONIOENCODING=ascii gives
    monkeypatch.setattr(sys, "stdout", stream)
    code = cli.main(argv)
    stream.flush()
    return code, raw.getvalue()


def test_json_on_an_ascii_stdout_is_escaped_and_the_same_data(run_cli, monkeypatch):
    argv = ["diagnose", "--imbalance", "1:20", "--format", "json"]
    _, utf8, _ = run_cli(*argv)
    assert any(ord(c) > 127 for c in utf8)  # the case at stake: there is something to escape
    code, data = _run_on("ascii", argv, monkeypatch)
    assert code == 0 and json.loads(data.decode("ascii")) == json.loads(utf8)


TEXT_COMMANDS = [["diagnose", "--imbalance", "1:20"], ["diagnose", "--imbalance", "1:20", "--format", "markdown"],
                 ["rules", "list"], ["rules", "show", "IMB001"]]


@pytest.mark.parametrize("argv", TEXT_COMMANDS, ids=" ".join)
def test_text_on_an_ascii_stdout_degrades_without_a_traceback(monkeypatch, capsys, argv):
    code, data = _run_on("ascii", argv, monkeypatch)
    assert code == 0 and data.strip()
    assert capsys.readouterr().err == ""


def test_every_json_output_on_an_ascii_stdout(monkeypatch):
    for argv in (["schema"], ["rules", "list", "--format", "json"], ["diagnose", "--imbalance", "1:20", "--format",
                                                                       "sarif"]):
        code, data = _run_on("ascii", argv, monkeypatch)
        assert code == 0 and json.loads(data.decode("ascii"))


def test_pythonioencoding_ascii_end_to_end():
    result = _advisor("diagnose", "--imbalance", "1:20", "--format", "json", stdout=subprocess.PIPE,
                      env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["advice"]


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=200, derandomize=True)
@given(_JSON, st.sampled_from(["ascii", "latin-1", "cp1252"]))
def test_the_json_escape_keeps_any_json_the_same(value, encoding):
    text = json.dumps(value, ensure_ascii=False)
    assert json.loads(text.encode(encoding, "advisor-json").decode(encoding)) == value


def test_a_huge_value_is_not_echoed_whole(run_cli):
    for argv in (["diagnose", "--gpu-mem", "9" * 100_000], ["diagnose", "--" + "x" * 100_000]):
        code, out, err = run_cli(*argv)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert len(err) <= core.MESSAGE_LIMIT + 20


def test_an_internal_error_is_one_line_asking_for_a_report(run_cli, monkeypatch):
    from advisor.render import catalog

    def broken():
        raise KeyError("a bug")

    monkeypatch.setattr(catalog, "fact_rows", broken)
    code, out, err = run_cli("facts")
    assert code == core.EXIT_INTERNAL == 70 and out == ""
    assert err.count("\n") == 1 and "internal error: KeyError" in err and "report" in err
    assert "Traceback" not in err
    monkeypatch.setenv("ADVISOR_DEBUG", "1")
    code, _, err = run_cli("facts")
    assert code == 70 and "Traceback" in err and err.endswith("ADVISOR_DEBUG=1 shows the traceback)\n")


def test_only_declares_the_named_setup_flags():
    def command(setup_values: dict) -> dict:
        return setup_values

    wrapped = core._with_setup_options(only=("gpu", "model"))(command)
    assert list(inspect.signature(wrapped).parameters) == ["gpu", "model"]
    assert wrapped(gpu="t4", model=None) == {"gpu": "t4", "model": None}
    with pytest.raises(ValueError, match="gpu_memory"):
        core._with_setup_options(only=("gpu_memory",))(command)


_ARGS = st.lists(st.sampled_from(["diagnose", "rules", "list", "show", "facts", "memory", "imbalance", "schema",
                                  "fill", "-h", "--version", "--format", "json", "x", "", "--", "-", "--top",
                                  "0", "--setup", "/dev/null", "--rules", "/nonexistent", "\udcff", "é" * 3]),
                 max_size=5)


@settings(max_examples=80, derandomize=True, deadline=None)
@given(_ARGS)
def test_random_command_lines_end_in_a_known_exit_code(argv):
    out, err = io.StringIO(), io.StringIO()
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(argv)
    finally:
        sys.stdout, sys.stderr = real
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert err.getvalue().count("\n") == 1
