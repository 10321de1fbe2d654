"""Signal arithmetic shared by the ranking stages: scaling, combining, picking the top.

Signals live on different scales (cosines, BM25 scores, shares), so each is
standardised over the candidate pool before weighting (see :class:`Weights`).
The stage-1 helpers use torch, imported inside them: importing torch costs every
CLI command 2 s, and most commands never rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# The fit assumed for a side that states no needs/offers is per model: Cutoffs.unknown_side.
FLOOR = 0.01


def standardise(values: np.ndarray) -> np.ndarray:
    """Mean 0 and standard deviation 1 over the pool; all zeros when the pool agrees."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return np.zeros(len(values))
    spread = values.std()  # once: stage 2 standardises eight signals per company
    if spread < 1e-9:
        return np.zeros(len(values))
    return (values - values.mean()) / spread


def no_role_fit(raw: Mapping[str, np.ndarray]) -> np.ndarray:
    """1 where neither side plays a role the other looks for: only then is a look-alike a rival.

    A same-industry company across the border that wants what the query is (a
    pharma company in-licensing the query's molecule) is a partner.
    """
    return 1.0 - np.maximum(raw["role_need"], raw["role_offer"])


def role_fit(raw: Mapping[str, np.ndarray]) -> np.ndarray:
    """1 where either side plays a role the other looks for (0.5 where a text leaves it open).

    Same disease areas and product types are rewarded only through a role that fits.
    """
    return np.maximum(raw["role_need"], raw["role_offer"])


def above_average(values: np.ndarray) -> np.ndarray:
    """Standardised, counting only above the pool's average: a penalty never adds points."""
    return np.maximum(standardise(values), 0.0)


def rough_fit(need: np.ndarray, give: np.ndarray, same_field: np.ndarray) -> np.ndarray:
    """Stage-1 score: reciprocal fit of whole offers/seeks fields, plus a little topicality.

    The same harmonic mean as :func:`harmonic`, computed in place in ``need``
    with torch (on every core): in a batch report these are queries x 100k
    matrices, where numpy's temporaries and single thread cost more than the
    matrix products.
    """
    if need.ndim == 1:  # one query: numpy, so a CLI `match` never imports torch (2 s)
        return _rough_fit_one(need, give, same_field)
    import torch  # here, not at the top: importing torch costs every CLI command 2 s

    x = torch.from_numpy(need).clamp_(FLOOR, 1)
    y = torch.from_numpy(give).clamp_(FLOOR, 1)
    total = x + y
    x.mul_(y).mul_(2).div_(total).add_(torch.from_numpy(same_field), alpha=0.2)
    return need


def _rough_fit_one(need: np.ndarray, give: np.ndarray, same_field: np.ndarray) -> np.ndarray:
    """:func:`rough_fit` of one query's row, in place in ``need``, with numpy."""
    np.clip(need, FLOOR, 1, out=need)
    y = np.clip(give, FLOOR, 1)
    total = need + y
    need *= y
    need *= 2
    need /= total
    need += np.float32(0.2) * same_field
    return need


def best_of(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`best_columns` of one row, with numpy (no torch import for one query)."""
    if k >= len(scores):
        return np.arange(len(scores))
    return np.sort(np.argpartition(-scores, k - 1)[:k])


def best_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the k highest scores in column order (k <= columns).

    torch.topk is several times faster than numpy's argpartition on wide rows.
    Column order, not score order: stage 2 breaks exact ties by pool order, and
    match() and match_many() must agree.
    """
    import torch

    best = torch.topk(torch.from_numpy(scores), k, dim=1, sorted=False).indices.numpy()
    return np.sort(best, axis=1)


def harmonic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.clip(x, FLOOR, 1)
    y = np.clip(y, FLOOR, 1)
    return 2 * x * y / (x + y)


def membership(item_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """One row per list, one 0/1 column per distinct item: set overlaps become products."""
    columns = {item: j for j, item in enumerate(sorted({i for items in item_lists for i in items}))}
    matrix = np.zeros((len(item_lists), len(columns)), dtype=np.float32)
    for row, items in enumerate(item_lists):
        matrix[row, [columns[i] for i in items]] = 1.0
    return matrix


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest finite scores, best first (argpartition, then a small sort)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) == 0 or k <= 0:
        return np.zeros(0, dtype=int)
    k = min(k, len(finite))
    part = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return part[np.argsort(-scores[part], kind="stable")]


def other_country(country: str) -> str:
    """Latvia's other side is Korea; Korea's is Latvia (EU for the whole of Europe, by filter)."""
    return "LV" if country == "KR" else "KR"
