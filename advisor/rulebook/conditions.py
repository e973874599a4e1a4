"""Rule conditions: a small expression language compiled once, never `eval`ed.

A condition is Python-like text, parsed with `ast` and compiled into a tree of
nodes after checking every name and type against the fact specs:

    imbalance_ratio >= 4 and maybe(task in ['classification', 'detection'])
    'nan-loss' in symptoms and precision == 'fp16' and not bf16_supported

Allowed: fact names, numbers, strings, booleans, lists of literals, `+ - * /`,
comparisons (chains too), `in` / `not in`, `and` / `or` / `not`, and two
functions: `known(fact)` and `maybe(condition)`.

Setups are partial, so evaluation is three-valued (Kleene): a comparison that
reads an unknown fact is *unknown* (None); `and` is False if any part is False,
`or` is True if any part is True; `maybe(c)` holds unless c is known False. A
rule fires only when its condition is True.

Conditions come from user rule files, so compiling is bounded (length of the
text, nesting depth, size of number literals: `Bounds`, set by the rule
loader) and evaluation is total: arithmetic that overflows or divides by zero
is unknown, never an exception. Compiling reports every problem it finds, not
only the first.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from advisor.facts.derive import FactSpec
from advisor.setup.units import nearest


class ConditionError(ValueError):
    """A condition that does not compile; `problems` names each problem found, the message all of them."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems))


class _Reported(Exception):
    """A part of the condition failed and its problem is already recorded."""


@dataclass(frozen=True)
class Bounds:
    """How large a condition may be: the rule loader's limits."""

    chars: int  # length of the text
    depth: int  # nesting of its syntax tree
    magnitude: float  # largest absolute value of a number literal


@dataclass
class Atom:
    """One leaf test as evaluated, for --explain and for naming missing facts."""

    text: str
    result: bool | None
    values: dict[str, Any]
    unknown: list[str]
    assumed: bool = False  # undecided inside a maybe(), which let it pass: its answer can only silence the rule


@dataclass
class Trace:
    atoms: list[Atom] = field(default_factory=list)


# ---------------------------------------------------------------- value nodes

class _Value:
    kind: str  # "number" | "str" | "bool" | "set" | "list"
    names: frozenset[str] = frozenset()

    def value(self, facts: dict[str, Any]) -> Any:  # None = unknown
        raise NotImplementedError


@dataclass
class _Fact(_Value):
    name: str
    kind: str
    choices: tuple[str, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset({self.name})

    def value(self, facts):
        return facts.get(self.name)


@dataclass
class _Const(_Value):
    constant: Any
    kind: str

    def value(self, facts):
        return self.constant


_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


@dataclass
class _Arith(_Value):
    op: Any
    left: _Value
    right: _Value
    kind: str = "number"

    @property
    def names(self):
        return self.left.names | self.right.names

    def value(self, facts):
        a, b = self.left.value(facts), self.right.value(facts)
        if a is None or b is None:
            return None
        try:
            result = self.op(a, b)
        except (ZeroDivisionError, OverflowError):  # OverflowError: an int too large for a float
            return None
        # inf and nan are no values a rule can reason about: unknown, like a division by zero
        return None if isinstance(result, float) and not math.isfinite(result) else result


# ---------------------------------------------------------------- test nodes

Expand = Callable[[frozenset[str]], frozenset[str]]


class Test:
    def test(self, facts: dict[str, Any], trace: Trace) -> bool | None:
        raise NotImplementedError

    def explain(self, facts: dict[str, Any]) -> dict[str, Any]:
        """This test as evaluated on `facts`: a leaf {test, result, facts}, or {op, result, parts}."""
        trace = Trace()
        result = self.test(facts, trace)
        return {"test": trace.atoms[0].text, "result": result, "facts": trace.atoms[0].values}

    def implied_known(self, expand: Expand) -> frozenset[str]:
        """Inputs that must be known whenever this test is True; `expand` maps fact names to their inputs."""
        return frozenset()

    def implied_known_if_false(self, expand: Expand) -> frozenset[str]:
        """Inputs that must be known whenever this test is False (what `not` of it guarantees)."""
        return frozenset()


_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}


@dataclass
class _Atom(Test):
    text: str
    pairs: list[tuple[Any, _Value, _Value]]  # a chain a < b < c is two pairs
    names: frozenset[str]

    def test(self, facts, trace):
        values = {n: _jsonable(facts.get(n)) for n in sorted(self.names)}
        unknown = [n for n, v in values.items() if v is None]
        result: bool | None = None
        if not unknown:
            operands = [(op, left.value(facts), right.value(facts)) for op, left, right in self.pairs]
            # arithmetic can still be undefined (a division by zero): unknown, not an error
            if all(a is not None and b is not None for _, a, b in operands):
                result = all(op(a, b) for op, a, b in operands)
        trace.atoms.append(Atom(self.text, result, values, unknown))
        return result

    def implied_known(self, expand):
        return expand(self.names)

    implied_known_if_false = implied_known  # decided either way: every operand was known


@dataclass
class _BoolFact(Test):
    name: str

    def test(self, facts, trace):
        value = facts.get(self.name)
        trace.atoms.append(Atom(self.name, value, {self.name: value}, [self.name] if value is None else []))
        return value

    def implied_known(self, expand):
        return expand(frozenset({self.name}))

    implied_known_if_false = implied_known


@dataclass
class _Known(Test):
    name: str

    def test(self, facts, trace):
        known = facts.get(self.name) is not None
        # an unknown fact here is missing too: the rule is decided only by its absence
        trace.atoms.append(Atom(f"known({self.name})", known, {self.name: _jsonable(facts.get(self.name))},
                                [] if known else [self.name]))
        return known

    def implied_known(self, expand):
        return expand(frozenset({self.name}))


class _Composite(Test):
    """and / or / not / maybe: --explain shows their parts under them, so `not x < 4` is not read as `x < 4`."""

    op: str

    def children(self) -> list[Test]:
        raise NotImplementedError

    def explain(self, facts):
        return {"op": self.op, "result": self.test(facts, Trace()),
                "parts": [part.explain(facts) for part in self.children()]}


@dataclass
class _Maybe(_Composite):
    inner: Test
    op = "maybe"

    def children(self):
        return [self.inner]

    def test(self, facts, trace):
        start = len(trace.atoms)
        result = self.inner.test(facts, trace)
        if result is None:
            for atom in trace.atoms[start:]:
                atom.assumed = True
        return result is not False


@dataclass
class _Not(_Composite):
    inner: Test
    op = "not"

    def children(self):
        return [self.inner]

    def test(self, facts, trace):
        result = self.inner.test(facts, trace)
        return None if result is None else not result

    def implied_known(self, expand):
        return self.inner.implied_known_if_false(expand)

    def implied_known_if_false(self, expand):
        return self.inner.implied_known(expand)


@dataclass
class _And(_Composite):
    parts: list[Test]
    op = "and"

    def children(self):
        return self.parts

    def test(self, facts, trace):
        results = [p.test(facts, trace) for p in self.parts]  # all parts, so --explain shows each
        if False in results:
            return False
        return None if None in results else True

    def implied_known(self, expand):
        return frozenset().union(*(p.implied_known(expand) for p in self.parts))

    def implied_known_if_false(self, expand):  # some part is False
        return frozenset.intersection(*(p.implied_known_if_false(expand) for p in self.parts))


@dataclass
class _Or(_Composite):
    parts: list[Test]
    op = "or"

    def children(self):
        return self.parts

    def test(self, facts, trace):
        results = [p.test(facts, trace) for p in self.parts]
        if True in results:
            return True
        return None if None in results else False

    def implied_known(self, expand):
        # intersect inputs, not names: `a < 1 or b < 2` guarantees what a and b both derive from
        return frozenset.intersection(*(p.implied_known(expand) for p in self.parts))

    def implied_known_if_false(self, expand):  # every part is False
        return frozenset().union(*(p.implied_known_if_false(expand) for p in self.parts))


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


# ---------------------------------------------------------------- compiler

@dataclass
class Condition:
    source: str
    root: Test
    names: frozenset[str]  # every fact the condition reads

    def implied_known(self, expand: Expand = lambda names: names) -> frozenset[str]:
        return self.root.implied_known(expand)

    def evaluate(self, facts: dict[str, Any]) -> tuple[bool | None, Trace]:
        trace = Trace()
        return self.root.test(facts, trace), trace

    def explain(self, facts: dict[str, Any]) -> dict[str, Any]:
        return self.root.explain(facts)


def both(first: Condition, second: Condition) -> Condition:
    """`first and second`, for what a text may use when both hold."""
    return Condition(f"({first.source}) and ({second.source})", _And([first.root, second.root]),
                     first.names | second.names)


def compile_condition(source: str, specs: dict[str, FactSpec], bounds: Bounds) -> Condition:
    """Parse and type-check `source` against `specs`; raise ConditionError naming every problem."""
    if not isinstance(source, str) or not source.strip():
        raise ConditionError("a condition must be a non-empty string")
    # a folded YAML block keeps the newlines of more-indented lines: a condition is one line
    text = " ".join(source.split())
    if len(text) > bounds.chars:
        raise ConditionError(f"a condition is at most {bounds.chars} characters (this one has {len(text)})")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"syntax error in condition {_shown(source)}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):  # nesting or a literal that Python's parser refuses
        raise ConditionError(f"condition {_shown(source)} is too complex to read") from None
    if _depth(tree) > bounds.depth:
        raise ConditionError(f"a condition nests at most {bounds.depth} levels deep; split it into simpler tests")
    compiler = _Compiler(text, specs, bounds)
    try:
        root = compiler.test(tree.body)
    except ConditionError as exc:
        compiler.problems.append(str(exc))
    except _Reported:
        pass
    if compiler.problems:
        raise ConditionError(compiler.problems)
    return Condition(source, root, frozenset(compiler.names))


def _shown(source: str, limit: int = 80) -> str:
    return repr(source if len(source) <= limit else source[:limit - 3] + "...")


def _depth(tree: ast.AST) -> int:
    """How deeply `tree` nests, counted without recursion (the tree may be deeper than Python's stack)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


class _Compiler:
    """Compiles a checked syntax tree; a failing part is recorded and its siblings still checked."""

    def __init__(self, source: str, specs: dict[str, FactSpec], bounds: Bounds) -> None:
        self.source, self.specs, self.bounds = source, specs, bounds
        self.names: set[str] = set()
        self.problems: list[str] = []
        # ast.get_source_segment re-splits the source on every call; offsets are in UTF-8 bytes
        self.lines = [line.encode() for line in source.splitlines()]

    def text(self, node: ast.AST) -> str:
        if node.lineno == node.end_lineno:
            return self.lines[node.lineno - 1][node.col_offset:node.end_col_offset].decode()
        return ast.unparse(node)

    def fail(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(f"in {_shown(self.text(node))}: {message}")

    def each(self, compile_one: Callable[[Any], Any], nodes: list[Any]) -> list[Any]:
        """`compile_one` of every node, recording each failure; _Reported when any failed."""
        results, failed = [], False
        for node in nodes:
            try:
                results.append(compile_one(node))
            except ConditionError as exc:
                self.problems.append(str(exc))
                failed = True
            except _Reported:
                failed = True
        if failed:
            raise _Reported
        return results

    def fact(self, node: ast.Name) -> _Fact:
        spec = self.specs.get(node.id)
        if spec is None:
            raise self.fail(node, f"unknown fact {node.id!r}{nearest(node.id, self.specs)}")
        self.names.add(spec.name)
        return _Fact(spec.name, spec.kind, spec.choices)

    def test(self, node: ast.AST) -> Test:
        if isinstance(node, ast.BoolOp):
            parts = self.each(self.test, node.values)
            return _And(parts) if isinstance(node.op, ast.And) else _Or(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _Not(self.test(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Name):
            fact = self.fact(node)
            if fact.kind != "bool":
                raise self.fail(node, f"{fact.name} is a {fact.kind}, not a yes/no fact; compare it with something")
            return _BoolFact(fact.name)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) and not node.keywords else None
            if name == "known" and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
                return _Known(self.fact(node.args[0]).name)
            if name == "maybe" and len(node.args) == 1:
                return _Maybe(self.test(node.args[0]))
            raise self.fail(node, "the only functions are known(fact) and maybe(condition)")
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise self.fail(node, "a constant condition is always the same; drop it")
        raise self.fail(node, "not a condition; use comparisons joined by and / or / not")

    def value(self, node: ast.AST) -> _Value:
        if isinstance(node, ast.Name):
            return self.fact(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float, str)):
            kind = {bool: "bool", int: "number", float: "number", str: "str"}[type(node.value)]
            if kind == "number" and not abs(node.value) <= self.bounds.magnitude:  # `not <=`: nan too
                raise self.fail(node, f"a number in a condition is at most {self.bounds.magnitude:g} in size")
            return _Const(node.value, kind)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand)
            if not isinstance(inner, _Const) or inner.kind != "number":
                raise self.fail(node, "unary minus applies to numbers only")
            return _Const(-inner.constant, "number")
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = self.each(self.value, node.elts)
            if not items or not all(isinstance(i, _Const) for i in items):
                raise self.fail(node, "a list holds one or more literal values")
            kinds = {i.kind for i in items}
            if len(kinds) != 1:
                raise self.fail(node, "a list's values must be all strings or all numbers")
            return _Const(frozenset(i.constant for i in items), "list:" + kinds.pop())
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            left, right = self.each(self.value, [node.left, node.right])
            for side in (left, right):
                if side.kind != "number":
                    raise self.fail(node, "arithmetic applies to numbers only")
            return _Arith(_ARITH[type(node.op)], left, right)
        raise self.fail(node, "not a value; use a fact name, a literal or arithmetic on numbers")

    def compare(self, node: ast.Compare) -> _Atom:
        operands = self.each(self.value, [node.left, *node.comparators])
        triples = list(zip(node.ops, operands, operands[1:]))
        self.each(lambda t: self.check_pair(node, *t), triples)
        pairs = [(_COMPARE[type(op)], left, right) for op, left, right in triples]
        names = frozenset().union(*(o.names for o in operands))
        if not names:
            raise self.fail(node, "compares literals only; name a fact")
        return _Atom(self.text(node), pairs, names)

    def check_pair(self, node: ast.AST, op: ast.cmpop, left: _Value, right: _Value) -> None:
        if isinstance(op, (ast.In, ast.NotIn)):
            if right.kind == "set":
                element = "str"
            elif right.kind.startswith("list:"):
                element = right.kind[5:]
            else:
                raise self.fail(node, f"'in' needs a list or a set fact on its right, not a {right.kind}")
            if left.kind != element:
                raise self.fail(node, f"cannot look for a {left.kind} among {element} values")
            literals = left.constant if isinstance(left, _Const) else right.constant if isinstance(right, _Const) else ()
            self.check_choices(node, left if isinstance(left, _Fact) else right, literals)
            return
        if left.kind != right.kind:
            raise self.fail(node, f"cannot compare {left.kind} with {right.kind}")
        if left.kind in ("set",) or left.kind.startswith("list:"):
            raise self.fail(node, "use 'in' to test membership")
        if not isinstance(op, (ast.Eq, ast.NotEq)) and left.kind != "number":
            raise self.fail(node, f"{left.kind} values can only be compared with == or !=")
        for fact, const in ((left, right), (right, left)):
            if isinstance(fact, _Fact) and isinstance(const, _Const):
                self.check_choices(node, fact, {const.constant})

    def check_choices(self, node: ast.AST, fact: _Value, literals: Any) -> None:
        if not isinstance(fact, _Fact) or not fact.choices:
            return
        if isinstance(literals, str):
            literals = {literals}
        for literal in literals:
            if literal not in fact.choices:
                raise self.fail(node, f"{literal!r} is not a value of {fact.name}{nearest(literal, fact.choices)}"
                                      f" (values: {', '.join(fact.choices)})")
