"""Case generators, runners and the judge shared by the fuzz tests and `scripts/fuzz.py`.

A case is one hostile input for one target (`cli`, `setup-files`, `rule-files`, `fill`, `logs`)
and the exit codes that are right for it. Generators take a `random.Random`, so a seed (or a
hypothesis `randoms()` draw) fixes every case. `run(case)` runs it in this process (stdout and
stderr captured, bounded in time and memory) or, for `real_process` cases, as the installed
`advisor` command with a timeout; `judge(case, result)` names what went wrong, one of CLASSES.

The contract judged (issue 9): exit 0, 1 only for --fail-on / --check / --strict / `rules validate`,
or 2 with exactly one stderr line `advisor: error: FIELD: ...` (after notes like `advisor: setup from X`);
never a traceback or a hang; an impossible value (NaN, infinite, negative, beyond any real setup)
is refused, never accepted;
JSON output is strict JSON; files written by `fill` appear whole or not at all.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from advisor.setup import fields

# The failure classes: the columns of scripts/fuzz.py's table.
TRACEBACK = "tracebacks"
WRONG_EXIT = "wrong exit codes"
BAD_ERROR = "bad error lines"
HANG = "hangs"
ACCEPTED = "bad input accepted"
BAD_OUTPUT = "bad output"
DATA_LOST = "data lost"
REFUSED = "valid input refused"
INCONSISTENT = "inconsistent results"
CLASSES = (TRACEBACK, WRONG_EXIT, BAD_ERROR, HANG, ACCEPTED, BAD_OUTPUT, DATA_LOST, REFUSED, INCONSISTENT)

EXIT_INTERNAL = 70  # the CLI's exit code for a bug (an exception it caught and summarised)
TIMEOUT_S = 10.0  # no command of a setup-sized input may take longer
MEMORY_BYTES = 800_000_000  # allocations past this (above what the process holds) fail with MemoryError
ERROR_LINE_MAX = 1000  # an error line is one screen line or a few, never the whole of a huge input
ERROR_LINE = re.compile(r"^advisor: error: \S.*: \S")  # names what is wrong (a field, flag or file), then why

# The largest value of each setup field any real training setup can have: a parser accepting more
# takes an impossible value for a real one (8G GPUs, 1e308 parameters). Generous on purpose.
PLAUSIBLE = {"gpu_mem_gb": (0.01, 1e5), "gpu_count": (1, 1e6), "model_params": (1, 1e15), "dataset_size": (1, 1e13),
             "num_classes": (2, 1e9), "batch_size": (1, 1e9), "seq_len": (1, 1e9), "image_size": (1, 1e6),
             "depth": (1, 1e6), "lora_rank": (1, 1e6), "zero_stage": (0, 3), "lr": (0, 100)}
COUNT_MAX = 1e13  # samples in one class (class_counts)


@dataclass
class Failure:
    kind: str
    detail: str


@dataclass
class Result:
    code: int | None  # None: the command never returned
    out: str = ""
    err: str = ""
    error: str = ""  # an exception that escaped, formatted: a traceback the user would see
    hung: bool = False
    seconds: float = 0.0


@dataclass
class Case:
    target: str
    argv: list[str]
    what: str  # the hostile input in a few words: the example the report shows
    reject: bool = False  # the input is impossible: only exit 2 is right
    codes: frozenset[int] = frozenset({0, 2})
    refusals: frozenset[int] = frozenset({2})  # the right exit codes for a refused input
    check: Callable[[Result], list[Failure]] | None = None  # what else must hold afterwards (files intact, ...)
    real_process: bool = False
    program: list[str] | None = None  # a real-process command other than `advisor`
    cwd: Path | None = None
    timeout: float = TIMEOUT_S

    def command(self) -> str:
        """The case as a shell command, for the report."""
        import shlex

        words = self.program or ["advisor"]
        shown = [a if len(a) <= 80 else f"{a[:40]}…({len(a)} chars)" for a in self.argv]
        return " ".join(shlex.quote(w) for w in [*words, *shown])


# ---------------------------------------------------------------- running

class _Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` in the code under test swallows it."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def _address_space() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


@contextlib.contextmanager
def bounded(seconds: float, memory: int = MEMORY_BYTES):
    """Interrupt the block after `seconds` (main thread only) and let it allocate at most `memory` more bytes.

    The memory bound turns a runaway allocation into a MemoryError (a traceback the judge reports)
    instead of swapping the machine; the time bound turns a hang into _Hang.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + memory
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run(case: Case) -> Result:
    return _run_real(case) if case.real_process else _run_here(case)


def _run_here(case: Case) -> Result:
    from advisor import cli

    out, err = io.StringIO(), io.StringIO()
    result = Result(None)
    start = time.monotonic()
    try:
        with contextlib.chdir(case.cwd or Path.cwd()), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err), _stdin(""), bounded(case.timeout):
            result.code = cli.main(list(case.argv))
    except _Hang:
        result.hung = True
    except BaseException:  # noqa: BLE001 - anything escaping main() is a traceback for the user
        result.error = traceback.format_exc()
    result.seconds = time.monotonic() - start
    result.out, result.err = out.getvalue(), err.getvalue()
    return result


@contextlib.contextmanager
def _stdin(text: str):
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def advisor_command() -> list[str]:
    """The installed `advisor` script beside this interpreter, else `python -m advisor`."""
    script = Path(sys.executable).with_name("advisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "advisor"]


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * MEMORY_BYTES, 2 * MEMORY_BYTES))


def _run_real(case: Case) -> Result:
    env = {**os.environ, "COLUMNS": "80", "PYTHONFAULTHANDLER": ""}
    start = time.monotonic()
    try:
        done = subprocess.run([*(case.program or advisor_command()), *case.argv], cwd=case.cwd, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=case.timeout,
                              preexec_fn=_limit_child)
    except subprocess.TimeoutExpired:
        return Result(None, hung=True, seconds=time.monotonic() - start)
    err = done.stderr.decode("utf-8", "replace")
    error = err if "Traceback (most recent call last)" in err or done.returncode < 0 else ""
    if done.returncode < 0 and not error:
        error = f"killed by signal {-done.returncode}"
    return Result(done.returncode, done.stdout.decode("utf-8", "replace"), err, error,
                  seconds=time.monotonic() - start)


# ---------------------------------------------------------------- judging

def judge(case: Case, result: Result) -> list[Failure]:
    """What went wrong, by the contract in the module docstring; [] when the case passed."""
    if result.hung:
        return [Failure(HANG, f"no answer after {case.timeout:g} s")]
    failures = []
    if result.error:
        failures.append(Failure(TRACEBACK, _last_line(result.error)))
    elif result.code == EXIT_INTERNAL or "internal error" in result.err:
        failures.append(Failure(TRACEBACK, _last_line(result.err)))  # a crash, reported in one line
    elif case.reject and result.code == 0:
        failures.append(Failure(ACCEPTED, "exit 0 for an impossible input"))
    elif result.code not in (case.refusals if case.reject else case.codes):
        failures.append(Failure(WRONG_EXIT, f"exit {result.code}; expected {sorted(case.refusals if case.reject else case.codes)}"
                                            f"{': ' + _last_line(result.err) if result.err.strip() else ''}"))
    if result.code == 2:
        failures += _error_line(result.err)
    if result.code == 0 and _json_format(case.argv):
        failures += _json_output(result.out)
    if case.check is not None:
        failures += case.check(result)
    return failures


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _error_line(err: str) -> list[Failure]:
    """One `advisor: error:` line, the last; notes before it (`advisor: setup from X`) are fine."""
    lines = err.rstrip("\n").split("\n")
    errors = [line for line in lines if line.startswith("advisor: error:")]
    if len(errors) != 1 or errors[0] != lines[-1] or not all(line.startswith("advisor: ") for line in lines):
        return [Failure(BAD_ERROR, f"{len(lines)} stderr lines, not one error line: {err[:160]!r}")]
    if len(errors[0]) > ERROR_LINE_MAX:
        return [Failure(BAD_ERROR, f"a {len(errors[0])}-character error line")]
    if not ERROR_LINE.match(errors[0]):
        return [Failure(BAD_ERROR, f"does not name a field: {errors[0][:160]!r}")]
    return []


def _json_format(argv: list[str]) -> bool:
    return any(a in ("--format", "-f") and b in ("json", "sarif") for a, b in zip(argv, argv[1:]))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_output(out: str) -> list[Failure]:
    try:
        data = json.loads(out, parse_constant=_reject_constant)
    except ValueError as exc:
        kind = ACCEPTED if re.search(r"\b(NaN|-?Infinity)\b", out) else BAD_OUTPUT
        return [Failure(kind, f"output is not strict JSON: {str(exc)[:120]}")]
    setup = data.get("setup") if isinstance(data, dict) else None
    return implausible(setup) if isinstance(setup, dict) else []


def implausible(setup: dict[str, Any]) -> list[Failure]:
    """A normalised setup value no real setup has (see PLAUSIBLE)."""
    failures = []
    for key, value in setup.items():
        low, high = PLAUSIBLE.get(key, (0.01, 1e5) if key.endswith(("_gib", "_gb")) else (-math.inf, math.inf))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not (math.isfinite(value) and low <= value <= high):
                failures.append(Failure(ACCEPTED, f"{key}={value!r} accepted (plausible: {low:g}..{high:g})"))
        elif key == "class_counts" and isinstance(value, str):
            if any(not c.isdigit() or int(c) > COUNT_MAX for c in value.split(",")):
                failures.append(Failure(ACCEPTED, f"class_counts={value[:60]!r} accepted"))
    return failures


# ---------------------------------------------------------------- hostile values

# (text, must be refused wherever a number is expected); None: either answer is right
NUMBER_TEXTS: tuple[tuple[str, bool | None], ...] = (
    ("nan", True), ("NaN", True), ("-nan", True), ("inf", True), ("-inf", True), ("+inf", True), ("Infinity", True),
    ("infinity GB", True), ("1e309", True), ("-1e309", True), ("-1", True), ("-0.5", True), ("-7B", True),
    ("1,5", True), ("1,5B", True), ("2,50", True), ("1,5GB", True), ("0,001", True),
    ("1e308", None), ("1e-320", None), ("5e-324", None), ("0", None), ("-0", None), ("0.0", None), ("1e30", None),
    ("9" * 400, None), ("1" + "0" * 5000, None), ("", None), (" ", None), ("1_000", None), ("1,000", None),
    ("0x10", None), ("010", None), ("1e", None), ("e5", None), (".", None), ("1..2", None), ("１２", None),
    ("٣", None), ("1e-5", None), ("0.5", None), ("3e-4", None), ("7B", None), ("350M", None), ("50k", None),
    ("1.2M", None), ("8", None), ("8GB", None), ("80GiB", None), ("512MB", None), ("1.5TB", None),
    ("8 GB", None), ("8gb", None), ("8G", None), ("8g", None), ("2T", None), ("1 billion", None), ("3.5", None),
    ("0.0001", None), ("1e-9", None), ("1:20", None), ("5%", None), ("True", None), ("null", None),
    ("\x00", None), ("8\x00", None), ("8\n", None), ("\t8 ", None), ("８GB", None), ("8 GiB GiB", None),
)

RATIO_TEXTS: tuple[tuple[str, bool | None], ...] = (
    ("1:0", True), ("0:1", True), ("-1:20", True), ("1:-20", True), ("1:nan", True), ("nan:1", True),
    ("1:inf", True), ("inf:inf", True), ("1e309:1", True), ("-5%", True), ("150%", True), ("100%", True),
    ("0%", True), ("nan%", True), ("0", True), ("1", True), ("-0.05", True),
    ("1:20", None), ("20:1", None), ("5%", None), ("0.05", None), ("1:1", None), ("1:1e-320", None),
    ("1e-320:1", None), ("1:1e308", None), ("1e308:1e-308", None), ("1/20", None), ("1:2:3", None), (":", None),
    ("1:", None), ("", None), ("1 : 20", None), ("1：20", None), ("50%", None), ("1e-9%", None), ("١:٢٠", None),
)

STRANGE_TEXTS = ("", " ", "\t", "x" * 100_000, "é" * 300, "🙂", "\x00", "a\nb", "\u202e", "NaN", "None", "null",
                 "[1, 2]", "{a: 1}", "../../etc/passwd", "-", "--help", "--gpu-mem", "a" * 300, "Ω≈ç√∫", "\ufeff")

MODEL_NAMES = ("meta-llama/Llama-2-7b-hf", "yolov8n", "llama-2-7b", "bert-base", "resnet50", "gpt2", "gpt-1e400b",
               "model-99999999999999999999b", "x-0b", "t5-nanb", "mixtral-8x7b", "llama-70b-inf", "qwen-1e308b",
               "my-model-1.5b", "9" * 500 + "b", "-7b", "7b" * 200)


def _number_texts(f: fields.Field) -> tuple[tuple[str, bool | None], ...]:
    return RATIO_TEXTS if f.kind == "ratio" else NUMBER_TEXTS


def _random_number_text(rng) -> tuple[str, bool | None]:
    """A number in a random form and magnitude, with a random unit suffix."""
    mantissa = rng.choice([f"{rng.uniform(-10, 10):.{rng.randint(0, 4)}f}", str(rng.randint(-5, 10 ** 6)),
                           f"{rng.random():.3g}"])
    text = mantissa + (f"e{rng.randint(-400, 400)}" if rng.random() < 0.5 else "")
    try:
        value = float(text)
    except ValueError:
        return text, None
    text += rng.choice(["", "", "k", "M", "B", "G", "GB", "GiB", "MB", "TB", "%", " ", "x"])
    return text, True if value < 0 or not math.isfinite(value) else None


def field_text(rng, f: fields.Field) -> tuple[str, bool | None]:
    """A hostile value for field `f` as typed on a command line, and whether it must be refused."""
    roll = rng.random()
    if f.kind in ("number", "int", "ratio"):
        if roll < 0.55:
            return rng.choice(_number_texts(f))
        if roll < 0.85:
            text, reject = _random_number_text(rng)
            if f.kind == "ratio" and rng.random() < 0.6:
                other, reject_other = _random_number_text(rng)
                return f"{text}:{other}", True if reject or reject_other else None
            return text, reject
        return rng.choice(STRANGE_TEXTS), None
    if f.name == "model":
        return rng.choice(MODEL_NAMES + STRANGE_TEXTS), None
    if f.name == "class_counts":
        counts = [rng.choice(NUMBER_TEXTS)[0] if rng.random() < 0.3 else str(rng.randint(-2, 10 ** rng.randint(0, 20)))
                  for _ in range(rng.randint(0, 6))]
        return rng.choice([",", ":", " ", ", "]).join(counts), None
    if f.choices and roll < 0.5:
        choice = rng.choice(f.choices)
        return rng.choice([choice, choice.upper(), f" {choice} ", choice.replace("-", "_"), choice + "x"]), None
    return rng.choice(STRANGE_TEXTS), None


def typed_value(rng, f: fields.Field) -> tuple[Any, bool | None]:
    """A hostile value for `f` as a setup file or a library call gives it: any type."""
    roll = rng.random()
    if roll < 0.5:
        return field_text(rng, f)
    numeric = f.kind in ("number", "int")
    pool: list[tuple[Any, bool | None]] = [
        (math.nan, True if numeric else None), (math.inf, True if numeric else None),
        (-math.inf, True if numeric else None), (-1, True if numeric else None), (10 ** 400, True if numeric else None),
        (1e308, None), (5e-324, None), (0, None), (True, None), (False, None), (None, None), ([], None), ({}, None),
        ([1, 2], None), ({"a": 1}, None), (8, None), (8.5, None), (7_000_000_000, None), ("8", None), (0.25, None)]
    return rng.choice(pool)


def random_setup(rng, count: int | None = None) -> tuple[dict[str, Any], bool | None]:
    """A setup dict of a few hostile field values, and whether it must be refused."""
    chosen = rng.sample(fields.FIELDS, count if count is not None else rng.randint(1, 4))
    setup, reject = {}, None
    for f in chosen:
        value, must = typed_value(rng, f)
        setup[f.name] = value
        reject = reject or must
    if rng.random() < 0.05:
        setup[rng.choice(["gpu_memory", "gpus", "unknown", "", "symptom"])] = 1
        reject = True
    return setup, reject


# ---------------------------------------------------------------- CLI cases

_COMMANDS = (["diagnose", "--format", "json"], ["diagnose", "--format", "json"], ["diagnose", "--format", "json"],
             ["diagnose"], ["diagnose", "--format", "markdown"], ["diagnose", "--format", "sarif"],
             ["diagnose", "--format", "github"], ["memory", "--format", "json"], ["memory", "--format", "json"],
             ["imbalance", "--format", "json"], ["diagnose", "--format", "json", "--fail-on", "high"])


def cli_case(rng, folder: Path) -> Case:
    """`advisor COMMAND --FLAG VALUE ...` with 1-4 hostile flag values."""
    command = list(rng.choice(_COMMANDS))
    argv, shown, reject = list(command), [], None
    for f in rng.sample(fields.FIELDS, rng.randint(1, 4)):
        if f.kind == "bool":
            argv.append(f.cli_flag if rng.random() < 0.5 else f"--no-{f.cli_flag[2:]}")
            continue
        text, must = field_text(rng, f)
        argv += [f.cli_flag, text]
        shown.append(f"{f.cli_flag} {text[:40]!r}")
        reject = reject or must
    if command[0] == "memory" and rng.random() < 0.7:
        argv += ["--model", rng.choice(["llama-2-7b", "bert-base", "resnet50"])] if "--model" not in argv else []
    codes = frozenset({0, 1, 2}) if "--fail-on" in argv else frozenset({0, 2})
    return Case("cli", argv, " ".join(shown) or " ".join(argv), reject=bool(reject), codes=codes, cwd=folder)


# ---------------------------------------------------------------- setup-file cases

def _deep(levels: int, kind: str) -> str:
    if kind == "json":
        return '{"gpu_mem_gb": ' + "[" * levels + "]" * levels + "}"
    if kind == "toml":
        return "gpu_mem_gb = " + "[" * levels + "]" * levels + "\n"
    return "gpu_mem_gb: " + "[" * levels + "]" * levels + "\n"


def _dump(setup: dict[str, Any], kind: str) -> str:
    """A setup written as `kind`, values as the format spells them (YAML .nan, JSON NaN, TOML nan)."""
    if kind == "json":
        return json.dumps(setup, ensure_ascii=False)
    lines = []
    for key, value in setup.items():
        lines.append(f"{key} = {_toml_value(value)}" if kind == "toml" else f"{key}: {_yaml_value(value)}")
    return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)  # JSON scalars, lists and maps are YAML flow style


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if value is None:
        return '""'
    return json.dumps(value, ensure_ascii=False)


# (file name, content, must be refused): structures no setup file may smuggle in
HOSTILE_SETUP_FILES: tuple[tuple[str, bytes, bool | None], ...] = (
    ("s.yaml", b"gpu_mem_gb: !!python/object/apply:os.system ['true']\n", True),
    ("s.yaml", b"gpu_mem_gb: !custom 8\n", True),
    ("s.yaml", b"a: &a [1]\ngpu_mem_gb: *a\n", True),
    ("s.yaml", b"a: &a ['x','x']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
               b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n", True),
    ("s.yaml", b"gpu_mem_gb: 8\ngpu_mem_gb: 16\n", True),
    ("s.json", b'{"gpu_mem_gb": 8, "gpu_mem_gb": 16}', True),
    ("s.toml", b"gpu_mem_gb = 8\ngpu_mem_gb = 16\n", True),
    ("s.json", b'{"gpu_mem_gb": NaN}', True),
    ("s.json", b'{"gpu_mem_gb": Infinity}', True),
    ("s.json", b'{"model_params": 1e400}', True),
    ("s.json", b'{"gpu_count": 1' + b"0" * 5000 + b"}", True),
    ("s.yaml", b"gpu_count: 010\n", None),  # YAML 1.1 octal: 8 is wrong; 10 or a refusal are right
    ("s.yaml", b"gpu_mem_gb: .nan\n", True),
    ("s.yaml", b"gpu_mem_gb: -.inf\n", True),
    ("s.toml", b"gpu_mem_gb = nan\n", True),
    ("s.toml", b"gpu_mem_gb = inf\n", True),
    ("s.yaml", b"\xef\xbb\xbfgpu_mem_gb: 8\n", None),
    ("s.json", b'\xef\xbb\xbf{"gpu_mem_gb": 8}', None),
    ("s.yaml", b"gpu_mem_gb: 8\rgpu_count: 2\r", None),
    ("s.toml", b"gpu_mem_gb = 8\rgpu_count = 2\r", None),
    ("s.yaml", b"gpu_mem_gb: \xff\xfe8\n", True),
    ("s.json", bytes(range(256)) * 4, True),
    ("s.yaml", bytes(range(256)) * 4, True),
    ("s.toml", b"\x00" * 100, True),
    ("s.yaml", b"", None),
    ("s.json", b"", True),
    ("s.yaml", b"- gpu_mem_gb: 8\n", True),
    ("s.json", b"[1, 2]", True),
    ("s.json", b'"gpu_mem_gb"', True),
    ("s.yaml", b"gpu_mem_gb:\n  gpu_mem_gb:\n    gpu_mem_gb: 8\n", True),
    ("s.yaml", b"gpu_memory: 8\n", True),
    ("s.yaml", b"rules: 8\n", True),
    ("s.yaml", b"rules: [[1]]\n", True),
    ("s.yaml", b"rules: /nonexistent/rules\n", True),
    ("s.txt", b"gpu_mem_gb: 8\n", True),
    ("s", b"gpu_mem_gb: 8\n", True),
    ("s.yaml", b"? [a, b]\n: 8\n", True),
    ("s.yaml", b"1: 8\n", True),
    ("s.yaml", b"gpu_mem_gb: 8\n...\n---\ngpu_mem_gb: 16\n", True),
    ("s.yaml", b"%YAML 1.1\n---\ngpu_mem_gb: 8\n", None),
    ("s.yaml", b"gpu_mem_gb: 2001-01-01\n", True),
    ("s.toml", b"gpu_mem_gb = 1979-05-27T07:32:00Z\n", True),
    ("s.yaml", b"symptoms: {a: 1}\n", True),
    ("s.yaml", b"symptoms: [[oom]]\n", True),
    ("s.yaml", b"class_counts: [1e400, 1]\n", True),
    ("s.yaml", b"class_counts: [.nan, 5]\n", True),
    ("pyproject.toml", b'tool = "x"\n', True),
    ("pyproject.toml", b"[tool]\nadvisor = 8\n", True),
    ("pyproject.toml", b"[tool.advisor]\ngpu_mem_gb = 8\n", None),
)


def setup_file_case(rng, folder: Path) -> Case:
    """`advisor diagnose --setup FILE` on a hostile file: random values, or a hostile structure, or a special file."""
    roll = rng.random()
    if roll < 0.4:
        kind = rng.choice(["yaml", "json", "toml"])
        setup, reject = random_setup(rng)
        try:
            data = _dump(setup, kind).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            data, reject = b"{}", None
        name, what = f"s.{kind}", f"{kind} setup {str(setup)[:80]}"
    elif roll < 0.75:
        name, data, reject = rng.choice(HOSTILE_SETUP_FILES)
        what = f"{name}: {data[:60]!r}"
    elif roll < 0.85:
        kind = rng.choice(["yaml", "json", "toml"])
        levels = rng.choice([10, 100, 999, 2000, 5000])
        name, data, reject, what = f"s.{kind}", _deep(levels, kind).encode(), levels > 50, f"{kind} nested {levels} deep"
    else:
        return _special_case(rng, folder, "setup-files", lambda path: ["diagnose", "--format", "json", "--setup", path])
    path = folder / name
    path.write_bytes(data)
    if name == "pyproject.toml":  # found by discovery in the working directory, not named with --setup
        return Case("setup-files", ["diagnose", "--format", "json"], f"discovered {what}", cwd=folder)
    return Case("setup-files", ["diagnose", "--format", "json", "--setup", str(path)], what, reject=bool(reject),
                cwd=folder)


SPECIAL_FILES = ("fifo", "dev-zero", "folder", "symlink-loop", "dangling-symlink", "long-name", "dev-null")


def special_path(kind: str, folder: Path, suffix: str) -> str:
    """A path that is no ordinary file: a FIFO nobody writes to, /dev/zero, a folder, a link loop, ..."""
    path = folder / f"special{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev-null":
        path.symlink_to("/dev/null")
    elif kind == "folder":
        path.mkdir()
    elif kind == "symlink-loop":
        os.symlink(path, path)
    elif kind == "dangling-symlink":
        path.symlink_to(folder / "missing")
    else:
        return str(folder / ("n" * 300 + suffix))
    return str(path)


def _special_case(rng, folder: Path, target: str, argv: Callable[[str], list[str]], suffix: str | None = None,
                  kind: str | None = None) -> Case:
    kind = kind or rng.choice(SPECIAL_FILES)
    path = special_path(kind, folder, suffix or rng.choice([".yaml", ".json", ".toml"]))
    words = argv(path)
    # /dev/null reads as an empty file, which may be a valid (empty) input; a folder of rules is a valid --rules;
    # `rules validate` refuses with 1 or 2
    valid = kind == "dev-null" or (kind == "folder" and target == "rule-files")
    return Case(target, words, f"{target[:-1]} is a {kind}", reject=not valid, cwd=folder,
                codes=frozenset({0, 1, 2}) if "validate" in words else frozenset({0, 2}),
                refusals=frozenset({1, 2}) if "validate" in words else frozenset({2}))


# ---------------------------------------------------------------- rule-file cases

# the fact of one GPU's memory, under whatever name the field table gives it (gpu_mem_gb, gpu_mem_gib)
MEMORY_FACT = next(f.name for f in fields.FIELDS if f.cli_flag == "--gpu-mem")


def rule_text(**pieces: str) -> str:
    """One rule (RULE_TEMPLATE) with `pieces` put in, the ranking keys valid unless given (RULE_DEFAULTS);
    `gpu_mem_gb` in them reads as MEMORY_FACT."""
    return RULE_TEMPLATE.format(**{**RULE_DEFAULTS, **pieces}).replace("gpu_mem_gb", MEMORY_FACT)


# the ranking keys (issue 11) of a valid rule, and hostile values for each: every one must be refused
RULE_DEFAULTS = {"cost": "low", "evidence": '"gpu_mem_gb >= 20"', "weight": "1", "effect": "demote"}
HOSTILE_RANKING = {
    "weight": ("0", "6", "-6", "1" + "0" * 5000, "1e308", ".nan", ".inf", "1.5", "true", "x", "[]"),
    "evidence": ('"maybe(gpu_mem_gb >= 20)"', '"known(lr)"', '"unknown_fact >= 1"', '"gpu_mem_gb >= 1e309"', '""'),
    "effect": ("boost", "drop me", "[]", "~", "1"),
    "cost": ("free", "[]", "1", "~", "LOW"),
}


RULE_TEMPLATE = """rules:
  - id: {id}
    title: "{title}"
    strategy: monitoring
    severity: low
    cost: {cost}
    when: {when}
    evidence:
      - when: {evidence}
        weight: {weight}
    contra:
      - when: "gpu_mem_gb >= 80"
        says: "the card is already large"
        effect: {effect}
    why: "{why}"
    do: "check it"
    sources: [8]
    examples:
      fires: [{{gpu_mem_gb: 24}}]
      silent: [{{gpu_mem_gb: 8}}]
"""

# format specs that allocate gigabytes or cannot apply: a rule file holding one must be refused
HUGE_TEMPLATES = ("{{gpu_mem_gb:1000000000}}", "{{gpu_mem_gb:.1000000000f}}", "{{gpu_mem_gb:100000}}",
                  "{{gpu_mem_gb:>99999999999999999999}}")
_TEMPLATES = ("{{gpu_mem_gb:1000000000}}", "{{gpu_mem_gb:.1000000000f}}", "{{gpu_mem_gb:100000}}",
              "{{gpu_mem_gb:,.2f}}", "{{gpu_mem_gb:>99999999999999999999}}", "{{gpu_mem_gb:%}}", "{{gpu_mem_gb:}}",
              "{{gpu_mem_gb|" + "x" * 10_000 + "}}", "{{nonexistent_fact}}", "{{nonexistent_fact|ok}}",
              "{{__class__}}", "{{gpu_mem_gb.__class__}}", "{{gpu_mem_gb[0]}}", "{{ gpu_mem_gb }}", "{{", "}}",
              "{{{{gpu_mem_gb}}}}", "{{gpu_mem_gb:{{x}}}}", "{{gpu_mem_gb:.3g}}", "{{gpu_mem_gb:d}}", "{{symptoms:.3g}}")


def _unclosed(rng) -> str:
    return "{{" + " " * rng.choice([10, 100, 300]) + rng.choice(["", "x", "gpu_mem_gb", ":"])  # malformed: refused


def _when(rng) -> str:
    roll = rng.random()
    depth = rng.choice([5, 50, 300, 1000, 3000])
    if roll < 0.2:
        return '"' + "not " * depth + 'gpu_mem_gb >= 1"'
    if roll < 0.35:
        return '"' + "(" * depth + "gpu_mem_gb >= 1" + ")" * depth + '"'
    if roll < 0.5:
        return '"' + " and ".join(["gpu_mem_gb >= 1"] * depth) + '"'
    if roll < 0.6:
        return '"gpu_mem_gb >= 1' + "0" * rng.choice([20, 400, 5000]) + '"'
    if roll < 0.7:
        return '"gpu_mem_gb * 1e308 * 1e308 > 1"'
    if roll < 0.75:
        return '"model_params ** 1000 > 1"'
    if roll < 0.8:
        return '"gpu_mem_gb / 0 > 1"'
    return rng.choice(['"unknown_fact >= 1"', '"__import__(\'os\')"', '"gpu_mem_gb >= 1 and"', '""', '"1"',
                       '"gpu_mem_gb >= 1e309"', '"gpu_mem_gb >= nan"', '"gpu_mem_gb >= -1e308"', '"precision == 1"',
                       '"gpu_mem_gb >= 1"', '"lambda: 1"', '"[x for x in symptoms]"', '"gpu_mem_gb @ 1"'])


HOSTILE_RULE_FILES: tuple[bytes, ...] = (
    b"rules: !!python/object/apply:os.system ['true']\n", b"rules: &a [*a]\n", b"rules: 8\n", b"rules:\n- 8\n",
    b"", b"\x00\xff" * 100, b"rules: []\nrules: []\n", b"- a\n", b"a: &a [x,x]\nb: &b [*a,*a,*a,*a,*a,*a]\n" * 3,
    b"rules:\n" + b"  - " * 2000 + b"x\n",
)


def rule_file_case(rng, folder: Path) -> Case:
    """`advisor rules validate FILE` or `advisor diagnose --rules FILE`, the file hostile."""
    path = folder / rng.choice(["r.yaml", "r.yml", "r.json", "r"])
    roll = rng.random()
    reject = False
    if roll < 0.15:
        path.write_bytes(rng.choice(HOSTILE_RULE_FILES))
        what = f"rule file {path.read_bytes()[:60]!r}"
    elif roll < 0.25:
        return _special_case(rng, folder, "rule-files", lambda p: ["rules", "validate", p], suffix=".yaml")
    else:
        pieces = {"id": rng.choice(["FUZ001", "FUZ001", "fuz1", "FUZ0001", "X" * 300, "FUZ001\n"]),
                  "title": rng.choice(["Fuzz"] + list(_TEMPLATES) + [_unclosed(rng)]),
                  **rng.choice([RULE_DEFAULTS] * 3 + [{**RULE_DEFAULTS, key: rng.choice(values)}
                                                      for key, values in HOSTILE_RANKING.items()]),
                  "when": _when(rng),
                  "why": rng.choice(list(_TEMPLATES) + [_unclosed(rng), "fine"])}
        text = rule_text(**pieces)
        if rng.random() < 0.3:
            text += rule_text(**pieces).split("\n", 1)[1]  # the same id twice
        path.write_text(text, encoding="utf-8")
        what = ", ".join(f"{k}={v[:50]!r}" for k, v in pieces.items() if k != "id" or v != "FUZ001")
        reject = any(p in HUGE_TEMPLATES or p.startswith("{{ ") and "}}" not in p for p in pieces.values()) \
            or any(pieces[key] != RULE_DEFAULTS[key] for key in HOSTILE_RANKING)
    if rng.random() < 0.5:
        argv, codes = ["rules", "validate", str(path)], frozenset({0, 1, 2})
    else:
        argv, codes = ["diagnose", "--format", "json", "--gpu-mem", "8", "--rules", str(path)], frozenset({0, 2})
    return Case("rule-files", argv, what, reject=bool(reject), codes=codes, refusals=frozenset({1, 2}), cwd=folder)


# ---------------------------------------------------------------- fill cases

_HF = {"learning_rate": "auto", "per_device_train_batch_size": "auto", "bf16": "auto", "fp16": "auto",
       "gradient_accumulation_steps": "auto", "gradient_checkpointing": "auto", "output_dir": "out"}


FILL_EXTRAS = ("none", "nan", "inf", "huge", "nested", "deep", "duplicate", "unicode", "list", "cr", "bom", "garbage",
               "auto-case", "empty")
FILL_MODES = ("stdout", "out-new", "out-existing", "out-missing-folder", "out-folder", "out-long-name", "in-place",
              "in-place-symlink", "in-place-hardlink", "check", "diff", "strict")


def _config_text(rng, kind: str, extra: str) -> tuple[str, bool | None]:
    """A training config with `auto` values and a hostile `extra` (one of FILL_EXTRAS); (text, must be refused)."""
    data: dict[str, Any] = {k: v for k, v in _HF.items() if rng.random() < 0.7}
    if extra == "nan":
        data["warmup_ratio"] = math.nan
    elif extra == "inf":
        data["max_grad_norm"] = math.inf
    elif extra == "huge":
        data["seed"] = 10 ** 30
    elif extra == "nested":
        data["deepspeed"] = {"zero_optimization": {"stage": "auto"}, "train_micro_batch_size_per_gpu": "auto"}
    elif extra == "unicode":
        data["run_name"] = "ünïcødé 🙂 \u202e"
    elif extra == "list":
        data["report_to"] = ["auto", "auto"]
    elif extra == "auto-case":
        data["bf16"] = rng.choice(["AUTO", " auto ", "Auto"])
    if kind == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2)
    else:
        text = _dump(data, kind)
    reject: bool | None = None
    if extra == "duplicate":
        key = next(iter(data), "bf16")
        dup = {"json": f',\n  "{key}": false\n}}', "yaml": f"{key}: false\n", "toml": f"{key} = false\n"}[kind]
        text = text.rstrip()[:-1].rstrip() + dup if kind == "json" and text.strip() != "{}" else text + (
            dup if kind != "json" else "")
        reject = kind != "json" or text.strip() != "{}" or None
    elif extra == "deep":
        text, reject = _deep(rng.choice([100, 2000]), kind), None
    elif extra == "cr":
        text = text.replace("\n", "\r")
    elif extra == "bom":
        text = "\ufeff" + text
    elif extra == "garbage":
        text, reject = "\x00\x01{[: auto ]]\x7f", True
    elif extra == "empty":
        text = ""
    if extra == "nan" and kind == "json":
        reject = True  # NaN is not JSON: a filled config with it breaks every strict JSON reader
    return text, reject


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    files = {}
    for path in folder.rglob("*"):
        files[str(path.relative_to(folder))] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return files


def fill_case(rng, folder: Path, *, kind: str | None = None, extra: str | None = None, mode: str | None = None,
              params: str | None = None) -> Case:
    """`advisor fill CONFIG [-o OUT | --in-place | --check | --diff]`, the config and the target hostile."""
    kind = kind or rng.choice(["json", "yaml", "toml"])
    extra = extra or rng.choice(FILL_EXTRAS)
    mode = mode or rng.choice(FILL_MODES)
    work = folder / "work"
    work.mkdir()
    config = work / f"train.{kind}"
    text, reject = _config_text(rng, kind, extra)
    config.write_text(text, encoding="utf-8", newline="")
    argv = ["fill", str(config), "--gpu", rng.choice(["a100-80gb", "t4", "rtx3090"]), "--fine-tuning",
            rng.choice(["lora", "full"]), "--batch-size", "8",
            "--model-params", params or rng.choice(["125M", "125M", "7B", "1e308", "nan"])]
    reject = reject or argv[-1] in ("1e308", "nan") or None
    codes = frozenset({0, 2})
    target = None
    if mode == "out-new":
        target = work / f"out.{kind}"
    elif mode == "out-existing":
        target = work / f"out.{kind}"
        target.write_text("keep me\n")
    elif mode == "out-missing-folder":
        target = work / "missing" / f"out.{kind}"
        reject = True
    elif mode == "out-folder":
        target = work
        reject = True
    elif mode == "out-long-name":
        target = work / ("o" * 300 + f".{kind}")
        reject = True
    if target is not None:
        argv += ["-o", str(target)]
    elif mode.startswith("in-place"):
        argv.append("--in-place")
        if mode == "in-place-symlink":
            real = folder / f"real.{kind}"
            config.rename(real)
            config.symlink_to(real)
        elif mode == "in-place-hardlink":
            os.link(config, folder / f"hard.{kind}")
    elif mode in ("check", "diff", "strict"):
        argv.append(f"--{mode}")
        codes = frozenset({0, 1, 2}) if mode in ("check", "strict") else codes
    before = _snapshot(folder)
    case = Case("fill", argv, f"{kind} config ({extra}), {mode}", reject=bool(reject), codes=codes, cwd=folder)
    case.check = lambda result: _fill_check(result, folder, before, config, target, mode, extra)
    return case


def _fill_check(result: Result, folder: Path, before: dict[str, bytes | None], config: Path, target: Path | None,
                mode: str, extra: str) -> list[Failure]:
    """Files untouched on failure; on success only the output changed, whole and parseable; no temp left."""
    after = _snapshot(folder)
    wrote = result.code == 0 and (target is not None or mode.startswith("in-place"))
    written = {str(p.relative_to(folder)) for p in ([target] if target else [config]) if wrote}
    if mode == "in-place-symlink" and wrote:
        written = {f"real.{config.suffix[1:]}"}
    if mode == "in-place-hardlink" and wrote:
        written.add(f"hard.{config.suffix[1:]}")  # the same file under both names
    failures = []
    for name in sorted(set(before) | set(after)):
        if name in written or before.get(name) == after.get(name):
            continue
        how = "left behind" if name not in before else ("removed" if name not in after else "changed")
        failures.append(Failure(DATA_LOST, f"{name} {how} (exit {result.code})"))
    if mode == "in-place-symlink" and wrote and not config.is_symlink():
        failures.append(Failure(DATA_LOST, "--in-place replaced the symlink with a regular file"))
    if wrote:
        out = target if target else config
        failures += _parses(out.read_text(encoding="utf-8-sig"), out.suffix[1:], extra)
    return failures


def _parses(text: str, kind: str, extra: str) -> list[Failure]:
    """A written config must read back in strict form, keys unique."""
    try:
        if kind == "json":
            json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique)
        elif kind == "toml":
            import tomllib
            tomllib.loads(text)
        else:
            from ruamel.yaml import YAML
            YAML(typ="safe", pure=True).load(text)
    except Exception as exc:  # noqa: BLE001 - any reader's refusal means the written file is broken
        return [Failure(ACCEPTED if extra in ("duplicate", "nan", "inf") else BAD_OUTPUT,
                        f"the written {kind} does not read back: {str(exc).splitlines()[0][:100]}")]
    return []


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


# ---------------------------------------------------------------- log cases

_COLUMNS = ("step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate")
_HOSTILE_NUMBERS = ("nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "", "x", "1,5", "9" * 400, "0", "-0", "NaN")


def _metric(rng, step: int, style: str) -> str:
    if style == "constant":
        return "0.6931471805599453"
    if style == "hostile" and rng.random() < 0.3:
        return rng.choice(_HOSTILE_NUMBERS)
    return repr(rng.uniform(0, 3) / (1 + step / 100))


LOG_KINDS = ("csv", "jsonl", "trainer_state", "csv-gz", "garbage", "special", "deep", "empty")
LOG_STYLES = ("plain", "hostile", "constant")


def log_case(rng, folder: Path, *, kind: str | None = None, style: str | None = None) -> Case:
    """`advisor diagnose --log FILE --format json` on a random, hostile or special log."""
    kind = kind or rng.choice(LOG_KINDS)
    style = style or rng.choice(LOG_STYLES)
    rows = rng.choice([0, 1, 3, 50, 500, 15_000 if style == "constant" else 2000])
    columns = rng.sample(_COLUMNS, rng.randint(1, len(_COLUMNS)))
    reject: bool | None = None
    if kind == "special":
        return _special_case(rng, folder, "logs", lambda p: ["diagnose", "--format", "json", "--log", p],
                             suffix=".csv")
    if kind in ("csv", "csv-gz"):
        lines = [",".join(columns)] + [",".join(str(i) if c == "step" else _metric(rng, i, style) for c in columns)
                                       for i in range(rows)]
        data = ("\n".join(lines) + "\n").encode()
        name = "metrics.csv"
        if kind == "csv-gz":
            data, name = gzip.compress(data), "metrics.csv.gz"
    elif kind == "jsonl":
        lines = [json.dumps({c: (i if c == "step" else _json_number(_metric(rng, i, style))) for c in columns})
                 for i in range(rows)]
        data, name = "\n".join(lines).encode(), "log.jsonl"
    elif kind == "trainer_state":
        history = [{c: (i if c == "step" else _json_number(_metric(rng, i, style))) for c in columns}
                   for i in range(rows)]
        data, name = json.dumps({"log_history": history}).encode(), "trainer_state.json"
    elif kind == "deep":
        levels = rng.choice([100, 3000])
        data = b'{"log_history": ' + b"[" * levels + b"]" * levels + b"}"
        name = "trainer_state.json"
    elif kind == "garbage":
        data = bytes(rng.randrange(256) for _ in range(rng.choice([10, 1000, 100_000])))
        name, reject = rng.choice(["metrics.csv", "log.jsonl", "trainer_state.json"]), True
    else:
        data, name = b"", rng.choice(["metrics.csv", "log.jsonl", "trainer_state.json"])
    path = folder / name
    path.write_bytes(data)
    return Case("logs", ["diagnose", "--format", "json", "--log", str(path)],
                f"{kind} log, {rows} rows, {style} values, columns {','.join(columns)}", reject=bool(reject),
                cwd=folder)


def _json_number(text: str) -> Any:
    """A metric as a JSON log writes it: Python's json writes NaN and Infinity, some loggers write strings."""
    try:
        return float(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- real-process cases

def _special_setup_case(kind: str) -> Callable[[Path], Case]:
    def build(folder: Path) -> Case:
        sub = folder / f"real-{kind}"
        sub.mkdir()
        return Case("real-process", ["diagnose", "--setup", special_path(kind, sub, ".yaml")], f"--setup is a {kind}",
                    reject=True, real_process=True, cwd=sub)
    return build


def _ascii_stdout_case(folder: Path) -> Case:
    # advice on imbalance and memory holds non-ASCII text (·, ≈): the stream must cope with it
    return Case("real-process", ["diagnose", "--gpu-mem", "8", "--imbalance", "1:20", "--symptom", "out-of-memory",
                                 "--format", "json"], "PYTHONIOENCODING=ascii",
                real_process=True, cwd=folder, program=["env", "PYTHONIOENCODING=ascii", *advisor_command()])


def _many_classes_case(folder: Path) -> Case:
    return Case("real-process", ["diagnose", "--num-classes", "1e30", "--format", "json"], "--num-classes 1e30",
                real_process=True, cwd=folder)


def _template_width_case(folder: Path) -> Case:
    sub = folder / "real-width"
    sub.mkdir()
    path = sub / "r.yaml"
    path.write_text(rule_text(id="FUZ001", title="Fuzz", when='"gpu_mem_gb >= 16"',
                                 why="{{gpu_mem_gb:1000000000}}"), encoding="utf-8")
    return Case("real-process", ["diagnose", "--gpu-mem", "8", "--rules", str(path)], "{{gpu_mem_gb:1000000000}}",
                reject=True, real_process=True, cwd=sub)


_FILL_SETUP = ("--gpu", "a100-80gb", "--model-params", "125M", "--fine-tuning", "full", "--batch-size", "8")


def _fill_folder(folder: Path, name: str) -> tuple[Path, Path]:
    sub = folder / name
    sub.mkdir()
    config = sub / "train.json"
    config.write_text(json.dumps({**_HF, "padding": "x" * 100_000}, indent=2), encoding="utf-8")
    return sub, config


def _killed_fill_case(folder: Path) -> Case:
    """SIGKILL between writing the temporary file and renaming it: the config intact, and the next fill of it
    removes the recognisable leftover (a named temporary file exists at that instant in any atomic rename)."""
    sub, config = _fill_folder(folder, "real-kill")
    before = _snapshot(sub)
    program = [sys.executable, "-c",
               "import os, signal, sys; os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL); "
               "from advisor import cli; sys.exit(cli.main(sys.argv[1:]))"]
    argv = ["fill", str(config), *_FILL_SETUP, "--in-place"]
    case = Case("real-process", argv, "killed before the rename, then filled again",
                real_process=True, program=program, cwd=sub, codes=frozenset({-9}))

    def check(result: Result) -> list[Failure]:
        if config.read_bytes() != before[config.name]:
            return [Failure(DATA_LOST, f"{config.name} changed by the killed fill")]
        again = _run_real(Case("real-process", argv, "the fill after a kill", real_process=True, cwd=sub))
        return _fill_check(again, sub, before, config, None, "in-place", "none")

    case.check = check
    return case


def _size_limited_fill_case(folder: Path) -> Case:
    """`ulimit -f` (as a full disk): the write fails; a one-line error, the config intact, no temporary left."""
    sub, config = _fill_folder(folder, "real-ulimit")
    before = _snapshot(sub)
    program = ["bash", "-c", 'ulimit -f 20; exec "$@"', "bash", *advisor_command()]
    case = Case("real-process", ["fill", str(config), *_FILL_SETUP, "--in-place"], "ulimit -f 20 (disk full)",
                reject=True, real_process=True, program=program, cwd=sub)
    case.check = lambda result: _fill_check(result, sub, before, config, None, "killed", "none")
    return case


# The installed command, where only a real process shows it: special files, a kill between write and
# rename, a file-size limit, an ASCII stdout, a template width that would allocate gigabytes.
REAL_PROCESS: dict[str, Callable[[Path], Case]] = {
    "fifo-setup": _special_setup_case("fifo"), "dev-zero-setup": _special_setup_case("dev-zero"),
    "ascii-stdout": _ascii_stdout_case, "many-classes": _many_classes_case, "template-width": _template_width_case,
    "killed-fill": _killed_fill_case, "size-limited-fill": _size_limited_fill_case,
}


def real_process_cases(folder: Path) -> list[Case]:
    return [build(folder) for build in REAL_PROCESS.values()]


# ---------------------------------------------------------------- the targets

GENERATORS: dict[str, Callable[[Any, Path], Case]] = {
    "cli": cli_case, "setup-files": setup_file_case, "rule-files": rule_file_case, "fill": fill_case,
    "logs": log_case,
}


def judge_killed(case: Case, result: Result) -> list[Failure]:
    """The killed-process case: being killed is expected; only the files are judged."""
    return case.check(result) if case.check else []


def check(case: Case) -> list[Failure]:
    """Run one case and judge it."""
    result = run(case)
    if case.codes == frozenset({-9}):
        return judge_killed(case, result) if result.code == -9 else [Failure(WRONG_EXIT, f"exit {result.code}")]
    return judge(case, result)


def describe(case: Case, failures: list[Failure]) -> str:
    return f"{case.command()}\n  input: {case.what}\n  " + "\n  ".join(f"{f.kind}: {f.detail}" for f in failures)




# ---------------------------------------------------------------- library, Monitor and threads
# Probes: (rng, folder) -> Probe; each calls the library the way a training script does.

@dataclass
class Probe:
    target: str
    what: str
    command: str  # a Python line that reproduces it
    failures: list[Failure]


def _library_call(call: Callable[[], Any]) -> tuple[Any, list[Failure]]:
    """(value, failures): only pydantic.ValidationError may escape the library, within the time bound."""
    from pydantic import ValidationError

    try:
        with bounded(TIMEOUT_S):
            return call(), []
    except ValidationError as exc:
        return exc, []
    except _Hang:
        return None, [Failure(HANG, f"no answer after {TIMEOUT_S:g} s")]
    except BaseException as exc:  # noqa: BLE001 - anything but ValidationError breaks the contract
        return None, [Failure(TRACEBACK, f"{type(exc).__name__}: {str(exc)[:160]}")]


def fingerprint(report: Any) -> str:
    """A report's advice as comparable text: which rules, ranked how, scored how, with which numbers."""
    return json.dumps([(a.rank, a.rule, a.strategy, a.score, a.title) for a in report.advice])


def library_probe(rng, folder: Path) -> Probe:
    """`diagnose(dict)` and `Setup(**dict)` on a hostile setup; accepted ones must match the CLI on the same file."""
    from pydantic import ValidationError

    import advisor

    setup, reject = random_setup(rng)
    command = f"advisor.diagnose({setup!r:.200})"
    report, failures = _library_call(lambda: advisor.diagnose(dict(setup)))
    _, more = _library_call(lambda: advisor.Setup(**{str(k): v for k, v in setup.items()}))
    failures += more
    if failures:
        return Probe("library", f"setup {setup!r:.120}", command, failures)
    refused = isinstance(report, ValidationError)
    if not refused:
        if reject:
            failures.append(Failure(ACCEPTED, "an impossible setup accepted"))
        failures += implausible(report.setup)
        try:
            json.dumps(report.model_dump(mode="json"), allow_nan=False)
        except ValueError:
            failures.append(Failure(ACCEPTED, "the report holds NaN or infinity"))
    failures += _same_as_cli(setup, report, refused, folder)
    return Probe("library", f"setup {setup!r:.120}", command, failures)


def _same_as_cli(setup: dict[str, Any], report: Any, refused: bool, folder: Path) -> list[Failure]:
    """The CLI, given the same setup as a JSON file, refuses it or gives the same advice."""
    try:
        text = json.dumps(setup)
    except (TypeError, ValueError):
        return []  # not expressible as a setup file
    path = folder / "same.json"
    path.write_text(text, encoding="utf-8")
    result = run(Case("library", ["diagnose", "--format", "json", "--setup", str(path)], "", cwd=folder))
    if result.error or result.hung:
        return []  # the CLI's own failure: the cli and setup-files targets report it
    if refused != (result.code == 2):
        return [Failure(INCONSISTENT, f"library {'refuses' if refused else 'accepts'}, CLI exits {result.code}: "
                                      f"{_last_line(result.err)[:120]}")]
    if refused or result.code != 0:
        return []
    try:
        cli_advice = json.loads(result.out)["advice"]
    except (ValueError, KeyError, TypeError):
        return []
    cli_print = json.dumps([(a["rank"], a["rule"], a["strategy"], a["score"], a["title"]) for a in cli_advice])
    if cli_print != fingerprint(report):
        return [Failure(INCONSISTENT, "the library's advice differs from the CLI's for the same setup")]
    return []


_METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "learning_rate", "lr", "gpu_util")
_STREAM_VALUES = (math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0, 1e30)


def _combine(a: bool | None, b: bool | None) -> bool | None:
    """Must-refuse flags of two arguments: True wins, then None (either answer right), then False (must accept)."""
    return True if True in (a, b) else None if None in (a, b) else False


def _monitor_arguments(rng) -> tuple[dict[str, Any], bool | None]:
    """Random Monitor(...) arguments, and whether they must be refused (None: either way)."""
    kwargs: dict[str, Any] = {}
    must: bool | None = False
    roll = rng.random()
    if roll < 0.4:
        kwargs["setup"], reject = random_setup(rng)
        must = None if not reject else True
    elif roll < 0.55:
        kwargs["setup"] = rng.choice(["not a mapping", 8, [("gpu", "t4")], b"gpu", {"gpu_mem_gb": "nan"},
                                      {"gpu_mem_gb": math.inf}, {"gpus": 2}])
        must = True
    elif roll < 0.75:
        kwargs["setup"] = rng.choice([{"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora"},
                                      {"precision": "fp16", "framework": "pytorch"}, None, {}])
    if rng.random() < 0.4:
        stop, bad = rng.choice([("nan-loss", None), (["nan-loss"], False), ((), False), (["x"], True), (8, True),
                                (None, True), ({"diverging-loss"}, False), ([None], True)])
        kwargs["stop_on"] = stop
        must = _combine(must, bad)
    if rng.random() < 0.3:
        top, bad = rng.choice([(3, False), (1, False), (0, True), (-1, True), (1e308, True), ("3", None),
                               (True, None), (math.nan, True), (10 ** 30, None)])
        kwargs["top"] = top
        must = _combine(must, bad)
    if rng.random() < 0.3:
        kwargs["advise"] = rng.choice([True, False])
    return kwargs, must


def _stream(rng) -> list[tuple[Any, dict[str, Any], bool | None]]:
    """(step, metrics, must be refused) for a random training run."""
    steps = rng.choice([5, 50, 500, 3000, 15_000])
    style = rng.choice(["healthy", "constant", "nan", "inf", "huge", "mixed", "diverging", "hostile"])
    chosen = rng.sample(_METRICS, rng.randint(1, 4))
    calls = []
    for i in range(steps):
        metrics: dict[str, Any] = {}
        for name in chosen:
            if style == "constant":
                metrics[name] = 0.5
            elif style == "diverging":
                metrics[name] = 0.5 * 1.01 ** i
            elif style in ("nan", "inf", "huge") and i > steps // 2:
                metrics[name] = {"nan": math.nan, "inf": math.inf, "huge": 1e308}[style]
            elif style == "mixed" and rng.random() < 0.1:
                metrics[name] = rng.choice(_STREAM_VALUES)
            else:
                metrics[name] = rng.uniform(0, 2) / (1 + i / 100)
        step: Any = i
        reject: bool | None = False
        if style == "hostile" and rng.random() < 0.05:
            step, reject = rng.choice([(math.nan, True), (math.inf, True), ("abc", True), (None, True), (-i, None),
                                       (0, None), ("12", None), (True, None)])
        if style == "hostile" and rng.random() < 0.05:
            metrics[rng.choice(chosen)] = rng.choice(["abc", [1.0], {}, object()])
            reject = True
        calls.append((step, metrics, reject))
    return calls


def monitor_probe(rng, folder: Path) -> Probe:
    """Monitor(random args), then a random stream of updates: nothing escapes but ValidationError, and that
    only for the call that gave the bad value; a valid update is never refused and never fails later."""
    from pydantic import ValidationError

    import advisor

    kwargs, must = _monitor_arguments(rng)
    what = f"Monitor(**{kwargs!r:.120})"
    monitor, failures = _library_call(lambda: advisor.Monitor(**kwargs))
    if failures or isinstance(monitor, ValidationError):
        if isinstance(monitor, ValidationError) and must is False:
            failures.append(Failure(REFUSED, f"valid arguments refused: {str(monitor).splitlines()[-1][:120]}"))
        return Probe("monitor", what, f"advisor.{what}", failures)
    if must:
        failures.append(Failure(ACCEPTED, "impossible Monitor arguments accepted"))
    calls = _stream(rng)
    what += f"; {len(calls)} updates"
    try:
        with bounded(max(TIMEOUT_S, len(calls) / 500)):
            failures += _feed(monitor, calls)
    except _Hang:
        failures.append(Failure(HANG, "the stream did not finish in time"))
    return Probe("monitor", what, f"advisor.{what}", failures)


def _feed(monitor: Any, calls: list[tuple[Any, dict[str, Any], bool | None]]) -> list[Failure]:
    from pydantic import ValidationError

    failures: list[Failure] = []
    for step, metrics, reject in calls + [("close", {}, False)]:
        try:
            if step == "close":
                monitor.close()
            else:
                monitor.update(step, **metrics)
        except ValidationError as exc:
            if reject is False:
                failures.append(Failure(REFUSED, f"update({step!r}, {metrics!r:.80}) refused: "
                                                 f"{str(exc).splitlines()[-1][:100]}"))
                break
            continue
        except Exception as exc:  # noqa: BLE001 - a training loop must never see anything else
            failures.append(Failure(TRACEBACK, f"update({step!r}, {metrics!r:.80}): {type(exc).__name__}: "
                                               f"{str(exc)[:120]}"))
            break
        if reject:
            failures.append(Failure(ACCEPTED, f"update({step!r}, {metrics!r:.80}) accepted"))
            break
    return failures


def threads_probe(rng, folder: Path) -> Probe:
    """8 threads diagnosing the same setups give what one thread gives."""
    from concurrent.futures import ThreadPoolExecutor

    import advisor

    setups = [random_setup(rng)[0] for _ in range(6)]
    setups += [{"gpu": "rtx3090", "model": "llama-2-7b", "fine_tuning": "lora", "symptoms": ["out-of-memory"]},
               {"gpu_mem_gb": 8, "class_ratio": "1:20", "symptoms": ["minority-class-ignored"]}]

    def answer(setup: dict[str, Any]) -> str:
        try:
            return fingerprint(advisor.diagnose(dict(setup)))
        except Exception as exc:  # noqa: BLE001 - compared, not judged: the library target judges exceptions
            return type(exc).__name__

    serial = [answer(s) for s in setups]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(answer, setups * 4))
    differs = [s for i, s in enumerate(setups * 4) if parallel[i] != serial[i % len(setups)]]
    failures = [Failure(INCONSISTENT, f"{len(differs)} of {len(parallel)} threaded answers differ")] if differs else []
    return Probe("threads", f"8 threads x {len(parallel)} calls", f"diagnose in 8 threads: {differs[:1]!r:.120}",
                 failures)


PROBES: dict[str, Callable[[Any, Path], Probe]] = {"library": library_probe, "monitor": monitor_probe,
                                                   "threads": threads_probe}
