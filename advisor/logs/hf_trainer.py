"""Hugging Face Trainer: `trainer_state.json`, whose `log_history` lists what was logged.

Training entries carry `loss`, `grad_norm`, `learning_rate`; evaluation entries
`eval_loss` and `eval_<metric>`; the last entry is the run summary
(`train_loss` averaged over the run, `train_runtime`), which is not a point of
the curve and is skipped. The file is read as a stream (see _Scanner), so a
state of any size takes the memory of one entry.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import IO, Any, Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import plain, source

SUMMARY_KEYS = ("train_runtime", "total_flos")
MAX_VALUE = 64 * files.MIB  # one entry of log_history (or another top-level value); real ones are tiny
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def find_state(path: Path) -> Path:
    """The trainer_state.json of an output folder: its own, or the latest checkpoint's."""
    if not os.path.isdir(path):  # a file, or a path that open_regular will say why it cannot read
        return path
    direct = path / "trainer_state.json"
    if files.is_regular(direct):
        return direct
    checkpoints = sorted(path.glob("checkpoint-*/trainer_state.json"),
                         key=lambda p: int(p.parent.name.split("-")[-1]) if p.parent.name.split("-")[-1].isdigit() else -1)
    return checkpoints[-1] if checkpoints else direct


def read(path: Path) -> Iterator[plain.Record]:
    path = find_state(path)
    with source.open_text(path) as handle:
        history = _log_history(_Scanner(handle, path))
        # eval_accuracy and friends: `eval_` is the Trainer's prefix for every evaluation metric.
        entries = ((line, {("val_" + k[5:] if k.startswith("eval_") and k != "eval_loss" else k): v
                           for k, v in entry.items()} if isinstance(entry, dict) else entry)
                   for line, entry in history
                   if not (isinstance(entry, dict) and any(k in entry for k in SUMMARY_KEYS)))
        # HF's `epoch` is fractional and its `step` is the optimizer step: both exact already.
        yield from plain.records_from_objects(entries, path)


def _log_history(scan: _Scanner) -> Iterator[tuple[int, Any]]:
    """(line, entry) for each entry of the top-level `log_history` list; the rest of the file is checked, not kept."""
    if scan.peek() != "{":
        raise scan.fail("no `log_history` list: not a Trainer state file")
    scan.pos += 1
    found = False
    while scan.peek() != "}":
        key = scan.value()
        if not isinstance(key, str):
            raise scan.fail("not valid JSON: expected a key in double quotes")
        scan.expect(":")
        if key == "log_history":
            if found:
                raise scan.fail("`log_history` is given twice")
            found = True
            yield from _entries(scan)
        else:
            scan.value()
        if scan.expect(",}") == "}":
            break
    else:
        scan.pos += 1
    if not found:
        raise scan.fail("no `log_history` list: not a Trainer state file")
    if scan.peek():
        raise scan.fail("not valid JSON: extra data after the state object")


def _entries(scan: _Scanner) -> Iterator[tuple[int, Any]]:
    if scan.peek() != "[":
        raise scan.fail("no `log_history` list: not a Trainer state file")
    scan.pos += 1
    if scan.peek() == "]":
        scan.pos += 1
        return
    while True:
        scan.peek()  # past the white space: the entry's own line
        yield scan.line_at(scan.pos), scan.value()
        if scan.expect(",]") == "]":
            return


class _Scanner:
    """A JSON text decoded one value at a time from a window of the file.

    The window holds the unread rest of one chunk plus the value being decoded, so a Trainer state of
    any length takes memory for its largest entry only (json.load held it all, several times over).
    """

    CHUNK = 1 << 16

    def __init__(self, handle: IO[str], path: Path) -> None:
        self.handle, self.path = handle, path
        self.buf, self.pos, self.eof = "", 0, False
        self._line, self._counted = 1, 0  # the line of buf[_counted]

    def line_at(self, pos: int) -> int:
        self._line += self.buf.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def fail(self, message: str, pos: int | None = None) -> InputError:
        return plain.fail(self.path, self.line_at(self.pos if pos is None else pos), message)

    def _more(self, size: int) -> bool:
        if self.eof:
            return False
        data = source.read(self.handle, self.path, size)
        if not data:
            self.eof = True
            return False
        self.line_at(self.pos)
        self.buf, self.pos, self._counted = self.buf[self.pos:] + data, 0, 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end), without consuming it."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more(self.CHUNK):
                return ""

    def expect(self, chars: str) -> str:
        found = self.peek()
        if not found or found not in chars:
            raise self.fail(f"not valid JSON: expected {' or '.join(repr(c) for c in chars)}")
        self.pos += 1
        return found

    def value(self) -> Any:
        """The next JSON value; the window grows (doubling) until it holds the value whole."""
        self.peek()
        size = self.CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:  # a number at the window's end may go on
                    self.pos = end
                    return value
                error = None
            except RecursionError:
                raise self.fail("nested too deeply to be a Trainer state") from None
            except ValueError as exc:  # JSONDecodeError, or an integer past int()'s digit limit
                # only the message and offset: the exception holds the window (and a cycle through its frame)
                error = (getattr(exc, "msg", None) or str(exc), getattr(exc, "pos", self.pos))
            if len(self.buf) - self.pos > MAX_VALUE:
                raise self.fail(f"not valid JSON, or a value larger than {MAX_VALUE // files.MIB} MiB")
            if not self._more(size):
                if error is None:
                    continue
                raise self.fail(f"not valid JSON: {error[0]}", error[1])
            size *= 2
