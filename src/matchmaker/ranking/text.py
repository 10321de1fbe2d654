"""Free-text search: a described need, read like a small profile, ranked like a partner.

"Korean distributor for our PCR kits" becomes need "distributor" and offer
"PCR kits" (:mod:`text_queries` reads it): candidates that offer distribution
and want PCR kits rank first, and PCR-kit makers (competitors) are held back.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np

from ..estimator import not_fitted
from ..role_fit import TextRoles
from ..texts import matching_phrases
from .approximate import OVERFETCH, text_queries
from .explaining import Explanation, explain_query
from .lexical import csr_row, shared_terms
from .phrases import best_pairs, offers_alike
from .signals import above_average, harmonic, no_role_fit, role_fit, standardise, top_k
from .text_queries import TextQuery, parse_text_query
from .types import Filters, Match, QueryResult

if TYPE_CHECKING:
    from .partner import PartnerRanker


def query(
    ranker: PartnerRanker,
    text: str,
    country: str | None = None,
    top: int = 10,
    filters: Filters | None = None,
) -> QueryResult:
    """The reading of ``text`` and the companies (in ``country``) that fit it, best first."""
    if ranker.embedder is None:
        raise not_fitted("free-text queries need an embedder")
    filters = filters or Filters()
    if country:
        filters = Filters(**{**asdict(filters), "country": country})
    parsed = parse_text_query(text)
    texts = [text, *matching_phrases(parsed.needs), *matching_phrases(parsed.offers)]
    vecs = ranker.embedder.encode(texts)
    needs = vecs[1 : 1 + len(parsed.needs)]
    offers = vecs[1 + len(parsed.needs) :]
    matches = rank_text(ranker, parsed, vecs[0], needs, offers, ranker._mask(filters), top)
    return QueryResult(reading=parsed, matches=matches)


def rank_text(
    ranker: PartnerRanker,
    parsed: TextQuery,
    whole: np.ndarray,
    needs: np.ndarray,
    offers: np.ndarray,
    mask: np.ndarray,
    top: int,
) -> list[Match]:
    """Stage 1 on whole-field vectors, then the text signals and reasons for the best."""
    found = approximate_text(ranker, whole, mask)
    if found is not None:
        rough = np.maximum(ranker.offer_vecs_[found] @ whole, ranker.seek_vecs_[found] @ whole)
        eligible = found[top_k(rough, ranker.candidates)]
    else:
        eligible = np.flatnonzero(mask)
        if len(eligible) > ranker.candidates:
            rough = np.maximum(ranker.offer_vecs_ @ whole, ranker.seek_vecs_ @ whole)[eligible]
            eligible = eligible[top_k(rough, ranker.candidates)]
    roles = TextRoles.read(parsed.needs, parsed.offers)
    parts = text_signals(ranker, parsed.text, needs, offers, eligible, roles)
    score = sum(parts.values())
    order = np.argsort(-score, kind="stable")[:top]
    lex_query = csr_row(ranker.vectorizer_.transform([parsed.text]), 0)
    results = []
    for j in order:
        b = int(eligible[j])
        candidate = ranker.profiles_[b]
        result_parts = {k: float(v[j]) for k, v in parts.items()}
        explanation = Explanation(
            need_pairs=best_pairs(parsed.needs, needs, *ranker._what_meets_needs(b)),
            candidate_identity=ranker.identity_texts_[b],
            offer_pairs=best_pairs(
                candidate.seek_phrases,
                ranker.seek_phrases_.matrix(b),
                parsed.offers or parsed.needs,
                offers if len(offers) else needs,
            ),
            competitor=offers_alike(offers, ranker.offer_phrases_.gather(np.array([b]))),
            shared_terms=shared_terms(
                ranker.term_names_, lex_query, csr_row(ranker.lex_profiles_, b)
            ),
            roles=ranker.role_fit_.text_pair(roles, b),
            focus=ranker.focus_fit_.text_pair(parsed.text, b),
            parts=result_parts,
            cutoffs=ranker.cutoffs_,
        )
        results.append(
            ranker._result(
                b,
                float(score[j]),
                result_parts,
                explain_query(candidate, explanation, own_offers=bool(parsed.offers)),
            )
        )
    return results


def approximate_text(
    ranker: PartnerRanker, whole: np.ndarray, mask: np.ndarray
) -> np.ndarray | None:
    """Stage 1 of a text from the approximate index: companies whose offers or seeks meet it.

    Two searches (offers, then seeks) whose union is scored exactly; None when
    there is no index or the filter calls for the exact scan.
    """
    first_stage = getattr(ranker, "first_stage_", None)
    if first_stage is None:
        return None
    want = OVERFETCH * ranker.candidates
    found = [first_stage.search(query, want, mask) for query in text_queries(whole)]
    if any(f is None for f in found):
        return None
    return np.union1d(*found)


def text_signals(
    ranker: PartnerRanker,
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
    w = ranker.weights_
    raw = text_evidence(ranker, text, needs, offers, pool, roles)
    parts = {}
    if len(offers):
        fit = harmonic(raw["need_fit"], raw["offer_fit"])
        parts["reciprocal"] = w.reciprocal * standardise(fit)
    else:
        fit = w.text_offers * raw["need_fit"] + w.text_seeks * raw["seek_fit"]
        parts["need_fit"] = w.reciprocal * standardise(fit)
    if len(needs):  # with offers only, the words typed name the user's own products
        parts["lexical"] = w.lexical * standardise(raw["lexical"])
    parts["roles"] = w.text_roles * standardise(2 * raw["role_need"] + raw["role_offer"])
    parts["focus"] = w.focus * standardise(raw["focus"] * role_fit(raw))
    if len(offers):
        competitor = np.sqrt(raw["offers_alike"] * raw["seek_fit"])
        parts["competitor"] = -w.competitor * above_average(competitor) * no_role_fit(raw)
    return parts


def text_evidence(
    ranker: PartnerRanker,
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
    their_offers = ranker.offer_phrases_.gather(pool)
    their_seeks = ranker.seek_phrases_.gather(pool)
    offers_vs_needs, offers_vs_offers = their_offers.similarities(needs, offers)
    seeks_vs_offers, seeks_vs_needs = their_seeks.similarities(offers, needs)
    # A candidate's identity sentence meets the need as its offers do, except when the
    # user states offers: any organisation is a little like an organisation-type need
    # ("maker of PCR kits" meets "distributor" at 0.27), and under the harmonic mean
    # that floor lifts kit makers who only want what the user offers (measured on the
    # fixture; the labelled text queries with offers gain nothing from it either).
    identity = None if len(offers) else ranker.identity_vecs_[pool] @ needs.T
    need_fit = (
        their_offers.coverage(offers_vs_needs, identity)
        if len(needs)
        else np.full(len(pool), ranker.cutoffs_.unknown_side)  # "We make PCR kits": only offers
    )
    roles = roles or TextRoles([], [])
    raw = {
        "need_fit": need_fit,
        "seek_fit": their_seeks.coverage(seeks_vs_needs),
        "lexical": ranker.bm25_.scores(text, pool),
        **ranker.role_fit_.text_evidence(roles, pool),
        **ranker.focus_fit_.text_evidence(text, pool),
    }
    if len(offers):
        raw["offer_fit"] = np.where(
            ranker.has_seeks_[pool],
            their_seeks.covered(seeks_vs_offers),
            ranker.cutoffs_.unknown_side,
        )
        raw["offers_alike"] = their_offers.coverage(offers_vs_offers)
    # A need that names a kind of organisation ("Korean distributor") is met by being
    # one; MiniLM gives such phrases 0.1-0.35 whatever they mean (docs/ranking.md).
    if roles.wanted:
        raw["need_fit"] = np.maximum(raw["need_fit"], raw["role_need"])
    if roles.own and "offer_fit" in raw:
        raw["offer_fit"] = np.maximum(raw["offer_fit"], raw["role_offer"])
    return raw
