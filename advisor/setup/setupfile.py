"""Read a setup file (YAML, JSON or TOML) into raw setup values and extra rule paths; find a project's own.

A setup is a small flat map, so a setup file is refused when it is larger than `SIZE_LIMIT`, nested
deeper than a parser's recursion allows, or (JSON) gives a key twice; FIFOs, devices and folders are
refused by `files.read_text` before anything is read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from advisor import files
from advisor.errors import InputError

# Keys of a setup file that configure the tool rather than describe the setup.
TOOL_KEYS = ("rules",)
# A real setup file is a few hundred bytes; a 50 MB one cost 3.6 GB to parse.
SIZE_LIMIT = files.MIB
# In each folder, the first of these that is a setup file wins (pyproject.toml only with a [tool.advisor]).
CANDIDATES = ("advisor.yaml", "advisor.yml", "advisor.toml", "pyproject.toml")


def read(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """(setup values, rule paths) from a file; rule paths resolve beside the file."""
    where = files.shown(path)
    text = files.read_text(path, field="--setup", limit=SIZE_LIMIT)
    data = _parse(text, path.suffix.lower(), where)
    if data is None:
        data = {}
    if path.name == "pyproject.toml" and isinstance(data, dict):
        data = _advisor_table(data)
        if data is None:
            raise InputError("--setup", f"{where}: no [tool.advisor] table; put the setup keys under [tool.advisor]")
    if not isinstance(data, dict):
        raise InputError("--setup", f"{where}: expected a map of setup keys, like gpu_mem_gb: 8")
    data = dict(data)
    data.pop("$schema", None)  # an editor's pointer to schemas/setup.schema.json, not a setup key
    rules = data.pop("rules", [])
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise InputError("rules", f"{where}: 'rules' is a folder or a list of folders of rule files")
    return data, [path.parent / r for r in rules]


def _parse(text: str, suffix: str, where: str) -> Any:
    """The file's data; every way it can be malformed is one InputError naming the file (and line)."""
    try:
        if suffix == ".json":
            return json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, where))
        if suffix == ".toml":
            import tomllib
            return tomllib.loads(text)  # a key given twice is already a TOMLDecodeError
        if suffix in (".yaml", ".yml"):
            from advisor.rulebook import yamlfile
            return yamlfile.load(text)  # refuses duplicate keys, tags and aliases
    except RecursionError:
        raise InputError("--setup", f"{where}: nested too deeply; a setup file is a flat map of setup keys") from None
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError and YamlError are all ValueErrors
        line = getattr(exc, "line", None) or getattr(exc, "lineno", None)
        raise InputError("--setup", f"{where}{f':{line}' if line else ''}: not valid {suffix[1:].upper()}: "
                         f"{str(exc).splitlines()[0]}") from None
    raise InputError("--setup", f"{where}: unknown file type {suffix!r}; use .yaml, .yml, .json or .toml")


def _unique_keys(pairs: list[tuple[str, Any]], where: str) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys without a word
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise InputError("--setup", f"{where}: key {files.shown(key)!r} is given twice; keep one")
        data[key] = value
    return data


def _advisor_table(data: dict[str, Any]) -> Any:
    """`[tool.advisor]` of a parsed pyproject.toml, or None; any other pyproject is simply not ours."""
    tool = data.get("tool")
    return tool.get("advisor") if isinstance(tool, dict) else None


class Found(NamedTuple):
    """The setup file discovery chose, and the other setup files beside it that lost."""

    path: Path
    ignored: tuple[Path, ...] = ()

    def note(self) -> str:
        """`setup from ../advisor.yaml (advisor.toml ignored)`, paths relative to the working directory."""
        ignored = f" ({', '.join(p.name for p in self.ignored)} ignored)" if self.ignored else ""
        return f"setup from {files.shown(os.path.relpath(self.path))}{ignored}"


def find(start: Path) -> Found | None:
    """The project's setup file: in `start` or the nearest folder above it, up to the repository root.

    The search stops at the first folder holding a setup file, at a folder with `.git` (the repository
    root, searched itself) or at the filesystem root. Within a folder, `CANDIDATES` order decides.
    """
    start = start.absolute()
    for folder in (start, *start.parents):
        present = [folder / name for name in CANDIDATES if _is_setup_file(folder / name)]
        if present:
            return Found(present[0], tuple(present[1:]))
        if (folder / ".git").exists():
            return None
    return None


def discover(start: Path) -> Path | None:
    """The path `find` chooses, or None."""
    found = find(start)
    return found.path if found else None


def _is_setup_file(path: Path) -> bool:
    if not files.is_regular(path):
        return False
    if path.name != "pyproject.toml":
        return True
    import tomllib

    try:
        data = tomllib.loads(files.read_text(path, field="--setup", limit=SIZE_LIMIT))
    except (InputError, ValueError, RecursionError):
        return False  # a broken or huge pyproject is not ours to report unless asked for with --setup
    return _advisor_table(data) is not None


def uri(path: Path) -> str:
    """The file as CI tools name it: relative to the working directory, else a file:// URI."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def key_lines(path: Path) -> dict[str, int]:
    """Line (1-based) of each top-level-looking setup key in a setup file, for annotations."""
    import re

    lines: dict[str, int] = {}
    try:
        text = files.read_text(path, field="--setup", limit=SIZE_LIMIT)
    except InputError:
        return lines
    pattern = re.compile(r'^\s*"?([A-Za-z_][\w-]*)"?\s*[:=]')
    for number, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match:
            lines.setdefault(match[1].replace("-", "_"), number)
    return lines
