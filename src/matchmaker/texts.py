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
# The same in Latvian (stems, any case ending: Korejā, Latvijas, Eiropas) and Korean
# (with the particle that follows: 한국의, 유럽에서, 발트 3국까지).
_LATVIAN_PLACE_WORDS = re.compile(
    r"\b(?:(?:dienvid)?korej|latvij|eirop|baltij|āzij|ziemeļvalst|skandināvij|"
    r"starptautisk|pasaul|globāl|ārvalst|ārzem|vietēj|reģionāl)\w*"
    r"|\brīg(?:a|as|ā|u)\b",
    re.IGNORECASE,
)
# "ES" (the EU in Latvian) only in a phrase with Latvian letters: "ES cells" is English.
_LATVIAN_EU = re.compile(r"\bES\b(?!-)")
_LATVIAN_LETTERS = re.compile(r"[āčēģīķļņšūž]", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_KOREAN_PLACE_WORDS = re.compile(
    r"(?<![\uac00-\ud7a3])(?:대한민국|한국|국내|유럽연합|유럽|북유럽|동유럽|라트비아|"
    r"발트해|발트\s*3국|발트|아시아|동남아시아|해외|글로벌|국제|세계|서울|리가|현지|역내)"
    r"(?:\s*지역)?(?:의|에서|에|으로|로|과|와|까지|및|산|내|권)?(?![\uac00-\ud7a3])"
)
_DANGLING = re.compile(
    r"(?:\s+(?:in|for|to|from|into|across|and|of|the|via|with|uz|no|ar|un|par|vai|līdz|pie|및))+"
    r"\s*$",
    re.IGNORECASE,
)


def has_place_word(text: str) -> bool:
    """Whether the text names a place or side of the border ("korean", "EU", "foreign")."""
    return bool(_PLACE_WORDS.search(text))


def matching_phrase(phrase: str) -> str:
    """A phrase without place words, for need/offer matching; unchanged if nothing is left."""
    stripped = phrase
    for place_words in (_PLACE_WORDS, _LATVIAN_PLACE_WORDS, _KOREAN_PLACE_WORDS):
        stripped = place_words.sub(" ", stripped)
    if _LATVIAN_LETTERS.search(stripped):
        stripped = _LATVIAN_EU.sub(" ", stripped)
    stripped = " ".join(stripped.split())
    stripped = _DANGLING.sub("", stripped).strip(" ,;-/")
    stripped = re.sub(r"^(?:in|for|to|from|and|of|the)\s+", "", stripped, flags=re.IGNORECASE)
    stripped = re.sub(r"\b(in|for|to|of)\s+(?:and|or)\b", r"\1", stripped, flags=re.IGNORECASE)
    return stripped if _long_enough(stripped) else phrase


def _long_enough(phrase: str) -> bool:
    """Three letters make an English or Latvian word; two syllables a Korean one (유통)."""
    return len(phrase) >= 3 or (len(phrase) == 2 and bool(_HANGUL.search(phrase)))


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
