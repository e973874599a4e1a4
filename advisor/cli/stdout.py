"""stdout while the CLI runs: any encoding, and a closed pipe that ends the run quietly.

JSON escapes what the stream cannot encode (`\\u00b7`), text degrades to `?`;
a reader that goes away (`advisor … | head -1`) raises `StdoutClosed`, which
`main` turns into exit 141 with nothing more written.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from typing import Any


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    # Outside its strings JSON is ASCII, so an unencodable character is inside a string, where
    # `\uXXXX` (a surrogate pair beyond the BMP) is the same text.
    chunk = error.object[error.start:error.end]
    return json.dumps(chunk)[1:-1], error.end


codecs.register_error("advisor-json", _json_escape)


def errors(mode: str) -> None:
    """How stdout writes what its encoding cannot: "replace" for text, "advisor-json" for JSON."""
    if hasattr(sys.stdout, "reconfigure") and getattr(sys.stdout, "errors", mode) != mode:
        sys.stdout.reconfigure(errors=mode)


def json_stdout() -> None:
    """Call before writing JSON to stdout (commands whose output is JSON whatever their options)."""
    errors("advisor-json")


class StdoutClosed(BaseException):
    """The reader of stdout went away (a broken pipe).

    A BaseException, so that it reaches `main` past rich and typer, which both turn a broken
    pipe into exit 1, the code of a `--fail-on` finding.
    """


class Stdout:
    """sys.stdout while `main` runs: the same stream, but a broken pipe raises `StdoutClosed`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise StdoutClosed() from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise StdoutClosed() from None

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, reconfigure, …
        return getattr(self._stream, name)


def silence() -> None:
    """Point stdout at /dev/null: the output still buffered must not fail again at interpreter exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing will flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
