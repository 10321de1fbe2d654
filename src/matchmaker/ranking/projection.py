"""A narrower stage-1 index: company vectors projected on their main directions, when recall holds.

The approximate index (:mod:`ranking.approximate`) compares ``[offers | seeks |
profile]``, 1,152 numbers per company with a 384-dimensional model, and the
graph search spends its time in those comparisons. Projected on the leading
right singular vectors of the data (an SVD without centring, so inner products
are kept as far as the kept directions allow), 256 numbers found the exact 300
candidates as often as all 1,152 at 100k synthetic profiles, four times faster
(docs/benchmarks.md, "Approximate stage 1 per country").

Whether that holds depends on the data: synthetic profiles composed from a
thousand distinct pieces have a concentrated spectrum, real ones may not. So a
projection is never assumed to work. The fit measures it (:func:`recall`): sample
companies' stage-1 queries are answered by the projected index and by an exact
scan of the full vectors, and the projection is kept only if the index finds
:data:`REQUIRED_RECALL` of the exact candidates; otherwise a wider one is
tried, and finally the full vectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Projected widths tried, narrowest first, before the full vectors.
WIDTHS = (256, 512)
#: Rows whose SVD gives the directions (the spectrum settles long before 10,000).
SVD_SAMPLE = 10_000
#: Companies whose stage-1 queries measure recall, per country index.
CALIBRATION_QUERIES = 40
#: Exact candidates per query that the projected index must find...
CALIBRATION_POOL = 300
#: ...among this many it returns (OVERFETCH x candidates, as a `match` asks).
CALIBRATION_FETCH = 1_200
#: Share of the exact candidates the projected index must find to be kept. The full
#: index found 0.998 of them at 100k synthetic profiles (docs/benchmarks.md).
REQUIRED_RECALL = 0.995


@dataclass
class Projection:
    """``vectors @ matrix``: full stage-1 vectors to the narrower ones the index holds."""

    matrix: np.ndarray

    @classmethod
    def fit(cls, sample: np.ndarray, width: int) -> Projection:
        """The ``width`` leading right singular vectors of ``sample`` (rows are companies)."""
        _, _, directions = np.linalg.svd(sample.astype(np.float32), full_matrices=False)
        return cls(np.ascontiguousarray(directions[:width].T, dtype=np.float32))

    @property
    def width(self) -> int:
        return self.matrix.shape[1]

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32) @ self.matrix


def measurable(rows: np.ndarray) -> bool:
    """Enough rows that a search must choose among them: twice what a `match` fetches."""
    return len(rows) >= 2 * CALIBRATION_FETCH


def exact_pools(
    full_vectors: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, queries: np.ndarray
) -> list[np.ndarray]:
    """Each query's exact top :data:`CALIBRATION_POOL` among ``rows``, from the full vectors.

    Worked out once per country and reused for every width and breadth tried;
    ``full_vectors(rows)`` is scanned a block at a time, so a million rows need
    no copy of the whole matrix.
    """
    scores = np.concatenate(
        [
            full_vectors(block) @ queries.T
            for block in np.array_split(rows, max(1, len(rows) // 50_000))
        ]
    )
    pool = min(CALIBRATION_POOL, len(rows))
    return [rows[np.argpartition(-scores[:, j], pool - 1)[:pool]] for j in range(len(queries))]


def recall(
    search: Callable[[np.ndarray, int], np.ndarray],
    queries: np.ndarray,
    exact: list[np.ndarray],
) -> float:
    """Share of each query's ``exact`` candidates that ``search`` returns in its top
    :data:`CALIBRATION_FETCH`, averaged over the queries. ``search(query, k)``
    answers with row keys."""
    found = [
        np.isin(pool, search(query, CALIBRATION_FETCH)).mean()
        for query, pool in zip(queries, exact, strict=True)
    ]
    return float(np.mean(found))
