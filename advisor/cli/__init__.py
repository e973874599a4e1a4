"""The `advisor` command line: thin commands, each parse → pipeline → render.

`app` holds the typer application, the shared options and `main`; each command module
registers its commands on it when this package is imported (memory and imbalance, fill
and schema), so importing any part of the CLI gives the whole command set.
"""

from advisor.cli.core import app, main
from advisor.cli import fill, memory  # noqa: F401  register `advisor fill/schema` and `advisor memory/imbalance`

__all__ = ["app", "main"]
