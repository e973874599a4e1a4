"""Read YAML as plain data with line numbers, and nothing else.

Only maps, lists, strings, numbers, booleans and nulls are built; any tag
(`!foo`, `!!python/object`, `!!binary`, …) and any anchor or alias is refused,
so a data file can never construct objects or expand into a "billion laughs".

Numbers are read as a person means them, not as YAML 1.1 does: `010` is ten
(as in YAML 1.2; 1.1 reads octal 8) and `1:20` stays the text "1:20" (1.1
reads a base-60 number, 80), which is how a class ratio is written. Nesting
deeper than MAX_DEPTH and number literals longer than MAX_NUMBER_CHARS are
refused, so a hostile file is one YamlError, never a RecursionError or a
ValueError from int().
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from advisor import files
from advisor.rulebook import cache

# Far above any data file of ours (rule files nest 7 deep); below what would exhaust Python's stack.
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64  # a float's full precision, with sign, exponent and `_` separators
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")  # YAML 1.1 octal; decimal here

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

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_depth(yaml.parse(text, Loader=loader))  # before composing, which recurses per level
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                        mark.line + 1 if mark else None) from None
    return None if node is None else _build(node, set(), yaml.constructor.SafeConstructor())


def _check_depth(events: Any) -> None:
    import yaml

    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _number(node: Any, scalars: Any, line: int) -> Any:
    text = node.value
    if len(text) > MAX_NUMBER_CHARS:
        raise YamlError(f"a number of {len(text)} characters; at most {MAX_NUMBER_CHARS}", line)
    if ":" in text:  # YAML 1.1 base 60: `1:20` would be 80
        return text
    if _LEADING_ZERO.fullmatch(text):  # `010` and `08` alike: decimal, as in YAML 1.2
        return int(text.replace("_", ""), 10)
    return scalars.construct_object(node)


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
    if isinstance(node, yaml.ScalarNode) and (node.tag in (_INT, _FLOAT)
                                              or not node.style and _LEADING_ZERO.fullmatch(node.value)):  # plain: '' or None
        return _number(node, scalars, line)
    if isinstance(node, yaml.ScalarNode) and node.tag in _PLAIN:
        return scalars.construct_object(node)
    raise YamlError(f"YAML tags are not allowed in rule data (found {node.tag!r})", line)


# ---------------------------------------------------------------- cache
# Parsing the built-in rules with PyYAML takes ~100 ms, reading the same data
# as JSON ~5 ms (benchmarks/bench_cli.py), so each file's parsed data is kept
# as JSON beside the user's other caches, one file per path, used while the
# text's hash matches. JSON can only hold plain data, and the cached data still
# goes through every load-time check.

_CACHE_VERSION = "3"


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


def load_file(path: Path, *, field: str, limit: int) -> Any:
    """`load()` of the file's text, through the JSON cache.

    The file is read with files.read_text (regular files only, at most `limit` bytes; an
    InputError naming `field` otherwise), and the cache is keyed by its content.
    """
    text = files.read_text(path, field=field, limit=limit)
    stamp = [_CACHE_VERSION, cache.digest(text.encode())]
    # abspath, not realpath: a slot per name is as good, and realpath costs ~0.1 ms a file; two names that
    # share a slot only read their files again (the stamp is the content's)
    slot = cache.directory() / (cache.digest(os.fsencode(os.path.abspath(path))) + ".json")
    try:
        cached = cache.read(slot)
        if cached["stamp"] == stamp:
            return _decode(cached["data"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # a damaged cache is read again
        pass
    data = load(text)
    cache.write(slot, {"stamp": stamp, "data": _encode(data)})
    return data
