"""The type-ahead's name keys: one row per spelling a company can be found by.

``name_keys`` holds, for each company, the keys of :func:`matchmaker.lookup.name_keys`
(its id and names folded, Hangul romanised, and the tails of those from a later word),
with the company's folded name to sort by and whether it is live. A typed prefix is
then one range of the primary key, on SQLite and PostgreSQL alike, instead of a pass
over every company in Python (at a million companies the in-memory directory took
127 s and 2.7 GB to build in every process; docs/benchmarks.md, "Finding a company
by name").

The rows are written with the profile (``_write`` calls :meth:`_write_name_keys`
when a name changes); a trigger keeps ``live`` in step with ``deleted_at`` whatever
deletes, restores or merges. Migration 17 fills them for stored profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .. import names
from ..lookup import EXACT, STARTS, WORD_STARTS, name_keys, prefix_end, typed_forms
from .staff_queries import _like_escaped

#: Ids per ``IN (...)`` list (SQLite allows 32,766 parameters; PostgreSQL 65,535).
IDS_PER_QUERY = 500
#: Keys a "contains" look-up reads at most: a contains match is the last kind the
#: type-ahead shows, and on SQLite it is a scan, stopped once this many are found.
CONTAINS_SCAN = 500
#: Keys read on each side of a misspelt name, among those sharing its first letters.
NEAR_KEYS = 200
#: Letters a misspelt name must share with a company's key to be compared at all.
NEAR_SHARED = 2

_INSERT = (
    "INSERT INTO name_keys (key, company_id, whole, live, sort) VALUES (?, ?, ?, ?, ?)"
)


def name_rows(
    company_id: str, name: str, name_local: str | None, live: bool
) -> list[tuple[str, str, int, int, str]]:
    """The ``name_keys`` rows of one company."""
    keys = name_keys(company_id, name, name_local)
    whole = [(k, company_id, 1, int(live), keys.sort) for k in keys.whole]
    return whole + [(k, company_id, 0, int(live), keys.sort) for k in keys.words]


class NamesMixin:
    """Looking companies up by name (part of :class:`~matchmaker.store.Store`)."""

    def _write_name_keys(self, company_id: str, name: str, name_local: str | None) -> None:
        """Replace a company's name rows, inside the caller's transaction (it is live)."""
        self.db.execute("DELETE FROM name_keys WHERE company_id = ?", [company_id])
        self.db.conn.executemany(_INSERT, name_rows(company_id, name, name_local, True))

    def _fill_name_keys(self) -> None:
        """Migration 17's step: the name rows of every stored profile, deleted ones included."""
        rows = self.db.execute(
            "SELECT id, name, name_local, deleted_at IS NULL FROM companies"
        ).fetchall()
        for start in range(0, len(rows), 10_000):
            batch = [r for row in rows[start : start + 10_000] for r in name_rows(*row)]
            self.db.conn.executemany(_INSERT, batch)

    def names_starting(self, form: str, limit: int) -> list[tuple[str, int, str]]:
        """(id, kind, sort) of the first ``limit`` live companies with a key starting ``form``.

        ``kind`` is EXACT, STARTS or WORD_STARTS (the best of the company's keys);
        the order is the type-ahead's: kind, then folded name, then id.
        """
        sql = (
            "SELECT company_id, MIN(CASE WHEN whole = 1 AND key = ? THEN ? "
            "WHEN whole = 1 THEN ? ELSE ? END) AS kind, MIN(sort) AS by_name "
            "FROM name_keys WHERE key >= ? AND key < ? AND live = 1 "
            "GROUP BY company_id ORDER BY kind, by_name, company_id LIMIT ?"
        )
        params = [form, EXACT, STARTS, WORD_STARTS, form, prefix_end(form), limit]
        return [tuple(row) for row in self.db.execute(sql, params).fetchall()]

    def names_containing(self, form: str) -> list[tuple[str, str]]:
        """(id, sort) of live companies with a whole key containing ``form``, up to CONTAINS_SCAN.

        On PostgreSQL a trigram index serves it; on SQLite it reads the keys until
        CONTAINS_SCAN are found (or all of them, for a rare text).
        """
        sql = (
            "SELECT company_id, sort FROM name_keys "
            "WHERE whole = 1 AND live = 1 AND key LIKE ? ESCAPE '\\' LIMIT ?"
        )
        pattern = "%" + _like_escaped(form) + "%"
        return [tuple(row) for row in self.db.execute(sql, [pattern, CONTAINS_SCAN]).fetchall()]

    def names_equal(self, key: str) -> list[str]:
        """Ids of the live companies one of whose whole keys is ``key``, in id order."""
        sql = (
            "SELECT DISTINCT company_id FROM name_keys "
            "WHERE key = ? AND whole = 1 AND live = 1 ORDER BY company_id"
        )
        return [row[0] for row in self.db.execute(sql, [key]).fetchall()]

    def names_near(self, form: str, shared: int, limit: int) -> list[str]:
        """Ids of live companies with keys next to ``form`` in key order (for "did you mean").

        Up to ``limit`` keys on each side of where ``form`` would be, among those that
        share its first ``shared`` characters: a typo late in a name keeps it near.
        """
        head = form[:shared]
        after = (
            "SELECT company_id FROM name_keys WHERE key >= ? AND key < ? AND live = 1 "
            "ORDER BY key LIMIT ?"
        )
        before = (
            "SELECT company_id FROM name_keys WHERE key >= ? AND key < ? AND live = 1 "
            "ORDER BY key DESC LIMIT ?"
        )
        ids = [r[0] for r in self.db.execute(after, [form, prefix_end(head), limit]).fetchall()]
        ids += [r[0] for r in self.db.execute(before, [head, form, limit]).fetchall()]
        return list(dict.fromkeys(ids))

    def similar_names(self, text: str, limit: int = 3) -> list[str]:
        """Ids of live companies with a name close to a misspelt one ('Grindex' -> grindeks).

        Only companies with a key near the text in key order are compared
        (:meth:`names_near`); comparing every name took seconds at a million, on
        every unknown id.
        """
        forms = dict.fromkeys([*typed_forms(text), *typed_forms(text.replace("-", " "))])
        near = [
            company_id
            for form in forms
            for company_id in self.names_near(form, NEAR_SHARED, NEAR_KEYS)
        ]
        rows = self.directory_rows(near).values()
        return names.suggest(text, [(r["id"], r["name"], r["name_local"]) for r in rows], limit)

    def directory_rows(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> (id, name, name_local, country, city) of those ids that are live companies."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            sql = (
                "SELECT id, name, name_local, country, city FROM companies "
                f"WHERE deleted_at IS NULL AND id IN ({', '.join('?' * len(chunk))})"
            )
            found.update((row["id"], row) for row in self.db.query(sql, chunk))
        return found

    def sector_counts(self) -> dict[str, int]:
        """How many live profiles name each sector (``company_tags``, an index alone)."""
        sql = (
            "SELECT value, COUNT(*) FROM company_tags WHERE field = 'sectors' AND live = 1 "
            "GROUP BY value"
        )
        return {value: count for value, count in self.db.execute(sql).fetchall()}


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]
