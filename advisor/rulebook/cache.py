"""The user's cache folder: plain JSON written atomically, and the content digests that key it.

Two caches live here, both read on every start-up and written only after a miss: each rule
file's parsed YAML (yamlfile) and the checked rulebook (compiled). A cache is only ever a
faster way to the same answer: a missing, damaged or unwritable one means reading the rules.

Digests are CRC-32 with the length, from zlib, not SHA-1: they detect an edited file, which
is all a cache key needs (nothing trusts the cache's content; the data goes through every
check again), and importing hashlib loads OpenSSL, ~8 ms of every start-up. For the same
reason tempfile (which imports shutil, random, bz2 and lzma) is imported only to write.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any


def directory() -> Path:
    explicit = os.environ.get("ADVISOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor"


def digest(data: bytes) -> str:
    """A short fingerprint of `data`: a change of content changes it (but it is no security hash)."""
    return f"{len(data):x}-{zlib.crc32(data):08x}"


def read(path: Path) -> Any:
    """The JSON at `path`; OSError or ValueError when it is missing or not JSON."""
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: Any) -> None:
    """Atomically, or not at all: a read-only home, or a rule file named in bytes that are no UTF-8 (its name,
    part of the key, cannot be written as text), still works, only slower."""
    import tempfile

    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as f:
            temp = f.name
            json.dump(data, f, ensure_ascii=False)
        os.replace(temp, path)
    except (OSError, UnicodeEncodeError):
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
