"""Score the advice ranking on real public cases whose thread confirms the fix.

    python benchmarks/rank_cases.py [--split train|test|all] [--show-misses] [--cases DIR]

Each case in benchmarks/cases/*.yaml holds the setup as its asker stated it, the
strategy the thread confirms fixed it and the alternatives the thread also
accepts. A case is a hit at rank k when one of those strategies is among the
first k advice items. Scored for the engine (`pipeline.advise`) and, beside it,
for the source-document checklist (benchmarks/checklist.yaml): hit@1, hit@3 and
MRR (1/rank of the first accepted item within the first 10, 0 when absent), per
split and per case file (the symptom group).

The split is fixed before anything is measured: a case is in `test` when the
first byte of sha256(url) is divisible by 3 (about a third), else in `train`.
Every case file records its split, and tests/test_rank_cases.py checks that the
record matches the rule. Tune on train only; report both.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
CHECKLIST = HERE / "checklist.yaml"
SPLITS = ("train", "test")
MRR_DEPTH = 10  # ranks beyond this count as absent (reciprocal rank 0)
CASE_KEYS = {"url", "title", "found", "setup", "confirmed", "alternatives", "quote", "note", "split"}
REQUIRED_KEYS = {"url", "title", "found", "setup", "confirmed", "alternatives", "quote", "split"}


def split_for(url: str) -> str:
    """The fixed split of a case: `test` when sha256(url)'s first byte is divisible by 3."""
    return "test" if hashlib.sha256(url.encode("utf-8")).digest()[0] % 3 == 0 else "train"


@dataclass(frozen=True)
class Case:
    url: str
    title: str
    group: str  # the case file's stem: oom, nan, plateau, ...
    setup: dict[str, Any]
    confirmed: str
    alternatives: tuple[str, ...]
    split: str
    quote: str
    note: str = ""

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.confirmed, *self.alternatives))


def _read_yaml(path: Path) -> Any:
    from advisor.rulebook import yamlfile

    try:
        return yamlfile.load(path.read_text(encoding="utf-8"))
    except yamlfile.YamlError as exc:
        line = f" line {exc.line}" if getattr(exc, "line", None) else ""
        raise ValueError(f"{path.name}{line}: {exc}") from None


def load_cases(cases_dir: Path = CASES_DIR) -> list[Case]:
    """Every case of every *.yaml file under `cases_dir`, in file then listing order.

    Raises ValueError naming the file and case for a malformed entry.
    """
    cases: list[Case] = []
    for path in sorted(cases_dir.glob("*.yaml")):
        data = _read_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise ValueError(f"{path.name}: expected a mapping with a `cases` list")
        for index, raw in enumerate(data["cases"]):
            where = f"{path.name} case {index + 1}"
            if not isinstance(raw, dict):
                raise ValueError(f"{where}: expected a mapping")
            missing, unknown = REQUIRED_KEYS - raw.keys(), raw.keys() - CASE_KEYS
            if missing or unknown:
                raise ValueError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
            if not isinstance(raw["setup"], dict) or not isinstance(raw["alternatives"], list):
                raise ValueError(f"{where}: `setup` must be a mapping and `alternatives` a list")
            cases.append(Case(url=str(raw["url"]), title=str(raw["title"]), group=path.stem,
                              setup=dict(raw["setup"]), confirmed=str(raw["confirmed"]),
                              alternatives=tuple(str(a) for a in raw["alternatives"]),
                              split=str(raw["split"]), quote=str(raw["quote"]),
                              note=str(raw.get("note") or "")))
    return cases


def load_checklist(path: Path = CHECKLIST) -> dict[str, list[str]]:
    """Symptom id → the source document's strategies for it, in the document's order."""
    data = _read_yaml(path)
    return {symptom: list(row["strategies"]) for symptom, row in data["checklist"].items()}


def checklist_ranking(case: Case, checklist: dict[str, list[str]]) -> list[str]:
    """The baseline's ranking: the checklist rows of the declared symptoms, in declared order, no repeats."""
    ranking: list[str] = []
    for symptom in case.setup.get("symptoms") or []:
        for strategy in checklist.get(symptom, []):
            if strategy not in ranking:
                ranking.append(strategy)
    return ranking


def engine_ranking(case: Case) -> list[str]:
    """The strategies of the engine's advice for the case's setup, best first."""
    from advisor import pipeline

    return [item["strategy"] for item in pipeline.advise(case.setup).report["advice"]]


def first_rank(ranking: list[str], accepted: frozenset[str]) -> int | None:
    """The 1-based rank of the first accepted strategy, None when absent."""
    return next((rank for rank, strategy in enumerate(ranking, 1) if strategy in accepted), None)


@dataclass
class Score:
    ranks: list[int | None] = field(default_factory=list)

    def add(self, rank: int | None) -> None:
        self.ranks.append(rank)

    def hit(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks)

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None and r <= MRR_DEPTH) / len(self.ranks)


@dataclass
class Result:
    case: Case
    ours: list[str]
    baseline: list[str]
    error: str = ""

    @property
    def our_rank(self) -> int | None:
        return None if self.error else first_rank(self.ours, self.case.accepted)

    @property
    def baseline_rank(self) -> int | None:
        return first_rank(self.baseline, self.case.accepted)


def evaluate(cases: list[Case], checklist: dict[str, list[str]]) -> list[Result]:
    results = []
    for case in cases:
        baseline = checklist_ranking(case, checklist)
        try:
            results.append(Result(case, engine_ranking(case), baseline))
        except Exception as exc:  # a case the engine cannot take is a miss, shown, never a crash
            results.append(Result(case, [], baseline, error=f"{type(exc).__name__}: {exc}".splitlines()[0]))
    return results


def table(results: list[Result], splits: tuple[str, ...]) -> str:
    header = f"{'split':<6} {'group':<12} {'n':>3}  {'hit@1':>5} {'hit@3':>5} {'MRR':>5}   " \
             f"{'checklist hit@1':>15} {'hit@3':>5} {'MRR':>5}"
    lines = [header, "-" * len(header)]
    groups = sorted({r.case.group for r in results})
    for split in splits:
        chosen = [r for r in results if split == "all" or r.case.split == split]
        for group in [*groups, "ALL"]:
            rows = [r for r in chosen if group == "ALL" or r.case.group == group]
            if not rows:
                continue
            ours, base = Score(), Score()
            for r in rows:
                ours.add(r.our_rank)
                base.add(r.baseline_rank)
            lines.append(f"{split:<6} {group:<12} {len(rows):>3}  {ours.hit(1):>5.2f} {ours.hit(3):>5.2f} "
                         f"{ours.mrr:>5.2f}   {base.hit(1):>15.2f} {base.hit(3):>5.2f} {base.mrr:>5.2f}")
        lines.append("")
    return "\n".join(lines)


def misses(results: list[Result], splits: tuple[str, ...]) -> str:
    lines = ["misses (accepted strategy not in our top 3):"]
    for r in results:
        if ("all" in splits or r.case.split in splits) and not (r.our_rank and r.our_rank <= 3):
            got = r.error or ", ".join(r.ours[:3]) or "(no advice)"
            rank = r.our_rank or "-"
            lines.append(f"  [{r.case.split}] {r.case.url}\n      confirmed {r.case.confirmed}"
                         f" (rank {rank}); our top 3: {got}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], help="one split (default: train, test and all)")
    parser.add_argument("--show-misses", action="store_true", help="list each case missed at 3 with our top 3")
    parser.add_argument("--cases", type=Path, default=CASES_DIR, help="folder of case files")
    args = parser.parse_args(argv)
    splits = (args.split,) if args.split else (*SPLITS, "all")
    try:
        cases, checklist = load_cases(args.cases), load_checklist()
    except (OSError, ValueError) as exc:
        print(f"rank_cases: {exc}", file=sys.stderr)
        return 2
    results = evaluate(cases, checklist)
    print(table(results, splits))
    errors = [r for r in results if r.error]
    if errors:
        print(f"{len(errors)} case(s) the engine could not take (scored as misses), e.g. {errors[0].error}")
    if args.show_misses:
        print(misses(results, splits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
