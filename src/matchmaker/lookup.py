"""Finding a company by what a person types: its name in Latin, Latvian or Korean script.

Names are folded before comparing: Unicode NFKD, combining marks dropped, case
folded. That makes "riga" find "Rīga" and "kekava" find "Ķekava"; Hangul
syllables decompose into jamo, so a half-typed syllable ("셀ㅌ", what an IME
shows on the way to "셀트") already finds "셀트리온".
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from . import names
from .profiles import Profile


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


class Directory:
    """The live companies' names and sectors, kept in id order.

    Parallel lists (entries, match keys, sectors) sorted by id, so an
    incremental update finds a changed company by bisection and replaces only
    it: at 100,000 companies, rebuilding and re-sorting every entry took
    0.2-2.5 s per edit (docs/benchmarks.md, "An edit at a million profiles").
    """

    def __init__(self, profiles: list[Profile]):
        ordered = sorted(profiles, key=lambda p: p.id)
        self.entries = [_entry(p) for p in ordered]
        self._keys = [_keys(p) for p in ordered]
        self._sectors = [tuple(p.sectors) for p in ordered]
        self._counts = Counter(s for p in ordered for s in p.sectors)
        self._order_sectors()

    def _order_sectors(self) -> None:
        #: Sectors, most used first, for the filter checkboxes.
        counts = self._counts
        self.sectors = [
            s for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0
        ]

    def updated(self, changed: list[Profile], deleted: list[str]) -> Directory:
        """A new directory with ``changed`` profiles added or replaced and ``deleted`` removed.

        For the live index's incremental updates: this one is left as it is
        (requests may be reading it). The new one copies the lists (pointers,
        milliseconds at a million) and edits only the changed companies' places.
        """
        new = Directory.__new__(Directory)
        new.entries = list(self.entries)
        new._keys = list(self._keys)
        new._sectors = list(self._sectors)
        new._counts = Counter(self._counts)
        changed = list({p.id: p for p in changed}.values())  # an id twice: the last one counts
        for company_id in set(deleted) | {p.id for p in changed}:
            new._remove(company_id)
        for profile in changed:
            new._insert(profile)
        new._order_sectors()
        return new

    def _place_of(self, company_id: str) -> int:
        """Where the company is, or would go, in the id-ordered lists."""
        return bisect_left(self.entries, company_id, key=lambda entry: entry.id)

    def _remove(self, company_id: str) -> None:
        at = self._place_of(company_id)
        if at < len(self.entries) and self.entries[at].id == company_id:
            del self.entries[at], self._keys[at]
            self._counts.subtract(self._sectors.pop(at))

    def _insert(self, profile: Profile) -> None:
        at = self._place_of(profile.id)
        self.entries.insert(at, _entry(profile))
        self._keys.insert(at, _keys(profile))
        self._sectors.insert(at, tuple(profile.sectors))
        self._counts.update(profile.sectors)

    def suggest(self, text: str, limit: int = 8) -> list[Entry]:
        """Companies whose name (either script, or romanised) starts with, or contains, the text."""
        forms = list(dict.fromkeys(f for f in (fold(text), *names.query_forms(text)) if f))
        if not forms:
            return []
        scored = []
        for position, (entry, keys) in enumerate(zip(self.entries, self._keys, strict=True)):
            ranks = [r for r in (_rank(form, keys) for form in forms) if r is not None]
            rank = min(ranks) if ranks else None
            if rank is not None:
                scored.append((rank, fold(entry.name), position))
        scored.sort()
        return [self.entries[position] for *_, position in scored[:limit]]

    def resolve(self, text: str) -> tuple[Entry | None, list[Entry]]:
        """The one company the text names, else (None, candidates to choose from)."""
        query = fold(text)
        exact = [e for e, keys in zip(self.entries, self._keys, strict=True) if query in keys]
        if len(exact) == 1:
            return exact[0], []
        if exact:
            return None, exact
        candidates = self.suggest(text, limit=20)
        if len(candidates) == 1:
            return candidates[0], []
        return None, candidates


    def did_you_mean(self, text: str, limit: int = 3) -> list[Entry]:
        """Companies with a name close to a misspelt one ('Grindex' -> Grindeks), any script."""
        by_id = {e.id: e for e in self.entries}
        rows = [(e.id, e.name, e.name_local) for e in self.entries]
        return [by_id[i] for i in names.suggest(text, rows, limit=limit)]


def _entry(profile: Profile) -> Entry:
    return Entry(profile.id, profile.name, profile.name_local, profile.country, profile.city)


def _keys(profile: Profile) -> tuple[str, ...]:
    """What the type-ahead matches: id and names folded, and Hangul names romanised."""
    jamo = (fold(profile.id), fold(profile.name), fold(profile.name_local or ""))
    return tuple(dict.fromkeys((*jamo, *names.search_keys(profile.name, profile.name_local))))


def _rank(query: str, keys: tuple[str, ...]) -> int | None:
    """0 exact, 1 a name starts with it, 2 a word starts with it, 3 contains it; None: no."""
    best = None
    for key in keys:
        if not key:
            continue
        if key == query:
            rank = 0
        elif key.startswith(query):
            rank = 1
        elif any(word.startswith(query) for word in key.split()):
            rank = 2
        elif query in key:
            rank = 3
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best
