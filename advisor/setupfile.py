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
    if not isinstance(data, dict):
        raise InputError("--setup", f"{where}: expected a map of setup keys, like gpu_mem_gb: 8")
    data = dict(data)
    rules = data.pop("rules", [])
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise InputError("rules", f"{where}: 'rules' is a folder or a list of folders of rule files")
    return data, [path.parent / r for r in rules]
