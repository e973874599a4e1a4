"""Shared test helpers: running the CLI in-process, the built-in rulebook loaded once."""

from __future__ import annotations

import json

import pytest
from advisor import cli


@pytest.fixture
def run_cli(capsys):
    """Run `advisor ARGS`; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def run_json(run_cli):
    def run(*args: str) -> dict:
        code, out, err = run_cli("diagnose", *args, "--format", "json")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def book():
    """The built-in rulebook, parsed once per session: the pipeline's own per-process copy.

    Modules that need it at collection time (to parametrize over its rules) call
    `pipeline.rulebook_for()` themselves and get the same object.
    """
    from advisor import pipeline

    return pipeline.rulebook_for()


@pytest.fixture(autouse=True, scope="session")
def _rule_cache_in_a_temporary_folder(tmp_path_factory):
    """Tests load hundreds of temporary rule files: keep their parsed copies out of the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ADVISOR_CACHE_DIR", str(tmp_path_factory.mktemp("advisor-cache")))
    yield
    mp.undo()


def pytest_terminal_summary(terminalreporter):
    """The snippet suite's count of executed / CPU-variant / compile-only snippets per framework."""
    import sys

    report = sys.modules.get("tests.snippets.report")
    if report is not None and report.lines():
        terminalreporter.write_sep("-", "rule snippets (tests/test_snippets.py)")
        for line in report.lines():
            terminalreporter.write_line(line)
