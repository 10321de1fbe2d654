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

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .projection import (
    CALIBRATION_QUERIES,
    REQUIRED_RECALL,
    SVD_SAMPLE,
    WIDTHS,
    Projection,
    exact_pools,
    measurable,
    recall,
)

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
#: Search breadth (usearch's expansion) per company fetched, when the fit could not measure
#: one (no country index large enough). At 100k synthetic profiles with the model's
#: vectors, the final top 10 equalled exact stage 1's for 164 / 183 / 192 / 194 / 195 of
#: 200 `match` queries at 1.0 / 1.5 / 2.0 / 2.5 / 3.0, for 18.1 / 18.6 / 20.3 / 22.4 /
#: 24.4 ms of CPU per call (median; docs/benchmarks.md).
EXPANSION = 2.0
#: Breadths the fit's recall check tries, narrowest first; the first that finds
#: REQUIRED_RECALL of the exact candidates is kept. A fixed 2.0 found enough at 100k but
#: not at a million (500,000 a country: 80 % of top 10s identical, against 90 / 97.5 %
#: at 4 / 8; docs/benchmarks.md, "How wide to search").
BREADTHS = (2.0, 4.0, 8.0)
#: The saved stage's settings (the breadth) next to its indexes.
SETTINGS_FILE = "search.json"
#: A country whose eligible companies number at most this many times the fetch is
#: scored in full by the exact stage-1 formula rather than searched.
SCAN_SHARE = 2


class FirstStage:
    """One HNSW index per country over ``[offers | seeks | profile]`` of every fitted company.

    Per country because nearly every search is for one country: ``match`` looks
    across the border, and a free-text search names the country it wants. One
    index over all countries answered such a search at half its depth with
    companies the filter then threw away, and searched again, twice as deep,
    whenever fewer than asked for were left (about one `match` in ten at 100k,
    each then 3 times slower). A country's own index is asked for exactly what is
    wanted (docs/benchmarks.md, "Approximate stage 1 per country").
    """

    def __init__(
        self,
        parts: dict[str, Part],
        size: int,
        exact_below: int = EXACT_BELOW,
        projection: Projection | None = None,
        expansion: float = EXPANSION,
    ):
        self.parts = parts
        self.size = size
        #: what narrows a query to the index's vectors; None: the index holds them in full
        self.projection = projection
        #: eligible companies below which search() asks for the exact scan
        self.exact_below = exact_below
        #: search breadth per company fetched, chosen by the fit's recall check
        self.expansion = expansion

    @classmethod
    def build(
        cls, offers: np.ndarray, seeks: np.ndarray, profiles: np.ndarray, countries: np.ndarray
    ) -> FirstStage:
        """An index for each country's rows; their keys are positions in the whole ranker.

        The narrowest projection (ranking.projection), searched at the narrowest
        breadth, whose indexes find the exact candidates of sample queries is kept;
        if none does, the full vectors, at the narrowest breadth that finds them
        (the widest tried when none does; the default when no country is large
        enough to measure).
        """

        def full(rows: np.ndarray) -> np.ndarray:
            return np.hstack([offers[rows], seeks[rows], profiles[rows]]).astype(np.float32)

        groups = {str(c): np.flatnonzero(countries == c) for c in np.unique(countries)}
        samples = _calibration(full, seeks, offers, profiles, countries, groups)
        sample = np.random.default_rng(0).permutation(len(offers))[:SVD_SAMPLE]
        for width in [*WIDTHS, None]:
            if width is not None and width >= 3 * offers.shape[1]:
                continue
            projection = None if width is None else Projection.fit(full(np.sort(sample)), width)
            parts = {
                country: Part.build(rows, _narrowed(full, projection))
                for country, rows in groups.items()
            }
            stage = cls(parts, len(offers), projection=projection)
            breadth = stage.narrowest_breadth(samples)
            if breadth is not None:
                stage.expansion = breadth
                return stage
            if projection is None:
                stage.expansion = BREADTHS[-1] if samples else EXPANSION
                return stage
        raise AssertionError("unreachable: the full vectors are always kept")

    def narrowest_breadth(self, samples: dict[str, Calibration]) -> float | None:
        """The narrowest of :data:`BREADTHS` at which every measured country's index finds
        :data:`REQUIRED_RECALL` of the exact candidates; None when none does, or nothing
        could be measured (a projection is never kept unmeasured)."""
        if not samples:
            return None
        for breadth in BREADTHS:
            if all(
                recall(self._searcher(self.parts[country], breadth), sample.queries, sample.exact)
                >= REQUIRED_RECALL
                for country, sample in samples.items()
            ):
                return breadth
        return None

    def _searcher(self, part: Part, breadth: float):
        def search(query: np.ndarray, k: int) -> np.ndarray:
            return part.nearest(self._narrow(query), k, breadth)

        return search

    def _narrow(self, query: np.ndarray) -> np.ndarray:
        query = np.asarray(query, dtype=np.float32)
        return query if self.projection is None else self.projection.apply(query)

    def save(self, folder: Path) -> list[str]:
        """Each country's index and rows in ``folder`` (created); the countries, in file order.

        Files are numbered, not named by country: a country is data, a file name is not.
        """
        folder.mkdir(exist_ok=True)
        for number, part in enumerate(self.parts.values()):
            part.save(folder, str(number))
        if self.projection is not None:
            np.save(folder / "projection.npy", self.projection.matrix, allow_pickle=False)
        (folder / SETTINGS_FILE).write_text(json.dumps({"expansion": self.expansion}))
        return list(self.parts)

    @classmethod
    def load(cls, folder: Path, size: int, countries: list[str]) -> FirstStage:
        """The saved indexes, memory-mapped: pages are read as searches touch them."""
        parts = {country: Part.load(folder, str(n)) for n, country in enumerate(countries)}
        saved = folder / "projection.npy"
        projection = Projection(np.load(saved, allow_pickle=False)) if saved.is_file() else None
        return cls(parts, size, projection=projection, expansion=_saved_breadth(folder))

    def search(self, query: np.ndarray, want: int, mask: np.ndarray) -> np.ndarray | None:
        """Positions of about ``want`` best companies passing ``mask``, sorted; None: scan.

        Every country with eligible companies is searched for up to ``want`` of
        them (the best ``want`` may all be in one country). None when the filter is
        so selective that an exact scan of the eligible companies is the better
        plan, or an index cannot find enough of them.
        """
        eligible = int(mask[: self.size].sum())
        if eligible < self.exact_below or eligible == 0:
            return None
        found = [self._added(mask)]
        query = self._narrow(query)
        for part in self.parts.values():
            keys = part.search(query, want, mask, self.expansion)
            if keys is None:
                return None
            found.append(keys)
        return np.unique(np.concatenate(found))

    def _added(self, mask: np.ndarray) -> np.ndarray:
        """Rows added by incremental updates since the index was built (ranking.incremental).

        They are few (a full refit follows after 5% changed rows), so they are
        scanned exactly next to the index instead of being added to it: the
        index stays shared, unchanged, by every snapshot, and can stay mapped.
        """
        return np.arange(self.size, len(mask))[mask[self.size :]]


class Part:
    """One country's HNSW index, and which of the ranker's rows it holds."""

    def __init__(self, index, rows: np.ndarray):
        self.index = index
        self.rows = rows
        #: usearch keeps the search breadth on the index, not per call, and every web
        #: thread searches the same index: one thread's setting must not change another's
        self.breadth = SearchBreadth(index)

    @classmethod
    def build(cls, rows: np.ndarray, vectors: Callable[[np.ndarray], np.ndarray]) -> Part:
        """Index ``rows`` (``vectors(rows)`` as the index holds them), in half precision:
        half the memory with no measured recall loss."""
        from usearch.index import Index

        index = None
        for start in range(0, len(rows), ADD_BLOCK):
            block = rows[start : start + ADD_BLOCK]
            values = vectors(block)
            if index is None:
                index = Index(
                    ndim=values.shape[1],
                    metric="ip",
                    dtype="f16",
                    connectivity=16,
                    expansion_add=128,
                )
            index.add(block, values, threads=os.cpu_count() or 1)
        return cls(index, rows)

    def save(self, folder: Path, name: str) -> None:
        self.index.save(str(folder / f"{name}.usearch"))
        np.save(folder / f"{name}.rows.npy", self.rows, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, name: str) -> Part:
        from usearch.index import Index

        index = Index.restore(str(folder / f"{name}.usearch"), view=True)
        if index is None:  # usearch's answer to a file that is not one of its indexes
            raise ValueError(f"{folder / name}.usearch is not a usearch index")
        return cls(index, np.load(folder / f"{name}.rows.npy", allow_pickle=False))

    def search(
        self, query: np.ndarray, want: int, mask: np.ndarray, breadth: float = EXPANSION
    ) -> np.ndarray | None:
        """Up to ``want`` of this country's best rows that pass ``mask``; None: scan instead.

        A country with no more eligible rows than ``want`` (or few enough that the
        search would read most of its graph) hands them all to the exact stage-1
        score. Otherwise the index is asked in proportion to the share that
        passes, twice as deep while too few of them pass.
        """
        passing = self.rows[mask[self.rows]]
        if len(passing) <= want * SCAN_SHARE:
            return passing
        fetch = min(len(self.rows), int(np.ceil(want * len(self.rows) / len(passing))))
        while fetch <= LARGEST_SEARCH:  # deeper reads most of the graph: the scan is cheaper
            keys = self.nearest(query, fetch, breadth)
            keys = keys[(keys >= 0) & (keys < len(mask))]  # unsigned: an empty slot reads -1
            found = keys[mask[keys]]
            if len(found) >= want or fetch >= len(self.rows):
                return found
            fetch *= 2
        return None

    def nearest(self, query: np.ndarray, count: int, breadth: float = EXPANSION) -> np.ndarray:
        """Keys of the ``count`` rows nearest ``query``, searched ``breadth`` times as wide
        as the count (at least usearch's default 64)."""
        with self.breadth.set_to(max(int(breadth * count), 64)):
            keys = self.index.search(query, count).keys
        return np.asarray(keys).astype(np.int64)


class SearchBreadth:
    """usearch's search breadth (``expansion_search``), which it keeps on the index.

    Set by one thread while another searches, it changes that search: a narrow
    search made a concurrent wide one return other candidates (6 of 300 in
    tests/ranking/test_approximate.py). A lock around every search would also
    serialise the searches that agree, and nearly all do (a `match` across the
    border fetches 1,200 whatever the company); usearch releases the GIL while it
    searches, so those run side by side. Searches at the breadth in force start at
    once; one at another breadth waits until none runs, and while it waits no new
    search starts, so it is not starved.
    """

    def __init__(self, index):
        self._index = index
        self._turn = threading.Condition()
        self._running = 0
        self._waiting = 0

    @contextmanager
    def set_to(self, breadth: int) -> Iterator[None]:
        """The index searches at ``breadth`` until the block ends."""
        with self._turn:
            if self._running and (breadth != self._index.expansion_search or self._waiting):
                self._waiting += 1
                self._turn.wait_for(lambda: self._running == 0)
                self._waiting -= 1
            if breadth != self._index.expansion_search:  # none running: no search changes
                self._index.expansion_search = breadth
            self._running += 1
        try:
            yield
        finally:
            with self._turn:
                self._running -= 1
                if self._running == 0:
                    self._turn.notify_all()


def _saved_breadth(folder: Path) -> float:
    """The breadth the fit chose; the default for a fit saved before it chose one. A file
    that holds no number is a ValueError, which makes the caller fit again."""
    settings = folder / SETTINGS_FILE
    if not settings.is_file():
        return EXPANSION
    try:
        return float(json.loads(settings.read_text())["expansion"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{settings} holds no search breadth: {exc}") from exc


@dataclass
class Calibration:
    """One country's sample stage-1 queries and their exact candidates (the full vectors)."""

    queries: np.ndarray
    exact: list[np.ndarray]


def _calibration(full, seeks, offers, profiles, countries, groups) -> dict[str, Calibration]:
    """Sample `match` queries from the other countries for each country index large enough
    to measure, with their exact candidates: worked out once for every width and breadth."""
    rng = np.random.default_rng(1)
    samples = {}
    for country, rows in groups.items():
        askers = np.flatnonzero((countries != country) & seeks.any(1) & offers.any(1))
        if not measurable(rows) or len(askers) == 0:
            continue
        chosen = rng.choice(askers, min(CALIBRATION_QUERIES, len(askers)), replace=False)
        queries = np.stack(
            [partner_query(seeks[i], offers[i], profiles[i]) for i in chosen]
        ).astype(np.float32)
        samples[country] = Calibration(queries, exact_pools(full, rows, queries))
    return samples


def _narrowed(
    full: Callable[[np.ndarray], np.ndarray], projection: Projection | None
) -> Callable[[np.ndarray], np.ndarray]:
    """``full``, then the projection if there is one."""
    if projection is None:
        return full
    return lambda rows: projection.apply(full(rows))


def partner_query(seeks: np.ndarray, offers: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Company a's stage-1 query: its needs against offers, its offers against needs.

    A company that states no needs (or no offers) has a zero vector on that side,
    so its need (offer) fit sits at the floor for every candidate and the harmonic
    mean is all but constant (0.01 to 0.02): stage 1 then orders by topicality
    alone. The index must be asked the same question, or it returns the best
    one-sided fits, which the exact score does not prefer (at 100k synthetic
    profiles, two such queries kept 82 and 87 of the exact 300 candidates).
    """
    if not seeks.any() or not offers.any():
        zeros = np.zeros_like(profile)
        return np.concatenate([zeros, zeros, profile])
    return np.concatenate([seeks, offers, TOPICALITY * profile])


def text_queries(whole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A free text's two stage-1 queries: against candidates' offers, and their seeks."""
    zeros = np.zeros_like(whole)
    return np.concatenate([whole, zeros, zeros]), np.concatenate([zeros, whole, zeros])
