"""Duplicate detection: which profiles describe the same organisation?

The same company reaches the database as "Geo-Young", "지오영" and "Geoyoung
Co., Ltd.", from different import files and curators. Each pair of profiles in
the same country is scored from three kinds of evidence, and every pair shown
carries its evidence so staff can judge it:

- **name**: the best similarity of any spelling of one to any of the other
  (:mod:`matchmaker.names`: legal forms removed, Hangul romanised, bracketed
  aliases and old names, typo- and romanisation-tolerant);
- **website**: the same site (``dataset.website_key``), or the same name under
  another top-level domain (``grindeks.com`` / ``grindeks.lv``);
- **profile vectors**: the cosine of the stored ``profile`` embeddings (what
  the company is and does), which tells a company written twice (close) from a
  parent and its subsidiary with a similar name (different business).

The weights and the threshold were set on ``eval/duplicates/pairs.jsonl``
(labelled before tuning); ``benchmarks/duplicates.py`` prints precision and recall.

Candidates are found without comparing every pair in Python: names in chunks
with ``rapidfuzz.process.cdist``, vectors with chunked matrix products, websites
by grouping; only those candidates are scored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from . import names
from .dataset import website_domain, website_key
from .profiles import Profile
from .store import Store

#: A pair at or above this score is reported as a likely duplicate.
THRESHOLD = 0.86
#: Names at least this alike (in percent, letter by letter or by sound) make a pair a
#: candidate, scored further: below them no evidence could lift a pair over THRESHOLD.
NAME_CANDIDATE_STRICT = 62
NAME_CANDIDATE_SOUND = 77
#: Profile vectors at least this close make a pair a candidate whatever the names.
VECTOR_CANDIDATE = 0.8
#: Cosine of two profile embeddings that is neutral evidence: closer adds, farther subtracts.
VECTOR_NEUTRAL = 0.7
VECTOR_WEIGHT = 0.8
#: Bonus for the same website, and for the same site name under another top-level domain.
SAME_SITE_BONUS = 0.25
SAME_SITE_NAME_BONUS = 0.15
#: Generic site names that say nothing about which organisation it is.
_GENERIC_SITE_NAMES = frozenset({"gov", "lu", "or", "co", "ac", "com", "go"})
_CHUNK = 512


@dataclass(frozen=True)
class Entity:
    """What the detector needs to know about one company."""

    id: str
    name: str
    name_local: str | None
    country: str
    website: str | None = None

    @classmethod
    def of(cls, profile: Profile | Mapping[str, Any]) -> Entity:
        get = profile.get if isinstance(profile, Mapping) else lambda k: getattr(profile, k)
        return cls(
            id=str(get("id")),
            name=str(get("name") or ""),
            name_local=get("name_local"),
            country=str(get("country") or ""),
            website=get("website"),
        )

    @property
    def label(self) -> str:
        return f"{self.name} ({self.name_local})" if self.name_local else self.name


@dataclass(frozen=True)
class Evidence:
    """One reason to think two profiles are the same organisation."""

    kind: str  # "name", "website", "vectors"
    detail: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "value": round(self.value, 3)}


@dataclass
class Pair:
    """Two profiles that may be one organisation, with the score and its evidence."""

    a: Entity
    b: Entity
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def ids(self) -> tuple[str, str]:
        return (self.a.id, self.b.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a.id, "name": self.a.name, "name_local": self.a.name_local},
            "b": {"id": self.b.id, "name": self.b.name, "name_local": self.b.name_local},
            "score": round(self.score, 3),
            "evidence": [e.to_dict() for e in self.evidence],
        }


class DuplicateDetector:
    """Finds likely duplicate pairs among profiles; parameters are plain attributes."""

    def __init__(
        self,
        threshold: float = THRESHOLD,
        vector_weight: float = VECTOR_WEIGHT,
        vector_neutral: float = VECTOR_NEUTRAL,
    ):
        self.threshold = threshold
        self.vector_weight = vector_weight
        self.vector_neutral = vector_neutral

    # -- scoring one pair ---------------------------------------------------------

    def compare(
        self,
        a: Entity,
        b: Entity,
        vector_a: np.ndarray | None = None,
        vector_b: np.ndarray | None = None,
        keys_a: list[names.NameKey] | None = None,
        keys_b: list[names.NameKey] | None = None,
    ) -> Pair:
        """Score one pair (0 when the countries differ) and say why."""
        if a.country != b.country:
            return Pair(a, b, 0.0, [Evidence("country", f"{a.country} vs {b.country}", 0.0)])
        keys_a = keys_a if keys_a is not None else _keys(a)
        keys_b = keys_b if keys_b is not None else _keys(b)
        evidence = []
        name_score, spellings = _best_names(keys_a, keys_b)
        if spellings:
            evidence.append(
                Evidence("name", f"“{spellings[0]}” ~ “{spellings[1]}”", name_score)
            )
        score = name_score
        site = _site_evidence(a.website, b.website)
        if site is not None:
            evidence.append(site)
            score += site.value
        if vector_a is not None and vector_b is not None:
            cosine = float(np.dot(vector_a, vector_b))
            evidence.append(Evidence("vectors", f"profile cosine {cosine:.2f}", cosine))
            score += self.vector_weight * (cosine - self.vector_neutral)
        return Pair(a, b, min(score, 1.5), evidence)

    def is_duplicate(self, pair: Pair) -> bool:
        return pair.score >= self.threshold

    # -- finding pairs among many ----------------------------------------------------

    def find(
        self,
        entities: Sequence[Entity],
        vectors: Mapping[str, np.ndarray] | None = None,
        only_involving: Iterable[str] | None = None,
    ) -> list[Pair]:
        """Likely duplicate pairs, highest score first.

        ``vectors`` maps an id to its normalised profile vector (missing ones
        simply give no vector evidence). ``only_involving`` limits the result to
        pairs with at least one of those ids (the rows of an import).
        """
        vectors = vectors or {}
        keys = [_keys(e) for e in entities]
        focus = None if only_involving is None else set(only_involving)
        candidates = _name_candidates(keys) | _site_candidates(entities)
        candidates |= _vector_candidates(entities, vectors)
        pairs = []
        for i, j in candidates:
            a, b = entities[i], entities[j]
            if a.country != b.country or a.id == b.id:
                continue
            if focus is not None and a.id not in focus and b.id not in focus:
                continue
            pair = self.compare(a, b, vectors.get(a.id), vectors.get(b.id), keys[i], keys[j])
            if self.is_duplicate(pair):
                pairs.append(pair)
        pairs.sort(key=lambda p: (-p.score, p.a.id, p.b.id))
        return pairs


def _keys(entity: Entity) -> list[names.NameKey]:
    return names.name_keys([entity.name, entity.name_local])


def _best_names(
    keys_a: list[names.NameKey], keys_b: list[names.NameKey]
) -> tuple[float, tuple[str, str] | None]:
    return names.best_match(keys_a, keys_b)


def _site_name(url: str | None) -> str | None:
    """'https://www.grindeks.lv' -> 'grindeks': the site's own name without its top-level domain."""
    domain = website_domain(url)
    if not domain:
        return None
    parts = domain.split(".")[:-1]  # without the top-level domain
    while parts and parts[-1] in _GENERIC_SITE_NAMES:  # .co.kr, .or.kr, .lu.lv
        parts.pop()
    return parts[-1] if parts else None


def _site_evidence(url_a: str | None, url_b: str | None) -> Evidence | None:
    key_a, key_b = website_key(url_a), website_key(url_b)
    if key_a and key_a == key_b:
        return Evidence("website", f"same website {key_a}", SAME_SITE_BONUS)
    name_a, name_b = _site_name(url_a), _site_name(url_b)
    if name_a and name_a == name_b and len(name_a) >= 4:
        detail = f"same site name {website_domain(url_a)} / {website_domain(url_b)}"
        return Evidence("website", detail, SAME_SITE_NAME_BONUS)
    return None


def _pair(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def _name_candidates(keys: list[list[names.NameKey]]) -> set[tuple[int, int]]:
    """Pairs whose names may be alike, by letter and by sound, compared in C in chunks."""
    owners = [owner for owner, ks in enumerate(keys) for _ in ks]
    strict = [k.strict for ks in keys for k in ks]
    sound = [k.sound for ks in keys for k in ks]
    owner_array = np.array(owners, dtype=np.int64)
    found: set[tuple[int, int]] = set()
    for start in range(0, len(strict), _CHUNK):
        for choices, cutoff in ((strict, NAME_CANDIDATE_STRICT), (sound, NAME_CANDIDATE_SOUND)):
            block = process.cdist(
                choices[start : start + _CHUNK],
                choices,
                scorer=fuzz.ratio,
                score_cutoff=cutoff,
                dtype=np.uint8,
                workers=1,
            )
            rows, cols = np.nonzero(block)
            for r, c in zip(rows + start, cols, strict=True):
                i, j = owners[r], int(owner_array[c])
                if i != j:
                    found.add(_pair(i, j))
    return found


def _site_candidates(entities: Sequence[Entity]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, entity in enumerate(entities):
        for key in {website_key(entity.website), _site_name(entity.website)}:
            if key:
                groups[key].append(index)
    return {_pair(i, j) for g in groups.values() for i in g for j in g if i != j}


def _vector_candidates(
    entities: Sequence[Entity], vectors: Mapping[str, np.ndarray]
) -> set[tuple[int, int]]:
    with_vector = [i for i, e in enumerate(entities) if e.id in vectors]
    if len(with_vector) < 2:
        return set()
    matrix = np.stack([vectors[entities[i].id] for i in with_vector]).astype(np.float32)
    found = set()
    for start in range(0, len(with_vector), _CHUNK):
        block = matrix[start : start + _CHUNK] @ matrix.T
        rows, cols = np.nonzero(block >= VECTOR_CANDIDATE)
        for r, c in zip(rows + start, cols, strict=True):
            if r != c:
                found.add(_pair(with_vector[r], with_vector[c]))
    return found


def profile_vectors(rows: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """One normalised vector per company from stored ``profile`` rows (``store.load_vectors``)."""
    result = {}
    for company_id, row in rows.items():
        matrix = getattr(row, "vectors", row)
        vector = np.asarray(matrix, dtype=np.float32).reshape(-1, matrix.shape[-1]).mean(axis=0)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            result[company_id] = vector / norm
    return result




# -- the database -------------------------------------------------------------------


def stored_vectors(store: Store, model_id: str | None) -> dict[str, np.ndarray]:
    """The live companies' stored ``profile`` vectors of that model (none without a model)."""
    if not model_id:
        return {}
    return profile_vectors(store.load_vectors(model_id, "profile"))


def find_in_store(
    store: Store, model_id: str | None = None, detector: DuplicateDetector | None = None
) -> list[Pair]:
    """Likely duplicate pairs among the live profiles, with stored vectors as evidence."""
    detector = detector or DuplicateDetector()
    entities = [Entity.of(p) for p in store.list()]
    return detector.find(entities, stored_vectors(store, model_id))


def check_import(
    store: Store | None, profiles: Sequence[Profile], detector: DuplicateDetector | None = None
) -> list[Pair]:
    """Rows of an import that look like a stored profile or like another row of the file.

    A row with the id of a stored profile updates it, so it is compared as the
    new version. Names and websites only: the rows are not embedded yet.
    """
    detector = detector or DuplicateDetector()
    incoming = {p.id: Entity.of(p) for p in profiles}
    stored = [Entity.of(p) for p in store.list()] if store is not None else []
    entities = [e for e in stored if e.id not in incoming] + list(incoming.values())
    return detector.find(entities, only_involving=incoming)


def describe(pair: Pair) -> str:
    """One line for a terminal or an import summary: who, the score and the evidence."""
    evidence = "; ".join(e.detail for e in pair.evidence)
    return (
        f"{pair.a.id} “{pair.a.label}” / {pair.b.id} “{pair.b.label}”: "
        f"score {pair.score:.2f} ({evidence})"
    )
