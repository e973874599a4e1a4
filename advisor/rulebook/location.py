"""Where the built-in rules live, and the strategy ids their catalog defines.

Kept apart from the loader so that the setup's field table can name the strategy
ids (the `tried` field) without importing the rule machinery: strategies.yaml is
the one source of that vocabulary.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from advisor.errors import RuleError

RULES_PACKAGE = "advisor.rules"  # advisor/rules, a link to the top-level rules/ folder (pyproject.toml)
STRATEGY_FILE = "strategies.yaml"
STRATEGY_FILE_LIMIT = 1 << 20


def builtin_dir() -> Path:
    """The `advisor.rules` package's folder, where the import system finds it (installed or editable).

    importlib.util.find_spec, not importlib.resources: the same answer without importing zipfile
    and the resource readers (~9 ms of every start-up), and without running the package.
    """
    import importlib.util

    spec = importlib.util.find_spec(RULES_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuleError(RULES_PACKAGE, "the built-in rules are not installed; reinstall training-advisor")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def strategy_ids() -> tuple[str, ...]:
    """The built-in strategy ids, in catalog order (the loader checks the file itself)."""
    from advisor.rulebook import yamlfile

    data = yamlfile.load_file(builtin_dir() / STRATEGY_FILE, field="rules", limit=STRATEGY_FILE_LIMIT)
    entries = data.get("strategies") if isinstance(data, dict) else None
    return tuple(entries) if isinstance(entries, dict) else ()
