"""Read a setup file (YAML, JSON or TOML) into raw setup values and extra rule paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError

# Keys of a setup file that configure the tool rather than describe the setup.
TOOL_KEYS = ("rules",)


def read(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """(setup values, rule paths) from a file; rule paths resolve beside the file."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--setup", f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            import tomllib
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            from . import yamlfile
            data = yamlfile.load(text)
        else:
            raise InputError("--setup", f"{where}: unknown file type {suffix!r}; use .yaml, .yml, .json or .toml")
    except InputError:
        raise
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError and YamlError are all ValueErrors
        line = getattr(exc, "line", None) or getattr(exc, "lineno", None)
        raise InputError("--setup", f"{where}{f':{line}' if line else ''}: not valid {suffix[1:].upper()}: "
                         f"{str(exc).splitlines()[0]}") from None
    if data is None:
        data = {}
    if path.name == "pyproject.toml" and isinstance(data, dict):
        data = data.get("tool", {}).get("advisor")
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


# Looked for in the working directory when no --setup is given, in this order.
DISCOVERED = ("advisor.yaml", "advisor.yml", "advisor.toml")


def discover(folder: Path) -> Path | None:
    """The setup file of a project: advisor.yaml / advisor.toml, else a pyproject.toml with [tool.advisor]."""
    for name in DISCOVERED:
        if (folder / name).is_file():
            return folder / name
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("advisor")
        except (OSError, UnicodeDecodeError, ValueError):
            return None  # a broken pyproject is not ours to report unless asked for with --setup
        if isinstance(table, dict):
            return pyproject
    return None


def key_lines(path: Path) -> dict[str, int]:
    """Line (1-based) of each top-level-looking setup key in a setup file, for annotations."""
    import re

    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lines
    pattern = re.compile(r'^\s*"?([A-Za-z_][\w-]*)"?\s*[:=]')
    for number, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match:
            lines.setdefault(match[1].replace("-", "_"), number)
    return lines
