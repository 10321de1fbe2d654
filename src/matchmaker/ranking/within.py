"""Partners of a company among a given set of candidates (a trade mission's participants).

Same signals, weights and reasons as :meth:`PartnerRanker.match`, and on the same
scale: signals are standardised over what ``match`` standardises over (stage 1's
candidates in the other country) *plus* the given candidates, so every one of
them gets a score, even one that would not have made the top 300 of its
country, and a score means what it means on the results page (``fit_label``'s
strong / good / possible cut-offs apply).

Standardising over the given list alone (as this module once did) made a score
say "how far above the average *participant*": half of every mission's pairs
came out negative, whatever their quality, and a solver maximising the total
fit scheduled only the must-meets on a small mission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .explaining import explain_match
from .signals import other_country
from .types import Filters, Match

if TYPE_CHECKING:
    from .partner import PartnerRanker


def rank_among(
    ranker: PartnerRanker, company_id: str, candidate_ids: Sequence[str]
) -> list[Match]:
    """Every candidate (other than the company itself) scored for ``company_id``, best first.

    Scores are the fixed-weights partner scores on ``match``'s scale (a learned
    model's adjustment is left out, as the fit label leaves it out: the cut-offs
    were chosen on this scale), with the reasons ``match`` gives.
    """
    ranker._check_fitted()
    a = ranker._position(company_id)
    wanted = sorted({ranker._position(cid) for cid in candidate_ids if cid != company_id})
    if not wanted:
        return []
    pool = _reference_pool(ranker, a, wanted)
    parts = ranker.partner_signals(a, pool)
    score = sum(parts.values())
    at = {int(b): j for j, b in enumerate(pool)}
    rows = sorted((at[b] for b in wanted), key=lambda j: (-score[j], int(pool[j])))
    chosen = [int(pool[j]) for j in rows]
    query = ranker.profiles_[a]
    results = []
    for j, b, explanation in zip(rows, chosen, ranker._explain_partners(a, chosen), strict=True):
        result_parts = {k: float(v[j]) for k, v in parts.items()}
        explanation.parts = result_parts
        reasons = explain_match(query, ranker.profiles_[b], explanation)
        results.append(ranker._result(b, float(score[j]), result_parts, reasons))
    return results


def _reference_pool(ranker: PartnerRanker, a: int, wanted: list[int]) -> np.ndarray:
    """``match``'s stage-1 pool in the other country, with the wanted candidates added."""
    country = other_country(ranker.profiles_[a].country)
    mask = ranker._mask(Filters(country=country), exclude={ranker.profiles_[a].id})
    return np.union1d(ranker._coarse(a, mask), np.array(wanted, dtype=int)).astype(int)

