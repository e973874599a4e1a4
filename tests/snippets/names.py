"""Which of the user's names a snippet reads: what its first line, `# uses your: ...`, must list.

Pure `ast`, no framework import, so the core suite checks every snippet's header
(tests/test_snippet_spec.py). A name counts as the user's when the snippet
contract provides it (PROVIDED) and the snippet reads it before binding it
itself: `model = get_peft_model(model, config)` uses the user's model,
`model = build_model()` does not.
"""

from __future__ import annotations

import ast
import builtins
import re

from advisor.rulebook import templates

# The snippet contract (rules/README.md, "Snippet contract"): the names each framework's snippet may
# assume, in the order the header lists them. tests/snippets/contexts.py builds exactly these.
_TORCH = ("model", "optimizer", "train_loader", "val_loader", "train_dataset", "num_classes", "device")
PROVIDED = {
    "pytorch": _TORCH,
    "lightning": ("lit_model", *_TORCH),
    "huggingface": ("model", "tokenizer", "train_dataset", "eval_dataset"),
    "keras": ("model", "x_train", "y_train", "x_val", "y_val", "num_classes"),
    "sklearn": ("model", "X_train", "y_train", "X_val", "y_val", "X", "y"),
    "tensorflow": ("model", "x_train", "y_train", "x_val", "y_val", "num_classes"),
}
HEADER = "# uses your: "
NOTHING = "nothing (self-contained)"
_HEADER = re.compile(r"# uses your: (.*)")


def parseable(code: str) -> str:
    """The template with each placeholder replaced by a number: valid Python wherever a fact is written."""
    return templates.substitute(code, lambda p: "1")


def _bound(node: ast.AST) -> set[str]:
    """Names a statement binds at its own level (assignments, imports, defs, loop and with targets)."""
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in child.names}
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
    return names


def _read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _local(fn: ast.AST) -> set[str]:
    """A function's own names: its arguments and what its body binds."""
    args = fn.args
    own = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    own |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for statement in fn.body:
        own |= _bound(statement)
    return own


def free_names(code: str, framework: str) -> list[str]:
    """The contract names the snippet reads before it binds them, in the contract's order."""
    provided = PROVIDED[framework]
    tree = ast.parse(parseable(code))
    bound: set[str] = set()
    used: set[str] = set()

    def visit(statements: list[ast.stmt], bound: set[str]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # read when called, after the lines above; its own arguments and locals shadow the user's
                inner = _local(statement)
                used.update(n for n in _read(statement) if n not in bound and n not in inner)
                bound.add(statement.name)
                continue
            if isinstance(statement, ast.ClassDef):
                for item in statement.body:
                    visit([item], set(bound))
                bound.add(statement.name)
                continue
            if isinstance(statement, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                # the header of the block is read first, then its body in order
                heads = [getattr(statement, a) for a in ("test", "iter") if hasattr(statement, a)]
                heads += [i.context_expr for i in getattr(statement, "items", [])]
                for head in heads:
                    used.update(n for n in _read(head) if n not in bound)
                if isinstance(statement, ast.For):
                    bound |= _bound(statement.target)
                for item in getattr(statement, "items", []):
                    if item.optional_vars is not None:
                        bound |= _bound(item.optional_vars)
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(statement, block, []), bound)
                for handler in getattr(statement, "handlers", []):
                    visit(handler.body, bound)
                continue
            # an assignment reads its value before it binds its targets
            used.update(n for n in _read(statement) if n not in bound)
            bound |= _bound(statement)

    visit(tree.body, bound)
    return [n for n in provided if n in used and not hasattr(builtins, n)]


def header_for(code: str, framework: str) -> str:
    names = free_names(code, framework)
    return HEADER + (", ".join(names) if names else NOTHING)


def declared(code: str) -> list[str] | None:
    """The names the snippet's first line lists; None when the first line is not a `# uses your:` header."""
    first = code.lstrip("\n").split("\n", 1)[0].strip()
    match = _HEADER.fullmatch(first)
    if match is None:
        return None
    listed = match[1].strip()
    return [] if listed == NOTHING else [n.strip() for n in listed.split(",")]
