"""Opening a log file the user named: regular files only, compressed ones read transparently, lines bounded.

A log can be gigabytes, so nothing here reads a whole file: every reader gets a text stream.
A FIFO or a device (`/dev/zero`) is refused before any read (files.open_regular), a gzip, bzip2 or
xz file is decompressed on the fly (recognised by its first bytes, whatever its name), other
compressed formats are named and refused, and a line longer than MAX_LINE is an error rather
than a line held whole in memory (a file of zeros has no newline).

A final line without its line end is a record still being written (a running job's log, a file
cut short): every writer ends its records with one. Lines reports it apart, and the readers
decide: a CSV row cut mid-number (`0.` of `0.5`) is dropped, a JSON line is kept when it parses.
"""

from __future__ import annotations

import io
import itertools
import zlib
from pathlib import Path
from typing import IO, Any, Iterator

from advisor import files
from advisor.errors import InputError

MAX_LINE = 1 * files.MIB  # a CSV row or a JSON Lines record; real ones are under a kilobyte

# first bytes -> (name, module that reads it); the module may be missing from a Python build
_COMPRESSED = ((b"\x1f\x8b", "gzip", "gzip"), (b"BZh", "bzip2", "bz2"), (b"\xfd7zXZ\x00", "xz", "lzma"),
               (b"\x28\xb5\x2f\xfd", "zstd", None), (b"PK\x03\x04", "zip", None), (b"\x04\x22\x4d\x18", "lz4", None))
_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4")


def logical_name(path: Path) -> str:
    """The name that says what the log holds: `metrics.csv` for `metrics.csv.gz`."""
    name = path.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def logical_suffix(path: Path) -> str:
    return Path(logical_name(path)).suffix.lower()


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is compressed; InputError for anything but a readable file."""
    raw = files.open_regular(path, field="log")
    try:
        magic = raw.read(6)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise InputError("log", f"cannot read {files.shown(path)}: {exc.strerror or exc}") from None
    for signature, name, module in _COMPRESSED:
        if magic.startswith(signature):
            if module is None:
                raw.close()
                raise InputError("log", f"{files.shown(path)} is {name}-compressed, which advisor cannot read; "
                                        f"decompress it (or compress it with gzip)")
            try:
                opener = __import__(module).open
            except ImportError:
                raw.close()
                raise InputError("log", f"{files.shown(path)} is {name}-compressed and this Python has no "
                                        f"{module} module; decompress it first") from None
            return _Owning(opener(raw, "rb"), raw)
    return raw


class _Owning(io.BufferedReader):
    """A decompressing stream that also closes the file under it (gzip.open(fileobj) leaves it open)."""

    def __init__(self, stream: Any, file: IO[bytes]) -> None:
        super().__init__(stream)
        self._file = file

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._file.close()


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a corrupt or truncated file raises: OSError (BadGzipFile, bz2), zlib and lzma errors."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, ValueError, zlib.error)
    try:
        import lzma
    except ImportError:
        return errors
    return errors + (lzma.LZMAError,)


STREAM_ERRORS = _stream_errors()


def open_text(path: Path) -> IO[str]:
    """The file as UTF-8 text (undecodable bytes replaced, a BOM dropped), decompressed on the fly."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace", newline="")


def head(path: Path, size: int = 4096) -> str:
    """The first `size` characters, for recognising the format."""
    with open_text(path) as handle:
        return read(handle, path, size)


def read(handle: IO[str], path: Path, size: int = -1) -> str:
    """`handle.read(size)`, with a corrupt compressed stream as one InputError."""
    try:
        return handle.read(size)
    except STREAM_ERRORS as exc:
        raise corrupt(path, exc) from None


def corrupt(path: Path, exc: BaseException) -> InputError:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return InputError("log", f"cannot read {files.shown(path)}: {' '.join(reason.split())}")


class Lines:
    """The lines of `handle` (each with its line end), read in chunks: the cost of a line is C code only.

    A line longer than MAX_LINE is an InputError. The final line, when it has no line end, is not
    among the lines unless `keep_last`; `unterminated` holds it (at most MAX_LINE characters) once
    the lines are exhausted. Line ends are `\\n`, `\\r\\n` or `\\r`.
    """

    CHUNK = 1 << 18

    def __init__(self, handle: IO[str], path: Path, *, keep_last: bool = False) -> None:
        self.handle, self.path, self.keep_last = handle, path, keep_last
        self.unterminated = ""
        self.ends = 0  # `\n` line ends read so far (whole chunks: all of them once the lines are exhausted)
        self._texts = self._chunks()
        self._current: io.StringIO | None = None
        self._iter = itertools.chain.from_iterable(map(self._lines, self._texts))

    def _lines(self, text: str) -> io.StringIO:
        self._current = io.StringIO(text, newline="")
        return self._current

    def texts(self) -> Iterator[str]:
        """The lines not yet given, as blocks of whole lines (the rest of the current block first), for a
        parser that splits text in C."""
        if self._current is not None and (rest := self._current.read()):
            yield rest
        yield from self._texts

    def __iter__(self) -> Iterator[str]:
        return self._iter

    def __next__(self) -> str:
        return next(self._iter)

    def _too_long(self, number: int) -> InputError:
        return InputError("log", f"{files.shown(self.path)}:{number}: a line longer than "
                                 f"{MAX_LINE // files.MIB} MiB; not a log of lines")

    def _chunks(self) -> Iterator[str]:
        rest, number = "", 1
        while True:
            data = read(self.handle, self.path, self.CHUNK)
            if not data:
                break
            data = rest + data if rest else data
            # a `\r` at the end may be the first half of `\r\n`: keep it for the next chunk
            end = len(data) - 1 if data.endswith("\r") else len(data)
            cut = max(data.rfind("\n", 0, end), data.rfind("\r", 0, end)) + 1
            if rest and cut:  # the line begun in an earlier chunk ends here: is it too long?
                ends = [i for i in (data.find("\n", 0, cut), data.find("\r", 0, cut)) if i >= 0]
                if min(ends) > MAX_LINE:
                    raise self._too_long(number)
            if cut:
                ends = data.count("\n", 0, cut)
                number += ends
                self.ends += ends
                yield data[:cut]
            rest = data[cut:]
            if len(rest) > MAX_LINE:
                raise self._too_long(number)
        if rest.endswith("\r"):
            yield rest
        elif rest:
            self.unterminated = rest
            if self.keep_last:
                yield rest
