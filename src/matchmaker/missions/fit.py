"""How well two mission participants fit: the ranker's partner score, both directions.

For an LV company A and a KR company B, ``fit = (score of B for A + score of
A for B) / 2``: a meeting is worth most when each side is among the other's
better partners. Each direction's reasons (from the ranker's explanations) are
kept, so an agenda says to each side why it meets the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..ranking import Match, PartnerRanker
from ..ranking.within import rank_among

Pair = tuple[str, str]
#: reasons kept per direction of a meeting (the agenda prints them)
REASONS = 3


@dataclass
class PairFit:
    fit: float
    lv_view: float  # score of the KR company for the LV one
    kr_view: float
    reasons_lv: list[str]
    reasons_kr: list[str]


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
            if ab is None or ba is None:
                continue
            fits[(a, b)] = PairFit(
                fit=round((ab.score + ba.score) / 2, 4),
                lv_view=ab.score,
                kr_view=ba.score,
                reasons_lv=ab.reasons[:REASONS],
                reasons_kr=ba.reasons[:REASONS],
            )
    return fits


def _by_id(matches: list[Match]) -> dict[str, Match]:
    return {m.id: m for m in matches}
