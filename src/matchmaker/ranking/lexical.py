"""Lexical scoring: Okapi BM25 over profile texts, and the sparse helpers TF-IDF needs.

Product terms, acronyms and names (EU-GMP, MFDS, CE-IVD, meldonium) are where
a sentence embedding is weakest and word matching is strongest, so BM25 is
both a ranking signal and the keyword baseline that matchmaker is measured
against. Built on scikit-learn's token counts rather than a new dependency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from ..lexicon import concept_text
from ..profiles import Profile
from ..text_languages import LANGUAGES, detect_language, lexical_form
from ..texts import profile_text
from .array_files import ArrayFolder, CsrFile

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


class BM25:
    """Okapi BM25 over a fixed corpus (k1=1.5, b=0.75).

    ``preprocessor`` reads each text before scikit-learn cuts it into terms:
    :func:`lexical_form` (words, Korean morphemes, Latvian stems) by default,
    :func:`concept_text` for the lexicon's concepts (:class:`WordsAndConcepts`).
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, preprocessor=lexical_form):
        self.k1 = k1
        self.b = b
        self.preprocessor = preprocessor

    def fit(self, corpus: Sequence[str]) -> BM25:
        from sklearn.feature_extraction.text import CountVectorizer  # fitting only: not at start

        self.vectorizer_ = CountVectorizer(stop_words="english", preprocessor=self.preprocessor)
        try:
            counts = self.vectorizer_.fit_transform(corpus).tocsr().astype(np.float64)
        except ValueError:  # empty corpus, or only stop words
            self.vectorizer_ = CountVectorizer().fit(["placeholder"])
            counts = self.vectorizer_.transform([""] * len(corpus)).tocsr().astype(np.float64)
        n_docs = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        #: documents and document frequencies, kept so that incremental updates keep idf exact
        self.documents_ = n_docs
        self.df_ = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = bm25_idf(self.documents_, self.df_)
        #: mean document length, kept so that rows added later are weighed alike
        self.average_length_ = max(float(lengths.mean()) if n_docs else 0.0, 1e-9)
        self.weights_ = self._weigh(counts)
        return self

    def document_rows(self, texts: Sequence[str]):
        """BM25 weight rows of more documents, with this fit's vocabulary and mean length.

        For an incremental update (ranking.incremental): idf and mean length stay
        those of the fit, and terms outside its vocabulary are not counted.
        """
        counts = self.vectorizer_.transform(texts).tocsr().astype(np.float64)
        return self._weigh(counts)

    def _weigh(self, counts):
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        norm = self.k1 * (1 - self.b + self.b * lengths / self.average_length_)
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        counts.data = counts.data * (self.k1 + 1) / (counts.data + norm[rows])
        counts.sort_indices()  # a document's terms, sorted, are its query terms in document_scores
        return counts

    def scores(self, query: str, pool: np.ndarray | None = None) -> np.ndarray:
        """BM25 of every document (or only those in ``pool``) for the query."""
        terms = np.unique(self.vectorizer_.transform([query]).indices)
        return self._scores_for_terms(terms, pool)

    def document_scores(self, i: int, pool: np.ndarray | None = None) -> np.ndarray:
        """Same as ``scores(corpus[i], pool)``, reusing document i's tokens (no re-reading)."""
        start, end = self.weights_.indptr[i], self.weights_.indptr[i + 1]
        return self._scores_for_terms(self.weights_.indices[start:end], pool)

    def _scores_for_terms(self, terms: np.ndarray, pool: np.ndarray | None) -> np.ndarray:
        """Sum of the documents' term weights times idf over the distinct query terms.

        For a pool, the pool's rows are gathered straight from the CSR arrays
        (scipy's row slicing costs more than scoring a few hundred rows, and a batch
        report scores one pool per company), and each entry's idf is read from this
        thread's query vector (:func:`_query_idf`). Only the entries of query terms
        are summed: the others add exactly 0.0 (weights and idf are positive), so
        the sums are the same to the last bit, with half the gathering (measured
        at 100,000 profiles: 1.0 -> 0.6 ms for the word terms of one pool).
        """
        docs = self.weights_
        if pool is None:
            idf_query = np.zeros(len(self.idf_))
            idf_query[terms] = self.idf_[terms]
            return docs @ idf_query
        pool = np.asarray(pool, dtype=np.int64)
        starts = docs.indptr[pool]
        lengths = docs.indptr[pool + 1] - starts
        offsets = np.cumsum(lengths) - lengths
        entries = np.repeat(starts - offsets, lengths) + np.arange(lengths.sum())
        with _query_idf(terms, self.idf_) as idf_query:
            idf = idf_query[docs.indices[entries]]
        hits = np.flatnonzero(idf)
        if len(hits) == 0:  # np.bincount of nothing is an integer array
            return np.zeros(len(pool))
        owners = np.repeat(np.arange(len(pool)), lengths)[hits]
        contributions = docs.data[entries[hits]] * idf[hits]
        return np.bincount(owners, weights=contributions, minlength=len(pool))


def bm25_idf(documents: int, df: np.ndarray) -> np.ndarray:
    """Okapi BM25's idf (the +1 inside the log keeps it positive for common terms)."""
    return np.log(1 + (documents - df + 0.5) / (df + 0.5))


class WordsAndConcepts:
    """The ranker's lexical signal: BM25 over words, plus BM25 over the lexicon's concepts
    between texts that share no language.

    Two texts in one language already meet on their words; giving them the
    concept terms as well would count every domain word twice and join
    synonyms, and English ranking is not to move (issue 11). Across languages
    the words meet only on acronyms, and the concept terms (:mod:`matchmaker.lexicon`)
    stand in for the words a translation would share: a Korean need for a
    제네릭 의약품 유통 partner meets "generic medicines distribution" on three.
    ``across="always"`` adds the concepts between every pair, ``"never"`` not at
    all (both for measuring: ``benchmarks/language_gap.py --lexicon``).
    """

    def __init__(self, across: str = "languages"):
        if across not in ("languages", "always", "never"):
            raise ValueError("across is 'languages', 'always' or 'never'")
        self.across = across

    def fit(
        self, corpus: Sequence[str], languages: Sequence[Sequence[str]] | None = None
    ) -> WordsAndConcepts:
        """Index the texts; ``languages[i]``: the languages text i is written in (else detected)."""
        self.words_ = BM25().fit(corpus)
        self.concepts_ = BM25(preprocessor=concept_text).fit(corpus)
        if languages is None:
            languages = [text_languages(text) for text in corpus]
        self.languages_ = np.array([language_mask(found) for found in languages], dtype=np.int8)
        return self

    def scores(self, query: str, pool: np.ndarray | None = None) -> np.ndarray:
        """Words and (across languages) concepts of every document, or of ``pool``, for a text."""
        words = self.words_.scores(query, pool)
        if self.across == "never":
            return words
        concepts = self.concepts_.scores(query, pool)
        return words + concepts * self._across(language_mask(text_languages(query)), pool)

    def document_scores(self, i: int, pool: np.ndarray | None = None) -> np.ndarray:
        """Same as ``scores(corpus[i], pool)``, reusing document i's terms."""
        words = self.words_.document_scores(i, pool)
        if self.across == "never":
            return words
        concepts = self.concepts_.document_scores(i, pool)
        return words + concepts * self._across(int(self.languages_[i]), pool)

    def _across(self, mask: int, pool: np.ndarray | None) -> np.ndarray:
        """1 for each document written in none of the query's languages, else 0."""
        theirs = self.languages_ if pool is None else self.languages_[pool]
        if self.across == "always":
            return np.ones(len(theirs))
        return ((theirs & mask) == 0).astype(np.float64)


_LATVIAN_LETTERS = frozenset("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")


def text_languages(text: str) -> list[str]:
    """The language of a text (lingua), or by its letters when it is too short to detect.

    A short text still has a language for this purpose: "zāles" is Latvian and
    "PCR kits" English, as far as sharing words goes.
    """
    found = detect_language(text)
    if found:
        return [found]
    if any(ch in _LATVIAN_LETTERS for ch in text):
        return ["lv"]
    return ["en"]


def written_in(profile: Profile) -> list[str]:
    """The languages of a profile's own words: stored with it, else detected from its texts."""
    if profile.languages:
        return sorted(set(profile.languages.values()))
    return text_languages(" ".join([profile.description, profile.offers, profile.seeks]))


def language_mask(languages: Sequence[str]) -> int:
    """The languages as bits (en 1, lv 2, ko 4); 0 when none is known."""
    return sum(1 << LANGUAGES.index(code) for code in set(languages) if code in LANGUAGES)


_QUERY_IDF = threading.local()


@contextmanager
def _query_idf(terms: np.ndarray, idf: np.ndarray) -> Iterator[np.ndarray]:
    """A vector over the vocabulary: idf at the query's terms, 0.0 elsewhere.

    One per thread, grown to the largest vocabulary asked for, and put back to
    all zeros on leaving (only the query's terms are touched): allocating it per
    query would clear 1.6 MB at 200,000 terms, and a binary search of each
    entry's term among the query's cost more than the rest of the scoring.
    """
    vector = getattr(_QUERY_IDF, "vector", None)
    if vector is None or len(vector) < len(idf):
        vector = _QUERY_IDF.vector = np.zeros(len(idf))
    try:
        vector[terms] = idf[terms]
        yield vector
    finally:
        vector[terms] = 0.0


def fit_lexical(ranker, out: ArrayFolder | None = None, chunk: int = 5_000) -> None:
    """A fitting ranker's lexical state: BM25 over words and concepts, the TF-IDF of
    profiles (1-2 grams), of offers and seeks, and the peers' TF-IDF (unigrams).

    With ``out`` the four TF-IDF matrices are transformed ``chunk`` texts at a time
    and written into files there (:class:`~.array_files.CsrFile`): rows are weighed
    one by one, so the matrix is the same, and at a million profiles the fit does
    not hold them (some 2 GB) nor the whole corpus's counts at once.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer  # fitting only: not at start

    profiles = ranker.profiles_
    ranker.texts_ = [profile_text(p) for p in profiles]
    ranker.bm25_ = WordsAndConcepts().fit(ranker.texts_, [written_in(p) for p in profiles])
    ranker.vectorizer_ = TfidfVectorizer(
        sublinear_tf=True,
        ngram_range=(1, 2),
        min_df=1,
        stop_words="english",
        preprocessor=lexical_form,
        token_pattern=r"(?u)\b[\w][\w\-+/.]*[\w+]\b|\b\w\b",
    )
    corpus = ranker.texts_
    fit_vocabulary(ranker.vectorizer_, corpus)
    ranker.lex_profiles_ = transform(ranker.vectorizer_, corpus, out, chunk)
    ranker.term_names_ = ranker.vectorizer_.get_feature_names_out()  # once, not per reason
    # Peers share vocabulary, not phrases: unigrams, and words in over half of
    # all profiles carry no signal (measured on sp500-peers, docs/ranking.md).
    ranker.peer_vectorizer_ = TfidfVectorizer(
        sublinear_tf=True,
        stop_words="english",
        preprocessor=lexical_form,
        max_df=0.5 if len(corpus) >= 20 else 1.0,
    )
    fit_vocabulary(ranker.peer_vectorizer_, corpus)
    ranker.lex_peers_ = transform(ranker.peer_vectorizer_, corpus, out, chunk)
    offers, seeks = [p.offers for p in profiles], [p.seeks for p in profiles]
    ranker.lex_offers_ = transform(ranker.vectorizer_, offers, out, chunk)
    ranker.lex_seeks_ = transform(ranker.vectorizer_, seeks, out, chunk)
    for matrix in (ranker.lex_profiles_, ranker.lex_offers_, ranker.lex_seeks_):
        matrix.sort_indices()  # shared_terms looks terms up by binary search


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str], out: ArrayFolder | None,
              chunk: int):
    """``vectorizer.transform(texts)``; with ``out``, a chunk at a time into files there."""
    if out is None:
        return vectorizer.transform(texts)
    matrix = CsrFile(out)
    for start in range(0, len(texts), chunk):
        matrix.add(vectorizer.transform(texts[start : start + chunk]))
    return matrix.finish(len(vectorizer.vocabulary_))


def fit_vocabulary(vectorizer: TfidfVectorizer, corpus: Sequence[str]) -> None:
    """Fit, falling back to a placeholder vocabulary for an empty (or stop-word) corpus."""
    try:
        vectorizer.fit(corpus)
    except ValueError:
        vectorizer.set_params(max_df=1.0).fit(["placeholder"])


def lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == w] for each w in ``wanted``, 0 where absent (``keys`` sorted, unique).

    A binary search instead of a dense vector over the vocabulary, which has
    hundreds of thousands of terms at scale and would be rebuilt per query.
    """
    if len(keys) == 0:
        return np.zeros(len(wanted))
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0.0)


def shared_terms(
    term_names: np.ndarray,
    left: tuple[np.ndarray, np.ndarray],
    right: tuple[np.ndarray, np.ndarray],
    limit: int = 4,
) -> list[str]:
    """Terms that carry the lexical match, heaviest first (rows as (columns, weights))."""
    columns, values = right
    weight = lookup(*left, columns) * values
    found = np.flatnonzero(weight > 0)
    order = found[np.argsort(-weight[found], kind="stable")[:limit]]
    return [str(term_names[columns[i]]) for i in order]


def csr_row(matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one CSR row, without scipy's slicing overhead."""
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[start:end], matrix.data[start:end]
