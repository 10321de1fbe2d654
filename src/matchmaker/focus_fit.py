"""Focus fit: do two organisations work in the same disease areas and product types?

Roles find the right *kind* of partner; among twenty Korean pharma companies
that in-license, the one that signs with a European eye-care group is the one
developing eye medicines (docs/ranking.md, error analysis of the real deals).
This module turns the ``therapeutic_areas`` and ``modalities`` fields
(:mod:`therapy`; read from text when a profile does not state them) into one
raw signal per candidate, in the style of :mod:`role_fit`:

* ``focus``: half how much the candidate's areas and product types overlap the
  query's (cosine of rows weighted by rarity; a candidate that states nothing
  gets the pool's average, so missing information neither lifts nor sinks it),
  half the directed overlap read from the texts: what one side seeks against
  what the other has (a generics maker that seeks biologics meets a biosimilar
  maker, not another generics maker).

The ranker rewards focus only where a role fits (a generics distributor and a
generics maker). Where no role fits, the same focus is not rewarded, so two
generics makers selling into one market gain nothing from it; counting it
towards the competitor caution as well was measured and not kept (docs/ranking.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .profiles import Profile
from .therapy import AREAS, MODALITIES, Focus, areas_in, effective_focus, modalities_in

_AREA_INDEX = {slug: i for i, slug in enumerate(AREAS)}
_MODALITY_INDEX = {slug: i for i, slug in enumerate(MODALITIES)}


def _rows(lists: Sequence[Iterable[str]], index: dict[str, int]) -> np.ndarray:
    """0/1 rows over a vocabulary."""
    rows = np.zeros((len(lists), len(index)), dtype=np.float32)
    for i, items in enumerate(lists):
        for item in items:
            if item in index:
                rows[i, index[item]] = 1.0
    return rows


def _side(profile: Profile, offered: bool) -> np.ndarray:
    """Areas and product types a profile's text names on one side: what it has, or seeks."""
    text = (
        " ; ".join([profile.description, profile.offers, *profile.sectors])
        if offered
        else profile.seeks
    )
    return np.concatenate(
        [_rows([areas_in(text)], _AREA_INDEX)[0], _rows([modalities_in(text)], _MODALITY_INDEX)[0]]
    )


def _rarity(rows: np.ndarray) -> np.ndarray:
    """Inverse document frequency of each value over the profiles that state any.

    Sharing "small-molecule" says little when half the pool makes small
    molecules; sharing "ophthalmology" says much when three do.
    """
    stated = max(int(rows.any(axis=1).sum()), 1)
    return np.log((1 + stated) / (1 + rows.sum(axis=0))).astype(np.float32) + 1.0


def _unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


@dataclass(frozen=True)
class FocusPair:
    """The areas and product types two organisations share, for the reason shown."""

    areas: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()


class FocusFit:
    """Area and product-type rows of a fitted set of profiles (one row per profile).

    Each row joins areas and product types, weighted by rarity over the pool
    and scaled to unit length, so a shared rare value (ophthalmology) counts
    more than a shared common one (small molecules).
    """

    #: share of the directed comparison (what one side seeks against what the other
    #: has, read from their texts) in ``focus``; the rest compares whole focus
    directed_share: float = 0.5

    def fit(self, profiles: Sequence[Profile]) -> FocusFit:
        self.focus_: list[Focus] = [effective_focus(p) for p in profiles]
        areas = _rows([f.areas for f in self.focus_], _AREA_INDEX)
        modalities = _rows([f.modalities for f in self.focus_], _MODALITY_INDEX)
        self.weights_ = np.concatenate([_rarity(areas), _rarity(modalities)])
        self.rows_ = _unit(np.hstack([areas, modalities]) * self.weights_)
        self.offered_ = _unit(np.vstack([_side(p, offered=True) for p in profiles]) * self.weights_)
        self.sought_ = _unit(np.vstack([_side(p, offered=False) for p in profiles]) * self.weights_)
        return self

    def evidence(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        """The raw ``focus`` signal of candidates ``pool`` for company a (0..1)."""
        same = self._overlap(self.rows_[a], pool)
        directed = np.maximum(
            self.offered_[pool] @ self.sought_[a], self.sought_[pool] @ self.offered_[a]
        )
        return {"focus": (1 - self.directed_share) * same + self.directed_share * directed}

    def text_evidence(self, text: str, pool: np.ndarray) -> dict[str, np.ndarray]:
        """The ``focus`` signal for a free-text query, from the areas and products it names."""
        areas = _rows([areas_in(text)], _AREA_INDEX)[0]
        named = np.concatenate([areas, _rows([modalities_in(text)], _MODALITY_INDEX)[0]])
        return {"focus": self._overlap(_unit(named[None, :] * self.weights_)[0], pool)}

    def _overlap(self, query_row: np.ndarray, pool: np.ndarray) -> np.ndarray:
        """Cosine of the query's row with each candidate's; a silent candidate gets the average."""
        if not query_row.any():
            return np.zeros(len(pool))  # the query states nothing: the signal says nothing
        rows = self.rows_[pool]
        cosine = rows @ query_row
        stated = rows.any(axis=1)
        if stated.any():
            cosine = np.where(stated, cosine, cosine[stated].mean())
        return cosine

    def pair(self, a: int, b: int) -> FocusPair:
        """What company a (the query) and candidate b share."""
        return _shared(self.focus_[a].areas, self.focus_[a].modalities, self.focus_[b])

    def text_pair(self, text: str, b: int) -> FocusPair:
        """What a free-text query and candidate b share."""
        return _shared(tuple(areas_in(text)), tuple(modalities_in(text)), self.focus_[b])


def _shared(areas: Sequence[str], modalities: Sequence[str], candidate: Focus) -> FocusPair:
    return FocusPair(
        areas=tuple(x for x in candidate.areas if x in areas),
        modalities=tuple(x for x in candidate.modalities if x in modalities),
    )
