"""The public types of ranking: weights, filters, and the results it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .text_queries import TextQuery


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
    #: same disease areas and product types (therapy.py, focus_fit.py), where a role fits;
    #: chosen on set A among 0 / 0.25 / 0.5 (docs/ranking.md)
    focus: float = 0.25
    #: one side licenses out and the other in (licensing.py); set before measuring, like market
    licensing: float = 0.25
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
    """One result. ``reasons`` is the short default view (at most 3 reasons, 30 words,
    strongest first); ``reasons_all`` the full list; ``fit`` the score in words
    (strong / good / possible, see ranking.fit; "" for similar companies)."""

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
    reasons_all: list[str] = field(default_factory=list)
    fit: str = ""

    def to_dict(self) -> dict:
        """``dataclasses.asdict(self)``, written out: the same dict (same key order, lists and
        dicts copied; their items are strings and floats), about 18 times faster. asdict's
        generic deep copy took 0.1 ms a match, 1 ms of the 20 ms a report company costs
        (tests/ranking/test_ranking_unit.py holds the two equal)."""
        return {
            "id": self.id,
            "name": self.name,
            "country": self.country,
            "score": self.score,
            "reasons": list(self.reasons),
            "score_parts": dict(self.score_parts),
            "name_local": self.name_local,
            "city": self.city,
            "sectors": list(self.sectors),
            "verified": self.verified,
            "reasons_all": list(self.reasons_all),
            "fit": self.fit,
        }


@dataclass
class QueryResult:
    """A free-text search: how the text was read, and the companies found for it.

    Returned together so that front ends show the reading ("Read as: you need
    ...") without parsing the text a second time.
    """

    reading: TextQuery
    matches: list[Match]
