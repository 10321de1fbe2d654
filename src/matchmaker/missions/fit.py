"""How well two mission participants fit: the ranker's partner score, both directions.

For an LV company A and a KR company B, each direction has its partner score
on the results page's scale (``rank_among``): the score of B for A and of A for
B, with the strong / good / possible labels of ``matchmaker match``. A solver
needs one number per meeting that is worth scheduling, so the **fit** of a
meeting is

    fit = sqrt(u(score of B for A) * u(score of A for B)),
    u(s) = 1 / (1 + exp(-(s - GOOD) / SPREAD))

* never negative: any meeting is worth more than an empty slot, so the plan
  fills the companies' agendas up to their caps (a fit that is a standardised
  score, negative below the average candidate, made the solver leave half the
  slots empty and schedule only the must-meets on a small mission);
* 0.5 exactly when both sides score at the ranker's "good" cut-off (1.5), about
  0.82 when both are "strong" (3.0);
* a geometric mean, so a meeting good for both sides beats one that is strong
  for one side and useless for the other (4 and -1 give 0.27; 1.5 and 1.5 give 0.5);
* a logistic, so a very high score on one side cannot buy a poor pair, and the
  solver spreads good meetings over companies instead of stacking the best.

A meeting is *good for a company* when its own side's worth reaches the
mission's ``good_fit`` (default 0.5): the partner scores at least "good" from
that company's side, as ``matchmaker match`` would label it. The planner first
gives as many companies as possible one such meeting (``solve``).

Each direction's reasons (from the ranker's explanations) are kept, so an
agenda says to each side why it meets the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..ranking import Match, PartnerRanker
from ..ranking.fit import FIT_CUTOFFS
from ..ranking.within import rank_among

Pair = tuple[str, str]
#: reasons kept per direction of a meeting (the agenda prints them)
REASONS = 3
#: the direction score that counts one half: the ranker's "good" cut-off
GOOD = min(lowest for lowest, _ in FIT_CUTOFFS)
#: how fast a direction's worth rises with its score (one unit: 27% to 73%)
SPREAD = 1.0


@dataclass
class PairFit:
    fit: float
    lv_view: float  # score of the KR company for the LV one (results-page scale)
    kr_view: float
    reasons_lv: list[str]
    reasons_kr: list[str]

    @property
    def sides(self) -> tuple[float, float]:
        """What the meeting is worth to the LV side and to the KR side (0 to 1)."""
        return (direction_worth(self.lv_view), direction_worth(self.kr_view))


def direction_worth(score: float) -> float:
    """One side's score as a worth between 0 and 1 (0.5 at the "good" cut-off)."""
    return 1.0 / (1.0 + math.exp(-(score - GOOD) / SPREAD))


def meeting_fit(lv_view: float, kr_view: float) -> float:
    """The fit a meeting is scheduled by: both sides' worth, geometric mean, 0 to 1."""
    return round(math.sqrt(direction_worth(lv_view) * direction_worth(kr_view)), 4)


def pair_fit(ab: Match, ba: Match) -> PairFit:
    """A meeting's fit from the LV side's match (``ab``) and the KR side's (``ba``)."""
    return PairFit(
        fit=meeting_fit(ab.score, ba.score),
        lv_view=ab.score,
        kr_view=ba.score,
        reasons_lv=ab.reasons[:REASONS],
        reasons_kr=ba.reasons[:REASONS],
    )


def pair_fits(
    ranker: PartnerRanker, lv_ids: Sequence[str], kr_ids: Sequence[str]
) -> dict[Pair, PairFit]:
    """Fit and reasons of every LV x KR pair of the participants."""
    from_lv = {a: _by_id(rank_among(ranker, a, kr_ids)) for a in lv_ids}
    from_kr = {b: _by_id(rank_among(ranker, b, lv_ids)) for b in kr_ids}
    fits = {}
    for a in lv_ids:
        for b in kr_ids:
            ab, ba = from_lv[a].get(b), from_kr[b].get(a)
            if ab is not None and ba is not None:
                fits[(a, b)] = pair_fit(ab, ba)
    return fits


def _by_id(matches: list[Match]) -> dict[str, Match]:
    return {m.id: m for m in matches}
