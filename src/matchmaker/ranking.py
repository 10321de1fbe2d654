"""Ranking: partner fit, free-text search and similar companies.

A partner is not the most *similar* company. For company A, a candidate B
scores well when B's offers (or what B is: its identity sentence) meet A's
needs (``need_fit``) **and** A's offers meet B's needs (``offer_fit``); the
two are combined with a harmonic mean so that a one-sided match ranks below a
two-sided one. A lexical signal (BM25, for product terms and acronyms such as
EU-GMP or CE-IVD) and shared partnership types add smaller amounts, and a
*competitor* signal (B offers what A offers **and** seeks what A seeks) is
subtracted. Weights and how they were chosen: :class:`Weights`, docs/ranking.md.

Ranking runs in two stages so it scales: a coarse pass over whole-field
vectors with one matrix product picks ``candidates`` companies, then the
phrase-level and lexical signals are computed on those only.

:class:`PartnerRanker` follows the scikit-learn convention: the constructor
only stores parameters, :meth:`fit` sets attributes ending in ``_``.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from .embedding import Embedder, matching_phrases, profile_text
from .explaining import Explanation, explain_match, explain_query, explain_similar
from .lexical import BM25
from .profiles import Profile
from .role_fit import RoleFit, TextRoles
from .roles import region_countries
from .text_queries import TextQuery, parse_text_query


@dataclass(frozen=True)
class Weights:
    """How much each signal adds to a partner score. The one place to tune ranking.

    Signals live on different scales (cosines, BM25 scores, shares), so each is
    standardised over the candidate pool (mean 0, standard deviation 1) before
    weighting: a weight says how many points one standard deviation of that
    signal is worth. A score therefore says how far a candidate stands above the
    average candidate for *this* query. The weights were chosen on the labelled
    set in eval/ (see docs/ranking.md), keeping only signals that helped.
    """

    reciprocal: float = 1.0  # harmonic mean of need_fit and offer_fit (phrase level)
    lexical: float = 0.5  # BM25 of the query's whole profile (or text) against candidates'
    partnership: float = 0.1  # share of the query's partnership types the candidate also wants
    competitor: float = 0.5  # penalty: offers alike AND seeks alike AND no role fit
    #: the candidate plays a role the query looks for, and the query one it looks for
    roles: float = 0.5
    #: one of the two wants to reach the other's country (markets)
    market: float = 0.25
    #: free text: the candidate is the kind of organisation the text asks for ("distributor"),
    #: counted twice, and wants what the user is; an explicit ask outweighs similar words
    text_roles: float = 1.0
    #: free text that states no offers: "offers what is needed" vs "seeks the same thing"
    text_offers: float = 0.65
    text_seeks: float = 0.35
    #: similar-companies mode: dense whole-profile cosine vs TF-IDF (raw cosines, not scaled)
    similar_dense: float = 0.3
    similar_lexical: float = 0.7


@dataclass
class Filters:
    """Applied before ranking, so K results come back whenever K companies pass."""

    country: str | None = None
    sectors: Sequence[str] = ()
    partnership_types: Sequence[str] = ()
    verified_only: bool = False
    min_employees: int | None = None
    exclude: Sequence[str] = ()


@dataclass
class Match:
    id: str
    name: str
    country: str
    score: float
    reasons: list[str]
    score_parts: dict[str, float]
    name_local: str | None = None
    city: str | None = None
    sectors: list[str] = field(default_factory=list)
    verified: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


UNKNOWN_SIDE = 0.2  # fit assumed for a side that states no needs/offers: weak, not zero
_FLOOR = 0.01


class NotFittedError(RuntimeError):
    pass


class LearnedScorer(Protocol):
    """A model learned from outcomes (learning.LearnedRanker) that scores one query's pool."""

    def score(self, ranker: PartnerRanker, a: int, pool: np.ndarray) -> np.ndarray: ...


class PartnerRanker:
    """Rank partners, free-text matches and similar companies over a fitted set of profiles."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        candidates: int = 300,
        learned: LearnedScorer | None = None,
    ):
        self.embedder = embedder
        self.weights = weights
        self.candidates = candidates
        self.learned = learned

    # -- fitting --------------------------------------------------------------

    def fit(
        self, profiles: Sequence[Profile], vectors: Mapping[str, Mapping[str, np.ndarray]]
    ) -> PartnerRanker:
        """Keep profiles and their vectors (``vectors[field][company_id]``) as matrices."""
        if not profiles:
            raise ValueError("there are no companies to rank; add some with 'matchmaker import'")
        self.profiles_ = list(profiles)
        self.index_ = {p.id: i for i, p in enumerate(self.profiles_)}
        self.dim_ = _dimension(vectors)
        self.countries_ = np.array([p.country for p in self.profiles_])
        self.profile_vecs_ = self._field_matrix(vectors.get("profile", {}))
        self.offer_vecs_ = self._field_matrix(vectors.get("offers", {}))
        self.seek_vecs_ = self._field_matrix(vectors.get("seeks", {}))
        self.identity_vecs_ = self._field_matrix(vectors.get("identity", {}))
        self.partnerships_ = _membership([p.partnership_types for p in self.profiles_])
        self.offer_texts_ = [p.offer_phrases for p in self.profiles_]  # split once, not per reason
        self.identity_texts_ = [p.identity for p in self.profiles_]
        self.seek_texts_ = [p.seek_phrases for p in self.profiles_]
        self.has_offers_ = np.array([bool(phrases) for phrases in self.offer_texts_])
        self.has_seeks_ = np.array([bool(phrases) for phrases in self.seek_texts_])
        self.offer_phrases_ = _PhraseTable.build(
            self.profiles_, vectors.get("offer_phrases", {}), self.dim_
        )
        self.seek_phrases_ = _PhraseTable.build(
            self.profiles_, vectors.get("seek_phrases", {}), self.dim_
        )
        self.role_fit_ = RoleFit().fit(self.profiles_)
        self._fit_lexical()
        return self

    def _field_matrix(self, rows: Mapping[str, np.ndarray]) -> np.ndarray:
        matrix = np.zeros((len(self.profiles_), self.dim_), dtype=np.float32)
        for i, profile in enumerate(self.profiles_):
            vec = rows.get(profile.id)
            if vec is not None and len(vec):
                matrix[i] = vec[0]
        return matrix

    def _fit_lexical(self) -> None:
        self.texts_ = [profile_text(p) for p in self.profiles_]
        self.bm25_ = BM25().fit(self.texts_)
        self.vectorizer_ = TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=(1, 2),
            min_df=1,
            stop_words="english",
            token_pattern=r"(?u)\b[\w][\w\-+/.]*[\w+]\b|\b\w\b",
        )
        corpus = self.texts_
        _fit_vocabulary(self.vectorizer_, corpus)
        self.lex_profiles_ = self.vectorizer_.transform(corpus)
        self.term_names_ = self.vectorizer_.get_feature_names_out()  # built once, not per reason
        # Peers share vocabulary, not phrases: unigrams, and words in over half of
        # all profiles carry no signal (measured on sp500-peers, docs/ranking.md).
        self.peer_vectorizer_ = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", max_df=0.5 if len(corpus) >= 20 else 1.0
        )
        _fit_vocabulary(self.peer_vectorizer_, corpus)
        self.lex_peers_ = self.peer_vectorizer_.transform(corpus)
        self.lex_offers_ = self.vectorizer_.transform([p.offers for p in self.profiles_])
        self.lex_seeks_ = self.vectorizer_.transform([p.seeks for p in self.profiles_])
        for matrix in (self.lex_profiles_, self.lex_offers_, self.lex_seeks_):
            matrix.sort_indices()  # _shared_terms looks terms up by binary search

    def _check_fitted(self) -> None:
        if not hasattr(self, "profiles_"):
            raise NotFittedError("call fit() before ranking")

    @property
    def weights_(self) -> Weights:
        return self.weights or Weights()

    # -- public ranking API ---------------------------------------------------

    def match(self, company_id: str, top: int = 10, filters: Filters | None = None) -> list[Match]:
        """Partners for a known company, in the other country unless filters say otherwise."""
        self._check_fitted()
        a = self._position(company_id)
        query = self.profiles_[a]
        filters = filters or Filters()
        if filters.country is None:
            filters = Filters(**{**asdict(filters), "country": _other_country(query.country)})
        mask = self._mask(filters, exclude={company_id})
        return self._rank_partner(a, mask, top)

    def query(
        self, text: str, country: str | None = None, top: int = 10, filters: Filters | None = None
    ) -> list[Match]:
        """Companies (in ``country``) for a described need, read like a small profile.

        "Korean distributor for our PCR kits" becomes need "distributor" and offer
        "PCR kits": candidates that offer distribution and want PCR kits rank
        first, and PCR-kit makers (competitors) are held back.
        """
        self._check_fitted()
        if self.embedder is None:
            raise NotFittedError("free-text queries need an embedder")
        filters = filters or Filters()
        if country:
            filters = Filters(**{**asdict(filters), "country": country})
        parsed = parse_text_query(text)
        texts = [text, *matching_phrases(parsed.needs), *matching_phrases(parsed.offers)]
        vecs = self.embedder.encode(texts)
        needs = vecs[1 : 1 + len(parsed.needs)]
        offers = vecs[1 + len(parsed.needs) :]
        return self._rank_text(parsed, vecs[0], needs, offers, self._mask(filters), top)

    def similar(
        self, company_id: str, top: int = 10, filters: Filters | None = None
    ) -> list[Match]:
        """Peers and competitors: companies whose whole profile reads alike (any country)."""
        self._check_fitted()
        a = self._position(company_id)
        mask = self._mask(filters or Filters(), exclude={company_id})
        w = self.weights_
        dense = self.profile_vecs_ @ self.profile_vecs_[a]
        lexical = (self.lex_peers_ @ self.lex_peers_[a].T).toarray().ravel()
        score = w.similar_dense * dense + w.similar_lexical * lexical
        order = _top_k(np.where(mask, score, -np.inf), top)
        return [
            self._result(
                b,
                float(score[b]),
                {
                    "dense": float(w.similar_dense * dense[b]),
                    "lexical": float(w.similar_lexical * lexical[b]),
                },
                explain_similar(self.profiles_[a], self.profiles_[b], float(dense[b])),
            )
            for b in order
        ]

    # -- partner ranking ------------------------------------------------------

    def match_many(
        self,
        company_ids: Sequence[str],
        top: int = 10,
        filters: Filters | None = None,
        chunk: int = 128,
        workers: int | None = None,
    ) -> Iterator[tuple[str, list[Match]]]:
        """Partners for many companies, yielded in the given order; same results as match().

        Stage 1 runs as matrix products over chunks of companies, so memory stays
        bounded (a few chunks x candidates floats) whatever the number of profiles.
        Chunks are ranked by ``workers`` threads (default: one per usable CPU),
        each with single-threaded BLAS and torch: stage 2 is mostly Python, so one
        chunk's Python runs while another's matrix products do, and nothing
        oversubscribes the cores (measured in benchmarks/reports.py).
        """
        self._check_fitted()
        positions = [self._position(cid) for cid in company_ids]
        filters = filters or Filters()
        cache: dict[str, _Candidates] = {}
        for a in positions:  # built up front, so worker threads only read the cache
            self._candidates_for(
                filters.country or _other_country(self.countries_[a]), filters, cache
            )
        blocks = [positions[start : start + chunk] for start in range(0, len(positions), chunk)]
        workers = workers or _usable_cpus()
        with _thread_settings.one_per_worker(), ThreadPoolExecutor(workers) as pool:
            running: deque = deque()
            for block in blocks:
                running.append(pool.submit(self._match_block, block, top, filters, cache))
                if len(running) > workers:
                    yield from running.popleft().result()
            while running:
                yield from running.popleft().result()

    def _match_block(
        self, block: list[int], top: int, filters: Filters, cache: dict[str, _Candidates]
    ) -> list[tuple[str, list[Match]]]:
        pools = self._coarse_block(block, filters, cache)
        return [
            (self.profiles_[a].id, self._rerank(a, pool, top))
            for a, pool in zip(block, pools, strict=True)
        ]

    def _candidates_for(
        self, country: str, filters: Filters, cache: dict[str, _Candidates]
    ) -> _Candidates:
        """Stage-1 matrices of one target country, gathered once per batch, not per block."""
        if country not in cache:
            mask = self._mask(Filters(**{**asdict(filters), "country": country}))
            eligible = np.flatnonzero(mask)
            cache[country] = _Candidates(
                eligible,
                np.ascontiguousarray(self.offer_vecs_[eligible].T),
                np.ascontiguousarray(self.seek_vecs_[eligible].T),
                np.ascontiguousarray(self.profile_vecs_[eligible].T),
            )
        return cache[country]

    def _rank_partner(self, a: int, mask: np.ndarray, top: int) -> list[Match]:
        pool = self._coarse(a, mask)
        return self._rerank(a, pool, top)

    def _rerank(self, a: int, pool: np.ndarray, top: int) -> list[Match]:
        """Stage 2: all signals on the candidate pool, explanations for the top results."""
        parts = self.partner_signals(a, pool)
        score = sum(parts.values())
        if self.learned is not None:  # learned from outcomes: its score orders, parts explain
            learned = self.learned.score(self, a, pool)
            parts["learned"] = learned - score
            score = learned
        order = np.argsort(-score, kind="stable")[:top]
        query = self.profiles_[a]
        chosen = [int(pool[j]) for j in order]
        return [
            self._result(
                b,
                float(score[j]),
                {k: float(v[j]) for k, v in parts.items()},
                explain_match(query, self.profiles_[b], explanation),
            )
            for j, b, explanation in zip(
                order, chosen, self._explain_partners(a, chosen), strict=True
            )
        ]

    def _coarse(self, a: int, mask: np.ndarray) -> np.ndarray:
        """Stage 1: whole-field vectors, one matrix product each, keep the best `candidates`."""
        eligible = np.flatnonzero(mask)
        if len(eligible) <= self.candidates:
            return eligible
        # products over every company, then the eligible ones: cheaper than copying their rows
        rough = _rough_fit(
            (self.offer_vecs_ @ self.seek_vecs_[a])[eligible],
            (self.seek_vecs_ @ self.offer_vecs_[a])[eligible],
            (self.profile_vecs_ @ self.profile_vecs_[a])[eligible],
        )
        return eligible[_best_columns(rough[None, :], self.candidates)[0]]

    def _coarse_block(
        self, block: list[int], filters: Filters, cache: dict[str, _Candidates]
    ) -> list[np.ndarray]:
        """Stage 1 for a block of companies: one matrix product per country group.

        Scores are laid out queries x candidates, so the partial sort runs along
        contiguous rows.
        """
        pools: list[np.ndarray] = [np.zeros(0, dtype=int)] * len(block)
        groups: dict[str, list[int]] = {}
        for k, a in enumerate(block):
            target = filters.country or _other_country(self.profiles_[a].country)
            groups.setdefault(target, []).append(k)
        for target, members in groups.items():
            queries = np.array([block[k] for k in members])
            cands = self._candidates_for(target, filters, cache)
            eligible = cands.positions
            if len(eligible) <= self.candidates:
                for k, a in zip(members, queries, strict=True):
                    pools[k] = eligible[eligible != a]
                continue
            rough = _rough_fit(
                self.seek_vecs_[queries] @ cands.offers,
                self.offer_vecs_[queries] @ cands.seeks,
                self.profile_vecs_[queries] @ cands.profiles,
            )
            own = np.searchsorted(eligible, queries)  # never one's own partner
            inside = (own < len(eligible)) & (
                eligible[np.minimum(own, len(eligible) - 1)] == queries
            )
            rough[np.flatnonzero(inside), own[inside]] = -np.inf
            top = _best_columns(rough, self.candidates)
            for row, k in enumerate(members):
                pools[k] = eligible[top[row]]
        return pools

    def partner_signals(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        """Weighted, standardised signal contributions for candidates ``pool`` of company a."""
        w = self.weights_
        raw = self.partner_evidence(a, pool)
        alike = np.sqrt(raw["offers_alike"] * raw["seeks_alike"])
        return {
            "reciprocal": w.reciprocal * _standardise(_harmonic(raw["need_fit"], raw["offer_fit"])),
            "lexical": w.lexical * _standardise(raw["lexical"]),
            "partnership": w.partnership * _standardise(raw["partnership"]),
            "roles": w.roles * _standardise(raw["role_need"] + raw["role_offer"]),
            "market": w.market * _standardise(raw["market"]),
            "competitor": -w.competitor * _above_average(alike) * _no_role_fit(raw),
        }

    def partner_evidence(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        """The raw signals for candidates ``pool`` of company a, before scaling and weighting.

        Separate from :meth:`partner_signals` so that benchmarks/signal_ceiling.py can
        try other combinations of exactly what the ranker measures.
        """
        seeks_of_a = self.seek_phrases_.matrix(a)
        offers_of_a = self.offer_phrases_.matrix(a)
        their_offers = self.offer_phrases_.gather(pool)
        their_seeks = self.seek_phrases_.gather(pool)
        # what a company *is* (its identity sentence) can meet a need as its offers can
        offers_vs_needs, offers_vs_offers = their_offers.similarities(seeks_of_a, offers_of_a)
        seeks_vs_offers, seeks_vs_seeks = their_seeks.similarities(
            np.vstack([offers_of_a, self.identity_vecs_[a : a + 1]]), seeks_of_a
        )
        need_fit = their_offers.coverage(offers_vs_needs, self.identity_vecs_[pool] @ seeks_of_a.T)
        offer_fit = their_seeks.covered(seeks_vs_offers)
        need_fit = need_fit if self.has_seeks_[a] else np.full(len(pool), UNKNOWN_SIDE)
        offer_fit = (
            np.where(self.has_seeks_[pool], offer_fit, UNKNOWN_SIDE)
            if self.has_offers_[a]
            else np.full(len(pool), UNKNOWN_SIDE)
        )
        return {
            "need_fit": need_fit,
            "offer_fit": offer_fit,
            "lexical": self.bm25_.document_scores(a, pool),
            "partnership": self._partnership_share(a, pool),
            "offers_alike": their_offers.coverage(offers_vs_offers),
            "seeks_alike": their_seeks.coverage(seeks_vs_seeks),
            **self.role_fit_.evidence(a, pool),
        }

    def _what_meets_needs(self, b: int) -> tuple[list[str], np.ndarray]:
        """Company b's offer phrases and identity sentence, with their vectors."""
        if not self.identity_texts_[b]:
            return self.offer_texts_[b], self.offer_phrases_.matrix(b)
        return (
            [*self.offer_texts_[b], self.identity_texts_[b]],
            np.vstack([self.offer_phrases_.matrix(b), self.identity_vecs_[b : b + 1]]),
        )

    def _partnership_share(self, a: int, pool: np.ndarray) -> np.ndarray:
        """Share of company a's partnership types that each candidate also lists."""
        wanted = self.partnerships_[a]
        if not wanted.any():
            return np.zeros(len(pool))
        return (self.partnerships_[pool] @ wanted) / wanted.sum()

    def _explain_partners(self, a: int, chosen: Sequence[int]) -> list[Explanation]:
        """Evidence for each chosen candidate of company a (a's lexical rows expanded once)."""
        seeks_of_a = _row(self.lex_seeks_, a)
        offers_of_a = _row(self.lex_offers_, a)
        a_meets_needs = self._what_meets_needs(a)
        return [
            Explanation(
                need_pairs=_best_pairs(
                    self.seek_texts_[a], self.seek_phrases_.matrix(a), *self._what_meets_needs(b)
                ),
                offer_pairs=_best_pairs(
                    self.seek_texts_[b], self.seek_phrases_.matrix(b), *a_meets_needs
                ),
                candidate_identity=self.identity_texts_[b],
                query_identity=self.identity_texts_[a],
                competitor=float(
                    np.sqrt(
                        max(0.0, float(self.offer_vecs_[a] @ self.offer_vecs_[b]))
                        * max(0.0, float(self.seek_vecs_[a] @ self.seek_vecs_[b]))
                    )
                ),
                shared_terms=self._shared_terms(seeks_of_a, _row(self.lex_offers_, b))
                + self._shared_terms(offers_of_a, _row(self.lex_seeks_, b)),
            )
            for b in chosen
        ]

    # -- free-text ranking ----------------------------------------------------

    def _rank_text(
        self,
        parsed: TextQuery,
        whole: np.ndarray,
        needs: np.ndarray,
        offers: np.ndarray,
        mask: np.ndarray,
        top: int,
    ) -> list[Match]:
        eligible = np.flatnonzero(mask)
        if len(eligible) > self.candidates:
            rough = np.maximum(self.offer_vecs_ @ whole, self.seek_vecs_ @ whole)[eligible]
            eligible = eligible[_top_k(rough, self.candidates)]
        roles = TextRoles.read(parsed.needs, parsed.offers)
        parts = self.text_signals(parsed.text, needs, offers, eligible, roles)
        score = sum(parts.values())
        order = np.argsort(-score, kind="stable")[:top]
        lex_query = _row(self.vectorizer_.transform([parsed.text]), 0)
        results = []
        for j in order:
            b = int(eligible[j])
            candidate = self.profiles_[b]
            explanation = Explanation(
                need_pairs=_best_pairs(parsed.needs, needs, *self._what_meets_needs(b)),
                candidate_identity=self.identity_texts_[b],
                offer_pairs=_best_pairs(
                    candidate.seek_phrases,
                    self.seek_phrases_.matrix(b),
                    parsed.offers or parsed.needs,
                    offers if len(offers) else needs,
                ),
                competitor=_offers_alike(offers, self.offer_phrases_.gather(np.array([b]))),
                shared_terms=self._shared_terms(lex_query, _row(self.lex_profiles_, b)),
            )
            results.append(
                self._result(
                    b,
                    float(score[j]),
                    {k: float(v[j]) for k, v in parts.items()},
                    explain_query(candidate, explanation, own_offers=bool(parsed.offers)),
                )
            )
        return results

    def text_signals(
        self,
        text: str,
        needs: np.ndarray,
        offers: np.ndarray,
        pool: np.ndarray,
        roles: TextRoles | None = None,
    ) -> dict[str, np.ndarray]:
        """Weighted, standardised signals for a free-text query over candidates ``pool``.

        With stated offers ("... for our PCR kits") the query is a small profile:
        reciprocal fit, and a penalty for candidates that offer the same. Without
        them nothing is known about what the user gives in return, so a candidate
        fits by offering what is needed and, less, by seeking the same thing (a
        distributor looking for such products): a weighted sum, not a harmonic
        mean, so an exact supplier is not sunk by its unrelated needs.
        """
        w = self.weights_
        raw = self.text_evidence(text, needs, offers, pool, roles)
        parts = {}
        if len(offers):
            fit = _harmonic(raw["need_fit"], raw["offer_fit"])
            parts["reciprocal"] = w.reciprocal * _standardise(fit)
        else:
            fit = w.text_offers * raw["need_fit"] + w.text_seeks * raw["seek_fit"]
            parts["need_fit"] = w.reciprocal * _standardise(fit)
        if len(needs):  # with offers only, the words typed name the user's own products
            parts["lexical"] = w.lexical * _standardise(raw["lexical"])
        parts["roles"] = w.text_roles * _standardise(2 * raw["role_need"] + raw["role_offer"])
        if len(offers):
            competitor = np.sqrt(raw["offers_alike"] * raw["seek_fit"])
            parts["competitor"] = -w.competitor * _above_average(competitor) * _no_role_fit(raw)
        return parts

    def text_evidence(
        self,
        text: str,
        needs: np.ndarray,
        offers: np.ndarray,
        pool: np.ndarray,
        roles: TextRoles | None = None,
    ) -> dict[str, np.ndarray]:
        """The raw signals of a free-text query, before scaling and weighting.

        ``seek_fit`` (the candidate seeks what the user seeks) is a partner signal
        when the user states no offers and half of the competitor signal when they do.
        """
        their_offers = self.offer_phrases_.gather(pool)
        their_seeks = self.seek_phrases_.gather(pool)
        offers_vs_needs, offers_vs_offers = their_offers.similarities(needs, offers)
        seeks_vs_offers, seeks_vs_needs = their_seeks.similarities(offers, needs)
        # A candidate's identity sentence meets the need as its offers do, except when the
        # user states offers: any organisation is a little like an organisation-type need
        # ("maker of PCR kits" meets "distributor" at 0.27), and under the harmonic mean
        # that floor lifts kit makers who only want what the user offers (measured on the
        # fixture; the labelled text queries with offers gain nothing from it either).
        identity = None if len(offers) else self.identity_vecs_[pool] @ needs.T
        need_fit = (
            their_offers.coverage(offers_vs_needs, identity)
            if len(needs)
            else np.full(len(pool), UNKNOWN_SIDE)  # "We make PCR kits": only offers stated
        )
        roles = roles or TextRoles([], [])
        raw = {
            "need_fit": need_fit,
            "seek_fit": their_seeks.coverage(seeks_vs_needs),
            "lexical": self.bm25_.scores(text, pool),
            **self.role_fit_.text_evidence(roles, pool),
        }
        if len(offers):
            raw["offer_fit"] = np.where(
                self.has_seeks_[pool], their_seeks.covered(seeks_vs_offers), UNKNOWN_SIDE
            )
            raw["offers_alike"] = their_offers.coverage(offers_vs_offers)
        # A need that names a kind of organisation ("Korean distributor") is met by being
        # one; MiniLM gives such phrases 0.1-0.35 whatever they mean (docs/ranking.md).
        if roles.wanted:
            raw["need_fit"] = np.maximum(raw["need_fit"], raw["role_need"])
        if roles.own and "offer_fit" in raw:
            raw["offer_fit"] = np.maximum(raw["offer_fit"], raw["role_offer"])
        return raw

    # -- helpers --------------------------------------------------------------

    def _position(self, company_id: str) -> int:
        try:
            return self.index_[company_id]
        except KeyError:
            raise KeyError(f"no company with id '{company_id}'") from None

    def _mask(self, filters: Filters, exclude: set[str] | None = None) -> np.ndarray:
        """Candidates passing the filters; vectorised, with a Python loop only for list filters."""
        mask = np.ones(len(self.profiles_), dtype=bool)
        if filters.country:  # a country code, or EU for every European one
            mask &= np.isin(self.countries_, list(region_countries(filters.country)))
        for cid in set(filters.exclude) | (exclude or set()):
            if cid in self.index_:
                mask[self.index_[cid]] = False
        wanted_sectors = {s.lower() for s in filters.sectors}
        wanted_types = set(filters.partnership_types)
        if wanted_sectors or wanted_types or filters.verified_only or filters.min_employees:
            for i in np.flatnonzero(mask):
                p = self.profiles_[i]
                mask[i] = not (
                    (wanted_sectors and not wanted_sectors & set(p.sectors))
                    or (wanted_types and not wanted_types & set(p.partnership_types))
                    or (filters.verified_only and not p.verified)
                    or (filters.min_employees and (p.employees or 0) < filters.min_employees)
                )
        return mask

    def _shared_terms(
        self,
        left: tuple[np.ndarray, np.ndarray],
        right: tuple[np.ndarray, np.ndarray],
        limit: int = 4,
    ) -> list[str]:
        """Terms that carry the lexical match, heaviest first (rows as (columns, weights))."""
        columns, values = right
        weight = _lookup(*left, columns) * values
        found = np.flatnonzero(weight > 0)
        order = found[np.argsort(-weight[found], kind="stable")[:limit]]
        return [str(self.term_names_[columns[i]]) for i in order]

    def _result(self, b: int, score: float, parts: dict[str, float], reasons: list[str]) -> Match:
        p = self.profiles_[b]
        return Match(
            id=p.id,
            name=p.name,
            country=p.country,
            score=round(score, 4),
            reasons=reasons,
            score_parts={k: round(v, 4) for k, v in parts.items()},
            name_local=p.name_local,
            city=p.city,
            sectors=list(p.sectors),
            verified=p.verified,
        )


@dataclass
class _PhraseTable:
    """All phrases of one kind (offers or seeks) stacked in one matrix, company by company."""

    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def build(
        cls, profiles: Sequence[Profile], rows: Mapping[str, np.ndarray], dim: int
    ) -> _PhraseTable:
        blocks, starts, ends, offset = [], [], [], 0
        for profile in profiles:
            block = rows.get(profile.id)
            n = 0 if block is None or block.size == 0 else len(block)
            if n:
                blocks.append(block)
            starts.append(offset)
            ends.append(offset + n)
            offset += n
        vectors = np.vstack(blocks).astype(np.float32) if blocks else np.zeros((0, dim), np.float32)
        return cls(vectors, np.array(starts), np.array(ends))

    def matrix(self, i: int) -> np.ndarray:
        return self.vectors[self.starts[i] : self.ends[i]]

    def gather(self, pool: np.ndarray) -> _Gathered:
        """The pool's phrases as one matrix, with each member's segment start and length."""
        lengths = self.ends[pool] - self.starts[pool]
        seg_starts = np.cumsum(lengths) - lengths
        rows = np.repeat(self.starts[pool] - seg_starts, lengths) + np.arange(lengths.sum())
        return _Gathered(self.vectors[rows.astype(int)], seg_starts, lengths)


@dataclass
class _Candidates:
    """Positions and stage-1 vectors of the companies one batch may pair with.

    Vectors are stored transposed (dimensions x companies): BLAS multiplies them faster.
    """

    positions: np.ndarray
    offers: np.ndarray
    seeks: np.ndarray
    profiles: np.ndarray


@dataclass
class _Gathered:
    """Phrases of a candidate pool, gathered once and shared by every signal that needs them."""

    vectors: np.ndarray
    seg_starts: np.ndarray
    lengths: np.ndarray

    def similarities(self, *phrase_sets: np.ndarray) -> list[np.ndarray]:
        """Cosines of the gathered phrases with each set of query phrases, one matrix product.

        Gathered phrases x query phrases: this orientation is several times faster
        in BLAS and lets the segment reductions run over contiguous rows.
        """
        sizes = [len(phrases) for phrases in phrase_sets]
        if sum(sizes) == 0:
            return [np.zeros((len(self.vectors), 0), np.float32) for _ in phrase_sets]
        sims = self.vectors @ np.vstack([p for p in phrase_sets if len(p)]).T
        return np.split(sims, np.cumsum(sizes)[:-1], axis=1)

    def coverage(self, sims: np.ndarray, also: np.ndarray | None = None) -> np.ndarray:
        """Per member: how well its phrases cover the query phrases (max and mean of best).

        ``also`` (members x query phrases) holds one more phrase per member, such
        as its identity sentence, that may meet a query phrase better.
        """
        if sims.shape[1] == 0:
            return np.zeros(len(self.lengths), dtype=np.float32)
        best = np.zeros((len(self.lengths), sims.shape[1]), dtype=np.float32)
        has = self.lengths > 0
        if has.any():
            best[has] = np.maximum.reduceat(sims, self.seg_starts[has], axis=0)
        if also is not None:
            best = np.maximum(best, also)
        best = np.clip(best, 0, 1)
        return 0.5 * best.max(axis=1) + 0.5 * best.mean(axis=1)

    def covered(self, sims: np.ndarray) -> np.ndarray:
        """Per member: how well the query phrases cover the member's own phrases."""
        result = np.zeros(len(self.lengths), dtype=np.float32)
        has = self.lengths > 0
        if sims.shape[1] == 0 or not has.any():
            return result
        best_per_phrase = np.clip(sims.max(axis=1), 0, 1)
        starts = self.seg_starts[has]
        maxima = np.maximum.reduceat(best_per_phrase, starts)
        means = np.add.reduceat(best_per_phrase, starts) / self.lengths[has]
        result[has] = 0.5 * maxima + 0.5 * means
        return result


def _offers_alike(offers: np.ndarray, candidate: _Gathered) -> float:
    """How well one candidate's offers cover the given offers (0 when none are given)."""
    return float(candidate.coverage(candidate.similarities(offers)[0])[0])


def _best_pairs(
    left: list[str],
    left_vecs: np.ndarray,
    right: list[str],
    right_vecs: np.ndarray,
    limit: int = 2,
) -> list[tuple[str, str, float]]:
    """The best-matching (left phrase, right phrase, cosine) pairs, each phrase used once."""
    if not len(left_vecs) or not len(right_vecs):
        return []
    sims = left_vecs @ right_vecs.T
    pairs, used_left, used_right = [], set(), set()
    for flat in np.argsort(-sims, axis=None):
        i, j = divmod(int(flat), sims.shape[1])
        if i in used_left or j in used_right:
            continue
        pairs.append((left[i], right[j], float(sims[i, j])))
        used_left.add(i)
        used_right.add(j)
        if len(pairs) == limit:
            break
    return pairs


def _fit_vocabulary(vectorizer: TfidfVectorizer, corpus: Sequence[str]) -> None:
    """Fit, falling back to a placeholder vocabulary for an empty (or stop-word) corpus."""
    try:
        vectorizer.fit(corpus)
    except ValueError:
        vectorizer.set_params(max_df=1.0).fit(["placeholder"])


def _usable_cpus() -> int:
    """CPUs this process may run on (its affinity on Linux, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _ThreadSettings:
    """Single-threaded BLAS and torch while batches run, restored when the last one ends.

    The settings are process-wide, so concurrent batches (two report jobs in the
    web app) share one counter: the first sets them, the last restores them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._torch_threads = 1
        self._blas_limits: threadpool_limits | None = None

    @contextmanager
    def one_per_worker(self) -> Iterator[None]:
        import torch

        with self._lock:
            if self._users == 0:
                self._torch_threads = torch.get_num_threads()
                torch.set_num_threads(1)
                self._blas_limits = threadpool_limits(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    torch.set_num_threads(self._torch_threads)
                    self._blas_limits.restore_original_limits()


_thread_settings = _ThreadSettings()


def _standardise(values: np.ndarray) -> np.ndarray:
    """Mean 0 and standard deviation 1 over the pool; all zeros when the pool agrees."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or values.std() < 1e-9:
        return np.zeros(len(values))
    spread = values.std()
    return (values - values.mean()) / spread


def _no_role_fit(raw: Mapping[str, np.ndarray]) -> np.ndarray:
    """1 where neither side plays a role the other looks for: only then is a look-alike a rival.

    A same-industry company across the border that wants what the query is (a
    pharma company in-licensing the query's molecule) is a partner.
    """
    return 1.0 - np.maximum(raw["role_need"], raw["role_offer"])


def _above_average(values: np.ndarray) -> np.ndarray:
    """Standardised, counting only above the pool's average: a penalty never adds points."""
    return np.maximum(_standardise(values), 0.0)


def _rough_fit(need: np.ndarray, give: np.ndarray, same_field: np.ndarray) -> np.ndarray:
    """Stage-1 score: reciprocal fit of whole offers/seeks fields, plus a little topicality.

    The same harmonic mean as :func:`_harmonic`, computed in place in ``need``
    with torch (on every core): in a batch report these are queries x 100k
    matrices, where numpy's temporaries and single thread cost more than the
    matrix products.
    """
    import torch  # here, not at the top: importing torch costs every CLI command 2 s

    x = torch.from_numpy(need).clamp_(_FLOOR, 1)
    y = torch.from_numpy(give).clamp_(_FLOOR, 1)
    total = x + y
    x.mul_(y).mul_(2).div_(total).add_(torch.from_numpy(same_field), alpha=0.2)
    return need


def _best_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the k highest scores in column order (k <= columns).

    torch.topk is several times faster than numpy's argpartition on wide rows.
    Column order, not score order: stage 2 breaks exact ties by pool order, and
    match() and match_many() must agree.
    """
    import torch

    best = torch.topk(torch.from_numpy(scores), k, dim=1, sorted=False).indices.numpy()
    return np.sort(best, axis=1)


def _harmonic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.clip(x, _FLOOR, 1)
    y = np.clip(y, _FLOOR, 1)
    return 2 * x * y / (x + y)


def _membership(item_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """One row per list, one 0/1 column per distinct item: set overlaps become products."""
    columns = {item: j for j, item in enumerate(sorted({i for items in item_lists for i in items}))}
    matrix = np.zeros((len(item_lists), len(columns)), dtype=np.float32)
    for row, items in enumerate(item_lists):
        matrix[row, [columns[i] for i in items]] = 1.0
    return matrix


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """values[keys == w] for each w in ``wanted``, 0 where absent (``keys`` sorted, unique).

    A binary search instead of a dense vector over the vocabulary, which has
    hundreds of thousands of terms at scale and would be rebuilt per query.
    """
    if len(keys) == 0:
        return np.zeros(len(wanted))
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0.0)


def _row(matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one CSR row, without scipy's slicing overhead."""
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[start:end], matrix.data[start:end]


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest finite scores, best first (argpartition, then a small sort)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) == 0 or k <= 0:
        return np.zeros(0, dtype=int)
    k = min(k, len(finite))
    part = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return part[np.argsort(-scores[part], kind="stable")]


def _dimension(vectors: Mapping[str, Mapping[str, np.ndarray]]) -> int:
    for rows in vectors.values():
        for matrix in rows.values():
            if matrix.ndim == 2 and matrix.shape[1]:
                return int(matrix.shape[1])
    return 1


def _other_country(country: str) -> str:
    """Latvia's other side is Korea; Korea's is Latvia (EU for the whole of Europe, by filter)."""
    return "LV" if country == "KR" else "KR"
