"""Writing a filled config: the reader sees the old file or the new one, never a part, and never a traceback.

What happens to the file the user named (`-o OUT` or `--in-place`):

* A symlink is written through: its target is replaced (atomically) and the link stays a link.
* The new file keeps the old one's permission bits, owner and group. When the owner or group
  cannot be kept (another user's file in a folder you may write to), nothing is written.
* A file with other hard links is refused: replacing it would leave the other names with the
  old text, and writing into it in place could leave it half-written on a full disk.
* A folder, a device or a FIFO as the output, a missing or read-only folder, a read-only file,
  a full disk or a file-size limit (`ulimit -f`) is one error naming the file and the reason;
  the original is untouched and no temporary file is left.

The new text goes to `.NAME.advisor-fill-XXXXXXXX.tmp` beside the file (a rename is atomic only
within one file system), which is locked while it is written. A fill killed before its rename
leaves that file behind; the next fill of NAME removes such files whose writer is gone (their
lock is free), and deleting one by hand is always safe.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.files import shown

TEMP_TAG = ".advisor-fill-"

_REASONS = {
    errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "larger than the file-size limit (ulimit -f)", errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied", errno.EPERM: "permission denied",
    errno.ENOENT: "its folder does not exist", errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder; give a file name", errno.ENAMETOOLONG: "the file name is too long",
    errno.ELOOP: "too many levels of symbolic links",
}


def _refuse(path: Path, reason: str) -> AdvisorError:
    return AdvisorError(f"cannot write {shown(path)}: {reason}; nothing was changed")


def _failed(path: Path, exc: OSError) -> AdvisorError:
    return _refuse(path, _REASONS.get(exc.errno, (exc.strerror or str(exc)).lower()))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` (or create it) with `text` as UTF-8; AdvisorError naming `path` on any failure."""
    target = Path(os.path.realpath(path))  # write through symlinks: the link stays, its target changes
    old = _existing(path, target)
    try:
        _remove_leftovers(target)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}{TEMP_TAG}", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _failed(path, exc) from None
    try:
        _lock(fd)
        _write_all(fd, text.encode("utf-8"))
        os.fsync(fd)
        _keep_attributes(fd, old, path)
        os.replace(temp, target)
    except BaseException as exc:
        _unlink(temp)
        if isinstance(exc, OSError):
            raise _failed(path, exc) from None
        raise
    finally:
        os.close(fd)  # after the rename: the lock tells a concurrent fill that this file is in use


def _existing(path: Path, target: Path) -> os.stat_result | None:
    """The stat of the file that will be replaced (None: a new file), after the checks that refuse it."""
    try:
        old = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise _refuse(path, f"the folder {shown(target.parent)} does not exist") from None
        return None
    except OSError as exc:
        raise _failed(path, exc) from None
    if stat.S_ISDIR(old.st_mode):
        raise _refuse(path, _REASONS[errno.EISDIR])
    if not stat.S_ISREG(old.st_mode):
        raise _refuse(path, "not a regular file (a device, FIFO or socket); to print the config, leave out -o")
    if old.st_nlink > 1:
        raise _refuse(path, f"it has {old.st_nlink} hard links, and replacing it would leave the others with "
                            "the old text; write to a new file with -o")
    if not os.access(target, os.W_OK):
        raise _refuse(path, "the file is read-only")
    return old


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _keep_attributes(fd: int, old: os.stat_result | None, path: Path) -> None:
    """The new file gets the old one's owner, group and mode (a new file: the umask's mode)."""
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        return
    new = os.fstat(fd)
    if hasattr(os, "fchown") and (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:
            raise _refuse(path, f"it belongs to user {old.st_uid}, group {old.st_gid}, which a new file written "
                                "by you cannot keep; run as its owner, or write elsewhere with -o") from None
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after fchown, which clears set-user-id bits


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass


# ------------------------------------------------------------------ leftovers of killed fills

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; leftovers stay recognisable by name
    fcntl = None  # type: ignore[assignment]


def _lock(fd: int) -> None:
    """Mark the temporary file as in use; best effort (some network file systems have no locks)."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass


def _remove_leftovers(target: Path) -> None:
    """Remove `.NAME.advisor-fill-*.tmp` files whose writer is gone: a live fill holds its file's lock."""
    if fcntl is None:
        return
    for leftover in target.parent.glob(f".{target.name}{TEMP_TAG}*.tmp"):
        try:
            fd = os.open(leftover, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = os.fstat(fd)
            if stat.S_ISREG(held.st_mode) and os.path.samestat(held, os.lstat(leftover)):  # still that file
                os.unlink(leftover)
        except OSError:
            pass  # in use by a running fill, or already gone
        finally:
            os.close(fd)
