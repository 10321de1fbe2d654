"""Explaining: turn the signals behind a match into short sentences a person can act on.

The ranker finds the phrase pairs that carry a match (one side's need, the
other side's offer), the terms that carry the lexical signal and what the
structured fields say (roles, markets); this module only words them. Quotes are
the profiles' own short phrases, never whole fields, so a staff member sees in
seconds *what meets what*.

Every reason carries a weight: the score contribution of the signal it words
(``score_parts``). The default view (:attr:`Match.reasons`) keeps the strongest
few within a word budget, so a person reads a result in five seconds; the full
list (:attr:`Match.reasons_all`) and ``score_parts`` stay one click away. The
short list leaves out what a reader would find false or noisy: a phrase pair
below the model's ``strong`` cut-off ("partial match"), and "which is what you are" unless the
roles confirm it or the phrases meet clearly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..embedding import MINILM_CUTOFFS, Cutoffs
from ..focus_fit import FocusPair
from ..profiles import Profile
from ..role_fit import RolePair
from ..role_inference import wanted_roles_in
from ..roles import MARKETS
from ..texts import has_place_word

# Phrase cosines that mean "clearly meet", "worth showing" and "possibly a competitor"
# depend on the model: they come with the evidence (Explanation.cutoffs, from the
# embedder; embedding.Cutoffs).
QUOTE_LENGTH = 70
#: the default view: at most this many reasons and words per result, strongest first
BRIEF_REASONS = 3
BRIEF_WORDS = 30
BRIEF_QUOTE_WORDS = 6  # a quote in the default view is cut to this many words

#: what to call an organisation of each role in a sentence ("a Korean distributor")
ROLE_NOUNS: dict[str, str] = {
    "drug-developer": "drug developer",
    "pharma-company": "pharma company",
    "api-maker": "API maker",
    "biosimilar-maker": "biosimilar maker",
    "cdmo": "CDMO",
    "cro": "CRO",
    "hospital": "hospital",
    "research-institute": "research institute",
    "distributor": "distributor",
    "device-maker": "device maker",
    "diagnostics-maker": "diagnostics maker",
    "lab-services": "lab services company",
    "lab-supplier": "lab supplier",
    "health-it": "health IT company",
    "consumer-health": "consumer health company",
    "investor": "investor",
    "trade-agency": "trade agency",
    "industry-association": "industry association",
    "consultancy": "consultancy",
    "logistics": "logistics company",
    "other-industry": "company",
}
_QUOTED = re.compile(r"“([^”]*)”")
#: Distinct phrases and terms remembered by the cached helpers below. A batch report
#: words the same candidate phrases and shared terms again and again (each partner
#: is in about ten companies' top 10), and these helpers were most of the 0.4 ms a
#: result's reasons took.
CACHED_STRINGS = 1 << 16
_COUNTRY_ADJECTIVES = {"KR": "Korean", "LV": "Latvian"}
_COUNTRY_NAMES = {"KR": "South Korea", "LV": "Latvia"}


@dataclass
class Explanation:
    """Evidence for one result: (need, offer, cosine) pairs, shared terms, role fit."""

    need_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    offer_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    competitor: float = 0.0
    shared_terms: list[str] = field(default_factory=list)
    #: identity sentences (what each side *is*), which may stand in a pair for an offer
    candidate_identity: str = ""
    query_identity: str = ""
    roles: RolePair = field(default_factory=RolePair)
    #: the disease areas and product types both sides work in (focus_fit)
    focus: FocusPair = field(default_factory=FocusPair)
    #: each signal's contribution to the score: orders the reasons
    parts: Mapping[str, float] = field(default_factory=dict)
    #: the cosine thresholds of the model that measured the pairs
    cutoffs: Cutoffs = MINILM_CUTOFFS


@dataclass(frozen=True)
class Reason:
    """One sentence of evidence; ``brief`` is its short form, "" to leave it out by default."""

    text: str
    weight: float
    brief: str = ""
    leads: bool = False  # a role or market reason that added points: shown first


@dataclass(frozen=True)
class Reasons:
    """The default view (few, strongest first) and the full list, for one result."""

    brief: list[str]
    full: list[str]


@functools.lru_cache(maxsize=CACHED_STRINGS)
def quote(text: str, words: int | None = None) -> str:
    """The phrase in curly quotes, cut to QUOTE_LENGTH characters or ``words`` words
    (cached: a pure function of two immutable arguments)."""
    text = " ".join(text.split())
    if words is not None and len(text.split()) > words:
        text = " ".join(text.split()[:words]).rstrip(",;:.") + "…"
    elif len(text) > QUOTE_LENGTH:
        text = text[: QUOTE_LENGTH - 1].rstrip() + "…"
    return f"“{text}”"


def short(text: str) -> str:
    return quote(text, BRIEF_QUOTE_WORDS)


def explain_match(query: Profile, candidate: Profile, evidence: Explanation) -> Reasons:
    """Reasons why `candidate` is a partner for `query` (read from the query's side)."""
    fit, cut = _fit_part(evidence.parts), evidence.cutoffs
    reasons = [*_role_reasons(evidence, candidate, _shared_types(query, candidate))]
    reasons += _focus_reasons(evidence)
    for need, offer, sim in evidence.need_pairs:
        if sim < cut.weak:
            continue
        if offer == evidence.candidate_identity:
            text = "Is {}: meets your need {}"
        else:
            text = "Offers {} for your need {}"
        reasons.append(_pair_reason(text, offer, need, sim, fit, cut.strong))
    for need, offer, sim in evidence.offer_pairs:
        if sim < cut.weak:
            continue
        if offer == evidence.query_identity:
            reasons.append(_what_you_are(need, sim, fit, evidence.roles, cut.strong))
        else:
            text = "Seeks {}, which you offer: {}"
            reasons.append(_pair_reason(text, need, offer, sim, fit, cut.strong))
    if not any(sim >= cut.weak for *_, sim in evidence.need_pairs + evidence.offer_pairs):
        reasons.append(Reason("No clear need-to-offer match; ranked on the overall profile", 0.0))
    reasons.extend(_shared(query, candidate, evidence.shared_terms, evidence.parts))
    reasons = _without_repeats(reasons)
    if evidence.competitor >= cut.competitor:
        reasons.append(
            _caution(
                "Caution: offers and seeks much like yours (possible competitor)",
                "Caution: possible competitor, offers and seeks like yours",
            )
        )
    return arrange(reasons)


def explain_query(candidate: Profile, evidence: Explanation, own_offers: bool) -> Reasons:
    """Reasons why `candidate` fits a free-text need (and the user's stated offers)."""
    fit, cut = _fit_part(evidence.parts), evidence.cutoffs
    reasons = [*_role_reasons(evidence, candidate, [], asked=True)]
    reasons += _focus_reasons(evidence)
    for need, offer, sim in evidence.need_pairs:
        if sim < cut.weak:
            continue
        text = "Is {}: meets {}" if offer == evidence.candidate_identity else "Offers {} for {}"
        reasons.append(_pair_reason(text, offer, need, sim, fit, cut.strong))
    for sought, offer, sim in evidence.offer_pairs:
        if sim >= cut.weak:
            text = "Seeks {}, which you offer: {}" if own_offers else "Seeks {}, like {}"
            reasons.append(_pair_reason(text, sought, offer, sim, fit, cut.strong))
    if not any(sim >= cut.weak for *_, sim in evidence.need_pairs + evidence.offer_pairs):
        reasons.append(Reason("No phrase matches closely; ranked on the overall profile", 0.0))
    shared = _content_terms(evidence.shared_terms)
    if shared:
        terms = "Shared terms: " + ", ".join(shared)
        weight = evidence.parts.get("lexical", 0.0)
        reasons.append(Reason(terms, weight, terms if weight > 0 else ""))
    reasons = _without_repeats(reasons)
    if evidence.competitor >= cut.competitor:
        reasons.append(
            _caution(
                "Caution: offers what you offer (possible competitor)",
                "Caution: possible competitor, offers what you offer",
            )
        )
    return arrange(reasons)


def explain_similar(query: Profile, candidate: Profile, similarity: float) -> Reasons:
    """Reasons why two companies read alike (peers or competitors)."""
    alike = f"Profiles read alike (similarity {similarity:.2f})"
    return arrange([Reason(alike, similarity, alike), *_shared(query, candidate, [], {})])


def arrange(reasons: Sequence[Reason]) -> Reasons:
    """The default view: strongest first, at most BRIEF_REASONS and BRIEF_WORDS words.

    A caution (possible competitor) always keeps its place, last: hiding it would
    hide the one reason *against* a result. When no reason is strong enough for
    the default view, the strongest one is shown anyway, so no result is bare.
    """
    # stable: ties keep their order; a role reason that added points leads (it says who
    # the candidate is and why it fits, which the phrase pairs only show piecemeal)
    ordered = sorted(reasons, key=lambda r: (not r.leads, -r.weight))
    cautions = [r for r in ordered if r.weight == float("inf")]
    shown = [r for r in ordered if r.brief and r.weight != float("inf")]
    if not shown and not cautions and ordered:
        shown = [Reason(ordered[0].text, ordered[0].weight, ordered[0].text)]
    budget_words = BRIEF_WORDS - sum(_words(r.brief) for r in cautions)
    budget_count = BRIEF_REASONS - len(cautions)
    brief: list[str] = []
    for reason in shown:
        if len(brief) == budget_count or _words(reason.brief) > budget_words:
            continue
        if reason.brief not in brief:
            brief.append(reason.brief)
            budget_words -= _words(reason.brief)
    brief.extend(r.brief for r in cautions)
    full = list(dict.fromkeys(r.text for r in reasons))  # in the order they were found
    return Reasons(brief=brief, full=full)


def _without_repeats(reasons: list[Reason]) -> list[Reason]:
    """Leave out of the default view a reason that quotes a phrase an earlier one quoted.

    The role reason quotes the seek phrase that asks for what the query is; the
    phrase pair for the same seek phrase would say it a second time.
    """
    quoted: set[str] = set()
    kept = []
    for reason in reasons:
        found = _QUOTED.findall(reason.brief) if reason.brief else []
        if found and found[0] in quoted:
            reason = Reason(reason.text, reason.weight, "")
        quoted.update(found)
        kept.append(reason)
    return kept


def _words(text: str) -> int:
    return len(text.split())


def _fit_part(parts: Mapping[str, float]) -> float:
    """How much the phrase fit added to the score (partner or free-text signal)."""
    return float(parts.get("reciprocal", parts.get("need_fit", 0.0)))


def _pair_reason(
    template: str, left: str, right: str, sim: float, fit: float, strong: float
) -> Reason:
    """A need-meets-offer sentence; only a clear match (>= strong) goes in the default view."""
    text = template.format(quote(left), quote(right)) + _strength(sim, strong)
    brief = template.format(short(left), short(right)) if sim >= strong else ""
    return Reason(text, max(fit, 0.0) * sim, brief)


def _what_you_are(need: str, sim: float, fit: float, roles: RolePair, strong: float) -> Reason:
    """The candidate seeks something the query's identity sentence resembles.

    "Which is what you are" is only said when the phrases meet clearly and the
    sought phrase does not name a kind of organisation the query is not
    ("foreign distributors" sought, a pharma company querying). Otherwise the
    full list says how close it is and the default view leaves it out.
    """
    named = wanted_roles_in(need)
    if sim >= strong and (not named or set(named) & set(roles.query_roles)):
        text = f"Seeks {quote(need)}, which is what you are"
        return Reason(text, max(fit, 0.0) * sim, f"Seeks {short(need)}, which is what you are")
    return Reason(f"Seeks {quote(need)}, somewhat like what you are (partial match)", 0.0)


def _role_reasons(
    evidence: Explanation, candidate: Profile, types: Sequence[str], asked: bool = False
) -> list[Reason]:
    """What the candidate is and looks for, when the structured fields made the match.

    "Korean distributor that seeks “foreign manufacturers entering Korea”, which
    you are: distribution". Its weight is the role and market contributions to
    the score, so it leads exactly when roles and markets are what lifted the result.
    """
    roles = evidence.roles
    if not roles.candidate_is and not roles.query_is:
        return _market_reasons(evidence, candidate)
    weight = evidence.parts.get("roles", 0.0)
    noun = ROLE_NOUNS[(roles.candidate_is or roles.candidate_roles or ("other-industry",))[0]]
    who = f"{_COUNTRY_ADJECTIVES.get(candidate.country, '')} {noun}".strip()
    who = who[0].upper() + who[1:]
    sought_phrase = ""
    if roles.query_is:
        sought = _phrase_naming(candidate.seek_phrases, roles.query_is, evidence.offer_pairs)
        sought_phrase = sought
        wants = quote(sought) if sought else _plural(ROLE_NOUNS[roles.query_is[0]])
        brief_wants = short(sought) if sought else wants
        if roles.candidate_is:
            text = who + " that seeks {}, which you are"
        else:
            text = "Seeks {}, which you are"
        full, brief = text.format(wants), text.format(brief_wants)
    else:
        full = brief = f"{who}, as you asked" if asked else f"{who}: a kind of partner you seek"
    if types:
        suffix = ": " + ", ".join(types[:2])
        full, brief = full + suffix, brief + suffix
    shown = weight > 0 and not _said_better_by_a_pair(roles, sought_phrase, evidence)
    reasons = [Reason(full, weight, brief if shown else "", leads=shown)]
    return reasons + _market_reasons(evidence, candidate)


def _focus_reasons(evidence: Explanation) -> list[Reason]:
    """The disease areas and product types both work in, when that lifted the score.

    Named by their vocabulary slugs (docs/therapy.md), as the company form shows them.
    """
    shared = [*evidence.focus.areas, *evidence.focus.modalities]
    if not shared:
        return []
    weight = evidence.parts.get("focus", 0.0)
    text = "Same focus as yours: " + ", ".join(shared)
    return [Reason(text, weight, text if weight > 0 else "")]


def _said_better_by_a_pair(roles: RolePair, sought: str, evidence: Explanation) -> bool:
    """A role reason that says only "seeks X, which you are", where X also meets one of
    your own offers clearly: "Seeks X, which you offer: Y" says it more exactly (X may
    name a product, "lab reagents", rather than a kind of organisation)."""
    if roles.candidate_is or not sought:
        return False
    strong = evidence.cutoffs.strong
    return any(need == sought and sim >= strong for need, _, sim in evidence.offer_pairs)


def _market_reasons(evidence: Explanation, candidate: Profile) -> list[Reason]:
    """One of the two wants to reach the other's country (only when it lifted the score)."""
    weight = evidence.parts.get("market", 0.0)
    roles = evidence.roles
    if roles.candidate_reaches:
        market = roles.candidate_reaches
        text = f"Sells in or targets {MARKETS.get(market, market)}"
    elif roles.query_reaches:
        place = _COUNTRY_NAMES.get(candidate.country, candidate.country)
        text = f"In a market you target: {place}"
    else:
        return []
    return [Reason(text, weight, text if weight > 0 else "", leads=weight > 0)]


def _phrase_naming(
    phrases: Sequence[str], roles: Sequence[str], pairs: Sequence[tuple[str, str, float]]
) -> str:
    """The candidate's seek phrase that asks for one of ``roles`` and best meets the query.

    Among the phrases that name the role, the one whose phrase pair with the
    query is closest: "European licensees" before "clients outsourcing production"
    for a pharma company that licenses in.
    """
    naming = [p for p in phrases if set(wanted_roles_in(p)) & set(roles)]
    closeness = {need: sim for need, _, sim in pairs}
    return max(naming, key=lambda p: closeness.get(p, 0.0), default="")


def _plural(noun: str) -> str:
    if noun.endswith("y") and not noun.endswith("ey"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith("s") else "s")


def _content_terms(terms: Sequence[str]) -> list[str]:
    """Terms without place words ("korean", "korean distributor"): matching is across the
    border and the country is a filter, so a shared place name says nothing."""
    return [t for t in terms if not _names_a_place(t)]


#: :func:`has_place_word` of a shared term, remembered (terms come from a fixed vocabulary)
_names_a_place = functools.lru_cache(maxsize=CACHED_STRINGS)(has_place_word)


def _caution(text: str, brief: str) -> Reason:
    """A warning: weight infinity marks it to keep its place in the default view."""
    return Reason(text, float("inf"), brief)


def _strength(sim: float, strong: float) -> str:
    return "" if sim >= strong else " (partial match)"


def _shared_types(query: Profile, candidate: Profile) -> list[str]:
    return [t for t in query.partnership_types if t in candidate.partnership_types]


def _shared(
    query: Profile, candidate: Profile, terms: list[str], parts: Mapping[str, float]
) -> list[Reason]:
    """Shared partnership types, sectors and terms: in the full list; terms may lead briefly."""
    reasons = []
    types = _shared_types(query, candidate)
    if types:
        reasons.append(Reason("Both open to: " + ", ".join(types), parts.get("partnership", 0.0)))
    sectors = [s for s in query.sectors if s in candidate.sectors]
    if sectors:
        reasons.append(Reason("Shared sectors: " + ", ".join(sectors), 0.0))
    unique_terms = _content_terms(list(dict.fromkeys(terms)))[:4]
    if unique_terms:
        text = "Shared terms: " + ", ".join(unique_terms)
        weight = parts.get("lexical", 0.0)
        reasons.append(Reason(text, weight, text if weight > 0 else ""))
    return reasons
