"""Counting terms a chunk of texts at a time changes nothing that scikit-learn fits.

:func:`ranking.term_counts.counting_in_chunks` has a vectorizer count chunk by
chunk; the vectorizers the ranker uses, fitted that way on the shipped profiles'
texts, must pickle to the same bytes and transform to the same matrices as
fitted in one pass, and fail the same way on an empty corpus.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matchmaker.importing import parse_file
from matchmaker.ranking.term_counts import counting_in_chunks
from matchmaker.text_languages import lexical_form
from matchmaker.texts import profile_text

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "companies.jsonl"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [profile_text(p) for p in parse_file(SHIPPED).profiles]


#: the vectorizers of a fit (ranking.lexical.fit_lexical and BM25), as they are made there
VECTORIZERS = {
    "tf-idf, 1-2 grams": lambda: TfidfVectorizer(
        sublinear_tf=True,
        ngram_range=(1, 2),
        min_df=1,
        stop_words="english",
        preprocessor=lexical_form,
        token_pattern=r"(?u)\b[\w][\w\-+/.]*[\w+]\b|\b\w\b",
    ),
    "peer tf-idf, pruned": lambda: TfidfVectorizer(
        sublinear_tf=True, stop_words="english", preprocessor=lexical_form, max_df=0.5
    ),
    "bm25 counts": lambda: CountVectorizer(stop_words="english", preprocessor=lexical_form),
}


def assert_same_matrix(left, right) -> None:
    assert type(left) is type(right) and left.shape == right.shape
    for part in ("data", "indices", "indptr"):
        a, b = getattr(left, part), getattr(right, part)
        assert a.dtype == b.dtype and np.array_equal(a, b), part
    assert left.has_sorted_indices == right.has_sorted_indices


@pytest.mark.parametrize("name", VECTORIZERS)
@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_chunked_counting_fits_and_transforms_as_one_pass(texts, name, chunk):
    whole = VECTORIZERS[name]()
    expected = whole.fit_transform(texts)
    chunked = VECTORIZERS[name]()
    with counting_in_chunks(chunked, chunk):
        found = chunked.fit_transform(texts)
        offers = chunked.transform(texts[::3])
    assert_same_matrix(found, expected)
    assert_same_matrix(offers, whole.transform(texts[::3]))
    assert pickle.dumps(chunked) == pickle.dumps(whole)  # nothing of the chunking left in it
    assert_same_matrix(chunked.transform(texts[:5]), whole.transform(texts[:5]))  # after it


def test_no_texts_and_stop_words_only_fail_as_one_pass(texts):
    for corpus in ([], ["the and of", "a"]):
        with pytest.raises(ValueError) as one_pass:
            CountVectorizer(stop_words="english").fit(corpus)
        chunked = CountVectorizer(stop_words="english")
        with pytest.raises(ValueError) as in_chunks, counting_in_chunks(chunked, 1):
            chunked.fit(corpus)
        assert str(in_chunks.value) == str(one_pass.value)
        assert "_count_vocab" not in vars(chunked) and "vocabulary_" not in vars(chunked)
    fitted = CountVectorizer().fit(texts)
    with counting_in_chunks(fitted, 3):
        assert fitted.transform([]).shape == (0, len(fitted.vocabulary_))
