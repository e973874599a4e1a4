"""Read YAML as plain data with line numbers, and nothing else.

Only maps, lists, strings, numbers, booleans and nulls are built; any tag
(`!foo`, `!!python/object`, `!!binary`, …) and any anchor or alias is refused,
so a data file can never construct objects or expand into a "billion laughs".
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

_PLAIN = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
          "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_IMPLICIT_TEXT = {"tag:yaml.org,2002:timestamp"}  # an unquoted date stays the text it was
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class YamlError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Map(dict):
    """A dict that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


def load(text: str) -> Any:
    import yaml  # here, not at the top: a cached rule file is read without PyYAML

    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                        mark.line + 1 if mark else None) from None
    return None if node is None else _build(node, set(), yaml.constructor.SafeConstructor())


def _build(node: Any, seen: set[int], scalars: Any) -> Any:
    import yaml

    line = node.start_mark.line + 1
    if id(node) in seen or getattr(node, "anchor", None):
        raise YamlError("anchors and aliases are not allowed in rule data", line)
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
        result = Map()
        result.line, result.lines = line, {}
        for key_node, value_node in node.value:
            key = _build(key_node, seen, scalars)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise YamlError(f"keys must be text, not {key!r}", key_node.start_mark.line + 1)
            key = str(key)
            if key in result:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            result[key] = _build(value_node, seen, scalars)
            result.lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        return [_build(item, seen, scalars) for item in node.value]
    if isinstance(node, yaml.ScalarNode) and node.tag in _IMPLICIT_TEXT:
        return node.value
    if isinstance(node, yaml.ScalarNode) and node.tag in _PLAIN:
        return scalars.construct_object(node)
    raise YamlError(f"YAML tags are not allowed in rule data (found {node.tag!r})", line)


# ---------------------------------------------------------------- cache
# Parsing the built-in rules with PyYAML takes ~100 ms, reading the same data
# as JSON ~5 ms (benchmarks/bench_cli.py), so each file's parsed data is kept
# as JSON beside the user's other caches, keyed by path, size and mtime like
# .pyc files. JSON can only hold plain data, and the cached data still goes
# through every load-time check.

_CACHE_VERSION = "1"


def _cache_dir() -> Path:
    explicit = os.environ.get("ADVISOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor"


def _encode(value: Any) -> Any:
    if isinstance(value, Map):
        return {"m": [value.line, [[k, value.lines[k], _encode(v)] for k, v in value.items()]]}
    if isinstance(value, list):
        return {"l": [_encode(v) for v in value]}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "l" in value:
            return [_decode(v) for v in value["l"]]
        line, items = value["m"]
        result = Map()
        result.line, result.lines = line, {}
        for key, key_line, item in items:
            result[key] = _decode(item)
            result.lines[key] = key_line
        return result
    return value


def load_file(path: Path) -> Any:
    """`load(path.read_text())`, through the JSON cache; OSError/UnicodeDecodeError as reading raises them."""
    resolved = path.resolve()
    stat = resolved.stat()
    stamp = [_CACHE_VERSION, stat.st_mtime_ns, stat.st_size]
    cache = _cache_dir() / (hashlib.sha1(str(resolved).encode()).hexdigest()[:20] + ".json")
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached["stamp"] == stamp:
            return _decode(cached["data"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    data = load(resolved.read_text(encoding="utf-8"))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cache.parent, suffix=".tmp", delete=False, encoding="utf-8") as f:
            json.dump({"stamp": stamp, "data": _encode(data)}, f)
        os.replace(f.name, cache)
    except OSError:
        pass  # a read-only home still works, only slower
    return data
