"""Role and market fit between organisations, as matrices the ranker reads per query.

Two signals that text similarity cannot give (docs/ranking.md):

* **role fit**: the candidate plays a role the query looks for (``need``), and
  the query plays a role the candidate looks for (``offer``). A Latvian
  generic maker looking for distributors and licensees meets a Korean
  wholesaler that looks for foreign manufacturers on both sides; it meets a
  Korean cosmetics maker on neither.
* **licensing fit**: one licenses out and the other in (:mod:`licensing`), which
  roles alone cannot tell (two pharma companies, one seeking licensees, one
  in-licensing assets).
* **market fit**: one of the two wants to reach the other's country. A company
  whose markets point to a third region is not a partner for this corridor
  just because its words match.

Both also decide who is a **competitor**: a look-alike (same offers, same
seeks) is held back only when neither plays a role the other looks for. A
same-industry company on the other side that wants what the query is (a
pharma company in-licensing the query's molecule) is a partner, not a
competitor.

Profiles without stated fields are read by :mod:`role_inference`; a stated
value always wins.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .licensing import LicensingFit
from .profiles import Profile
from .role_inference import RoleFields, effective_fields, roles_in, wanted_roles_in
from .roles import ROLES, default_partner_roles, market_covers

_ROLE_INDEX = {role: i for i, role in enumerate(ROLES)}


def role_vector(roles: Iterable[str]) -> np.ndarray:
    """A 0/1 row over the role vocabulary."""
    row = np.zeros(len(ROLES), dtype=np.float32)
    for role in roles:
        if role in _ROLE_INDEX:
            row[_ROLE_INDEX[role]] = 1.0
    return row


def wanted_vector(fields: RoleFields) -> np.ndarray:
    """The roles a company looks for: stated or read partner roles, else the usual ones."""
    return role_vector(fields.partner_roles or default_partner_roles(fields.roles))


@dataclass(frozen=True)
class RolePair:
    """What the structured fields say about one pair, read from the query's side.

    For the reasons shown with a match (``ranking.explaining``):
    ``candidate_is`` are the candidate's roles that the query looks for,
    ``query_is`` the query's roles that the candidate looks for, and
    ``candidate_reaches`` / ``query_reaches`` the first market of one side that
    covers the other's country ("" when none).
    """

    candidate_roles: tuple[str, ...] = ()
    query_roles: tuple[str, ...] = ()
    candidate_is: tuple[str, ...] = ()
    query_is: tuple[str, ...] = ()
    candidate_reaches: str = ""
    query_reaches: str = ""


@functools.lru_cache(maxsize=4096)
def _reaching(markets: tuple[str, ...], country: str) -> str:
    """The first of ``markets`` that covers ``country``, "" when none does (cached: a batch
    report asks it for every result, of a few hundred distinct market lists)."""
    return next((m for m in markets if market_covers([m], country)), "")


@dataclass
class TextRoles:
    """What a free-text query says about roles: what the user wants and what the user is."""

    wanted: list[str]
    own: list[str]

    @classmethod
    def read(cls, needs: Sequence[str], offers: Sequence[str], identity: str = "") -> TextRoles:
        """'Korean distributor for our PCR kits': wants distributor, is a diagnostics maker."""
        return cls(
            wanted=wanted_roles_in(" ; ".join(needs)),
            own=roles_in(" ; ".join([*offers, identity])),
        )


class RoleFit:
    """Role and market matrices of a fitted set of profiles (one row per profile)."""

    def fit(self, profiles: Sequence[Profile]) -> RoleFit:
        self.fields_ = [effective_fields(p) for p in profiles]
        self.roles_ = np.vstack([role_vector(f.roles) for f in self.fields_])
        self.wanted_ = np.vstack([wanted_vector(f) for f in self.fields_])
        self.licensing_ = LicensingFit().fit(profiles)
        self.profile_countries_ = [p.country for p in profiles]
        self.countries_ = sorted({p.country for p in profiles})
        column = {c: i for i, c in enumerate(self.countries_)}
        self.country_col_ = np.array([column[p.country] for p in profiles])
        self.reach_ = np.array(
            [[market_covers(f.markets, c) for c in self.countries_] for f in self.fields_],
            dtype=bool,
        )
        return self

    def evidence(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        """Raw role and market signals of candidates ``pool`` for company a (0..1 each)."""
        need = (self.roles_[pool] @ self.wanted_[a]) > 0
        offer = (self.wanted_[pool] @ self.roles_[a]) > 0
        reach = self.reach_[a, self.country_col_[pool]] | self.reach_[pool, self.country_col_[a]]
        return {
            "role_need": need.astype(float),
            "role_offer": offer.astype(float),
            "market": reach.astype(float),
            **self.licensing_.evidence(a, pool),
        }

    def text_evidence(self, query: TextRoles, pool: np.ndarray) -> dict[str, np.ndarray]:
        """Role signals for a free-text query; a side the text does not state is neutral (0.5)."""
        neutral = np.full(len(pool), 0.5)
        need = (
            ((self.roles_[pool] @ role_vector(query.wanted)) > 0).astype(float)
            if query.wanted
            else neutral
        )
        offer = (
            ((self.wanted_[pool] @ role_vector(query.own)) > 0).astype(float)
            if query.own
            else neutral
        )
        return {"role_need": need, "role_offer": offer}

    def pair(self, a: int, b: int) -> RolePair:
        """Which roles and markets connect company a (the query) and candidate b."""
        query, candidate = self.fields_[a], self.fields_[b]
        query_wants = set(query.partner_roles or default_partner_roles(query.roles))
        candidate_wants = set(candidate.partner_roles or default_partner_roles(candidate.roles))
        return RolePair(
            candidate_roles=candidate.roles,
            query_roles=query.roles,
            candidate_is=tuple(r for r in candidate.roles if r in query_wants),
            query_is=tuple(r for r in query.roles if r in candidate_wants),
            candidate_reaches=_reaching(candidate.markets, self.profile_countries_[a]),
            query_reaches=_reaching(query.markets, self.profile_countries_[b]),
        )

    def text_pair(self, query: TextRoles, b: int) -> RolePair:
        """Which roles connect a free-text query and candidate b (a text states no markets)."""
        candidate = self.fields_[b]
        candidate_wants = set(candidate.partner_roles or default_partner_roles(candidate.roles))
        return RolePair(
            candidate_roles=candidate.roles,
            query_roles=tuple(query.own),
            candidate_is=tuple(r for r in candidate.roles if r in query.wanted),
            query_is=tuple(r for r in query.own if r in candidate_wants),
        )
