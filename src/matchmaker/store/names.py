"""The type-ahead's name keys: one row per spelling a company can be found by.

``name_keys`` holds, for each company, the keys of :func:`matchmaker.lookup.name_keys`
(its id and names folded, Hangul romanised, and the tails of those from a later word),
and whether it is live. A typed prefix is then one range of the primary key (kind
first: whole keys, then word tails; migration 18), walked in key order until enough
companies are found, on SQLite and PostgreSQL alike, instead of a pass over every
company in Python (at a million companies the in-memory
directory took 127 s and 2.7 GB to build in every process; docs/benchmarks.md,
"Finding a company by name").

The rows are written with the profile (``_write`` calls :meth:`_write_name_keys`
when a name changes); a trigger keeps ``live`` in step with ``deleted_at`` whatever
deletes, restores or merges. Migration 17 fills them for stored profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .. import names
from ..lookup import EXACT, STARTS, WORD_STARTS, name_keys, prefix_end, typed_forms, word_tails
from .staff_queries import _like_escaped

#: Ids per ``IN (...)`` list (SQLite allows 32,766 parameters; PostgreSQL 65,535).
IDS_PER_QUERY = 500
#: Key rows read per step while collecting the first companies of a look-up (a company
#: can match by several keys: its name, its id, its romanised name).
ROWS_PER_STEP = 64
#: Up to this many companies, SQLite answers "contains" by reading every key (0.4 s at
#: 100,000 companies on an idle core; 4-8 s at a million). Above it only PostgreSQL,
#: whose trigram index serves it, shows contains matches (docs/benchmarks.md).
CONTAINS_SCAN_MAX_COMPANIES = 20_000
#: Keys read on each side of a misspelt name or word, among those sharing its first letters.
NEAR_KEYS = 100
#: Letters a misspelt name must share with a company's key to be compared at all.
NEAR_SHARED = 2
#: Of a misspelt text, only this much and this many later words are looked near (a
#: company name is shorter; an id in a URL can be kilobytes: two queries a word).
NEAR_TEXT_LENGTH = 200
NEAR_WORDS = 6

_INSERT = "INSERT INTO name_keys (key, company_id, whole, live) VALUES (?, ?, ?, ?)"


def name_rows(
    company_id: str, name: str, name_local: str | None, live: bool
) -> list[tuple[str, str, int, int]]:
    """The ``name_keys`` rows of one company."""
    keys = name_keys(company_id, name, name_local)
    whole = [(k, company_id, 1, int(live)) for k in keys.whole]
    return whole + [(k, company_id, 0, int(live)) for k in keys.words]


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

    def names_matching(self, kind: int, form: str, limit: int) -> list[tuple[str, str]]:
        """(key, id) of the first ``limit`` live companies that match ``form`` as ``kind``.

        In key order, each company once at its first matching key: EXACT, a whole key
        equal to ``form``; STARTS, a whole key starting with it; WORD_STARTS, a later
        word's tail starting with it; CONTAINS, a whole key containing it. The first
        three are ranges of the primary key (whole, key, company_id), each within its
        own kind's rows, and a walk of it in order stops as soon as ``limit``
        companies are found, however many match.
        """
        if kind == EXACT:  # one row per company: no walk in steps
            sql = (
                "SELECT key, company_id FROM name_keys WHERE whole = 1 AND key = ? AND live = 1 "
                "ORDER BY company_id LIMIT ?"
            )
            return [(key, company_id) for key, company_id in self.db.execute(sql, [form, limit])]
        if kind in (STARTS, WORD_STARTS):
            where = "whole = ? AND key < ?"
            return self._first_companies(
                where, [int(kind == STARTS), prefix_end(form)], form, limit
            )
        pattern = f"%{_like_escaped(form)}%"
        if self.dialect == "postgresql":
            return self._first_containing(pattern, limit)
        return self._first_companies("whole = 1 AND key LIKE ? ESCAPE '\\'", [pattern], "", limit)

    def _first_containing(self, pattern: str, limit: int) -> list[tuple[str, str]]:
        """PostgreSQL's "contains": every company's smallest matching key, in one query.

        The trigram index finds the matching rows, however few or many; one query
        groups and orders them. Walked in key order like the other kinds, a text common
        inside names (in a few thousand keys at 100,000 companies) was a walk of the
        primary key past every key before the matching ones (125-300 ms), which
        PostgreSQL's estimates chose over the index (15-45 ms); and each further step
        of the walk would have repeated the bitmap scan and sort of every match.
        """
        sql = (
            "SELECT MIN(key), company_id FROM name_keys "
            "WHERE whole = 1 AND live = 1 AND key LIKE ? ESCAPE '\\' "
            "GROUP BY company_id ORDER BY MIN(key), company_id LIMIT ?"
        )
        return [(key, company_id) for key, company_id in self.db.execute(sql, [pattern, limit])]

    def _first_companies(
        self, where: str, params: list[Any], start: str, limit: int
    ) -> list[tuple[str, str]]:
        """The first ``limit`` companies of the key rows ``where`` selects from key ``start`` on.

        Read ROWS_PER_STEP rows at a time in (key, company_id) order. The walk's lower
        bound is one row value: (start, '') at first, then the last row read, so each
        step starts in the index where the last one stopped. (With ``key >= start`` kept
        beside it, SQLite bounded every step by that and tested the row value row by
        row: each step re-read all the steps before it, 290 ms for 200 steps at a
        million, 18 ms with the row value alone.)
        """
        found: dict[str, str] = {}
        after, beyond = [start, ""], ">="
        while len(found) < limit:
            sql = (
                f"SELECT key, company_id FROM name_keys WHERE {where} AND live = 1 "
                f"AND (key, company_id) {beyond} (?, ?) ORDER BY key, company_id LIMIT ?"
            )
            rows = self.db.execute(sql, [*params, *after, ROWS_PER_STEP]).fetchall()
            for key, company_id in rows:
                found.setdefault(company_id, key)
            if len(rows) < ROWS_PER_STEP:
                break
            after, beyond = list(rows[-1]), ">"
        return [(key, company_id) for company_id, key in list(found.items())[:limit]]

    def contains_search_affordable(self) -> bool:
        """Whether a "contains" look-up is cheap here: always on PostgreSQL (trigram index),
        on SQLite up to CONTAINS_SCAN_MAX_COMPANIES (an index walk of at most that many)."""
        if self.dialect == "postgresql":
            return True
        sql = "SELECT 1 FROM companies LIMIT 1 OFFSET ?"
        return self.db.execute(sql, [CONTAINS_SCAN_MAX_COMPANIES]).fetchone() is None

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
        Whole keys and word tails are two ranges of the primary key, read apart and
        merged in (key, company_id) order.
        """
        head = form[:shared]
        near = (
            "SELECT key, company_id FROM name_keys WHERE whole = ? AND key >= ? AND key < ? "
            "AND live = 1 ORDER BY key {order}, company_id {order} LIMIT ?"
        )
        after: list[tuple[str, str]] = []
        before: list[tuple[str, str]] = []
        for whole in (1, 0):
            params = [whole, form, prefix_end(head), limit]
            after += self.db.execute(near.format(order="ASC"), params).fetchall()
            params = [whole, head, form, limit]
            before += self.db.execute(near.format(order="DESC"), params).fetchall()
        rows = sorted(after)[:limit] + sorted(before, reverse=True)[:limit]
        return list(dict.fromkeys(company_id for _, company_id in rows))

    def similar_names(self, text: str, limit: int = 3) -> list[str]:
        """Ids of live companies with a name close to a misspelt one ('Grindex' -> grindeks).

        Only companies with a key near the text, or near one of its later words, in
        key order are compared (:meth:`names_near`): a typo early in a later word
        ("Synthetic iMrae Labs") is still found by the word after it. Comparing every
        name took seconds at a million, on every unknown id.
        """
        text = text[:NEAR_TEXT_LENGTH]
        forms = dict.fromkeys([*typed_forms(text), *typed_forms(text.replace("-", " "))])
        probes = dict.fromkeys(
            p for form in forms for p in (form, *word_tails(form)[:NEAR_WORDS])
        )
        near = [
            company_id
            for probe in probes
            for company_id in self.names_near(probe, NEAR_SHARED, NEAR_KEYS)
        ]
        rows = self.directory_rows(near).values()
        return names.suggest(text, [(r["id"], r["name"], r["name_local"]) for r in rows], limit)

    def directory_rows(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> (id, name, name_local, country, city) of those ids that are live companies.

        Read by primary key, the deleted ones dropped here: with ``deleted_at IS NULL``
        in the SQL, SQLite walked a ``deleted_at`` index over every live row instead
        (50 ms per type-ahead at 100,000 companies).
        """
        found: dict[str, dict[str, Any]] = {}
        for chunk in id_chunks(list(dict.fromkeys(ids))):
            sql = (
                "SELECT id, name, name_local, country, city, deleted_at FROM companies "
                f"WHERE id IN ({', '.join('?' * len(chunk))})"
            )
            found.update(
                (row["id"], row) for row in self.db.query(sql, chunk) if not row["deleted_at"]
            )
        return found

    def sector_counts(self) -> dict[str, int]:
        """How many live profiles name each sector (``company_tags``, an index alone)."""
        sql = (
            "SELECT value, COUNT(*) FROM company_tags WHERE field = 'sectors' AND live = 1 "
            "GROUP BY value"
        )
        return {value: count for value, count in self.db.execute(sql).fetchall()}


def id_chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    """``ids`` in lists short enough for one ``IN (...)`` each (:data:`IDS_PER_QUERY`)."""
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]
