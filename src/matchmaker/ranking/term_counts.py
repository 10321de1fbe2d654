"""scikit-learn's term counting, a chunk of texts at a time: the same matrices in less memory.

Every lexical part of a fit (TF-IDF with bigrams, the peer TF-IDF, BM25 over
words and over concepts) counts terms with scikit-learn's
``CountVectorizer._count_vocab``. It gathers every (document, term) pair of the
whole corpus in Python lists before making one sparse matrix: about 40 bytes a
pair, 3 to 4 GB for a million profiles with bigrams, several times the matrix
it makes (12 bytes a pair). :func:`counting_in_chunks` has the vectorizer count
``chunk`` texts at a time with its own method, growing one vocabulary in the
order terms are first seen (as one pass does), and joins the chunks' matrices.
The vocabulary, the matrix (values, index dtype, order) and so everything fitted
from them are those of one pass; ``tests/ranking/test_term_counts.py`` holds
them equal. Everything else (document frequencies, pruning, sorting the
vocabulary, TF-IDF weights) stays scikit-learn's own code.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

#: Texts counted at once: some 70 MB of Python objects for profiles with bigrams.
COUNT_CHUNK = 20_000


@contextmanager
def counting_in_chunks(vectorizer, chunk: int = COUNT_CHUNK) -> Iterator:
    """Within this block, ``vectorizer`` (a CountVectorizer or TfidfVectorizer) counts
    terms ``chunk`` texts at a time, in fit, fit_transform and transform alike."""

    def count(raw_documents: Iterable[str], fixed_vocab: bool):
        return _count_in_chunks(vectorizer, raw_documents, fixed_vocab, chunk)

    vectorizer._count_vocab = count  # on the instance: found before the class's method
    try:
        yield vectorizer
    finally:
        del vectorizer._count_vocab  # nothing of it is left to pickle


def _count_in_chunks(vectorizer, raw_documents: Iterable[str], fixed_vocab: bool, chunk: int):
    """What ``vectorizer._count_vocab(raw_documents, fixed_vocab)`` returns, chunk by chunk.

    Each chunk is counted by the class's own method against a vocabulary given as
    fixed: a dict that adds each new term with the next index, as a first pass does.
    """
    count = type(vectorizer)._count_vocab
    batches = _batches(raw_documents, chunk)
    if fixed_vocab:
        parts = [count(vectorizer, batch, True)[1] for batch in batches]
        return vectorizer.vocabulary_, _joined(parts, len(vectorizer.vocabulary_), vectorizer)
    vectorizer.build_analyzer()  # checks the stop words first, as one pass does
    growing = defaultdict()
    growing.default_factory = growing.__len__
    vectorizer.vocabulary_ = growing
    try:
        parts = [count(vectorizer, batch, True)[1] for batch in batches]
    finally:
        del vectorizer.vocabulary_  # set by the fit once counting is done, as before
    vocabulary = dict(growing)
    if not vocabulary:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    return vocabulary, _joined(parts, len(vocabulary), vectorizer)


def _batches(texts: Iterable[str], size: int) -> list[list[str]]:
    """The texts in lists of ``size`` (one empty list for no texts, so a matrix is made)."""
    found = iter(texts)
    batches = []
    while batch := list(itertools.islice(found, size)):
        batches.append(batch)
    return batches or [[]]


def _joined(parts: list, columns: int, vectorizer):
    """The chunks' count matrices one under the other, ``columns`` wide, as one pass makes it.

    Rows keep their sorted indices; the index dtype follows scikit-learn's rule (64
    bits only past 2**31 - 1 entries) and the matrix type is the chunks' own.
    """
    nnz = sum(len(part.indices) for part in parts)
    index_dtype = np.int64 if nnz > np.iinfo(np.int32).max else np.int32
    indptr = [np.zeros(1, dtype=index_dtype)]
    offset = 0
    for part in parts:
        indptr.append(part.indptr[1:].astype(index_dtype) + offset)
        offset += len(part.indices)
    indices = np.concatenate([part.indices for part in parts]).astype(index_dtype, copy=False)
    data = np.concatenate([part.data for part in parts])
    rows = sum(part.shape[0] for part in parts)
    matrix = type(parts[0])(
        (data, indices, np.concatenate(indptr)), shape=(rows, columns), dtype=vectorizer.dtype
    )
    matrix.sort_indices()
    return matrix
