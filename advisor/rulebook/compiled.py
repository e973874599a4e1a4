"""The checked rulebook, kept between runs as plain data: a start-up costs reading it, not checking it.

Loading the built-in rules checks every rule (keys, types, conditions compiled against the
fact specs, templates proven safe): ~40 ms of every `advisor diagnose`, for the same answer
each time. So a rulebook that loaded without error is written as JSON beside the YAML cache
(the cache folder, rulebook/cache.py), and used while its key matches. The key holds:

- the advisor version and this format's version;
- size and mtime of the modules whose checks and meanings the rulebook depends on (loader,
  conditions, templates, facts, fields), so an edited checkout never reads a stale book;
- the real path and the digest (cache.digest) of every rule file and of the strategy catalog (a rule's
  `file`, its name in messages, is stored real and made relative to each run's working
  directory when decoded).

JSON holds data, never code: a condition is stored as its tree of tagged lists
(`["and", [...]]`, `["fact", "gpu_mem_gib"]`), rebuilt into the same nodes the compiler
makes. Decoding accepts only known tags, operators and fact names (the kinds come from the
fact specs, not from the file); anything else is a damaged cache, read again from the rules.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from advisor import vocabulary
from advisor.facts import derive as facts
from advisor.rulebook import conditions as c
from advisor.rulebook import cache, diagnosis, loader, templates
from advisor.setup import fields

FORMAT = "3"
# the modules whose code decides what a rule file loads as
_CODE = (loader, c, diagnosis, templates, facts, fields, vocabulary)


class Damaged(ValueError):
    """The cached data is not a rulebook this version wrote: load from the rule files."""


def load_rulebook(extra: tuple[Path, ...] | list[Path] = (), found: dict[str, Path] | None = None) -> loader.Rulebook:
    """loader.load_rulebook(extra) (raising its first RuleError), through the cache; `found`: sources(extra),
    when the caller has it already."""
    found = sources(extra) if found is None else found
    key = _key(found)
    slot = cache.directory() / f"book-{cache.digest(repr(sorted(found)).encode())}.json"
    if key is not None:
        try:
            cached = cache.read(slot)
            if cached.get("key") == key:
                return decode(cached["book"])
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            pass  # missing, or damaged (Damaged is a ValueError): load from the rules
    book, _ = loader.load_rulebook(extra)
    if key is not None:
        cache.write(slot, {"key": key, "book": encode(book)})
    return book


def sources(extra: tuple[Path, ...] | list[Path]) -> dict[str, Path]:
    """The files load_rulebook reads: real path -> as given (the strategy catalog first)."""
    base = loader.builtin_dir()
    return loader.real_paths([*(base / name for name in loader.CATALOG_FILES),
                              *(path for source in [base, *map(Path, extra)] for path in loader.rule_files(source))])


def _key(sources: dict[str, Path]) -> list[Any] | None:
    """What the cached book must have been made from; None when a file cannot be read (the loader says why)."""
    from advisor import __version__

    code = []
    for module in _CODE:
        try:
            stat = os.stat(module.__file__)
        except OSError:
            return None
        code.append([module.__name__, stat.st_mtime_ns, stat.st_size])
    rules = []
    for real, path in sources.items():
        try:
            digest = cache.digest(loader.files.read_bytes(path, field="rules", limit=loader.FILE_BYTES))
        except Exception:  # InputError, a name the OS refuses: the loader reports it in its own words
            return None
        rules.append([real, digest])
    return [__version__, FORMAT, code, rules]


# ---------------------------------------------------------------- rulebook <-> plain data

def encode(book: loader.Rulebook) -> dict[str, Any]:
    d = book.diagnosis
    return {"strategies": [[s.id, s.title, s.description, sorted(s.conflicts), s.treats, s.cost, s.scope,
                            encode_condition(s.applies) if s.applies else None]
                           for s in book.strategies.values()],
            "problems": [[p.id, p.title, p.kind, encode_condition(p.condition) if p.condition else None, p.says]
                         for p in d.problems.values()],
            "causes": [[k.id, k.title, k.explains, _encode_evidence(k.evidence)] for k in d.causes.values()],
            "rules": [_encode_rule(r) for r in book.rules]}


def decode(data: dict[str, Any]) -> loader.Rulebook:
    strategies = {}
    for sid, title, description, conflicts, treats, cost, scope, applies in data["strategies"]:
        strategies[_text(sid)] = loader.Strategy(sid, _text(title), _text(description), frozenset(conflicts),
                                                 _treats(treats), _choice(cost, diagnosis.COSTS), _text(scope),
                                                 decode_condition(applies) if applies is not None else None)
    problems = {_text(pid): diagnosis.Problem(pid, _text(title), _choice(kind, diagnosis.PROBLEM_KINDS),
                                              decode_condition(when) if when is not None else None, _text(says))
                for pid, title, kind, when, says in data["problems"]}
    causes = {_text(cid): diagnosis.Cause(cid, _text(title), {_text(p): int(v) for p, v in explains.items()},
                                          _decode_evidence(evidence))
              for cid, title, explains, evidence in data["causes"]}
    return loader.Rulebook(strategies, tuple(_decode_rule(r) for r in data["rules"]),
                           diagnosis.Diagnosis(problems, causes))


def _encode_evidence(items: tuple[diagnosis.Evidence, ...]) -> list[Any]:
    return [[encode_condition(e.condition), e.weight, e.says] for e in items]


def _decode_evidence(data: list[Any]) -> tuple[diagnosis.Evidence, ...]:
    return tuple(diagnosis.Evidence(decode_condition(when), int(weight), _text(says)) for when, weight, says in data)


def _treats(data: Any) -> dict[str, str]:
    return {_text(cause): _choice(directness, diagnosis.DIRECTNESS) for cause, directness in data.items()}


def _choice(value: Any, choices: Any) -> str:
    if value not in choices:
        raise Damaged(f"unexpected value {value!r}")
    return value


def _encode_rule(rule: loader.Rule) -> dict[str, Any]:
    return {"id": rule.id, "title": rule.title, "strategy": rule.strategy, "severity": rule.severity,
            "when": encode_condition(rule.condition),
            "why": rule.why, "do": rule.do, "code": rule.code, "sources": list(rule.sources),
            "references": list(rule.references), "examples": rule.examples,
            "file": os.path.realpath(rule.file), "line": rule.line,
            "snippets": {fw: [list(s.needs), s.runs, s.reason, [list(p) for p in s.replace]]
                         for fw, s in rule.snippets.items()},
            "treats": rule.treats, "cost": rule.cost, "evidence": _encode_evidence(rule.evidence),
            "contra": [[encode_condition(k.condition), k.says, k.effect] for k in rule.contra]}


def _decode_rule(raw: dict[str, Any]) -> loader.Rule:
    snippets = {fw: loader.SnippetSpec(tuple(needs), bool(runs), _text(reason), tuple((a, b) for a, b in replace))
                for fw, (needs, runs, reason, replace) in raw["snippets"].items()}
    return loader.Rule(
        _text(raw["id"]), _text(raw["title"]), _text(raw["strategy"]), _text(raw["severity"]),
        decode_condition(raw["when"]),
        _text(raw["why"]), _text(raw["do"]), dict(raw["code"]), tuple(raw["sources"]), tuple(raw["references"]),
        {kind: [dict(e) for e in raw["examples"][kind]] for kind in ("fires", "silent")},
        _display(_text(raw["file"])), int(raw["line"]), snippets, _treats(raw["treats"]),
        _choice(raw["cost"], ("", *diagnosis.COSTS)), _decode_evidence(raw["evidence"]),
        tuple(diagnosis.Contra(decode_condition(when), _text(says), _choice(effect, diagnosis.EFFECTS))
              for when, says, effect in raw["contra"]))


def _display(real: str) -> str:
    """loader.display_path of a real path, without resolving it again (the key holds it as found now)."""
    inside = os.path.join(os.getcwd(), "")  # with its final separator, "/" for the root
    return real[len(inside):] if real.startswith(inside) else real


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Damaged(f"expected text, found {type(value).__name__}")
    return value


# ---------------------------------------------------------------- conditions <-> plain data

_COMPARISONS = {"==": "Eq", "!=": "NotEq", "<": "Lt", "<=": "LtE", ">": "Gt", ">=": "GtE", "in": "In",
                "not in": "NotIn"}
_OPERATOR = {symbol: c._COMPARE[getattr(c.ast, name)] for symbol, name in _COMPARISONS.items()}
_ARITHMETIC = {"+": c.ast.Add, "-": c.ast.Sub, "*": c.ast.Mult, "/": c.ast.Div}
_ARITH = {symbol: c._ARITH[node] for symbol, node in _ARITHMETIC.items()}
_SYMBOL = {op: symbol for symbol, op in {**_OPERATOR, **_ARITH}.items()}
_CONST_KINDS = ("number", "str", "bool", "list:number", "list:str")


def encode_condition(condition: c.Condition) -> list[Any]:
    return [condition.source, _encode_test(condition.root)]


def decode_condition(data: list[Any]) -> c.Condition:
    source, tree = data
    names: set[str] = set()
    return c.Condition(_text(source), _decode_test(tree, names), frozenset(names))


def _encode_test(test: c.Test) -> list[Any]:
    if isinstance(test, c._Atom):
        return ["atom", test.text, [[_SYMBOL[op], _encode_value(a), _encode_value(b)] for op, a, b in test.pairs]]
    if isinstance(test, (c._BoolFact, c._Known)):
        return ["bool" if isinstance(test, c._BoolFact) else "known", test.name]
    if isinstance(test, (c._Maybe, c._Not)):
        return [test.op, _encode_test(test.inner)]
    return [test.op, [_encode_test(p) for p in test.parts]]  # and / or


def _encode_value(value: c._Value) -> list[Any]:
    if isinstance(value, c._Fact):
        return ["fact", value.name]
    if isinstance(value, c._Arith):
        return ["arith", _SYMBOL[value.op], _encode_value(value.left), _encode_value(value.right)]
    constant = sorted(value.constant) if isinstance(value.constant, frozenset) else value.constant
    return ["const", constant, value.kind]


def _decode_test(data: list[Any], names: set[str]) -> c.Test:
    tag, *rest = data
    if tag == "atom":
        text, pairs = rest
        decoded = [(_OPERATOR[op], _decode_value(a, names), _decode_value(b, names)) for op, a, b in pairs]
        if not decoded:
            raise Damaged("a comparison without operands")
        return c._Atom(_text(text), decoded, frozenset().union(*(v.names for _, a, b in decoded for v in (a, b))))
    if tag in ("bool", "known"):
        name = _fact(rest[0], names).name
        return c._BoolFact(name) if tag == "bool" else c._Known(name)
    if tag in ("maybe", "not"):
        inner = _decode_test(rest[0], names)
        return c._Maybe(inner) if tag == "maybe" else c._Not(inner)
    if tag in ("and", "or") and rest[0]:
        parts = [_decode_test(p, names) for p in rest[0]]
        return c._And(parts) if tag == "and" else c._Or(parts)
    raise Damaged(f"unknown test {tag!r}")


def _decode_value(data: list[Any], names: set[str]) -> c._Value:
    tag, *rest = data
    if tag == "fact":
        return _fact(rest[0], names)
    if tag == "arith":
        symbol, left, right = rest
        return c._Arith(_ARITH[symbol], _decode_value(left, names), _decode_value(right, names))
    if tag == "const" and rest[1] in _CONST_KINDS:
        constant, kind = rest
        return c._Const(frozenset(constant) if kind.startswith("list:") else constant, kind)
    raise Damaged(f"unknown value {tag!r}")


def _fact(name: Any, names: set[str]) -> c._Fact:
    spec = facts.SPECS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise Damaged(f"unknown fact {name!r}")
    names.add(spec.name)
    return c._Fact(spec.name, spec.kind, spec.choices)
