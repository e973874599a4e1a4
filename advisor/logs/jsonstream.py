"""A JSON document read one value at a time, so a document of any length takes the memory of its largest value.

json.load holds the text and every object at once (a 55 MB trainer_state.json: about 4x its size);
this Scanner keeps a window of the file, decodes a value with json.JSONDecoder.raw_decode
(the C decoder) and moves on, so the structure around the values (the top-level object, the
list of records) is walked here and only one record exists at a time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, Any, Iterator

from advisor import files
from advisor.errors import InputError
from advisor.logs import plain, source

MAX_VALUE = 64 * files.MIB  # one record (or another top-level value); real ones are tiny
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


class Scanner:
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

    def elements(self) -> Iterator[tuple[int, Any]]:
        """(line, value) of each element of the array that starts here, the array consumed with them.

        An element whose separator after it is in the window already is decoded straight from it (the
        common case: a log's records are small); one that reaches the window's end, or does not decode,
        goes the careful way (value(), expect()), which grows the window or names the error.
        """
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        space, decode = _SPACE.match, _DECODER.raw_decode
        while True:
            buf = self.buf
            start = space(buf, self.pos).end()
            try:
                value, end = decode(buf, start)
                after = space(buf, end).end()
            except (ValueError, RecursionError):
                after = len(buf)
            if after < len(buf) and buf[after] in ",]":
                line = self.line_at(start)
                self.pos = after + 1
                yield line, value
                if buf[after] == "]":
                    return
                continue
            self.pos = start
            self.peek()  # the window may end in the white space before it
            line = self.line_at(self.pos)
            value = self.value()
            yield line, value
            if self.expect(",]") == "]":
                return

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
