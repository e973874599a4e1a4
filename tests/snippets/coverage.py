"""How much of the advice carries code for the framework the user named (issue 12's measure).

Two figures per framework:
- rules: of the rules with any code, the share with code for this framework;
- items: every rule's `fires` examples, diagnosed with `framework` set to this one; of the advice
  items that show code, the share whose first snippet is this framework's (no `code_note`).

    python -m tests.snippets.coverage        # prints both tables
"""

from __future__ import annotations

from collections import Counter

from advisor import pipeline
from advisor.errors import InputError
from advisor.rulebook import loader

FRAMEWORKS = ("pytorch", "lightning", "huggingface", "keras", "sklearn")


def by_rule(book: loader.Rulebook) -> dict[str, tuple[int, int]]:
    """framework -> (rules with its code, rules with any code)."""
    with_code = [r for r in book.rules if r.code]
    return {fw: (sum(fw in r.code for r in with_code), len(with_code)) for fw in FRAMEWORKS}


def by_item(book: loader.Rulebook) -> dict[str, tuple[int, int]]:
    """framework -> (advice items with its own code, advice items with any code) over all fires examples."""
    counts: dict[str, Counter] = {fw: Counter() for fw in FRAMEWORKS}
    setups = [example for rule in book.rules for example in rule.examples["fires"]]
    for framework in FRAMEWORKS:
        for example in setups:
            try:
                report = pipeline.advise({**example, "framework": framework}).report
            except InputError:  # an example that names another framework's field values
                continue
            for item in report["advice"]:
                if item["code"]:
                    counts[framework]["shown"] += 1
                    counts[framework]["own"] += framework in item["code"]  # else a code_note says what is shown
    return {fw: (c["own"], c["shown"]) for fw, c in counts.items()}


def table(title: str, figures: dict[str, tuple[int, int]]) -> list[str]:
    lines = [title]
    for fw, (own, total) in figures.items():
        lines.append(f"  {fw:<12} {own:>5} / {total:<5} {own / max(total, 1):6.1%}")
    return lines


def main() -> None:
    book = pipeline.rulebook_for(())
    print("\n".join(table("rules with code for the framework", by_rule(book))))
    print("\n".join(table("advice items showing the framework's own code (fires examples)", by_item(book))))


if __name__ == "__main__":
    main()
