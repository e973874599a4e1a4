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
        self.base = 0  # where buf[0] is in the whole text
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
        self.base += self.pos
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

    def runs(self) -> Iterator[tuple[int, list[Any], str | None]]:
        """The elements of the array that starts here, a run at a time, the array consumed with them: (the line
        of the run's first element, its values, and its text where it was decoded at once, for lines_of).

        A run is what the window holds up to its last `},` (the end of an object, a log's record, and a
        separator), decoded with one call of the C decoder; where that text does not decode (the `},` was in
        a string or a nested value) or no such run is in the window, one element goes the careful way
        (value(), expect()), which grows the window or names the error.
        """
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        careful_until = -1  # where (in the whole text) a run cut did not decode: one element at a time up to it
        while True:
            self.peek()  # the next element's first character, the window grown past white space if need be
            buf, start = self.buf, self.pos
            cut = buf.rfind("},", start) if self.base + start > careful_until else -1
            if cut > start:
                text = buf[start:cut + 1]
                try:
                    values = _DECODER.decode(f"[{text}]")
                except (ValueError, RecursionError):
                    careful_until = self.base + cut
                else:
                    line = self.line_at(start)
                    self.pos = cut + 2
                    yield line, values, text
                    continue
            line = self.line_at(self.pos)
            value = self.value()
            after = self.expect(",]")
            yield line, [value], None
            if after == "]":
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


def lines_of(text: str, line: int) -> Iterator[tuple[int, Any]]:
    """(line, value) of each element of a run's text (Scanner.runs), `line` the first one's: decoded again one
    at a time, to name the line of a value that is not a number."""
    pos, end, decode, space = 0, len(text), _DECODER.raw_decode, _SPACE.match
    while pos < end:
        start = space(text, pos).end()
        line += text.count("\n", pos, start)
        value, pos = decode(text, start)
        yield line, value
        line += text.count("\n", start, pos)
        pos = space(text, pos).end() + 1  # past the comma
