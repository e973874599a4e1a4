"""The one way from a setup to a report, shared by the CLI, the library and the Monitor.

Every caller hands over the setup as given (CLI text, a dict, a `Setup`'s
values) and it is normalised here, once, by the field table's parsers. So the
three entry points cannot disagree about what a value means (a list or a
tuple, "8GB" or 8.0) and give the same advice for the same setup.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from advisor.rank import engine
from advisor.setup import fields
from advisor.rulebook import compiled, loader as rulebook

_BOOKS_KEPT = 8  # distinct rule-path sets one process keeps parsed
_books: OrderedDict[tuple[Any, ...], rulebook.Rulebook] = OrderedDict()


@dataclass
class Advised:
    """A report and what it was made from."""

    report: dict[str, Any]  # engine.run's report, PRODUCT.md's output contract, with `top` applied
    fired: list[dict[str, Any]]  # every advice item before `top`: what a --fail-on threshold judges
    book: rulebook.Rulebook
    analysis: Any = None  # the advisor.logs.Analysis of the log, when one was given


def advise(setup: Mapping[str, Any], *, log: str | Path | None = None, rules: Iterable[str | Path] = (),
           script: Iterable[str | Path] = (), top: int | None = None, explain: bool = False) -> Advised:
    """The report for a raw setup, with the symptoms found in `log` (a training log's path) added and the
    facts and findings read from the training code at `script` (paths; never imported or run).

    What the setup states overrides what the code says. Raises InputError for a bad setup value, log or
    script, RuleError for a bad rule file.
    """
    normalized = fields.normalize_setup(dict(setup))
    findings = None
    scripts = [Path(p) for p in script]
    if scripts:
        from advisor import script as code

        from_code, findings = code.read_script(scripts)
        normalized = fields.normalize_setup({**from_code, **normalized})
    analysis = None
    if log is not None:
        from advisor import logs

        analysis = logs.analyze(log)
        normalized, taken = logs.merge_symptoms(normalized, analysis)
    book = rulebook_for(rules)
    report = engine.run(book, normalized, explain=explain, detected=analysis.detected() if analysis else None,
                        findings=findings)
    if analysis is not None:
        report["log"] = analysis.summary(taken)
    fired = report["advice"]
    report["advice"] = fired[:top] if top else fired
    return Advised(report, fired, book, analysis)


def rulebook_for(rules: Iterable[str | Path] = ()) -> rulebook.Rulebook:
    """The built-in rules plus `rules`, parsed once per process while their files stay unchanged."""
    paths = tuple(Path(p) for p in rules)
    found = compiled.sources(paths)
    key = _signature(found)
    book = _books.get(key)
    if book is None:
        book = compiled.load_rulebook(paths, found)
        _books[key] = book
        if len(_books) > _BOOKS_KEPT:
            _books.popitem(last=False)
    else:
        _books.move_to_end(key)
    return book


def _signature(found: dict[str, Path]) -> tuple[Any, ...]:
    # the files compiled.load_rulebook reads, by size and mtime: an edited rule file is read again, as a
    # new process would; the working directory too: rule files are named relative to it in messages
    files = []
    for real in found:
        try:
            stat = os.stat(real)
        except OSError:
            files.append((real, None))
            continue
        files.append((real, stat.st_mtime_ns, stat.st_size))
    return (os.getcwd(), tuple(files))
