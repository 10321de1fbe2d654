"""BM25 against a worked example: three documents, scores computed by hand.

Okapi BM25 with k1 = 1.5 and b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
English stop words dropped. The corpus below has, after tokenising:

  doc 0  "PCR kits"                  pcr, kits                 length 2
  doc 1  "PCR reagents and reagents" pcr, reagents, reagents   length 3 ("and" is a stop word)
  doc 2  "wound dressings"           wound, dressings          length 2

so N = 3, the average length is 7/3, df(pcr) = 2 and df(kits) = df(reagents) = 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from matchmaker.ranking import BM25

CORPUS = ["PCR kits", "PCR reagents and reagents", "wound dressings"]
K1, B, AVERAGE_LENGTH = 1.5, 0.75, 7 / 3


def saturated(tf: int, length: int) -> float:
    """A term's weight in a document: tf (k1 + 1) / (tf + k1 (1 - b + b length / avgdl))."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / AVERAGE_LENGTH))


IDF_PCR = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))  # ln 1.6
IDF_RARE = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))  # ln 8/3, for kits and reagents


@pytest.fixture
def bm25() -> BM25:
    return BM25().fit(CORPUS)


def test_the_worked_example(bm25):
    scores = bm25.scores("pcr kits")
    expected = [
        saturated(1, 2) * (IDF_PCR + IDF_RARE),  # 1.0687 x (0.4700 + 0.9808) = 1.5505
        saturated(1, 3) * IDF_PCR,  # 0.8861 x 0.4700 = 0.4165
        0.0,
    ]
    assert scores == pytest.approx(expected)
    assert expected[0] == pytest.approx(1.5505, abs=1e-4)
    assert expected[1] == pytest.approx(0.4165, abs=1e-4)


def test_a_repeated_term_saturates_instead_of_doubling(bm25):
    twice = bm25.scores("reagents")[1]
    assert twice == pytest.approx(saturated(2, 3) * IDF_RARE)
    assert saturated(1, 3) * IDF_RARE < twice < 2 * saturated(1, 3) * IDF_RARE


def test_query_words_count_once_and_stop_words_not_at_all(bm25):
    assert bm25.scores("pcr pcr kits the and") == pytest.approx(bm25.scores("pcr kits"))
    assert list(bm25.scores("the and of")) == [0, 0, 0]


def test_a_pool_scores_the_same_as_the_whole_corpus(bm25):
    whole = bm25.scores("pcr reagents")
    assert bm25.scores("pcr reagents", np.array([2, 0])) == pytest.approx(whole[[2, 0]])


def test_pool_scores_leave_no_query_behind_across_vocabularies(bm25):
    """Pools read idf from one zeroed vector per thread: each query puts its terms back to
    zero, so a later query (or a BM25 with another vocabulary) never sees them, and a
    query with no known term scores 0 with the whole-corpus dtype."""
    other = BM25().fit(["wound care", "gauze", "sterile gauze and wound dressings"])
    for _ in range(2):
        assert list(bm25.scores("pcr kits", np.array([0, 1, 2]))) == list(bm25.scores("pcr kits"))
        assert list(other.scores("gauze", np.array([2, 1]))) == list(other.scores("gauze")[[2, 1]])
        assert list(bm25.scores("wound", np.array([0, 1]))) == [0.0, 0.0]
        empty = bm25.scores("unknown words", np.array([0, 2]))
        assert list(empty) == [0.0, 0.0] and empty.dtype == np.float64


def test_a_document_as_the_query_reuses_its_tokens(bm25):
    for i, text in enumerate(CORPUS):
        assert bm25.document_scores(i) == pytest.approx(bm25.scores(text))
        assert bm25.document_scores(i, np.array([1])) == pytest.approx(bm25.scores(text)[[1]])


def test_an_empty_or_stop_word_corpus_scores_zero():
    assert list(BM25().fit(["the and", "of"]).scores("pcr")) == [0, 0]
