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

from .lookup import CONTAINS, Entry, fold, typed_forms

if TYPE_CHECKING:
    from .store import Store

class Directory:
    """The live companies of a store, found by name (Latin, Latvian or Hangul)."""

    def __init__(self, store: Store):
        self.store = store

    def suggest(self, text: str, limit: int = 8) -> list[Entry]:
        """Companies whose name (either script, or romanised) starts with, or contains, the text.

        Exact matches first, then names that start with it, then names with a word
        that starts with it, then names that contain it; by folded name within each.
        """
        forms = typed_forms(text)
        best: dict[str, tuple[int, str]] = {}
        for form in forms:
            for company_id, kind, by_name in self.store.names_starting(form, limit):
                best[company_id] = min(best.get(company_id, (kind, by_name)), (kind, by_name))
        if len(best) < limit:
            for form in forms:
                for company_id, by_name in self.store.names_containing(form):
                    best.setdefault(company_id, (CONTAINS, by_name))
        ranked = sorted(best, key=lambda company_id: (*best[company_id], company_id))
        return self.entries(ranked[:limit])

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
        """Sectors, most used first, for the filter checkboxes."""
        counts = self.store.sector_counts()
        return [s for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0]


def _entry(row: dict) -> Entry:
    return Entry(row["id"], row["name"], row["name_local"], row["country"], row["city"])
