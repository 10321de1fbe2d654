"""Finding a company by what a person types: its name in Latin, Latvian or Korean script.

Names are folded before comparing: Unicode NFKD, combining marks dropped, case
folded. That makes "riga" find "Rīga" and "kekava" find "Ķekava"; Hangul
syllables decompose into jamo, so a half-typed syllable ("셀ㅌ", what an IME
shows on the way to "셀트") already finds "셀트리온".

This module is the pure part: which keys a company is found by, and which forms
of a typed text are looked up. The keys are stored, one row each, and searched
by the database (``store/names.py``, ``directory.py``), so a type-ahead at a
million companies reads a few index pages instead of every name in Python.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from . import names


def fold(text: str) -> str:
    """A comparison key: accents and case removed, Hangul as jamo, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(kept.casefold().split())


@dataclass(frozen=True)
class Entry:
    """One company as the type-ahead shows it."""

    id: str
    name: str
    name_local: str | None
    country: str
    city: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "name": self.name,
            "name_local": self.name_local,
            "country": self.country,
            "city": self.city,
        }


#: How a typed text meets a key, best first: the order of the type-ahead.
EXACT, STARTS, WORD_STARTS, CONTAINS = 0, 1, 2, 3


@dataclass(frozen=True)
class NameKeys:
    """What the type-ahead stores for one company.

    ``whole``: its id and names folded, Hangul names romanised as well; a typed
    text equal to one is EXACT, a prefix of one STARTS. ``words``: the tails of
    those keys that begin at a later word ("pharma" of "grindeks pharma"), so a
    prefix of a tail is WORD_STARTS and is found by the same index range as the
    whole keys. Within one kind of match, companies come in the order of the key
    that matched (code points), so a look-up reads the index in order and stops.
    """

    whole: tuple[str, ...]
    words: tuple[str, ...]


def name_keys(company_id: str, name: str, name_local: str | None) -> NameKeys:
    """The keys a company is found by (see :class:`NameKeys`)."""
    jamo = (fold(company_id), fold(name), fold(name_local or ""))
    whole = tuple(k for k in dict.fromkeys((*jamo, *names.search_keys(name, name_local))) if k)
    tails = (tail for key in whole for tail in word_tails(key))
    words = tuple(t for t in dict.fromkeys(tails) if t not in whole)
    return NameKeys(whole, words)


def word_tails(key: str) -> list[str]:
    """The tails of a key that start at its second, third... word."""
    parts = key.split(" ")
    return [" ".join(parts[i:]) for i in range(1, len(parts))]


def typed_forms(text: str) -> list[str]:
    """What a typed text is looked up as: folded, and compacted or romanised by ``names``."""
    return list(dict.fromkeys(f for f in (fold(text), *names.query_forms(text)) if f))


def prefix_end(prefix: str) -> str:
    """The first string after every string that starts with ``prefix`` (code-point order).

    ``key >= prefix AND key < prefix_end(prefix)`` is "starts with" as an index
    range, in SQLite's binary order and PostgreSQL's "C" collation alike.
    """
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates cannot be sent; none is in any key either
        last = 0xE000
    if last > 0x10FFFF:
        return prefix_end(prefix[:-1]) if len(prefix) > 1 else chr(0x10FFFF)
    return prefix[:-1] + chr(last)
