"""A training script as a syntax tree: read through `advisor.files`, parsed with `ast`, never run."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from advisor import files
from advisor.errors import InputError

SCRIPT_BYTES = 4 * files.MIB  # far above any training script (run_glue.py is 30 KB); a bound for hostile input


@dataclass(frozen=True)
class Script:
    path: str  # as the user named it: findings point there
    text: str
    tree: ast.Module


def parse_text(text: str, path: str) -> Script:
    """The parsed source; InputError (one line, naming the file) when it is not Python."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        raise InputError(files.shown(path), f"not Python source ({where}{exc.msg}); "
                                            "`advisor check` reads Python training scripts") from None
    except (ValueError, RecursionError, MemoryError):  # a NUL byte, nesting beyond the parser's stack
        raise InputError(files.shown(path), "cannot be read as Python: a NUL byte, or nested deeper than "
                                            "Python's parser reads; `advisor check` reads Python training scripts") from None
    return Script(path, text, tree)


def read(path: str | Path) -> Script:
    text = files.read_text(path, field=files.shown(str(path)), limit=SCRIPT_BYTES)
    return parse_text(text, str(path))
