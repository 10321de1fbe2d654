"""The type-ahead, name resolution and sector list, answered by the database.

:class:`Directory` turns what a person typed into companies: ``suggest`` for the
type-ahead, ``resolve`` for the company a search names, ``did_you_mean`` for a
misspelt one. The keys and their order come from :mod:`matchmaker.lookup`; the
rows are read from :mod:`matchmaker.store.names`. Nothing is held per process,
so a server starts without building anything and every app server sees an edit
as soon as it is committed.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .lookup import CONTAINS, EXACT, STARTS, WORD_STARTS, Entry, fold, typed_forms

if TYPE_CHECKING:
    from .store import Store

#: "Contains" needs this many characters: a trigram index finds nothing shorter, so
#: on PostgreSQL a shorter text would read every key row.
CONTAINS_MIN_LENGTH = 3


class Directory:
    """The live companies of a store, found by name (Latin, Latvian or Hangul)."""

    def __init__(self, store: Store):
        self.store = store

    def suggest(self, text: str, limit: int = 8) -> list[Entry]:
        """Companies whose name (either script, or romanised) starts with, or contains, the text.

        Exact matches first, then names that start with it, then names with a later
        word that starts with it, then names that contain it (a text of three
        characters or more; on SQLite only while the database is small,
        ``store.contains_search_affordable``); within each
        kind, in the order of the key that matched, then id.
        """
        forms = typed_forms(text)
        found: dict[str, None] = {}
        for kind in (EXACT, STARTS, WORD_STARTS, CONTAINS):
            if len(found) >= limit:
                break
            if kind == CONTAINS and not self.store.contains_search_affordable():
                break
            found.update(dict.fromkeys(self._first_of_kind(kind, forms, limit, found)))
        return self.entries(list(found)[:limit])

    def _first_of_kind(
        self, kind: int, forms: list[str], limit: int, found: dict[str, None]
    ) -> list[str]:
        """Ids of the first ``limit`` companies not yet ``found`` that match any form as ``kind``.

        Each form's look-up returns its first companies in key order; enough of them
        (``limit`` plus those already found) that the first ``limit`` of the union,
        by (key, id), are among them.
        """
        best: dict[str, str] = {}
        if kind == CONTAINS:  # shorter texts have no trigram to find them by (PostgreSQL)
            forms = [form for form in forms if len(form) >= CONTAINS_MIN_LENGTH]
        for form in forms:
            for key, company_id in self.store.names_matching(kind, form, limit + len(found)):
                if company_id in found:
                    continue
                if company_id not in best or key < best[company_id]:
                    best[company_id] = key
        return sorted(best, key=lambda company_id: (best[company_id], company_id))[:limit]

    def resolve(self, text: str) -> tuple[Entry | None, list[Entry]]:
        """The one company the text names, else (None, candidates to choose from)."""
        exact = self.entries(self.store.names_equal(fold(text)))
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
        return self.entries(self.store.similar_names(text, limit))

    def entries(self, ids: list[str]) -> list[Entry]:
        """The live companies of ``ids``, in that order."""
        rows = self.store.directory_rows(ids)
        return [_entry(rows[i]) for i in ids if i in rows]

    def countries(self, ids: list[str]) -> dict[str, str]:
        """id -> country of those ``ids`` that are live companies (to check a report's choice)."""
        return {i: row["country"] for i, row in self.store.directory_rows(ids).items()}

    @cached_property
    def sectors(self) -> list[str]:
        """Sectors, most used first, for the filter checkboxes (every search page shows them).

        Counted once per data revision and database in this process: the count
        reads every tag row, about 0.3 s at a million companies. The database is its
        path and its identity (``Store.database_identity``): a restored backup can
        carry the revision the replaced database had.
        """
        version = (self.store.database_identity(), self.store.revision())
        cached = _SECTORS.get(str(self.store.path))
        if cached is None or cached[0] != version:
            counts = self.store.sector_counts()
            ordered = sorted((kv for kv in counts.items() if kv[1] > 0), key=_most_used_first)
            cached = (version, [sector for sector, _ in ordered])
            _SECTORS[str(self.store.path)] = cached
        return list(cached[1])


#: Sector lists by database path: ((identity, data revision), sectors most used first).
_SECTORS: dict[str, tuple[tuple[tuple[int, ...], int], list[str]]] = {}


def _most_used_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _entry(row: dict) -> Entry:
    return Entry(row["id"], row["name"], row["name_local"], row["country"], row["city"])
