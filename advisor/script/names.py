"""Follow names through one parsed file: imports, assignments, argparse defaults, dict kwargs, classes.

Everything here reads the syntax tree only; nothing is imported or run. A value that cannot be
resolved from the file (a function argument, a computed expression, a name bound in another
module) is None, and callers treat None as "could not tell", never as a guess.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Iterator

# the value of a dict key that only an `if` sets: a name nothing binds, so it resolves to unknown
_UNSETTLED = ast.Name(id="<set conditionally>", ctx=ast.Load())
MAX_HOPS = 8  # how many assignments a name is followed through (a = b; b = c ...)


@dataclass(frozen=True)
class Binding:
    line: int
    value: ast.AST | None  # None: bound, but not by a plain assignment (a loop target, a parameter)
    scope: ast.AST | None  # the function it is bound in; None for module level
    conditional: bool  # inside an if/try/loop of its scope
    parameter: ast.arg | None = None  # a parameter of `scope`: the callers in this file give its value


class Names:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        self.imports: dict[str, str] = {}
        self.bindings: dict[str, list[Binding]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.arg_defaults: dict[str, Any] = {}  # argparse dest -> default
        self.attr_bindings: dict[str, list[tuple[int, ast.AST]]] = {}  # "self.fc" inside a class: its value
        self.calls_to: dict[str, list[ast.Call]] = {}  # f -> every call `f(...)`, to follow parameters to callers
        self._collect()

    # ------------------------------------------------------------ collection
    def _collect(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    self.bindings.setdefault(arg.arg, []).append(Binding(node.lineno, None, node, False, arg))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._bind_target(target, node.value, node)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                for name in _target_names(node.target):
                    self._bind(name, getattr(node, "lineno", getattr(node.iter, "lineno", 0)), None, node)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                for name in _target_names(node.optional_vars):
                    self._bind(name, node.optional_vars.lineno, node.context_expr, node.optional_vars)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                self.calls_to.setdefault(node.func.id, []).append(node)
            if isinstance(node, ast.Call) and _last(node.func) == "add_argument":
                self._argument(node)

    def _bind_target(self, target: ast.AST, value: ast.AST, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, node.lineno, value, node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
                else [None] * len(target.elts)
            for sub, item in zip(target.elts, items):
                if item is None and isinstance(sub, ast.Attribute):  # self.train, self.val = random_split(...)
                    self.attr_bindings.setdefault(dotted_text(sub), []).append((node.lineno, value))
                elif item is None:
                    for name in _target_names(sub):
                        self._bind(name, node.lineno, None, node)
                else:
                    self._bind_target(sub, item, node)
        elif isinstance(target, ast.Attribute):
            self.attr_bindings.setdefault(dotted_text(target), []).append((node.lineno, value))

    def _bind(self, name: str, line: int, value: ast.AST | None, node: ast.AST) -> None:
        scope, conditional = self.scope_of(node), False
        cursor = self.parent.get(node)
        while cursor is not None and cursor is not scope:
            if isinstance(cursor, (ast.If, ast.Try, ast.For, ast.While, ast.With, ast.AsyncFor)):
                conditional = True
            cursor = self.parent.get(cursor)
        self.bindings.setdefault(name, []).append(Binding(line, value, scope, conditional))

    def _argument(self, call: ast.Call) -> None:
        flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        dest = keywords.get("dest")
        name = dest.value if isinstance(dest, ast.Constant) else next(
            (f.lstrip("-").replace("-", "_") for f in flags if f.startswith("--")),
            flags[0].lstrip("-").replace("-", "_") if flags else None)
        if not isinstance(name, str):
            return
        action = keywords.get("action")
        if "default" in keywords:
            default = literal(keywords["default"])
        elif isinstance(action, ast.Constant) and action.value in ("store_true", "store_false"):
            default = action.value == "store_false"
        else:
            default = None
        self.arg_defaults[name] = default

    # ------------------------------------------------------------ queries
    def scope_of(self, node: ast.AST) -> ast.AST | None:
        cursor = self.parent.get(node)
        while cursor is not None and not isinstance(cursor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            cursor = self.parent.get(cursor)
        return cursor

    def enclosing(self, node: ast.AST, kinds: tuple[type, ...]) -> Iterator[ast.AST]:
        cursor = self.parent.get(node)
        while cursor is not None:
            if isinstance(cursor, kinds):
                yield cursor
            cursor = self.parent.get(cursor)

    def binding(self, name: str, at: ast.AST) -> Binding | None:
        """The assignment of `name` visible at `at`: the latest before it in its function, else module level."""
        line, scope = getattr(at, "lineno", 0), self.scope_of(at)
        found = self.bindings.get(name, [])
        # strictly earlier: in `model = model.to(device)` the right-hand `model` is the previous binding
        local = [b for b in found if b.scope is scope and (b.line < line or b.parameter is not None)]
        if local:
            return local[-1]
        if any(b.scope is scope for b in found):  # bound later in this function only: a local, unbound here
            return None
        outer = [b for b in found if b.scope is None]
        return (([b for b in outer if b.line < line] or outer)[-1]) if outer else None

    def value(self, node: ast.AST, hops: int = MAX_HOPS) -> ast.AST:
        """`node` with names followed to what was assigned to them (the node itself when it is not a name)."""
        while isinstance(node, ast.Name) and hops > 0:
            bound = self.binding(node.id, node)
            value = self.argument(bound) if bound is not None and bound.parameter is not None else \
                bound.value if bound is not None else None
            if value is None:
                return node
            node, hops = value, hops - 1
        return node

    def dotted(self, node: ast.AST) -> str:
        """`nn.CrossEntropyLoss` -> `torch.nn.CrossEntropyLoss`, through the file's imports; '' if not a name."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            inner = self.dotted(node.value)
            return f"{inner}.{node.attr}" if inner else ""
        if isinstance(node, ast.Subscript):  # models.__dict__[arch]
            return self.dotted(node.value)
        return ""

    def call_name(self, call: ast.Call) -> str:
        return self.dotted(call.func)

    def constant(self, node: ast.AST | None, hops: int = MAX_HOPS) -> Any:
        """A literal value of `node`, following names, argparse defaults and `-x`; None when not resolvable."""
        if node is None or hops <= 0:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.constant(node.operand, hops - 1)
            return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else None
        if isinstance(node, ast.Name):
            bound = self.binding(node.id, node)
            if bound is not None and bound.parameter is not None:
                return self.constant(self.argument(bound), hops - 1)
            if bound is None or bound.value is None or bound.conditional:
                return None
            return self.constant(bound.value, hops - 1)
        if isinstance(node, ast.Attribute) and self.is_parsed_args(node.value):
            return self.arg_defaults.get(node.attr)
        if isinstance(node, (ast.List, ast.Tuple)):  # target_modules=["q_proj", "v_proj"]
            items = [self.constant(item, hops - 1) for item in node.elts]
            return items if all(item is not None for item in items) else None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):  # config["lr"]
            items = self.dict_items(node.value) if isinstance(node.value, ast.Name) else None
            return self.constant(items.get(node.slice.value), hops - 1) if items else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "float") \
                and len(node.args) == 1 and not node.keywords:
            inner = self.constant(node.args[0], hops - 1)
            try:
                return {"int": int, "float": float}[node.func.id](inner) if isinstance(inner, (int, float, str)) \
                    and not isinstance(inner, bool) else None
            except (ValueError, OverflowError):
                return None
        return None

    def reachable(self, node: ast.AST) -> bool | None:
        """Whether the code at `node` runs with the file's defaults: each enclosing `if` decided by what
        the file settles (an argparse default, a literal); None when one is not. `__main__` guards run."""
        child = node
        for branch in self.enclosing(node, (ast.If,)):
            test = branch.test
            if isinstance(test, ast.Compare) and ast.unparse(test).replace("'", '"') == '__name__ == "__main__"':
                value: Any = True
            else:
                value = self.constant(test.operand) if isinstance(test, ast.UnaryOp) and \
                    isinstance(test.op, ast.Not) else self.constant(test)
                if value is None:
                    return None
                value = not value if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else bool(value)
            in_body = any(child is n or any(child is m for m in ast.walk(n)) for n in branch.body)
            if in_body != bool(value):
                return False
            child = branch
        return True

    def argument(self, bound: Binding) -> ast.AST | None:
        """What the one call of a function in this file passes for a parameter (else its default)."""
        function, param = bound.scope, bound.parameter
        calls = self.calls_to.get(getattr(function, "name", ""), [])
        if len(calls) == 1:
            call = calls[0]
            for keyword in call.keywords:
                if keyword.arg == param.arg:
                    return keyword.value
            positional = [*function.args.posonlyargs, *function.args.args]
            if param in positional and positional.index(param) < len(call.args):
                return call.args[positional.index(param)]
        if not calls or len(calls) == 1:
            positional = [*function.args.posonlyargs, *function.args.args]
            defaults = dict(zip(positional[len(positional) - len(function.args.defaults):], function.args.defaults))
            defaults.update({a: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d})
            return defaults.get(param)
        return None

    def is_parsed_args(self, node: ast.AST) -> bool:
        """`args` bound to `parser.parse_args()` (or a parameter named args, as argparse scripts pass it)."""
        if not isinstance(node, ast.Name) or not self.arg_defaults:
            return False
        value = self.value(node)
        if isinstance(value, ast.Call):
            return _last(value.func) in ("parse_args", "parse_known_args")
        return node.id in ("args", "opt", "opts", "config", "cfg", "hparams")

    def keywords(self, call: ast.Call) -> tuple[dict[str, ast.AST], bool]:
        """The call's keyword arguments, with `**name` dicts resolved; False when some could not be."""
        found: dict[str, ast.AST] = {}
        complete = True
        for keyword in call.keywords:
            if keyword.arg is not None:
                found[keyword.arg] = keyword.value
                continue
            resolved = self.dict_items(keyword.value)
            if resolved is None:
                complete = False
            else:
                for key, value in resolved.items():
                    found.setdefault(key, value)
        return found, complete

    def dict_items(self, node: ast.AST, hops: int = MAX_HOPS) -> dict[str, ast.AST] | None:
        """A dict literal bound to a name, with its `.update({...})` calls; a key set only conditionally is
        kept with an unknown value (a Name nothing binds), since the code may or may not set it."""
        value = self.value(node)
        if not isinstance(value, ast.Dict) or not isinstance(node, ast.Name):
            return _literal_dict(value) if isinstance(value, ast.Dict) else None
        items = _literal_dict(value)
        if items is None or hops <= 0:
            return None
        for call in ast.walk(self.tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "update" \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == node.id \
                    and call.args and self.scope_of(call) is self.scope_of(node):
                update = self.dict_items(call.args[0], hops - 1)
                if update is None:
                    return None
                conditional = any(True for _ in self.enclosing(call, (ast.If, ast.Try)))
                for key, item in update.items():
                    items[key] = _UNSETTLED if conditional else item
        return items

    def self_attribute(self, node: ast.AST) -> ast.AST | None:
        """What `self.fc` was assigned inside the class of `node` (its __init__ usually)."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return None
        values = self.attr_bindings.get(f"self.{node.attr}")
        return values[-1][1] if values else None


def _literal_dict(node: ast.Dict) -> dict[str, ast.AST] | None:
    items: dict[str, ast.AST] = {}
    for key, value in zip(node.keys, node.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None  # a ** inside the literal, or a computed key
        items[key.value] = value
    return items


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _last(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


last = _last


def literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def dotted_text(node: ast.AST) -> str:
    """The attribute chain as written (`self.fc`, `model.classifier`); '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted_text(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""
