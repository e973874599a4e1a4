"""The package's layout: no import cycle between advisor's modules.

The graph is built from the source (ast), so it holds every import a module can run:
module-level ones and those inside functions, which a lazy import only postpones.
An edge goes to the module an import names (`from advisor.setup import fields` is an
edge to advisor.setup.fields); a package's own `__init__` registering its submodules
(advisor.cli importing its commands) is not an edge back from them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import advisor

PACKAGE = Path(advisor.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] != "rules"}  # rule data and its snippet checks


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The advisor modules that `name`'s source imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from advisor.cli import memory` imports the module advisor.cli.memory
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, …, a], or None; iterative depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph.get(child, ()))))
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_names_a_cycle_and_passes_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    # diagnose imports the pipeline only when it runs, so that `advisor --help` stays light
    assert "advisor.pipeline" in graph["advisor.cli.diagnose"]
    assert "advisor.cli.core" in graph["advisor.cli.memory"]


# ---------------------------------------------------------------- one source for each vocabulary

def test_every_severity_table_covers_exactly_the_severities():
    from advisor.cli.diagnose import Severity
    from advisor.rank import engine
    from advisor.render import github, sarif, terminal
    from advisor.vocabulary import SEVERITIES, SEVERITY_RANK

    # the ranking breaks ties of evidence on severity through the vocabulary's own table, not a copy
    assert engine.SEVERITY_RANK is SEVERITY_RANK
    tables = {"engine.SEVERITY_RANK": engine.SEVERITY_RANK, "terminal": terminal._SEVERITY_STYLE,
              "sarif.LEVEL": sarif.LEVEL, "sarif.PROBLEM_SEVERITY": sarif.PROBLEM_SEVERITY,
              "github.COMMAND": github.COMMAND, "--fail-on": {s.value: s for s in Severity}}
    for name, table in tables.items():
        assert tuple(table) == SEVERITIES, name
    # of two items equal in evidence, the more severe ranks first
    assert sorted(reversed(SEVERITIES), key=engine.SEVERITY_RANK.__getitem__) == list(SEVERITIES)


def test_the_engine_falls_back_only_between_frameworks_of_the_field_table():
    from advisor.rank import engine
    from advisor.setup import fields

    assert set(engine.FRAMEWORK_FALLBACK) | set(engine.FRAMEWORK_FALLBACK.values()) <= set(fields.FRAMEWORKS)
