"""The partner score in words: strong, good or possible fit.

A score is a sum of standardised signals: "how far this candidate stands above
the average candidate for this query" (:class:`Weights`). That is exact but
means nothing to a visitor, so results carry a label. The cut-offs were chosen
from the labelled sets (benchmarks/fit_scale.py prints the score distributions
of grade-2, grade-1 and grade-0 results; docs/ranking.md, "Score scale"): a
*strong* fit is where most results are real or judged partners, a *possible*
fit where most are not.
"""

from __future__ import annotations

#: (lowest fixed-weights score, label), best first; below the last cut-off: "possible"
FIT_CUTOFFS: tuple[tuple[float, str], ...] = (
    (2.0, "strong"),
    (1.0, "good"),
)
POSSIBLE = "possible"

#: what each label means, for the help on the results page and the API docs
FIT_MEANINGS: dict[str, str] = {
    "strong": "Most results this high are partners real companies chose or staff judged strong.",
    "good": "About half of the results this high are judged partners; worth a look.",
    "possible": "Few results this low are judged partners; read the reasons before contacting.",
}


def fit_label(score: float) -> str:
    """strong / good / possible for a fixed-weights partner score."""
    for lowest, label in FIT_CUTOFFS:
        if score >= lowest:
            return label
    return POSSIBLE
