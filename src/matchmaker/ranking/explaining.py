"""Explaining: turn the signals behind a match into short sentences a person can act on.

The ranker finds the phrase pairs that carry a match (one side's need, the
other side's offer) and the terms that carry the lexical signal; this module
only words them. Quotes are the profiles' own short phrases, never whole
fields, so a staff member sees in seconds *what meets what*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..embedding import MINILM_CUTOFFS, Cutoffs
from ..profiles import Profile

# Which cosine is "strong", "weak" or "competitor-like" depends on the model: the
# thresholds come with the evidence (Explanation.cutoffs, from the embedder).
QUOTE_LENGTH = 70


@dataclass
class Explanation:
    """Evidence for one result: (need, offer, cosine) pairs and shared terms."""

    need_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    offer_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    competitor: float = 0.0
    shared_terms: list[str] = field(default_factory=list)
    #: identity sentences (what each side *is*), which may stand in a pair for an offer
    candidate_identity: str = ""
    query_identity: str = ""
    #: the cosine thresholds of the model that measured the pairs
    cutoffs: Cutoffs = MINILM_CUTOFFS


def quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > QUOTE_LENGTH:
        text = text[: QUOTE_LENGTH - 1].rstrip() + "…"
    return f"“{text}”"


def explain_match(query: Profile, candidate: Profile, evidence: Explanation) -> list[str]:
    """Reasons why `candidate` is a partner for `query` (read from the query's side)."""
    weak, strength = evidence.cutoffs.weak, _strength(evidence.cutoffs.strong)
    reasons = []
    for need, offer, sim in evidence.need_pairs:
        if sim < weak:
            continue
        if offer == evidence.candidate_identity:
            reasons.append(f"Is {quote(offer)}: meets your need {quote(need)}{strength(sim)}")
        else:
            reasons.append(f"Offers {quote(offer)} for your need {quote(need)}{strength(sim)}")
    for need, offer, sim in evidence.offer_pairs:
        if sim < weak:
            continue
        if offer == evidence.query_identity:
            reasons.append(f"Seeks {quote(need)}, which is what you are{strength(sim)}")
        else:
            reasons.append(f"Seeks {quote(need)}, which you offer: {quote(offer)}{strength(sim)}")
    if not any(sim >= weak for *_, sim in evidence.need_pairs + evidence.offer_pairs):
        reasons.append("No clear need-to-offer match; ranked on the overall profile")
    reasons.extend(_shared(query, candidate, evidence.shared_terms))
    if evidence.competitor >= evidence.cutoffs.competitor:
        reasons.append("Caution: offers and seeks much like yours (possible competitor)")
    return reasons


def explain_query(candidate: Profile, evidence: Explanation, own_offers: bool) -> list[str]:
    """Reasons why `candidate` fits a free-text need (and the user's stated offers)."""
    weak, strength = evidence.cutoffs.weak, _strength(evidence.cutoffs.strong)
    reasons = []
    for need, offer, sim in evidence.need_pairs:
        if sim < weak:
            continue
        if offer == evidence.candidate_identity:
            reasons.append(f"Is {quote(offer)}: meets {quote(need)}{strength(sim)}")
        else:
            reasons.append(f"Offers {quote(offer)} for {quote(need)}{strength(sim)}")
    for sought, offer, sim in evidence.offer_pairs:
        if sim >= weak:
            what = f"which you offer: {quote(offer)}" if own_offers else f"like {quote(offer)}"
            reasons.append(f"Seeks {quote(sought)}, {what}{strength(sim)}")
    if not reasons:
        reasons.append("No phrase matches closely; ranked on the overall profile")
    if evidence.shared_terms:
        reasons.append("Shared terms: " + ", ".join(evidence.shared_terms))
    if evidence.competitor >= evidence.cutoffs.competitor:
        reasons.append("Caution: offers what you offer (possible competitor)")
    return reasons


def explain_similar(query: Profile, candidate: Profile, similarity: float) -> list[str]:
    """Reasons why two companies read alike (peers or competitors)."""
    reasons = [f"Profiles read alike (similarity {similarity:.2f})"]
    reasons.extend(_shared(query, candidate, []))
    return reasons


def _strength(strong: float) -> Callable[[float], str]:
    """What to add after a pair's reason: nothing when it is strong for this model."""
    return lambda sim: "" if sim >= strong else " (partial match)"


def _shared(query: Profile, candidate: Profile, terms: list[str]) -> list[str]:
    reasons = []
    types = [t for t in query.partnership_types if t in candidate.partnership_types]
    if types:
        reasons.append("Both open to: " + ", ".join(types))
    sectors = [s for s in query.sectors if s in candidate.sectors]
    if sectors:
        reasons.append("Shared sectors: " + ", ".join(sectors))
    unique_terms = list(dict.fromkeys(terms))[:4]
    if unique_terms:
        reasons.append("Shared terms: " + ", ".join(unique_terms))
    return reasons
