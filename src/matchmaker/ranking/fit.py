"""The partner score in words: strong, good or possible fit.

A score is a sum of standardised signals: "how far this candidate stands above
the average candidate for this query" (:class:`Weights`). That is exact but
means nothing to a visitor, so results carry a label. The cut-offs were chosen
from the labelled sets (benchmarks/fit_scale.py prints the score distributions
of grade-2, grade-1 and grade-0 results; docs/ranking.md, "Score scale"): a
*strong* fit is where half the results are strong partners and most are
useful, a *possible* fit where few are strong partners. What each label means is said under the
results (web/templates/results.html) and in docs/ranking.md.
"""

from __future__ import annotations

#: (lowest fixed-weights score, label), best first; below the last cut-off: "possible"
FIT_CUTOFFS: tuple[tuple[float, str], ...] = (
    (3.0, "strong"),  # judged set A: half of these results grade 2, 69% grade >= 1
    (1.5, "good"),  # 1.5-3: a quarter grade 2, six in ten grade >= 1
)
POSSIBLE = "possible"


def fit_label(score: float) -> str:
    """strong / good / possible for a fixed-weights partner score."""
    for lowest, label in FIT_CUTOFFS:
        if score >= lowest:
            return label
    return POSSIBLE
