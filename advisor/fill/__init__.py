"""Fill a training config's `auto` values with one consistent plan.

    config text ──formats.parse──▶ leaves (key path → value)
        │ families: which recommended value each key holds (HF, axolotl, torchtune, Lightning, DeepSpeed, plain)
        ▼ values: one planner call over the auto memory knobs (the values the config sets are
          constraints), then the other values from the setup's facts; Missing names what it needs
    changes ──Document.render──▶ the same text with only the `auto` values replaced

Every `auto` is filled or the fill fails naming each key it could not fill;
values the user set are read with their types normalised and checked against
the advice, and all disagreements come back together.

Reading refuses what would make advisor and the config's own library read two
different files: a key given twice, nesting deeper than formats.MAX_DEPTH, an
`auto` that a splice would corrupt (YAML anchors, tags, block scalars).

Writing (writing.py) is atomic and keeps what a user expects of an edited file:
a symlink is written through to its target (the link stays); mode, owner and
group are kept, and when they cannot be, nothing is written; a file with other
hard links is refused rather than split from them or written non-atomically.
Every failure is one error naming the file; the original is untouched. A fill
killed mid-write leaves `.NAME.advisor-fill-XXXXXXXX.tmp` beside the file;
the next fill of NAME removes it.
"""

from __future__ import annotations

import importlib
from typing import Any

# The package's names load on first use, so that `advisor.fill.families` (which the CLI reads for its
# --family choices) costs no import of the planner and the facts at start-up.
_LAZY = {"Result": "filling", "config_request": "filling", "disagreement_message": "filling",
         "fill_text": "filling", "write_atomic": "writing"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"advisor.fill.{_LAZY[name]}"), name)
    if name in ("families", "formats", "values", "writing", "filling"):
        return importlib.import_module(f"advisor.fill.{name}")
    raise AttributeError(f"module 'advisor.fill' has no attribute {name!r}")
