"""Which snippets run, with which setups: every rule's code for every framework, rendered as `diagnose` shows it.

A rule's `fires` examples are the starting setups. Each is also tried as a
two-class and a ten-class problem, on a small fp16 card (T4), a large bf16
card (A100 80GB) and in fp32; the variants on which the rule still fires and
that give a different snippet text or a different context are kept, up to
MAX_CASES per snippet, two-class and multi-class first.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from advisor.rank import engine
from advisor.facts import derive as facts
from advisor.setup import fields
from advisor.rulebook import loader as rulebook, templates
from advisor.errors import InputError

from .contexts import BASE_PACKAGES, Shape, shape_for

MAX_CASES = 3
_CLASSES = ({}, {"num_classes": 2}, {"num_classes": 10})
_HARDWARE = ({}, {"gpu": "t4", "precision": "fp16"}, {"gpu": "a100-80gb", "precision": "bf16"},
             {"precision": "fp32"})


@dataclass(frozen=True)
class Snippet:
    rule: rulebook.Rule
    framework: str
    spec: rulebook.SnippetSpec

    @property
    def id(self) -> str:
        return f"{self.rule.id}-{self.framework}"

    @property
    def mode(self) -> str:
        """executed: runs as shown; cpu-variant: its nearest CPU form runs; compile-only: checked, not run."""
        if self.spec.runs:
            return "executed"
        return "cpu-variant" if self.spec.replace else "compile-only"


@dataclass(frozen=True)
class Case:
    snippet: Snippet
    setup: dict[str, Any]
    facts: dict[str, Any] = field(repr=False)
    shown: str = field(repr=False)  # as `advisor diagnose` prints it
    shape: Shape = field(repr=False)

    @property
    def text(self) -> str:
        """What runs: the shown text, or with the rule's test-time replacements made in the template."""
        if not self.snippet.spec.replace:
            return self.shown
        code = self.snippet.rule.code[self.snippet.framework]
        for old, new in self.snippet.spec.replace:
            code = code.replace(old, new)
        return templates.render(code, self.facts).rstrip() + "\n"

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.setup.items()) if k in ("gpu", "precision"))
        return f"{self.snippet.id}-{self.shape.label()}{'-' + extra if extra else ''}"


@lru_cache(maxsize=1)
def rulebook_() -> rulebook.Rulebook:
    book, _ = rulebook.load_rulebook()
    return book


def snippets() -> list[Snippet]:
    return [Snippet(rule, fw, rule.snippets.get(fw, rulebook.SnippetSpec()))
            for rule in rulebook_().rules for fw in rule.code]


def _candidates(snippet: Snippet) -> list[Case]:
    found = []
    for example in snippet.rule.examples["fires"]:
        for classes in _CLASSES:
            for hardware in _HARDWARE:
                raw = {**example, **classes, **hardware}
                try:
                    setup = fields.normalize_setup(raw)
                except InputError:
                    continue
                known = facts.derive(setup)
                if snippet.rule.condition.evaluate(known)[0] is not True:
                    continue
                shown = engine._code(snippet.rule, known, snippet.framework)[snippet.framework]
                found.append(Case(snippet, raw, known, shown, shape_for(snippet.framework, known)))
    return found


def cases_for(snippet: Snippet) -> list[Case]:
    """Distinct runs of one snippet: two-class and multi-class first, then other texts and input kinds."""
    chosen: list[Case] = []
    seen: set[tuple[str, Shape]] = set()
    candidates = _candidates(snippet)
    while candidates and len(chosen) < MAX_CASES:
        def novelty(case: Case) -> int:
            return (4 * ((case.shape.classes > 2) not in {c.shape.classes > 2 for c in chosen})
                    + 2 * (case.shown not in {c.shown for c in chosen})
                    + (case.shape.kind not in {c.shape.kind for c in chosen}))
        best = max(candidates, key=novelty)  # the first of equals: the rule's own example order
        if chosen and novelty(best) == 0:
            break
        candidates.remove(best)
        if (best.shown, best.shape) not in seen:
            seen.add((best.shown, best.shape))
            chosen.append(best)
    return chosen


# ------------------------------------------------------------------ imports

def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _optional(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside an `if` or a `try` that handles ImportError: the snippet runs without it."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If):
            return True
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers):
            return True
    return False


def imports(text: str) -> list[tuple[str, bool]]:
    """(top-level module, optional) for every absolute import in the snippet."""
    tree = ast.parse(text)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(name.split(".")[0], _optional(node, parents)) for name in names]
    return found


# Packages the test environment cannot have, and why. A snippet importing one is compile-only, declares
# it in `needs`, and is listed in the suite's report; its other imports are still resolved.
UNINSTALLABLE = {
    "torchvision": "PyPI has no CPU build of torchvision for torch 2.13.0 (its CUDA build fails to import beside it)",
}
UNRESOLVED: dict[str, set[str]] = {}  # package -> snippets whose import of it could not be resolved


def import_problems(snippet: Snippet, text: str) -> list[str]:
    """Imports that are not installed, or come from a package the rule does not declare."""
    allowed = {_normal(p) for p in (*BASE_PACKAGES[snippet.framework], *snippet.spec.needs)}
    problems = []
    for module, optional in dict.fromkeys(imports(text)):
        if module in sys.stdlib_module_names:
            continue
        if module in UNINSTALLABLE and importlib.util.find_spec(module) is None:
            if snippet.mode != "compile-only" or _normal(module) not in allowed:
                problems.append(f"import {module}: {UNINSTALLABLE[module]}; mark the snippet `runs: false` "
                                f"and list {module} in snippets.{snippet.framework}.needs")
            UNRESOLVED.setdefault(module, set()).add(snippet.id)
            continue
        if importlib.util.find_spec(module) is None:
            if not optional:
                problems.append(f"import {module}: not installed (add its package to the test extras)")
            continue
        dists = {_normal(d) for d in _distributions().get(module, [module])}
        if not optional and not dists & allowed:
            problems.append(f"import {module}: declare {sorted(dists)[0]} in snippets.{snippet.framework}.needs")
    for package in snippet.spec.needs:
        if package in UNINSTALLABLE:
            continue
        if not any(_normal(package) in map(_normal, d) for d in _distributions().values()):
            problems.append(f"needs {package}: not installed (add it to the test extras)")
    return problems
