"""Which way a company licenses: out (it seeks licensees) or in (it seeks assets to license).

A quarter of the real deals in eval/deals are licences, and most of them join a
developer that wants licensees with a company that in-licenses. Roles cannot tell
these apart: a Spanish oncology company that seeks licensees in Asia and a French
one that in-licenses clinical assets are both ``pharma-company``, and both want
what a Korean developer is. Their texts say which way they license, so this reads
it, phrase by phrase (offers and seeks are ``;``-separated phrases):

* a seek phrase that asks for something *to in-license* ("clinical-stage assets
  to in-license", "products to in-license for Korea"), or an offer phrase that
  offers the means ("capacity to in-license and fund clinical assets"), is **in**;
* any other phrase about licensing ("global pharma licensees", "fimasartan
  products for licensing abroad", "licensing of gene-editing technology") is
  **out**.

A pair fits when one side licenses out and the other in (:func:`licensing_fit`);
ranking adds it as the ``licensing`` signal (docs/ranking.md). English phrasings
only for now; a profile that names neither direction is simply not counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .profiles import Profile

#: taking a licence: "to in-license", "in-licensing", "assets to license", "co-promote"
_IN = re.compile(
    r"in-?licens|licen[cs]e in\b|licensing-in|(?:assets|products|candidates|molecules|"
    r"technologies|drugs|medicines) (?:\w+ )?to (?:in-)?licen[cs]e|co-promot|co-market|"
    r"licensing (?:and partnering )?budget|rights to (?:market|sell)",
    re.IGNORECASE,
)
#: any licensing word; when a phrase has it and not _IN, the company licenses out
_ANY = re.compile(r"licen[cs]", re.IGNORECASE)


@dataclass(frozen=True)
class Direction:
    """Whether a company licenses out, in, or both (both False: it says nothing of it)."""

    out: bool
    into: bool


def direction(profile: Profile) -> Direction:
    """Read from the offer and seek phrases (see the module docstring)."""
    out = into = False
    for phrase in [*profile.offer_phrases, *profile.seek_phrases]:
        if _IN.search(phrase):
            into = True
        elif _ANY.search(phrase):
            out = True
    return Direction(out=out, into=into)


class LicensingFit:
    """One side licenses out and the other in, as a vector per query (0 or 1 per candidate)."""

    def fit(self, profiles: Sequence[Profile]) -> LicensingFit:
        directions = [direction(p) for p in profiles]
        self.out_ = np.array([d.out for d in directions], dtype=bool)
        self.into_ = np.array([d.into for d in directions], dtype=bool)
        return self

    def evidence(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        fit = (self.out_[a] & self.into_[pool]) | (self.into_[a] & self.out_[pool])
        return {"licensing": fit.astype(float)}


def licensing_fit(a: Profile, b: Profile) -> bool:
    """Whether one of the two licenses out and the other in."""
    da, db = direction(a), direction(b)
    return (da.out and db.into) or (da.into and db.out)
