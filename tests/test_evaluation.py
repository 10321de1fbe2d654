"""The metrics behind the README's headline table, against examples worked by hand.

Grades: 2 strong partner, 1 useful, 0 not (or not judged). nDCG uses the
exponential gain 2^grade - 1 discounted by log2(rank + 1); MRR and precision
count grades >= 1 as relevant unless told otherwise.
"""

from __future__ import annotations

import math

import pytest

from matchmaker.evaluation import (
    JudgedQuery,
    competitor_rate_at,
    dcg,
    ndcg_at,
    precision_at,
    recall_at,
    reciprocal_rank,
    score_system,
)

GAINS = {"a": 0, "b": 2, "c": 1, "d": 1}  # "a" judged not a partner; "e" not judged


def test_dcg_of_grades_in_order():
    # (2^2 - 1)/log2(2) + (2^1 - 1)/log2(3) + 0 = 3 + 0.6309
    assert dcg([2, 1, 0]) == pytest.approx(3 + 1 / math.log2(3))
    assert dcg([]) == 0


def test_ndcg_divides_by_the_best_possible_order():
    ranked = ["a", "b", "c"]
    # DCG: a 0, b 3/log2(3), c 1/log2(4) = 1.8928 + 0.5; ideal: grades 2, 1, 1
    found = 3 / math.log2(3) + 1 / 2
    ideal = 3 + 1 / math.log2(3) + 1 / 2
    assert ndcg_at(ranked, GAINS, 3) == pytest.approx(found / ideal)
    assert ndcg_at(ranked, GAINS, 3) == pytest.approx(0.5792, abs=1e-4)


def test_ndcg_is_one_for_the_ideal_order_and_zero_without_relevant_results():
    assert ndcg_at(["b", "c", "d"], GAINS, 3) == pytest.approx(1.0)
    assert ndcg_at(["b", "d", "c"], GAINS, 3) == pytest.approx(1.0)  # ties in grade
    assert ndcg_at(["a", "e"], GAINS, 2) == 0
    assert ndcg_at(["b"], {"x": 0}, 5) == 0  # nothing relevant exists: 0, not a division error


def test_ndcg_looks_only_at_the_top_k():
    # at k=1 only "a" counts (grade 0), however good the rest is
    assert ndcg_at(["a", "b", "c", "d"], GAINS, 1) == 0
    # at k=2: b at rank 2 gives 3/log2(3); the ideal top 2 is b, then c or d
    assert ndcg_at(["a", "b"], GAINS, 2) == pytest.approx(
        (3 / math.log2(3)) / (3 + 1 / math.log2(3))
    )


def test_reciprocal_rank_of_the_first_relevant_result():
    assert reciprocal_rank(["a", "e", "c", "b"], GAINS) == pytest.approx(1 / 3)
    assert reciprocal_rank(["b"], GAINS) == 1
    assert reciprocal_rank(["a", "e"], GAINS) == 0


def test_precision_counts_relevant_results_over_k_even_when_fewer_are_ranked():
    assert precision_at(["a", "b", "e", "c", "a"], GAINS, 5) == pytest.approx(2 / 5)
    assert precision_at(["b", "c"], GAINS, 5) == pytest.approx(2 / 5)  # a short list is not excused
    assert precision_at(["b", "c", "d"], GAINS, 2) == 1


def test_precision_with_a_higher_bar_counts_only_strong_results():
    assert precision_at(["b", "c", "d"], GAINS, 3, min_grade=2) == pytest.approx(1 / 3)


def test_recall_counts_only_the_best_graded_candidates():
    # the best grade in GAINS is 2 and only "b" has it: found in the top 2 or not at all
    assert recall_at(["a", "b"], GAINS, 2) == 1
    assert recall_at(["a", "b"], GAINS, 1) == 0
    assert recall_at(["c", "d", "e"], GAINS, 3) == 0  # useful ones do not count towards it


def test_recall_is_the_share_of_the_partners_found_in_the_top_k():
    deals = {"p": 1, "q": 1, "r": 1, "x": 0}  # real deals: every partner graded 1
    assert recall_at(["p", "x", "q", "r"], deals, 2) == pytest.approx(1 / 3)
    assert recall_at(["p", "x", "q", "r"], deals, 3) == pytest.approx(2 / 3)
    assert recall_at(["x"], {"x": 0}, 5) == 0  # no partner exists: 0, not a division error
    assert recall_at([], {}, 5) == 0


def test_competitor_rate_is_the_share_of_the_top_k():
    assert competitor_rate_at(["x", "a", "y", "b"], ["x", "y"], 4) == pytest.approx(0.5)
    assert competitor_rate_at(["a"], ["x"], 5) == 0


def test_a_system_scores_the_mean_over_its_queries():
    queries = [
        JudgedQuery("q1", "KR", {"b": 2}, company="one", competitors=["x"]),
        JudgedQuery("q2", "KR", {"c": 1}, company="two"),
    ]
    rankings = {"q1": ["b", "x"], "q2": ["x", "y", "c"]}
    scores = score_system("test", queries, lambda q: rankings[q.qid])
    assert scores.mrr == pytest.approx((1 + 1 / 3) / 2)
    assert scores.p5 == pytest.approx((1 / 5 + 1 / 5) / 2)
    assert scores.ndcg5 == pytest.approx((1 + (1 / 2) / 1) / 2)  # q2: c at rank 3, 1/log2(4)
    assert scores.competitors5 == pytest.approx((1 / 5 + 0) / 2)
