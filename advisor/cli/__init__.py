"""The `advisor` command line: thin commands, each parse → pipeline → render.

`core` holds the typer application, the shared setup options and the runner; each command
module registers its commands on `core.app` when it is imported, and no command module
imports another. Typer turns every registered command into a click command on each start
(~15 ms for the whole set), so `main` imports only the module of the command asked for, and
every module for the root's help, an unknown command or shell completion, which need the
whole list. `app` (an attribute of this package) is always the whole app.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

# each command (the first word after `advisor`) → its module, in the order `advisor --help` lists them
COMMANDS = {"diagnose": "diagnose", "rules": "rules", "facts": "rules", "fill": "fill", "schema": "fill",
            "memory": "memory", "imbalance": "memory", "check": "check"}
# set by typer's completion script when the shell asks for completions: they range over every command
_COMPLETING = "_ADVISOR_COMPLETE"


def _register(command: str | None) -> Any:
    """Import the module of `command` (every module when None); the app they registered on."""
    for module in dict.fromkeys(COMMANDS.values() if command is None else [COMMANDS[command]]):
        importlib.import_module(f"{__name__}.{module}")
    return importlib.import_module(f"{__name__}.core").app


def main(argv: list[str] | None = None) -> int:
    """Run the command line (`advisor …`); returns the exit code (see cli/core.py)."""
    args = sys.argv[1:] if argv is None else argv
    first = args[0] if args else None
    _register(first if first in COMMANDS and _COMPLETING not in os.environ else None)
    from advisor.cli import core

    return core.run(argv)


def console() -> int:
    """The `advisor` command (and `python -m advisor`): `main`, then the process ends."""
    code = main()
    # What is left is the interpreter's shutdown, whose last garbage collection walks every object the run made
    # (the modules, the rulebook's thousands): ~35 ms of a 200 ms `diagnose`. Frozen, they are not walked; each
    # is still freed as its module is. Only here: a caller of `main` in a process that goes on keeps its GC whole.
    gc.freeze()
    return code


def __getattr__(name: str) -> Any:
    if name == "app":
        return _register(None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMANDS", "app", "console", "main"]
