"""Run every example of README.md and write the output it shows; tests/test_readme.py fails when it is stale.

    python scripts/readme.py                # run the examples, rewrite the shown output in place
    python scripts/readme.py --check        # exit 1 and print the difference when README.md is stale
    python scripts/readme.py command test   # print the README's `test` command (.ci/run runs it)

The README's fenced code blocks run in order, in one scratch folder, at 80 columns (what piped output gets):

- ```console: every `$ ` line runs in bash, `advisor` being the installed command; the lines below it
  are what it printed (stdout and stderr together).
- ```python: runs in a fresh interpreter, after the code of a `<!-- preamble ... -->` comment just above
  it (a stand-in for the reader's training loop: a line saying so, then the code); a ```text block
  right after it, under an `<!-- output -->` comment, is what it printed.
- ```yaml starting with a `# PATH` line: written to PATH; a GitHub workflow (PATH under .github/workflows)
  is also parsed and its `advisor` steps run. A ```python block starting with `# PATH.py` is written too,
  not run: a training script the next examples read.
- ```sh under a `<!-- command NAME -->` comment: an install command, run on a fresh machine by .ci/run.

Any other code block, indented ones included, is an error: an example that nothing runs goes stale.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


README = Path(__file__).resolve().parent.parent / "README.md"
REGENERATE = "python scripts/readme.py"
COLUMNS = 80
TIMEOUT_S = 300
FENCE = re.compile(r"^```(\w*)\s*$")
COMMENT = re.compile(r"<!--\s*(\w+)(.*?)-->", re.S)
WORKFLOWS = ".github/workflows/"


class ReadmeError(Exception):
    """An example that cannot be run as written; the message names its README line."""


@dataclass
class Block:
    lang: str
    first: int  # index of the opening fence line
    last: int  # index of the closing fence line
    body: list[str]
    note: tuple[str, str] | None  # (kind, text) of the `<!-- kind: text -->` comment just above it

    @property
    def line(self) -> int:
        return self.first + 1


@dataclass
class Step:
    """One command or program the README shows, as it ran."""

    kind: str  # console | python | workflow
    command: str
    code: int
    output: str
    line: int


@dataclass
class Run:
    text: str  # README.md with every shown output replaced by this run's
    sandbox: "Sandbox"  # where it ran: usable while the folder given to run() exists
    steps: list[Step] = field(default_factory=list)
    workflow: dict | None = None


# ------------------------------------------------------------------ parsing

def _note_above(lines: list[str], first: int) -> tuple[str, str] | None:
    """The HTML comment that ends on the last non-blank line above a fence, if any."""
    end = first - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0 or not lines[end].rstrip().endswith("-->"):
        return None
    start = end
    while start > 0 and "<!--" not in lines[start]:
        start -= 1
    found = COMMENT.search("\n".join(lines[start:end + 1]))
    return (found.group(1), found.group(2)) if found else None


def blocks(text: str) -> list[Block]:
    lines = text.split("\n")
    found, i, in_list = [], 0, False
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            if lines[i].startswith("    ") and i and not lines[i - 1].strip() and not in_list:
                raise ReadmeError(f"README.md:{i + 1}: an indented code block; use a fenced one with its language "
                                  f"(see {Path(__file__).name})")
            in_list = bool(re.match(r"\s*([-*]|\d+\.)\s", lines[i])) or (in_list and bool(lines[i].strip()))
            i += 1
            continue
        last = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), None)
        if last is None:
            raise ReadmeError(f"README.md:{i + 1}: code block never closed")
        found.append(Block(opening.group(1), i, last, lines[i + 1:last], _note_above(lines, i)))
        i = last + 1
    return found


def commands(text: str) -> dict[str, str]:
    """The install commands of the README, by the NAME of their `<!-- command NAME -->` comment."""
    return {b.note[1].strip(): "\n".join(b.body) for b in blocks(text)
            if b.lang == "sh" and b.note and b.note[0] == "command"}


def _console_commands(block: Block) -> list[str]:
    commands = [line[2:] for line in block.body if line.startswith("$ ")]
    if not commands or not block.body[0].startswith("$ "):
        raise ReadmeError(f"README.md:{block.line}: a console block starts with a `$ ` command line")
    return commands


# ------------------------------------------------------------------ running

class Sandbox:
    """A scratch folder, a home and a clean environment: nothing of the caller's setup leaks into the output."""

    def __init__(self, root: Path):
        self.work = root / "project"
        self.work.mkdir()
        (root / "home").mkdir()
        self.env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")}
        self.env.update(HOME=str(root / "home"), ADVISOR_CACHE_DIR=str(root / "cache"), COLUMNS=str(COLUMNS),
                        PYTHONIOENCODING="utf-8", NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1",
                        PYTHONUNBUFFERED="1")  # stdout and stderr interleaved as a terminal shows them
        self.env["PATH"] = os.pathsep.join([str(self._bin(root)), self.env.get("PATH", os.defpath)])

    @staticmethod
    def _bin(root: Path) -> Path:
        """The `advisor` command installed beside this interpreter, else `python -m advisor` under that name."""
        here = Path(sys.executable).parent
        if (here / "advisor").exists():
            return here
        shim = root / "bin"
        shim.mkdir()
        (shim / "advisor").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m advisor "$@"\n')
        (shim / "advisor").chmod(0o755)
        return shim

    def shell(self, command: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        return self._run(["bash", "-o", "pipefail", "-c", command], env)

    def python(self, code: str) -> tuple[int, str]:
        return self._run([sys.executable, "-c", code])

    def _run(self, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
        done = subprocess.run(argv, cwd=self.work, env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S)
        return done.returncode, _tidy(done.stdout)


def _tidy(output: str) -> str:
    """Trailing spaces and blank lines are invisible in the README: drop them so the comparison ignores them."""
    return "\n".join(line.rstrip() for line in output.rstrip().split("\n"))


def _checked(step: Step) -> Step:
    """A traceback or an exit code outside the documented 0 / 1 / 2 is a broken example, never output to show."""
    if "Traceback (most recent call last)" in step.output or step.code not in (0, 1, 2):
        raise ReadmeError(f"README.md:{step.line}: `{step.command}` crashed (exit {step.code}):\n{step.output}")
    return step


def _write_file(sandbox: Sandbox, block: Block) -> str | None:
    """A block whose first line is `# PATH` or `# PATH: what it is` is that file: write it."""
    named = re.match(r"# ([\w./-]+?):?(\s|$)", block.body[0]) if block.body else None
    if named is None or named.group(1).startswith(("/", "../")):
        return None
    path = named.group(1)
    target = sandbox.work / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(block.body) + "\n")
    return path


def _workflow_steps(run: Run, sandbox: Sandbox, block: Block, path: str) -> None:
    import yaml  # here: `command NAME` runs before anything is installed

    workflow = yaml.safe_load("\n".join(block.body))
    if not isinstance(workflow, dict) or not workflow.get("jobs"):
        raise ReadmeError(f"README.md:{block.line}: {path} is not a GitHub workflow (no jobs)")
    run.workflow = workflow
    summary = sandbox.work.parent / "step-summary.md"
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            command = step.get("run", "")
            if command.startswith("advisor "):
                code, output = sandbox.shell(command, {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
                run.steps.append(_checked(Step("workflow", command, code, output, block.line)))


def _console(run: Run, sandbox: Sandbox, block: Block) -> list[str]:
    shown = []
    for command in _console_commands(block):
        code, output = sandbox.shell(command)
        run.steps.append(_checked(Step("console", command, code, output, block.line)))
        shown += [f"$ {command}", *([output] if output else [])]
    return "\n".join(shown).split("\n")


def _python(run: Run, sandbox: Sandbox, block: Block) -> str:
    # the comment's first line says what the preamble stands for; its code follows
    preamble = block.note[1].partition("\n")[2] if block.note and block.note[0] == "preamble" else ""
    code, output = sandbox.python(preamble + "\n".join(block.body) + "\n")
    step = _checked(Step("python", "\n".join(block.body), code, output, block.line))
    if code != 0:
        raise ReadmeError(f"README.md:{block.line}: the Python example exits {code}:\n{output}")
    run.steps.append(step)
    return output


def run(text: str, root: Path) -> Run:
    """Run every example of `text` (README.md's content) in the empty folder `root`; return the fresh text."""
    lines = text.split("\n")
    sandbox = Sandbox(root)
    result = Run(text, sandbox)
    replaced: dict[int, tuple[int, list[str]]] = {}  # opening fence -> (closing fence, new body)
    printed: str | None = None
    for block in blocks(text):
        kind = block.note[0] if block.note else None
        if block.lang == "console":
            replaced[block.first] = (block.last, _console(result, sandbox, block))
        elif block.lang == "python" and block.body and re.match(r"# [\w./-]+\.py\s*$", block.body[0]):
            _write_file(sandbox, block)
            # a script the next examples read (`advisor check train.py`), not one to run
        elif block.lang == "python":
            printed = _python(result, sandbox, block)
            continue
        elif block.lang == "text" and kind == "output":
            if printed is None:
                raise ReadmeError(f"README.md:{block.line}: an output block follows no Python example")
            replaced[block.first] = (block.last, printed.split("\n") if printed else [])
        elif block.lang == "yaml" and (path := _write_file(sandbox, block)):
            if path.startswith(WORKFLOWS):
                _workflow_steps(result, sandbox, block, path)
        elif block.lang == "sh" and kind == "command":
            pass  # .ci/run installs and runs these on a fresh machine
        else:
            raise ReadmeError(f"README.md:{block.line}: nothing runs this ```{block.lang} block; "
                              f"see {Path(__file__).name} for the kinds of example the README may hold")
        printed = None
    result.text = "\n".join(_splice(lines, replaced))
    return result


def _splice(lines: list[str], replaced: dict[int, tuple[int, list[str]]]) -> list[str]:
    """`lines` with the body of each block (opening fence line -> (closing fence line, new body)) replaced."""
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        if i in replaced:
            i, body = replaced[i]
            out += body
            continue
        i += 1
    return out


def stale(current: str, fresh: str) -> str:
    """The difference between the README and a fresh run, with the command that refreshes it; '' if none."""
    if current == fresh:
        return ""
    diff = difflib.unified_diff(current.split("\n"), fresh.split("\n"), "README.md", "README.md (run now)",
                                lineterm="")
    return f"README.md shows output that the code no longer prints; run `{REGENERATE}`\n" + "\n".join(diff)


def _write(path: Path, text: str) -> None:
    """Atomically: a temporary file beside the README, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if README.md is stale")
    parser.add_argument("what", nargs="*", help="`command NAME`: print that install command of the README")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    try:
        if args.what:
            if len(args.what) != 2 or args.what[0] != "command":
                parser.error("the only query is `command NAME`")
            found = commands(current)
            if args.what[1] not in found:
                parser.error(f"README.md has no `{args.what[1]}` command; it has: {', '.join(found)}")
            print(found[args.what[1]])
            return 0
        with tempfile.TemporaryDirectory(prefix="advisor-readme-") as root:
            fresh = run(current, Path(root)).text
    except ReadmeError as exc:
        print(f"readme: {exc}", file=sys.stderr)
        return 2
    difference = stale(current, fresh)
    if args.check:
        print(difference or "README.md is up to date")
        return 1 if difference else 0
    if difference:
        _write(README, fresh)
    print("README.md: shown output rewritten from this run" if difference else "README.md is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
