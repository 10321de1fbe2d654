"""The real-deals ceiling (benchmarks/deal_ceiling.py, tie_ceiling.py) checked by hand.

A partner tied with k others, shuffled in the top block, gain 2^2 - 1 = 3, ideal DCG 3:

* k = 0: it is first: nDCG@5 = 1, reciprocal rank 1.
* k = 1: first or second with probability 1/2 each:
  nDCG@5 = (1 + 1/log2(3)) / 2 = 0.815465, RR = (1 + 1/2) / 2 = 0.75.
* k = 5: each of places 1..6 with probability 1/6, place 6 outside the top 5:
  nDCG@5 = (1 + 1/log2 3 + 1/2 + 1/log2 5 + 1/log2 6) / 6 = 0.491410,
  RR = (1 + 1/2 + 1/3 + 1/4 + 1/5 + 1/6) / 6 = 0.408333.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import deal_ceiling  # noqa: E402
from benchmarks import tie_ceiling as dc  # noqa: E402


def _tied(k: int) -> list[set[str]]:
    return [{"partner", *(f"other{i}" for i in range(k))}]


@pytest.mark.parametrize(
    ("k", "ndcg", "rr"),
    [(0, 1.0, 1.0), (1, 0.815465, 0.75), (5, 0.491410, 0.408333)],
)
def test_a_partner_tied_with_k_others_by_hand(k, ndcg, rr):
    gains = {"partner": 2}
    assert dc.expected_ndcg(_tied(k), gains) == pytest.approx(ndcg, abs=1e-6)
    assert dc.expected_reciprocal_rank(_tied(k), gains) == pytest.approx(rr, abs=1e-6)


def test_a_block_after_another_starts_where_it_ends():
    # two unsigned candidates placed first, then the partner alone: third place
    blocks = [{"a", "b"}, {"partner"}]
    assert dc.expected_ndcg(blocks, {"partner": 2}) == pytest.approx(0.5)  # 1/log2(4)
    assert dc.expected_reciprocal_rank(blocks, {"partner": 2}) == pytest.approx(1 / 3)


def test_two_partners_in_a_block_of_three():
    # first partner at place 1 with p 2/3 (C(2,1)/C(3,2)), at place 2 with p 1/3
    gains = {"p1": 2, "p2": 2}
    assert dc.expected_reciprocal_rank([{"p1", "p2", "x"}], gains) == pytest.approx(5 / 6)
    # each place holds a partner with p 2/3; ideal is both partners in places 1 and 2
    expected = (2 / 3) * 3 * (1 + 1 / 1.584962500721156 + 0.5) / (3 + 3 / 1.584962500721156)
    assert dc.expected_ndcg([{"p1", "p2", "x"}], gains) == pytest.approx(expected)


def test_no_partner_in_the_pool_scores_zero():
    assert dc.expected_ndcg([{"a"}], {"gone": 2}) == 0.0
    assert dc.expected_reciprocal_rank([{"a"}], {"gone": 2}) == 0.0


def test_tie_sets_dominance_and_equal_kind():
    kinds = {
        "partner": (1, 1, 0, 2),
        "same": (1, 1, 0, 2),
        "better": (1, 1, 1, 3),
        "mixed": (1, 1, 1, 1),  # reaches the market but shares less: not at least as good
        "worse": (0, 1, 0, 5),
    }
    assert dc.dominating(kinds, "partner") == {"partner", "same", "better"}
    assert dc.equal_kind(kinds, "partner") == {"partner", "same"}


def test_ordered_partitions_are_counted_by_the_fubini_numbers():
    assert [len(list(dc.ordered_partitions(list("abcd"[:n])))) for n in range(5)] == [
        1,
        1,
        3,
        13,
        75,
    ]


def test_the_oracle_orders_several_partners_best_first():
    # p1 stands alone, p2 sits among four unsigned look-alikes: p1's block goes first
    sets = {"p1": {"p1"}, "p2": {"p2", "a", "b", "c", "d"}}
    gains = {"p1": 2, "p2": 2}
    ndcg, rr = dc.oracle_ceiling(sets, gains)
    assert rr == 1.0
    after_p1 = dc.expected_ndcg([{"p1"}, sets["p2"]], gains)
    assert ndcg == pytest.approx(after_p1)
    assert ndcg > dc.expected_ndcg([sets["p2"], {"p1"}], gains)


def test_ties_broken_by_a_text_order():
    sets = {"p": {"p", "a", "b"}}
    assert dc.broken_ties(sets, {"p": 2}, ["a", "p", "b"]) == pytest.approx((1 / 1.5849625, 0.5))


def test_on_the_real_deals_each_partner_sits_in_its_own_tie_sets():
    """The shipped deals pools, read as `matchmaker eval` reads them (no model needed)."""
    ab, held_out = deal_ceiling.load_sets()
    assert (len(ab.queries), len(held_out.queries)) == (99, 59)
    reader = deal_ceiling.KindReader(held_out.profiles)
    for q in held_out.queries[:15]:
        row = deal_ceiling.query_ceiling(reader, q)
        for p in row.partners:
            assert p in row.equal[p]
            assert row.equal[p] <= row.tie[p]
        assert 0.0 < row.equal_ceiling[0] <= 1.0
        if len(row.partners) == 1:  # fewer look-alikes to shuffle with: never lower
            assert row.ceiling[0] <= row.equal_ceiling[0] + 1e-9


def test_the_plain_fields_ranker_sorts_by_conditions_met_then_shared():
    kinds = {"a": (1, 1, 1, 0), "b": (1, 1, 0, 5), "c": (1, 1, 1, 2), "d": (1, 1, 1, 2)}
    assert dc.sorted_blocks(kinds) == [{"c", "d"}, {"a"}, {"b"}]
    # the partner d shares first place with c: as a partner tied with one other
    assert dc.expected_ndcg(dc.sorted_blocks(kinds), {"d": 2}) == pytest.approx(0.815465, abs=1e-6)
