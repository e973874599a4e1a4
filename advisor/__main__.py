import sys

from advisor.cli import console

sys.exit(console())
