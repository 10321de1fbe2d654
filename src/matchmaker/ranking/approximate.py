"""Stage 1 from an approximate nearest-neighbour index, for large collections.

The exact stage 1 (:meth:`PartnerRanker._coarse`) multiplies every profile's
whole-field vectors with the query's: fine at 10k companies, 60 ms at 100k and
linear beyond. Here the same three products become one inner product over one
vector per company, ``[offers | seeks | profile]`` (3 x 384 numbers), searched
with usearch's HNSW graph: the query is ``[seeks | offers | 0.2 profile]``, so
the inner product is need fit + offer fit + 0.2 topicality, the sum that the
stage-1 score (a harmonic mean of the first two, plus the third) follows.
The index over-fetches (:data:`OVERFETCH` times the pool stage 2 scores), the
found companies are scored with the exact stage-1 formula, and the best
``candidates`` go on to stage 2, as before.

usearch was chosen against hnswlib and faiss-cpu (benchmarks/ann_choice.py,
docs/benchmarks.md): at 20k synthetic vectors its recall at the over-fetch depth
was within 0.04 of the best (faiss-cpu's), and it held the index in 57 MB against
93 and 103 MB (half-precision vectors), the one that keeps a million companies'
index near 2.5 GB instead of 5; and its saved index is memory-mapped on load, so
a process starts without reading it. faiss-cpu searched faster in that run (72
against 235 ms median on a machine at load 15-19): the price paid for memory.

Filters still apply before ranking: found companies that fail them are dropped,
and the search asks for more (in proportion to the share that passes) until
enough pass. A filter that leaves few companies (:data:`EXACT_BELOW`) is
scanned exactly instead, which is then both faster and complete.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Profiles from which stage 1 is approximate; below it, the exact scan (the shipped data
#: and every test set stay exact, so their figures do not move).
APPROXIMATE_FROM = 50_000
#: Companies fetched from the index per company stage 2 will score. The index ranks by the
#: sum of need and offer fit, stage 1 by their harmonic mean: on 3,000 synthetic profiles
#: the final top 10 equalled the exact one for 35 / 37 / 39 of 40 queries at 2 / 4 / 8.
OVERFETCH = 4
#: Fewer eligible companies than this are scanned exactly: cheaper than over-fetching.
EXACT_BELOW = 20_000
#: The largest search before giving up on the index for an exact scan of the eligible ones.
LARGEST_SEARCH = 40_000
#: Weight of the whole-profile cosine in the stage-1 score (signals.rough_fit).
TOPICALITY = 0.2
#: Rows added to the index per call: bounds the temporary concatenated matrix.
ADD_BLOCK = 50_000


class FirstStage:
    """An HNSW index over ``[offers | seeks | profile]`` of every fitted company."""

    def __init__(self, index, size: int, exact_below: int = EXACT_BELOW):
        self.index = index
        self.size = size
        #: eligible companies below which search() asks for the exact scan
        self.exact_below = exact_below

    @classmethod
    def build(cls, offers: np.ndarray, seeks: np.ndarray, profiles: np.ndarray) -> FirstStage:
        """Index every row; half precision halves the memory with no measured recall loss."""
        from usearch.index import Index

        dim = offers.shape[1]
        index = Index(ndim=3 * dim, metric="ip", dtype="f16", connectivity=16, expansion_add=128)
        for start in range(0, len(offers), ADD_BLOCK):
            end = min(start + ADD_BLOCK, len(offers))
            block = np.hstack([offers[start:end], seeks[start:end], profiles[start:end]])
            index.add(np.arange(start, end), block.astype(np.float32), threads=os.cpu_count() or 1)
        return cls(index, len(offers))

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    @classmethod
    def load(cls, path: Path, size: int) -> FirstStage:
        """The saved index, memory-mapped: pages are read as searches touch them."""
        from usearch.index import Index

        index = Index.restore(str(path), view=True)
        if index is None:  # usearch's answer to a file that is not one of its indexes
            raise ValueError(f"{path} is not a usearch index")
        return cls(index, size)

    def search(self, query: np.ndarray, want: int, mask: np.ndarray) -> np.ndarray | None:
        """Positions of about ``want`` best companies passing ``mask``, sorted; None: scan.

        None when the filter is so selective that an exact scan of the eligible
        companies is the better plan (or the index cannot find ``want`` of them).
        """
        eligible = int(mask.sum())
        if eligible < self.exact_below or eligible == 0:
            return None
        fetch = min(self.size, int(np.ceil(want * self.size / eligible)))
        while True:
            self.index.expansion_search = max(fetch, 64)
            keys = np.asarray(self.index.search(query.astype(np.float32), fetch).keys)
            keys = keys.astype(np.int64)  # unsigned in usearch; an empty slot reads as -1
            keys = keys[(keys >= 0) & (keys < self.size)]
            found = keys[mask[keys]]
            if len(found) >= min(want, eligible) or fetch >= self.size:
                return np.union1d(found, self._added(mask))
            fetch *= 2
            if fetch > LARGEST_SEARCH:
                return None


    def _added(self, mask: np.ndarray) -> np.ndarray:
        """Rows added by incremental updates since the index was built (ranking.incremental).

        They are few (a full refit follows after 5% changed rows), so they are
        scanned exactly next to the index instead of being added to it: the
        index stays shared, unchanged, by every snapshot, and can stay mapped.
        """
        return np.arange(self.size, len(mask))[mask[self.size :]]


def partner_query(seeks: np.ndarray, offers: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Company a's stage-1 query: its needs against offers, its offers against needs."""
    return np.concatenate([seeks, offers, TOPICALITY * profile])


def text_queries(whole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A free text's two stage-1 queries: against candidates' offers, and their seeks."""
    zeros = np.zeros_like(whole)
    return np.concatenate([whole, zeros, zeros]), np.concatenate([zeros, whole, zeros])
