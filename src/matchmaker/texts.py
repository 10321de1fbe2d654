"""Text preparation: what of a profile is embedded, and how phrases are cleaned first.

Each company is embedded as several *fields* (whole profile, offers, seeks,
each offer/seek phrase, and the description's first sentence, which says what
the organisation is) so the ranker can match needs against offers. The
texts are made here, once, for the embedding step (:mod:`indexing`), the
in-memory fit (evaluation, benchmarks) and the ranker's lexical signals, so
all of them read a profile the same way. Pure functions: no model, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .profiles import Profile

# Where a need or an offer is located says nothing about *what* it is: matching is
# always across the border, so "Korean distribution partners" and "Korean technology
# base" must not meet just because both say "Korean". These words are dropped from the
# phrases used for need/offer matching (not from the whole-profile text).
_PLACE_WORDS = re.compile(
    r"\b(?:south\s+)?(?:korea|korean|koreans|latvia|latvian|latvians|baltic|baltics|"
    r"eu|european|europe|asia|asian|asia-pacific|apac|cis|nordic|nordics|scandinavian|"
    r"global|globally|international|internationally|worldwide|overseas|foreign|domestic|"
    r"local|regional|western|eastern|northern|seoul|riga)\b(?!-)",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"(?:\s+(?:in|for|to|from|into|across|and|of|the|via|with))+\s*$", re.IGNORECASE
)


def has_place_word(text: str) -> bool:
    """Whether the text names a place or side of the border ("korean", "EU", "foreign")."""
    return bool(_PLACE_WORDS.search(text))


def matching_phrase(phrase: str) -> str:
    """A phrase without place words, for need/offer matching; unchanged if nothing is left."""
    stripped = " ".join(_PLACE_WORDS.sub(" ", phrase).split())
    stripped = _DANGLING.sub("", stripped).strip(" ,;-/")
    stripped = re.sub(r"^(?:in|for|to|from|and|of|the)\s+", "", stripped, flags=re.IGNORECASE)
    stripped = re.sub(r"\b(in|for|to|of)\s+(?:and|or)\b", r"\1", stripped, flags=re.IGNORECASE)
    return stripped if len(stripped) >= 3 else phrase


def matching_phrases(phrases: list[str]) -> list[str]:
    return [matching_phrase(p) for p in phrases]


def _joined(phrases: list[str]) -> list[str]:
    return ["; ".join(matching_phrases(phrases))] if phrases else []


def profile_text(profile: Profile) -> str:
    """The whole-profile text used for plain similarity."""
    parts = [profile.name, ", ".join(profile.sectors), profile.description]
    if profile.offers:
        parts.append("Offers: " + profile.offers)
    if profile.seeks:
        parts.append("Seeks: " + profile.seeks)
    return ". ".join(p for p in parts if p)


#: Field name -> function giving the texts to embed (one row per text). The phrase
#: fields keep one row per phrase of the profile, in order, so explanations can quote
#: the original phrase.
FIELDS: dict[str, Callable[[Profile], list[str]]] = {
    "profile": lambda p: [profile_text(p)],
    "offers": lambda p: _joined(p.offer_phrases),
    "seeks": lambda p: _joined(p.seek_phrases),
    "offer_phrases": lambda p: matching_phrases(p.offer_phrases),
    "seek_phrases": lambda p: matching_phrases(p.seek_phrases),
    "identity": lambda p: [matching_phrase(p.identity)] if p.identity else [],
}
