"""Reading a file the user named: regular files only, with a size limit, every failure one InputError.

Setup files, rule files, training logs and configs all come from the user's command line, so
a FIFO (which blocks `open()` until a writer appears), a device such as /dev/zero (endless),
a folder, a symlink loop or an over-long name must each be one line naming the field, never a
hang, a MemoryError or a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from advisor.errors import InputError

MIB = 2**20
# Hand-written files (setup files, rule files, training configs): far above any real one.
TEXT_LIMIT = 8 * MIB

_REASONS = {errno.ENOENT: "no such file", errno.EISDIR: "it is a folder, not a file",
            errno.ENAMETOOLONG: "the file name is too long", errno.ELOOP: "too many levels of symbolic links",
            errno.EACCES: "permission denied", errno.ENOTDIR: "a part of the path is not a folder"}


def shown(path: object, limit: int = 80) -> str:
    """A path or value short enough for a one-line message."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit // 2]}…{text[-(limit // 2 - 1):]}"


def _refuse(field: str, path: object, reason: str) -> InputError:
    return InputError(field, f"cannot read {shown(path)}: {reason}")


def open_regular(path: str | os.PathLike[str], *, field: str) -> BinaryIO:
    """Open a regular file for binary reading; anything else is an InputError naming `field`.

    The file is opened non-blocking and checked with fstat before any read, so a FIFO never blocks.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _refuse(field, path, _REASONS.get(exc.errno, exc.strerror or str(exc))) from None
    except ValueError as exc:  # an embedded NUL byte
        raise _refuse(field, path, str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _refuse(field, path, _REASONS[errno.EISDIR])
        if not stat.S_ISREG(mode):
            raise _refuse(field, path, "not a regular file (a pipe, socket or device); give a file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], *, field: str, limit: int = TEXT_LIMIT) -> bytes:
    """The whole file, refused when it is larger than `limit` bytes."""
    with open_regular(path, field=field) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _refuse(field, path, exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise _refuse(field, path, f"larger than {limit // MIB} MiB; this is not a file of that kind")
    return data


def read_text(path: str | os.PathLike[str], *, field: str, limit: int = TEXT_LIMIT) -> str:
    """The file as UTF-8 text (a BOM is dropped), with the checks of `read_bytes`."""
    data = read_bytes(path, field=field, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(field, path, f"not UTF-8 text (byte {exc.start})") from None


def is_regular(path: Path) -> bool:
    """True for an existing regular file (symlinks followed); never raises, never blocks."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
