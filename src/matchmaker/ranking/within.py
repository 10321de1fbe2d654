"""Partners of a company among a given set of candidates (a trade mission's participants).

Same signals, weights and reasons as :meth:`PartnerRanker.match`, but the pool
is the caller's list instead of stage 1's candidates: every participant gets a
score, even one that would not have made the top 300 of the whole country.
Signals are standardised over that list, so a score says how far a candidate
stands above the average *participant* for this company.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .types import Match

if TYPE_CHECKING:
    from .partner import PartnerRanker


def rank_among(
    ranker: PartnerRanker, company_id: str, candidate_ids: Sequence[str]
) -> list[Match]:
    """Every candidate (other than the company itself) scored for ``company_id``, best first."""
    ranker._check_fitted()
    a = ranker._position(company_id)
    pool = np.array(
        sorted({ranker._position(cid) for cid in candidate_ids if cid != company_id}), dtype=int
    )
    if not len(pool):
        return []
    return ranker._rerank(a, pool, len(pool))
