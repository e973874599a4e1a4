"""Format back-ends: read a config's scalar values with their paths, write new values back.

Only the values that change are touched; everything else keeps its bytes:

* YAML: ruamel.yaml's round-trip loader gives each value's line and column;
  the `auto` scalar is replaced in the original text, so comments, quoting,
  indentation and key order cannot move (a full re-dump re-flows them).
* JSON: a small scanner records each value's offsets for the same splice, so
  key order, indentation and number spellings such as `2e8` survive.
* TOML: tomlkit's document model, changing the item in place and keeping its
  trailing comment.

ruamel.yaml and tomlkit are imported only when a file of their kind is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError

Path_ = tuple  # a value's address: map keys (str) and list indices (int)

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


def kind_of(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError("config", f"{path}: unknown file type {path.suffix!r}; use .yaml, .yml, .json or .toml")
    return kind


def is_auto(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "auto"


def dotted(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


@dataclass
class Document:
    """A parsed config: `leaves` maps each scalar (or list of scalars) to its value."""

    kind: str
    text: str
    leaves: dict[Path_, Any] = field(default_factory=dict)
    spans: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # YAML/JSON: text offsets of autos
    tree: Any = None  # TOML: the tomlkit document

    @property
    def top_keys(self) -> set[str]:
        return {p[0] for p in self.leaves if p and isinstance(p[0], str)}

    def render(self, changes: dict[Path_, Any]) -> str:
        """The text with `changes` applied; the original text when there are none."""
        if not changes:
            return self.text
        if self.kind == "toml":
            return _toml_render(self, changes)
        out, last = [], 0
        for path in sorted(changes, key=lambda p: self.spans[p][0]):
            start, end = self.spans[path]
            out += [self.text[last:start], _literal(self.kind, changes[path], self.text[start:end])]
            last = end
        out.append(self.text[last:])
        return "".join(out)


def parse(text: str, kind: str, where: str) -> Document:
    if kind == "yaml":
        return _yaml_parse(text, where)
    if kind == "json":
        return _json_parse(text, where)
    return _toml_parse(text, where)


def _walk(node: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),))
    elif isinstance(node, list) and not all(_is_scalar(v) for v in node):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))
    else:
        yield path, node


# ------------------------------------------------------------------ YAML

_YAML_AUTO = re.compile(r"""(?:auto|"auto"|'auto')(?![\w-])""", re.IGNORECASE)


def _yaml_parse(text: str, where: str) -> Document:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise InputError("config", f"{where}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") \
            from None
    doc = Document("yaml", text)
    if data is None:
        return doc
    if not isinstance(data, dict):
        raise InputError("config", f"{where}: expected a map of settings at the top level")
    starts = _line_starts(text)
    for path, value in _walk(data, ()):
        doc.leaves[path] = _plain(value)
        if is_auto(value):
            parent = data
            for p in path[:-1]:
                parent = parent[p]
            line, col = parent.lc.item(path[-1]) if isinstance(path[-1], int) else parent.lc.value(path[-1])
            offset = starts[line] + col
            match = _YAML_AUTO.match(text, offset)
            if match is None:  # a block scalar or an odd spelling: refuse rather than corrupt the file
                raise InputError(dotted(path), f"{where}:{line + 1}: write auto as a plain or quoted scalar")
            doc.spans[path] = match.span()
    return doc


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _literal(kind: str, value: Any, original: str) -> str:
    """`value` spelled for the file: YAML keeps the quote style of the `auto` it replaces."""
    if isinstance(value, list):
        return "[" + ", ".join(_literal(kind, v, original) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # PyYAML (YAML 1.1) reads 2e-05 as a string; 2.0e-05 is a float everywhere
        if kind == "yaml" and "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    quote = original[0] if original[:1] in "\"'" else ""
    return f"{quote}{value}{quote}" if quote else value


# ------------------------------------------------------------------ JSON

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")


def _json_parse(text: str, where: str) -> Document:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError("config", f"{where}:{getattr(exc, 'lineno', '?')}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InputError("config", f"{where}: expected a JSON object at the top level")
    doc = Document("json", text)
    for path, value in _walk(data, ()):
        doc.leaves[path] = value
    _json_spans(text, _SPACE.match(text, 0).end(), (), doc)
    return doc


def _json_spans(text: str, i: int, path: Path_, doc: Document) -> int:
    """Record the offsets of `auto` strings; returns the index after the value at `i`."""
    from json.decoder import scanstring

    ch = text[i]
    if ch == "{":
        i = _SPACE.match(text, i + 1).end()
        if text[i] == "}":
            return i + 1
        while True:
            key, i = scanstring(text, i + 1)
            i = _SPACE.match(text, i).end() + 1  # past ':'
            i = _json_spans(text, _SPACE.match(text, i).end(), path + (key,), doc)
            i = _SPACE.match(text, i).end()
            if text[i] == "}":
                return i + 1
            i = _SPACE.match(text, i + 1).end()  # past ','
    if ch == "[":
        i = _SPACE.match(text, i + 1).end()
        index = 0
        if text[i] == "]":
            return i + 1
        while True:
            i = _json_spans(text, i, path + (index,), doc)
            i = _SPACE.match(text, i).end()
            if text[i] == "]":
                return i + 1
            i, index = _SPACE.match(text, i + 1).end(), index + 1
    if ch == '"':
        value, end = scanstring(text, i + 1)
        if is_auto(value) and path in doc.leaves:
            doc.spans[path] = (i, end)
        return end
    for word in ("true", "false", "null"):
        if text.startswith(word, i):
            return i + len(word)
    return _NUMBER.match(text, i).end()


# ------------------------------------------------------------------ TOML

def _toml_parse(text: str, where: str) -> Document:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        tree = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError("config", f"{where}: not valid TOML: {exc}") from None
    doc = Document("toml", text, tree=tree)
    for path, value in _walk(tree.unwrap(), ()):
        doc.leaves[path] = value
    return doc


def _toml_render(doc: Document, changes: dict[Path_, Any]) -> str:
    import tomlkit

    for path, value in changes.items():
        parent = doc.tree
        for p in path[:-1]:
            parent = parent[p]
        old = parent[path[-1]]
        new = tomlkit.item(value)
        if hasattr(old, "trivia") and hasattr(new, "trivia"):  # keep `key = "auto"  # comment`'s comment
            new.trivia.comment_ws, new.trivia.comment = old.trivia.comment_ws, old.trivia.comment
            new.trivia.trail = old.trivia.trail
        parent[path[-1]] = new
    return tomlkit.dumps(doc.tree)
