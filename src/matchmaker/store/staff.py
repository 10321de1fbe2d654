"""The paginated staff list: filters, sorts, the name search, one page at a time.

Each sort walks a migration-10 index and the text search uses the
``company_names`` trigram index, so a page costs about the same at 100k
profiles as at 100 (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..profiles import Profile
from .records import _profile_from_row

#: Orders of the staff list: key -> ORDER BY clause (each backed by a migration-10 index).
STAFF_SORTS: dict[str, str] = {
    "name": "name COLLATE NOCASE ASC, id ASC",
    "-name": "name COLLATE NOCASE DESC, id DESC",
    "country": "country ASC, name COLLATE NOCASE ASC, id ASC",
    "-country": "country DESC, name COLLATE NOCASE DESC, id DESC",
    "updated": "updated_at ASC, id ASC",
    "-updated": "updated_at DESC, id DESC",
}


@dataclass(frozen=True)
class StaffFilter:
    """Which profiles the staff list shows; every part is optional.

    ``text`` matches the id, name, local name and city (case-insensitively for Latin
    letters); ``only_ids`` restricts to a given set (the hook for "has duplicates").
    """

    text: str = ""
    country: str | None = None
    sector: str | None = None
    role: str | None = None
    verified: bool | None = None
    changed_since: str | None = None
    deleted: bool = False
    only_ids: frozenset[str] | None = None


@dataclass
class StaffPage:
    """One page of the staff list: its rows (plain dicts, no vectors) and the total count."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


#: The fields the staff list's text search looks in.
NAME_FIELDS = ("id", "name", "name_local", "city")


def name_rowid(company_id: str) -> int:
    """The rowid of a company's row in ``company_names``: a 63-bit hash of its id.

    FTS5 indexes no column but its text, so replacing a company's row by id would
    scan the table (quadratic over an import); by rowid it is one lookup. A hash
    rather than the companies table's rowid, which VACUUM may renumber. Two ids
    share a hash with odds of about 1 in 10^9 at 100k profiles.
    """
    digest = hashlib.blake2b(company_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def search_key(*texts: str | None) -> str:
    """Texts folded for search: accents and case removed, Hangul as jamo, spaces collapsed.

    The same folding as the type-ahead (``web.lookup.fold``), so "riga" finds "Rīga"
    and a half-typed Hangul syllable finds the name it starts.
    """
    decomposed = unicodedata.normalize("NFKD", " ".join(t for t in texts if t))
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(kept.casefold().split())


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '\\'."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _staff_where(where: StaffFilter, dialect: str = "sqlite") -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a staff list filter."""
    parts = ["deleted_at IS NOT NULL" if where.deleted else "deleted_at IS NULL"]
    params: list[Any] = []
    key = search_key(where.text)
    if len(key) >= 3 and dialect == "sqlite":  # FTS5 trigrams find a quoted phrase
        parts.append("id IN (SELECT id FROM company_names WHERE company_names MATCH ?)")
        params.append('folded : "' + key.replace('"', '""') + '"')
    elif key:  # 1-2 characters scan the index; on PostgreSQL pg_trgm serves LIKE
        parts.append("id IN (SELECT id FROM company_names WHERE folded LIKE ? ESCAPE '\\')")
        params.append("%" + _like_escaped(key) + "%")
    if where.country:
        parts.append("country = ?")
        params.append(where.country)
    # A list element is found as its JSON text, quotes included, in the stored list:
    # no JSON parsing per row (json_each took seconds at 100k profiles).
    for column, value in (("sectors", where.sector), ("roles", where.role)):
        if value:
            parts.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append("%" + _like_escaped(json.dumps(value, ensure_ascii=False)) + "%")
    if where.verified is not None:
        parts.append("verified = ?")
        params.append(int(where.verified))
    if where.changed_since:
        # unary + keeps the planner on the sort's index: a range over updated_at
        # followed by a sort of every match was 10x slower than filtering in order
        parts.append("+updated_at >= ?")
        params.append(where.changed_since)
    if where.only_ids is not None:
        parts.append("id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(where.only_ids)))
    return " AND ".join(parts), params


class StaffListMixin:
    """The staff list's queries (part of :class:`~matchmaker.store.Store`)."""

    def staff_page(
        self, where: StaffFilter, sort: str = "name", page: int = 1, per_page: int = 50
    ) -> StaffPage:
        """One page of the profiles ``where`` selects, in ``sort`` order, and their count.

        Only the columns the list shows are read, and each sort walks an index, so
        a page costs about the same at 100k profiles as at 100 (docs/benchmarks.md).
        A page past the end gives the last page.
        """
        clause, params = _staff_where(where, self.dialect)
        total = self.db.execute(f"SELECT COUNT(*) FROM companies WHERE {clause}", params)
        total = total.fetchone()[0]
        page = max(1, min(page, max(1, -(-total // per_page))))
        rows = self.db.query(
            "SELECT id, name, name_local, country, city, verified, version, updated_at, "
            "deleted_at, trim(offers) = '' AND trim(seeks) = '' AS incomplete FROM companies "
            f"WHERE {clause} ORDER BY {STAFF_SORTS[sort]} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        )
        return StaffPage(list(rows), total, page, per_page)

    def staff_profiles(self, where: StaffFilter, sort: str = "name") -> list[Profile]:
        """Every profile ``where`` selects, whole, in ``sort`` order (for exports)."""
        clause, params = _staff_where(where, self.dialect)
        sql = f"SELECT * FROM companies WHERE {clause} ORDER BY {STAFF_SORTS[sort]}"
        return [_profile_from_row(r) for r in self.db.query(sql, params)]

    def sectors_in_use(self) -> list[str]:
        """Every sector some live profile names, for the staff list's sector filter."""
        sql = (
            "SELECT value FROM (SELECT DISTINCT j.value AS value FROM companies c, "
            "json_each(c.sectors) j WHERE c.deleted_at IS NULL) AS s ORDER BY value COLLATE NOCASE"
        )
        return [row[0] for row in self.db.execute(sql)]
