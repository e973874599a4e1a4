"""Format back-ends: read a config's scalar values with their paths, write new values back.

Only the values that change are touched; everything else keeps its bytes:

* YAML: PyYAML's event stream (libyaml when installed) gives each scalar's
  start and end offset; the `auto` scalar is replaced in the original text,
  so comments, quoting, indentation and key order cannot move (a full
  re-dump re-flows them). Values are typed as PyYAML's `safe_load` types
  them (YAML 1.1), because that is how Hugging Face's and Lightning's
  parsers will read the filled file.
* JSON: json.loads checks the text; a small scanner records each `auto`
  string's offsets for the same splice, so key order, indentation and number
  spellings such as `2e8` (and Python's `NaN`, which json.load accepts) survive.
* TOML: tomlkit's document model, changing the item in place and keeping its
  trailing comment.

Every format refuses what would make the filled file mean something else
than advisor read: a key given twice (JSON and YAML keep the last, silently),
nesting deeper than MAX_DEPTH. An anchored block (`&base`) is read once
where it is written, so aliases to it cost nothing and an `auto` in it is
filled there, for every alias at once. A leading byte-order mark is kept.

tomlkit is imported only when a TOML file is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from advisor.errors import InputError

Path_ = tuple  # a value's address: map keys (str) and list indices (int)

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
MAX_DEPTH = 64  # far above any training config; far below Python's recursion limit
_BOM = "\ufeff"


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
    text: str  # without a byte-order mark, which `bom` keeps
    leaves: dict[Path_, Any] = field(default_factory=dict)
    spans: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # YAML/JSON: text offsets of autos
    tree: Any = None  # TOML: the tomlkit document
    bom: str = ""

    @property
    def top_keys(self) -> set[str]:
        return {p[0] for p in self.leaves if p and isinstance(p[0], str)}

    def render(self, changes: dict[Path_, Any]) -> str:
        """The text with `changes` applied; the original text when there are none."""
        if not changes:
            return self.bom + self.text
        if self.kind == "toml":
            return self.bom + _toml_render(self, changes)
        out, last = [self.bom], 0
        for path in sorted(changes, key=lambda p: self.spans[p][0]):
            start, end = self.spans[path]
            out += [self.text[last:start], _literal(self.kind, changes[path], self.text[start:end])]
            last = end
        out.append(self.text[last:])
        return "".join(out)


def parse(text: str, kind: str, where: str) -> Document:
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom):]
    parser = {"yaml": _yaml_parse, "json": _json_parse, "toml": _toml_parse}[kind]
    doc = parser(body, where)
    doc.bom = bom
    return doc


class _Anchored:
    """Where an alias stands for an anchored map or list: its values are read where the anchor is."""


_ANCHORED = _Anchored()


def _walk(node: Any, path: Path_, where: str) -> Iterator[tuple[Path_, Any]]:
    if len(path) > MAX_DEPTH:
        raise InputError("config", f"{where}: nested deeper than {MAX_DEPTH} levels at {dotted(path[:3])}…")
    if isinstance(node, _Anchored):
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),), where)
    elif isinstance(node, list) and not all(_is_scalar(v) for v in node):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,), where)
    else:
        yield path, node


def _leaves(doc: Document, data: Any, where: str, autos: dict[Path_, tuple[int, int]] | None) -> Document:
    """Fill `doc.leaves` from the plain `data`.

    `autos`: the offsets of each `auto` that can be replaced in the text (None: the format renders from its
    tree). An `auto` without offsets is one that a splice would corrupt (YAML anchors, tags, block scalars).
    """
    for path, value in _walk(data, (), where):
        doc.leaves[path] = value
        if autos is not None and is_auto(value):
            if path not in autos:
                raise InputError(dotted(path), f"{where}: write auto as a plain or quoted scalar "
                                               f"(no anchor, alias, tag or block style)")
            doc.spans[path] = autos[path]
    return doc


def _duplicate(where: str, line: int, path: Path_) -> InputError:
    return InputError(dotted(path), f"{where}:{line}: the key is given twice; the second would silently win "
                                    f"over the first: keep one")


def _too_deep(where: str, line: int) -> InputError:
    return InputError("config", f"{where}:{line}: nested deeper than {MAX_DEPTH} levels")


# ------------------------------------------------------------------ YAML

_YAML_AUTO = re.compile(r"""auto|"auto"|'auto'""", re.IGNORECASE)
_PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null")}


class _Frame:
    """A map or list being read from the event stream, and the key whose value comes next."""

    def __init__(self, value: Any, path: Path_) -> None:
        self.value, self.path = value, path
        self.key: str | None = None

    def child_path(self) -> Path_:
        return self.path + ((len(self.value),) if isinstance(self.value, list) else (self.key,))


def _yaml_parse(text: str, where: str) -> Document:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data, autos = _yaml_build(yaml.parse(text, Loader=loader), text, where)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        raise InputError("config", f"{where}{line}: not valid YAML: {' '.join(problem.split())}") from None
    if data is not None and not isinstance(data, dict):
        raise InputError("config", f"{where}: expected a map of settings at the top level")
    return _leaves(Document("yaml", text), data or {}, where, autos)


def _yaml_build(events: Any, text: str, where: str) -> tuple[Any, dict[Path_, tuple[int, int]]]:
    """The plain data of a YAML stream, built from its events without recursion, and the offsets of autos.

    Linear in the text: an alias is not expanded (see _Anchored), so a "billion laughs" stays small.
    """
    import yaml

    scalars = yaml.constructor.SafeConstructor()
    resolver = yaml.resolver.Resolver()
    anchors: dict[str, Any] = {}
    autos: dict[Path_, tuple[int, int]] = {}
    stack: list[_Frame] = []
    root: list[Any] = []

    def place(value: Any, line: int) -> None:
        if not stack:
            root.append(value)
            return
        frame = stack[-1]
        if isinstance(frame.value, list):
            frame.value.append(value)
        elif frame.key is None:
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                raise InputError("config", f"{where}:{line}: a key must be a plain value, not a map or a list")
            key = str(value)
            if key in frame.value:
                raise _duplicate(where, line, frame.path + (key,))
            frame.key = key
        else:
            frame.value[frame.key] = value
            frame.key = None

    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.ScalarEvent):
            value = _yaml_scalar(event, scalars, resolver, where, line)
            start, end = event.start_mark.index, event.end_mark.index
            is_value = stack and not (isinstance(stack[-1].value, dict) and stack[-1].key is None)
            if is_value and is_auto(value) and _YAML_AUTO.fullmatch(text, start, end):
                autos[stack[-1].child_path()] = (start, end)
            if event.anchor:
                anchors[event.anchor] = value
            place(value, line)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise InputError("config", f"{where}:{line}: alias *{event.anchor} before its anchor &{event.anchor}")
            place(anchors[event.anchor], line)
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(where, line)
            path = stack[-1].child_path() if stack else ()
            if event.anchor:
                anchors[event.anchor] = _ANCHORED
            stack.append(_Frame({} if isinstance(event, yaml.MappingStartEvent) else [], path))
        elif isinstance(event, yaml.CollectionEndEvent):
            place(stack.pop().value, line)
    if len(root) > 1:
        raise InputError("config", f"{where}: holds {len(root)} YAML documents; a config is one")
    return (root[0] if root else None), autos


def _yaml_scalar(event: Any, scalars: Any, resolver: Any, where: str, line: int) -> Any:
    """A scalar typed as yaml.safe_load types it; a value under an unknown tag is its text, never an object."""
    import yaml

    tag = event.tag if event.tag not in (None, "!") else \
        resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag not in _PLAIN_TAGS:
        return event.value
    try:
        return scalars.construct_object(yaml.ScalarNode(tag, event.value, style=event.style))
    except (ValueError, yaml.YAMLError) as exc:  # an int of 5,000 digits is past int()'s limit
        raise InputError("config", f"{where}:{line}: cannot read {event.value[:40]!r}: {exc}") from None


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
_CONSTANTS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")  # the words json.loads accepts
_SPACE = re.compile(r"[ \t\n\r]*")


def _json_parse(text: str, where: str) -> Document:
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(where, 1) from None
    except ValueError as exc:  # JSONDecodeError, or an integer past int()'s digit limit
        message = getattr(exc, "msg", None) or str(exc)
        raise InputError("config", f"{where}:{getattr(exc, 'lineno', 1)}: not valid JSON: {message}") from None
    if not isinstance(data, dict):
        raise InputError("config", f"{where}: expected a JSON object at the top level")
    return _leaves(Document("json", text), data, where, _json_autos(text, where))


def _json_autos(text: str, where: str) -> dict[Path_, tuple[int, int]]:
    """The offsets of every `auto` string of valid JSON `text`, refusing duplicate keys and deep nesting.

    An explicit stack instead of recursion: the depth is bounded by MAX_DEPTH, never by Python's stack.
    """
    from json.decoder import scanstring

    autos: dict[Path_, tuple[int, int]] = {}
    stack: list[tuple[Path_, Any]] = []  # (path of the container, its keys so far or its next index)
    i = _SPACE.match(text, 0).end()
    path: Path_ = ()
    while True:
        ch = text[i]
        if ch in "{[":
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(where, text.count("\n", 0, i) + 1)
            stack.append((path, set() if ch == "{" else 0))
            i = _SPACE.match(text, i + 1).end()
            if text[i] not in "]}":
                path, i = _json_next(text, i, stack, where)
                continue
            stack.pop()
            i += 1
        elif ch == '"':
            value, end = scanstring(text, i + 1)
            if is_auto(value):
                autos[path] = (i, end)
            i = end
        else:
            word = next((w for w in _CONSTANTS if text.startswith(w, i)), None)
            i = i + len(word) if word else _NUMBER.match(text, i).end()
        # after a value: close containers until one has a next member
        while stack:
            i = _SPACE.match(text, i).end()
            if text[i] == ",":
                path, i = _json_next(text, _SPACE.match(text, i + 1).end(), stack, where)
                break
            stack.pop()
            i += 1  # past `}` or `]`
        else:
            return autos


def _json_next(text: str, i: int, stack: list[tuple[Path_, Any]], where: str) -> tuple[Path_, int]:
    """The path of the container's next member starting at `i`, and where its value starts."""
    from json.decoder import scanstring

    parent, seen = stack[-1]
    if isinstance(seen, int):
        stack[-1] = (parent, seen + 1)
        return parent + (seen,), i
    key, i = scanstring(text, i + 1)
    if key in seen:
        raise _duplicate(where, text.count("\n", 0, i) + 1, parent + (key,))
    seen.add(key)
    i = _SPACE.match(text, i).end() + 1  # past ':'
    return parent + (key,), _SPACE.match(text, i).end()


# ------------------------------------------------------------------ TOML

def _toml_parse(text: str, where: str) -> Document:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        tree = tomlkit.parse(text)
        data = tree.unwrap()
    except TOMLKitError as exc:
        raise InputError("config", f"{where}: not valid TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise _too_deep(where, 1) from None
    except ValueError as exc:  # an integer past int()'s digit limit
        raise InputError("config", f"{where}: not valid TOML: {exc}") from None
    return _leaves(Document("toml", text, tree=tree), data, where, None)


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
