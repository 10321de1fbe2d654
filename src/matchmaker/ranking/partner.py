"""Partner ranking: who fits a company, and who reads like it.

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
phrase-level and lexical signals are computed on those only. Free text
(:mod:`text`) and batches (:mod:`batch`) reuse both stages.

:class:`PartnerRanker` follows the scikit-learn convention: the constructor
only stores parameters, :meth:`fit` sets attributes ending in ``_``, and
ranking before fitting raises scikit-learn's ``NotFittedError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Protocol

import numpy as np

from ..embedding import Embedder, cutoffs_of
from ..errors import NotFound, UnknownCompany
from ..estimator import Estimator, check_fitted
from ..focus_fit import FocusFit
from ..profiles import Profile
from ..role_fit import RoleFit, TextRoles
from . import batch, incremental
from . import text as free_text
from .approximate import APPROXIMATE_FROM, OVERFETCH, FirstStage, partner_query
from .array_files import ArrayFolder
from .dense_fit import FIT_CHUNK, VectorInput, fit_dense
from .explaining import Explanation, Reasons, explain_match, explain_similar
from .fit import fit_label
from .lexical import csr_row, fit_lexical, shared_terms
from .phrases import best_pairs
from .region_rows import region_rows
from .signals import (
    above_average,
    best_of,
    harmonic,
    membership,
    no_role_fit,
    other_country,
    role_fit,
    rough_fit,
    standardise,
    top_k,
)
from .threads import one_blas_thread
from .types import Filters, Match, QueryResult, Weights


class LearnedScorer(Protocol):
    """A model learned from outcomes (learning.LearnedRanker) that scores one query's pool."""

    def score(self, ranker: PartnerRanker, a: int, pool: np.ndarray) -> np.ndarray: ...


class PartnerRanker(Estimator):
    """Rank partners, free-text matches and similar companies over a fitted set of profiles.

    A scikit-learn estimator (:class:`~matchmaker.estimator.Estimator`, so importing it
    does not import scikit-learn): ``get_params``/``set_params`` and ``clone`` work,
    and ``NotFittedError`` guards every ranking call.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        candidates: int = 300,
        learned: LearnedScorer | None = None,
        approximate_from: int = APPROXIMATE_FROM,
    ):
        self.embedder = embedder
        self.weights = weights
        self.candidates = candidates
        self.learned = learned
        self.approximate_from = approximate_from

    # -- fitting --------------------------------------------------------------

    def fit(
        self,
        profiles: Sequence[Profile],
        vectors: VectorInput,
        *,
        out: ArrayFolder | None = None,
        chunk: int = FIT_CHUNK,
    ) -> PartnerRanker:
        """Keep profiles and their vectors (``vectors[field][company_id]``) as matrices.

        ``vectors`` is that mapping, or a callable giving it for a chunk of profiles,
        read ``chunk`` companies at a time; with ``out`` the dense arrays are written
        into files there and mapped, never held whole (:mod:`.dense_fit`; the saved
        fit adopts the files, ``fitted_state.fit_and_save``). Same result either way.
        """
        if not profiles:
            raise NotFound("there are no companies to rank; add some with 'matchmaker import'")
        self.weights_ = self.weights or Weights()
        #: the embedder's cosine thresholds (each model has its own cosine band)
        self.cutoffs_ = cutoffs_of(self.embedder)
        self.profiles_ = list(profiles)
        self.index_ = {p.id: i for i, p in enumerate(self.profiles_)}
        dense = fit_dense(self.profiles_, vectors, out, chunk)
        self.dim_ = dense.dim
        self.countries_ = np.array([p.country for p in self.profiles_])
        self.profile_vecs_ = dense.fields["profile"]
        self.offer_vecs_ = dense.fields["offers"]
        self.seek_vecs_ = dense.fields["seeks"]
        self.identity_vecs_ = dense.fields["identity"]
        self.partnerships_ = membership([p.partnership_types for p in self.profiles_])
        self.offer_texts_ = [p.offer_phrases for p in self.profiles_]  # split once, not per reason
        self.identity_texts_ = [p.identity for p in self.profiles_]
        self.seek_texts_ = [p.seek_phrases for p in self.profiles_]
        self.has_offers_ = np.array([bool(phrases) for phrases in self.offer_texts_])
        self.has_seeks_ = np.array([bool(phrases) for phrases in self.seek_texts_])
        self.offer_phrases_ = dense.offer_phrases
        self.seek_phrases_ = dense.seek_phrases
        self.role_fit_ = RoleFit().fit(self.profiles_)
        self.focus_fit_ = FocusFit().fit(self.profiles_)
        self._fit_lexical(out, chunk)
        self.first_stage_ = self._fit_first_stage()
        incremental.mark_fitted(self)  # what later incremental updates build on
        return self

    def live_profiles(self) -> list[Profile]:
        """The profiles this ranker ranks, without the dead rows incremental updates leave."""
        return incremental.live_profiles(self)

    def _fit_first_stage(self) -> FirstStage | None:
        """The approximate stage-1 index from ``approximate_from`` profiles, else None (exact)."""
        if len(self.profiles_) < self.approximate_from:
            return None
        return FirstStage.build(
            self.offer_vecs_, self.seek_vecs_, self.profile_vecs_, self.countries_
        )

    def _fit_lexical(self, out: ArrayFolder | None, chunk: int) -> None:
        """TF-IDF and BM25 over every profile's text (:func:`lexical.fit_lexical`)."""
        fit_lexical(self, out, chunk)

    def _check_fitted(self) -> None:
        """scikit-learn's check: a clear NotFittedError before fit, not an AttributeError."""
        check_fitted(self, "profiles_")

    # -- public ranking API ---------------------------------------------------

    def match(self, company_id: str, top: int = 10, filters: Filters | None = None) -> list[Match]:
        """Partners for a known company, in the other country unless filters say otherwise."""
        self._check_fitted()
        a = self._position(company_id)
        query = self.profiles_[a]
        filters = filters or Filters()
        if filters.country is None:
            filters = Filters(**{**asdict(filters), "country": other_country(query.country)})
        mask = self._mask(filters, exclude={company_id})
        with one_blas_thread():
            return self._rank_partner(a, mask, top)

    def query(
        self, text: str, country: str | None = None, top: int = 10, filters: Filters | None = None
    ) -> QueryResult:
        """Companies (in ``country``) for a described need, read like a small profile.

        "Korean distributor for our PCR kits" becomes need "distributor" and offer
        "PCR kits": candidates that offer distribution and want PCR kits rank
        first, and PCR-kit makers (competitors) are held back. The result carries
        that reading with the matches, so no front end parses the text again.
        """
        self._check_fitted()
        with one_blas_thread():
            return free_text.query(self, text, country, top, filters)

    def similar(
        self, company_id: str, top: int = 10, filters: Filters | None = None
    ) -> list[Match]:
        """Peers and competitors: companies whose whole profile reads alike (any country)."""
        self._check_fitted()
        a = self._position(company_id)
        mask = self._mask(filters or Filters(), exclude={company_id})
        with one_blas_thread():
            return self._similar(a, mask, top)

    def _similar(self, a: int, mask: np.ndarray, top: int) -> list[Match]:
        """Whole-profile cosine plus peer vocabulary, best first."""
        w = self.weights_
        dense = self.profile_vecs_ @ self.profile_vecs_[a]
        lexical = (self.lex_peers_ @ self.lex_peers_[a].T).toarray().ravel()
        score = w.similar_dense * dense + w.similar_lexical * lexical
        order = top_k(np.where(mask, score, -np.inf), top)
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

    def match_many(
        self,
        company_ids: Sequence[str],
        top: int = 10,
        filters: Filters | None = None,
        chunk: int = 128,
        workers: int | None = None,
        kept: batch.CandidateCache | None = None,
    ) -> Iterator[tuple[str, list[Match]]]:
        """Partners for many companies, yielded in the given order; same results as match().

        Chunked matrix products on a thread pool: see :func:`batch.match_many`.
        """
        return batch.match_many(self, company_ids, top, filters, chunk, workers, kept)

    # -- partner ranking ------------------------------------------------------

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
        results = []
        for j, b, explanation in zip(order, chosen, self._explain_partners(a, chosen), strict=True):
            result_parts = {k: float(v[j]) for k, v in parts.items()}
            explanation.parts = result_parts
            results.append(
                self._result(
                    b,
                    float(score[j]),
                    result_parts,
                    explain_match(query, self.profiles_[b], explanation),
                )
            )
        return results

    def _coarse(self, a: int, mask: np.ndarray) -> np.ndarray:
        """Stage 1: whole-field vectors, one matrix product each, keep the best `candidates`.

        From ``approximate_from`` profiles the products run over what the
        approximate index found (ranking.approximate), not over every company.
        """
        found = self._approximate(a, mask)
        if found is not None:
            rough = rough_fit(
                self.offer_vecs_[found] @ self.seek_vecs_[a],
                self.seek_vecs_[found] @ self.offer_vecs_[a],
                self.profile_vecs_[found] @ self.profile_vecs_[a],
            )
            return found[best_of(rough, self.candidates)]
        eligible = np.flatnonzero(mask)
        if len(eligible) <= self.candidates:
            return eligible
        # products over every company, then the eligible ones: cheaper than copying their rows
        rough = rough_fit(
            (self.offer_vecs_ @ self.seek_vecs_[a])[eligible],
            (self.seek_vecs_ @ self.offer_vecs_[a])[eligible],
            (self.profile_vecs_ @ self.profile_vecs_[a])[eligible],
        )
        return eligible[best_of(rough, self.candidates)]

    def _approximate(self, a: int, mask: np.ndarray) -> np.ndarray | None:
        """Sorted positions the index finds for company a, or None for the exact scan."""
        first_stage = getattr(self, "first_stage_", None)  # rankers pickled before it existed
        if first_stage is None:
            return None
        query = partner_query(self.seek_vecs_[a], self.offer_vecs_[a], self.profile_vecs_[a])
        return first_stage.search(query, OVERFETCH * self.candidates, mask)

    def partner_signals(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        """Weighted, standardised signal contributions for candidates ``pool`` of company a."""
        w = self.weights_
        raw = self.partner_evidence(a, pool)
        alike = np.sqrt(raw["offers_alike"] * raw["seeks_alike"])
        return {
            "reciprocal": w.reciprocal * standardise(harmonic(raw["need_fit"], raw["offer_fit"])),
            "lexical": w.lexical * standardise(raw["lexical"]),
            "partnership": w.partnership * standardise(raw["partnership"]),
            "roles": w.roles * standardise(raw["role_need"] + raw["role_offer"]),
            "market": w.market * standardise(raw["market"]),
            "focus": w.focus * standardise(raw["focus"] * role_fit(raw)),
            "licensing": w.licensing * standardise(raw["licensing"]),
            "competitor": -w.competitor * above_average(alike) * no_role_fit(raw),
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
        unknown = self.cutoffs_.unknown_side
        need_fit = need_fit if self.has_seeks_[a] else np.full(len(pool), unknown)
        offer_fit = (
            np.where(self.has_seeks_[pool], offer_fit, unknown)
            if self.has_offers_[a]
            else np.full(len(pool), unknown)
        )
        return {
            "need_fit": need_fit,
            "offer_fit": offer_fit,
            "lexical": self.bm25_.document_scores(a, pool),
            "partnership": self._partnership_share(a, pool),
            "offers_alike": their_offers.coverage(offers_vs_offers),
            "seeks_alike": their_seeks.coverage(seeks_vs_seeks),
            **self.role_fit_.evidence(a, pool),
            **self.focus_fit_.evidence(a, pool),
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
        seeks_of_a = csr_row(self.lex_seeks_, a)
        offers_of_a = csr_row(self.lex_offers_, a)
        a_meets_needs = self._what_meets_needs(a)
        terms = self.term_names_
        return [
            Explanation(
                need_pairs=best_pairs(
                    self.seek_texts_[a], self.seek_phrases_.matrix(a), *self._what_meets_needs(b)
                ),
                offer_pairs=best_pairs(
                    self.seek_texts_[b], self.seek_phrases_.matrix(b), *a_meets_needs
                ),
                candidate_identity=self.identity_texts_[b],
                query_identity=self.identity_texts_[a],
                roles=self.role_fit_.pair(a, b),
                focus=self.focus_fit_.pair(a, b),
                competitor=float(
                    np.sqrt(
                        max(0.0, float(self.offer_vecs_[a] @ self.offer_vecs_[b]))
                        * max(0.0, float(self.seek_vecs_[a] @ self.seek_vecs_[b]))
                    )
                ),
                shared_terms=shared_terms(terms, seeks_of_a, csr_row(self.lex_offers_, b))
                + shared_terms(terms, offers_of_a, csr_row(self.lex_seeks_, b)),
                cutoffs=self.cutoffs_,
            )
            for b in chosen
        ]

    # -- free-text ranking ----------------------------------------------------

    def text_signals(
        self,
        text: str,
        needs: np.ndarray,
        offers: np.ndarray,
        pool: np.ndarray,
        roles: TextRoles | None = None,
    ) -> dict[str, np.ndarray]:
        """Weighted signals of a free-text query: see :func:`free_text.text_signals`."""
        return free_text.text_signals(self, text, needs, offers, pool, roles)

    def text_evidence(
        self,
        text: str,
        needs: np.ndarray,
        offers: np.ndarray,
        pool: np.ndarray,
        roles: TextRoles | None = None,
    ) -> dict[str, np.ndarray]:
        """Raw signals of a free-text query: see :func:`free_text.text_evidence`."""
        return free_text.text_evidence(self, text, needs, offers, pool, roles)

    # -- helpers --------------------------------------------------------------

    def _position(self, company_id: str) -> int:
        try:
            return self.index_[company_id]
        except KeyError:
            raise UnknownCompany(company_id) from None

    def _mask(self, filters: Filters, exclude: set[str] | None = None) -> np.ndarray:
        """Candidates passing the filters; vectorised, with a Python loop only for list filters."""
        mask = incremental.alive(self).copy()  # rows replaced or deleted since the fit: never
        if filters.country:  # a country code, or EU for every European one
            mask &= region_rows(self.countries_, filters.country)
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

    def _result(self, b: int, score: float, parts: dict[str, float], reasons: Reasons) -> Match:
        """A result: the short reasons by default, the full list and score parts beside them.

        The fit label reads the fixed-weights score (the parts without a learned
        model's adjustment), the scale its cut-offs were chosen on (ranking.fit).
        """
        p = self.profiles_[b]
        fixed = score - parts.get("learned", 0.0)
        return Match(
            id=p.id,
            name=p.name,
            country=p.country,
            score=round(score, 4),
            reasons=reasons.brief,
            reasons_all=reasons.full,
            fit=fit_label(fixed) if "dense" not in parts else "",
            score_parts={k: round(v, 4) for k, v in parts.items()},
            name_local=p.name_local,
            city=p.city,
            sectors=list(p.sectors),
            verified=p.verified,
        )
