"""Lexical scoring: Okapi BM25 over profile texts.

Product terms, acronyms and names (EU-GMP, MFDS, CE-IVD, meldonium) are where
a sentence embedding is weakest and word matching is strongest, so BM25 is
both a ranking signal and the keyword baseline that matchmaker is measured
against. Built on scikit-learn's token counts rather than a new dependency.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


class BM25:
    """Okapi BM25 over a fixed corpus (k1=1.5, b=0.75)."""

    def __init__(self, k1: float = 1.5, b: float = 0.75):
        self.k1 = k1
        self.b = b

    def fit(self, corpus: Sequence[str]) -> BM25:
        self.vectorizer_ = CountVectorizer(stop_words="english")
        try:
            counts = self.vectorizer_.fit_transform(corpus).tocsr().astype(np.float64)
        except ValueError:  # empty corpus, or only stop words
            self.vectorizer_ = CountVectorizer().fit(["placeholder"])
            counts = self.vectorizer_.transform([""] * len(corpus)).tocsr().astype(np.float64)
        n_docs = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        norm = self.k1 * (1 - self.b + self.b * lengths / max(lengths.mean(), 1e-9))
        rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        counts.data = counts.data * (self.k1 + 1) / (counts.data + norm[rows])
        self.weights_ = counts
        return self

    def scores(self, query: str, pool: np.ndarray | None = None) -> np.ndarray:
        """BM25 of every document (or only those in ``pool``) for the query."""
        terms = (self.vectorizer_.transform([query]) > 0).astype(np.float64)
        idf_query = terms.multiply(self.idf_).tocsr()
        docs = self.weights_ if pool is None else self.weights_[pool]
        return np.asarray((docs @ idf_query.T).todense()).ravel()
