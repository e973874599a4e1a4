"""The `advisor` command line: thin commands, each parse → pipeline → render.

`core` holds the typer application, the shared setup options and `main`; each command
module registers its commands on it when this package is imported (diagnose; rules and
facts; fill and schema; memory and imbalance), so importing any part of the CLI gives
the whole command set, and no command module imports another.
"""

from advisor.cli.core import app, main
# in this order: `advisor --help` lists the commands as they were registered
from advisor.cli import diagnose, rules, fill, memory  # noqa: F401,I001  register their commands on `app`
from advisor.cli import check  # noqa: F401,E402  registers `advisor check`

__all__ = ["app", "main"]
