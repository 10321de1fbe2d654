"""Tie sets and exact expected scores of shuffled blocks: the pure part of deal_ceiling.py.

A ranker that cannot tell some candidates apart ties them; with ties broken at random,
its nDCG@k and reciprocal rank are expectations. They are computed here exactly (by
symmetry and by counting), not by sampling, so a hand-worked example checks them
(``tests/test_deal_ceiling.py``). The definitions are in ``deal_ceiling.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

from matchmaker import evaluation
from matchmaker.evaluation import dcg

#: kind(q, c): a tuple of numbers compared component by component
Kind = tuple[int, ...]
K = 5


def dominating(kinds: Mapping[str, Kind], partner: str) -> set[str]:
    """T(q, p): candidates at least as good as the partner on every component (p included)."""
    mine = kinds[partner]
    return {c for c, kind in kinds.items() if all(x >= y for x, y in zip(kind, mine, strict=True))}


def equal_kind(kinds: Mapping[str, Kind], partner: str) -> set[str]:
    """E(q, p): candidates no ranker that sees only these fields can tell from the partner."""
    return {c for c, kind in kinds.items() if kind == kinds[partner]}


def ordered_partitions(items: Sequence[str]) -> Iterator[list[list[str]]]:
    """Every ordered partition of ``items`` into non-empty groups (Fubini many: 1, 3, 13, 75)."""
    if not items:
        yield []
        return
    first, rest = items[0], list(items[1:])
    for partition in ordered_partitions(rest):
        for i in range(len(partition)):  # join an existing group
            yield [*partition[:i], [first, *partition[i]], *partition[i + 1 :]]
        for i in range(len(partition) + 1):  # or stand alone at any place
            yield [*partition[:i], [first], *partition[i:]]


def layouts(partner_sets: Mapping[str, set[str]]) -> Iterator[list[set[str]]]:
    """Oracle layouts: blocks of candidates, in order, each to be shuffled within itself.

    A group of partners brings the union of their sets, less what earlier blocks placed.
    """
    for partition in ordered_partitions(sorted(partner_sets)):
        placed: set[str] = set()
        blocks = []
        for group in partition:
            block = set().union(*(partner_sets[p] for p in group)) - placed
            if block:
                blocks.append(block)
                placed |= block
        yield blocks


def sorted_blocks(kinds: Mapping[str, Kind]) -> list[set[str]]:
    """A plain ranker on the fields, no oracle: candidates by how many of role_need,
    role_offer and market they meet, then by the shared count; equal keys tied."""
    by_key: dict[tuple[int, int], set[str]] = {}
    for c, kind in kinds.items():
        by_key.setdefault((sum(kind[:-1]), kind[-1]), set()).add(c)
    return [by_key[key] for key in sorted(by_key, reverse=True)]


def ideal_dcg(gains: Mapping[str, int], k: int = K) -> float:
    return dcg(sorted(gains.values(), reverse=True)[:k])


def expected_ndcg(blocks: Sequence[set[str]], gains: Mapping[str, int], k: int = K) -> float:
    """Exact expected nDCG@k when each block is shuffled uniformly, blocks in order.

    By symmetry each position of a block holds each of its members with the same
    probability, so its expected gain is the block's mean gain.
    """
    ideal = ideal_dcg(gains, k)
    if ideal == 0:
        return 0.0
    total, offset = 0.0, 0
    for block in blocks:
        mean_gain = sum(2 ** gains.get(c, 0) - 1 for c in block) / len(block)
        for position in range(offset, min(offset + len(block), k)):
            total += mean_gain / math.log2(position + 2)
        offset += len(block)
    return total / ideal


def expected_reciprocal_rank(blocks: Sequence[set[str]], gains: Mapping[str, int]) -> float:
    """Exact expected 1/rank of the first candidate graded >= 1, blocks shuffled within.

    With r relevant among n shuffled, the first relevant one is at place j with
    probability C(n - j, r - 1) / C(n, r).
    """
    offset = 0
    for block in blocks:
        n, r = len(block), sum(1 for c in block if gains.get(c, 0) >= 1)
        if r:
            ways = math.comb(n, r)
            return sum(math.comb(n - j, r - 1) / ways / (offset + j) for j in range(1, n - r + 2))
        offset += n
    return 0.0


def oracle_ceiling(
    partner_sets: Mapping[str, set[str]], gains: Mapping[str, int], k: int = K
) -> tuple[float, float]:
    """(nDCG@k, MRR) of the best oracle layout, each maximised on its own (0, 0 if no partner)."""
    best_ndcg = best_rr = 0.0
    for blocks in layouts(partner_sets):
        best_ndcg = max(best_ndcg, expected_ndcg(blocks, gains, k))
        best_rr = max(best_rr, expected_reciprocal_rank(blocks, gains))
    return best_ndcg, best_rr


def broken_ties(
    partner_sets: Mapping[str, set[str]], gains: Mapping[str, int], order: Sequence[str], k: int = K
) -> tuple[float, float]:
    """(nDCG@k, MRR) of the oracle layouts with each block sorted by ``order``, not shuffled."""
    place = {c: i for i, c in enumerate(order)}
    best_ndcg = best_rr = 0.0
    for blocks in layouts(partner_sets):
        ranked = [c for block in blocks for c in sorted(block, key=lambda c: place.get(c, 1e9))]
        best_ndcg = max(best_ndcg, evaluation.ndcg_at(ranked, gains, k))
        best_rr = max(best_rr, evaluation.reciprocal_rank(ranked, gains))
    return best_ndcg, best_rr
