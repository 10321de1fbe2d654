"""Where to draw "strong / good / possible fit": partner scores of graded results.

For each labelled set that `matchmaker eval` measures (real deals, judged sets A
and B), rank every query with the fixed weights and keep the top 10 results.
Print the score quartiles of grade-2, grade-1 and grade-0 results (a result the
set does not grade counts as 0: in the deals set only the real counterparty is
graded), and, for candidate cut-offs, the share of results at or above the
cut-off that are grade 2 and grade >= 1. ranking/fit.py's cut-offs come from
this table (docs/ranking.md, "Score scale").

    HF_HUB_OFFLINE=1 PYTHONPATH=src python benchmarks/fit_scale.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MATCHMAKER_LEARNED_MODEL", "none")

from matchmaker import engine  # noqa: E402
from matchmaker.evaluation import load_judgements  # noqa: E402
from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.ranking import Filters  # noqa: E402
from matchmaker.ranking.fit import FIT_CUTOFFS, POSSIBLE, fit_label  # noqa: E402

SETS = (
    ("real deals", "eval/deals/judgements.jsonl", "eval/deals/profiles.jsonl"),
    ("judged set A", "eval/partner_judgements.jsonl", "data/companies.jsonl"),
    ("judged set B", "eval/partner_judgements_b.jsonl", "data/companies.jsonl"),
)
TOP = 10
CUTOFFS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)


def graded_scores(embedder, judged: str, pool: str) -> list[tuple[float, int]]:
    """(fixed-weights score, grade) of each query's top TOP results."""
    parsed = parse_file(ROOT / pool, any_european=True)
    ranker = engine.fit_in_memory(parsed.profiles, embedder)
    found = []
    for q in load_judgements(ROOT / judged):
        if q.company:
            matches = ranker.match(q.company, top=TOP, filters=Filters(country=q.target_country))
        else:
            matches = ranker.query(q.text or "", country=q.target_country, top=TOP).matches
        found += [(m.score, q.gains.get(m.id, 0)) for m in matches]
    return found


def report(title: str, found: list[tuple[float, int]]) -> None:
    scores = np.array([s for s, _ in found])
    grades = np.array([g for _, g in found])
    print(f"\n{title}: {len(found)} results (top {TOP} of each query)")
    for grade in (2, 1, 0):
        chosen = scores[grades == grade]
        if len(chosen):
            q = np.percentile(chosen, [25, 50, 75])
            print(f"  grade {grade}: {len(chosen):>4} results, score quartiles "
                  f"{q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}")
    print("  cut-off  results  grade 2  grade>=1")
    for cut in CUTOFFS:
        above = scores >= cut
        if above.any():
            print(f"  {cut:>7.1f}  {above.mean():>7.0%}  {(grades[above] == 2).mean():>7.0%}"
                  f"  {(grades[above] >= 1).mean():>8.0%}")
    print("  shipped band  results  grade 2  grade>=1")
    labels = np.array([fit_label(s) for s in scores])
    for label in [*(label for _, label in FIT_CUTOFFS), POSSIBLE]:
        band = labels == label
        if band.any():
            print(f"  {label:>12}  {band.mean():>7.0%}  {(grades[band] == 2).mean():>7.0%}"
                  f"  {(grades[band] >= 1).mean():>8.0%}")


def main() -> None:
    embedder = engine.make_embedder()
    every: list[tuple[float, int]] = []
    for title, judged, pool in SETS:
        found = graded_scores(embedder, judged, pool)
        report(title, found)
        every += found
    report("all three sets", every)
    print("\nshipped cut-offs: " + ", ".join(f"{label} >= {low}" for low, label in FIT_CUTOFFS))


if __name__ == "__main__":
    main()
