"""Batch ranking: the partners of many companies at once, for reports.

Same results as :meth:`PartnerRanker.match` company by company, but stage 1
runs as one matrix product per block of companies and country, and blocks are
ranked by a thread pool with single-threaded BLAS and torch (measured in
benchmarks/reports.py).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from .signals import best_columns, other_country, rough_fit
from .threads import one_thread_per_worker
from .types import Filters, Match

if TYPE_CHECKING:
    from .partner import PartnerRanker


def match_many(
    ranker: PartnerRanker,
    company_ids: Sequence[str],
    top: int = 10,
    filters: Filters | None = None,
    chunk: int = 128,
    workers: int | None = None,
    kept: CandidateCache | None = None,
) -> Iterator[tuple[str, list[Match]]]:
    """Partners for many companies, yielded in the given order; same results as match().

    Stage 1 runs as matrix products over chunks of companies, so memory stays
    bounded (a few chunks x candidates floats) whatever the number of profiles.
    Chunks are ranked by ``workers`` threads (default: one per usable CPU),
    each with single-threaded BLAS and torch: stage 2 is mostly Python, so one
    chunk's Python runs while another's matrix products do, and nothing
    oversubscribes the cores (measured in benchmarks/reports.py).
    ``kept``: the candidate matrices of earlier calls on this ranker, reused
    (see :class:`CandidateCache`).
    """
    ranker._check_fitted()
    positions = [ranker._position(cid) for cid in company_ids]
    filters = filters or Filters()
    if kept is None:
        kept = CandidateCache(ranker)
    elif kept.ranker is not ranker:
        raise ValueError("a CandidateCache serves the ranker it was made for, not another")
    cache = kept.for_filters(filters)
    for a in positions:  # built up front, so worker threads only read the cache
        country = filters.country or other_country(ranker.countries_[a])
        candidates_for(ranker, country, filters, cache)
    blocks = [positions[start : start + chunk] for start in range(0, len(positions), chunk)]
    workers = workers or usable_cpus()
    with one_thread_per_worker(), ThreadPoolExecutor(workers) as pool:
        running: deque = deque()
        for block in blocks:
            running.append(pool.submit(match_block, ranker, block, top, filters, cache))
            if len(running) > workers:
                yield from running.popleft().result()
        while running:
            yield from running.popleft().result()


def match_block(
    ranker: PartnerRanker,
    block: list[int],
    top: int,
    filters: Filters,
    cache: dict[str, Candidates],
) -> list[tuple[str, list[Match]]]:
    """Stage 1 and 2 for one block of company positions: (company id, its partners)."""
    pools = coarse_block(ranker, block, filters, cache)
    return [
        (ranker.profiles_[a].id, ranker._rerank(a, pool, top))
        for a, pool in zip(block, pools, strict=True)
    ]


def candidates_for(
    ranker: PartnerRanker, country: str, filters: Filters, cache: dict[str, Candidates]
) -> Candidates:
    """Stage-1 matrices of one target country, gathered once per batch, not per block."""
    if country not in cache:
        mask = ranker._mask(Filters(**{**asdict(filters), "country": country}))
        eligible = np.flatnonzero(mask)
        cache[country] = Candidates(
            eligible,
            np.ascontiguousarray(ranker.offer_vecs_[eligible].T),
            np.ascontiguousarray(ranker.seek_vecs_[eligible].T),
            np.ascontiguousarray(ranker.profile_vecs_[eligible].T),
        )
    return cache[country]


def coarse_block(
    ranker: PartnerRanker,
    block: list[int],
    filters: Filters,
    cache: dict[str, Candidates],
) -> list[np.ndarray]:
    """Stage 1 for a block of companies: one matrix product per country group.

    Scores are laid out queries x candidates, so the partial sort runs along
    contiguous rows.
    """
    pools: list[np.ndarray] = [np.zeros(0, dtype=int)] * len(block)
    groups: dict[str, list[int]] = {}
    for k, a in enumerate(block):
        target = filters.country or other_country(ranker.profiles_[a].country)
        groups.setdefault(target, []).append(k)
    for target, members in groups.items():
        queries = np.array([block[k] for k in members])
        cands = candidates_for(ranker, target, filters, cache)
        eligible = cands.positions
        if len(eligible) <= ranker.candidates:
            for k, a in zip(members, queries, strict=True):
                pools[k] = eligible[eligible != a]
            continue
        rough = rough_fit(
            ranker.seek_vecs_[queries] @ cands.offers,
            ranker.offer_vecs_[queries] @ cands.seeks,
            ranker.profile_vecs_[queries] @ cands.profiles,
        )
        own = np.searchsorted(eligible, queries)  # never one's own partner
        inside = (own < len(eligible)) & (eligible[np.minimum(own, len(eligible) - 1)] == queries)
        rough[np.flatnonzero(inside), own[inside]] = -np.inf
        top = best_columns(rough, ranker.candidates)
        for row, k in enumerate(members):
            pools[k] = eligible[top[row]]
    return pools


class CandidateCache:
    """The stage-1 candidate matrices of one ranker, kept from one ``match_many`` call to
    the next.

    Gathering them (three transposed copies of the other country's vectors) costs
    about 2.6 s of CPU at 100,000 candidates (e5 vectors); a chunked report worker
    (reports.runs) ranks 1,024 companies per call, so it paid about 2.5 ms per
    company before it kept them for the whole run. Only for a ranker that does
    not change meanwhile: a report run's ranker is fitted on the run's revision
    and never updated.
    """

    def __init__(self, ranker: PartnerRanker):
        self.ranker = ranker
        self._by_filters: dict[str, dict[str, Candidates]] = {}

    def for_filters(self, filters: Filters) -> dict[str, Candidates]:
        """The per-country cache of these filters (the candidates depend on them)."""
        return self._by_filters.setdefault(repr(filters), {})


@dataclass
class Candidates:
    """Positions and stage-1 vectors of the companies one batch may pair with.

    Vectors are stored transposed (dimensions x companies): BLAS multiplies them faster.
    """

    positions: np.ndarray
    offers: np.ndarray
    seeks: np.ndarray
    profiles: np.ndarray


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity on Linux, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
