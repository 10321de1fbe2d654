"""The SQL of the staff list: its filters, sorts and the statements that read a page.

Spelled for SQLite and turned into PostgreSQL's by :func:`.postgres.translate`; where
that cannot be done (``INDEXED BY``, ``LIMIT -1``, unary ``+``, ``json_each(?)`` as a
joined table) each builder takes the store's ``dialect`` and spells both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .records import search_key

#: Orders of the staff list: key -> ORDER BY clause (each backed by a migration-11 index).
STAFF_SORTS: dict[str, str] = {
    "name": "name COLLATE NOCASE ASC, id ASC",
    "-name": "name COLLATE NOCASE DESC, id DESC",
    "country": "country ASC, name COLLATE NOCASE ASC, id ASC",
    "-country": "country DESC, name COLLATE NOCASE DESC, id DESC",
    "updated": "updated_at ASC, id ASC",
    "-updated": "updated_at DESC, id DESC",
}
#: The index each sort walks: a page reads its rows in order and stops when it is full.
STAFF_SORT_INDEXES: dict[str, str] = {
    "name": "companies_staff_name",
    "-name": "companies_staff_name",
    "country": "companies_staff_country",
    "-country": "companies_staff_country",
    "updated": "companies_staff_updated",
    "-updated": "companies_staff_updated",
}

#: What a row of the staff list shows (``incomplete``: neither offers nor seeks).
_STAFF_COLUMNS = (
    "companies.id, name, name_local, country, city, verified, version, updated_at, "
    "deleted_at, trim(offers) = '' AND trim(seeks) = '' AS incomplete"
)


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


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '\\'."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _staff_where(where: StaffFilter, dialect: str = "sqlite") -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a staff list filter, over ``companies``.

    Every column it tests is in each sort index (migration 11), so a count or a page
    reads no row it does not show; sectors and roles are looked up in ``company_tags``.
    On PostgreSQL the text search is served by the ``search_key`` trigram index.
    """
    parts = ["deleted_at IS NOT NULL" if where.deleted else "deleted_at IS NULL"]
    params: list[Any] = []
    key = search_key(where.text)
    if key:  # the folded text anywhere in the id, names or city
        parts.append("search_key LIKE ? ESCAPE '\\'")
        params.append("%" + _like_escaped(key) + "%")
    status, status_params = [], []  # tested on the tag rows when there are any (no row read)
    if where.country:
        status.append("country = ?")
        status_params.append(where.country)
    if where.verified is not None:
        status.append("verified = ?")
        status_params.append(int(where.verified))
    for column, value in (("sectors", where.sector), ("roles", where.role)):
        if value:
            tests = "".join(f" AND company_tags.{test}" for test in status)
            parts.append(
                "EXISTS (SELECT 1 FROM company_tags WHERE field = ? AND value = ? "
                f"AND company_id = companies.id{tests})"
            )
            params += [column, value, *status_params]
            status, status_params = [], []
    parts += status
    params += status_params
    if where.changed_since:
        # unary + keeps SQLite's planner on the sort's index: a range over updated_at
        # followed by a sort of every match was 10x slower than filtering in order
        # (PostgreSQL has no unary + on text, and plans this itself)
        parts.append("+updated_at >= ?" if dialect == "sqlite" else "updated_at >= ?")
        params.append(where.changed_since)
    if where.only_ids is not None:
        parts.append("id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(where.only_ids)))
    return " AND ".join(parts), params


def _indexed_by(index: str, dialect: str) -> str:
    """SQLite's ``INDEXED BY`` hint (PostgreSQL has none: its planner picks the index)."""
    return f" INDEXED BY {index}" if dialect == "sqlite" else ""


def _staff_matches(where: StaffFilter, dialect: str = "sqlite") -> tuple[str, list[Any]]:
    """A SELECT of the ids ``where`` selects that reads an index and never a row.

    One sector or role, with nothing else but country, verified and deleted, is
    answered by ``company_tags_count`` alone; any other filter by a scan of a sort
    index that holds every column a filter tests (about 100 bytes an entry, against
    ~1 KB rows): the one that starts with the country when there is one.
    """
    wanted = (("sectors", where.sector), ("roles", where.role))
    tags = [(column, value) for column, value in wanted if value]
    plain = not (search_key(where.text) or where.changed_since or where.only_ids is not None)
    if len(tags) == 1 and plain:
        sql = "SELECT company_id FROM company_tags WHERE field = ? AND value = ? AND live = ?"
        params: list[Any] = [*tags[0], int(not where.deleted)]
        if where.verified is not None:
            sql += " AND verified = ?"
            params.append(int(where.verified))
        if where.country:
            sql += " AND country = ?"
            params.append(where.country)
        return sql, params
    clause, params = _staff_where(where, dialect)
    index = "companies_staff_country" if where.country else "companies_staff_updated"
    return f"SELECT id FROM companies{_indexed_by(index, dialect)} WHERE {clause}", params


def _count_sql(matches: str, capped: bool, dialect: str) -> str:
    """Count the rows of ``matches``, up to a LIMIT parameter when ``capped``.

    SQLite's "no limit" is ``LIMIT -1``; PostgreSQL has none, so there it is left out.
    """
    if capped or dialect == "sqlite":
        return f"SELECT COUNT(*) FROM ({matches} LIMIT ?) AS matches"
    return f"SELECT COUNT(*) FROM ({matches}) AS matches"


def _rows_of_sql(sort: str, dialect: str) -> str:
    """One sorted page of the profiles whose ids are given as one JSON list parameter."""
    if dialect == "sqlite":
        wanted = "(SELECT value AS wanted FROM json_each(?)) CROSS JOIN companies"
    else:
        wanted = "json_array_elements_text(?::json) AS w(wanted) JOIN companies"
    return (
        f"SELECT {_STAFF_COLUMNS} FROM {wanted} ON companies.id = wanted "
        f"ORDER BY {STAFF_SORTS[sort]} LIMIT ? OFFSET ?"
    )


def _walk_sql(clause: str, sort: str, order: str, dialect: str) -> str:
    """One page of ``clause``'s matches read along ``sort``'s index in ``order``."""
    index = _indexed_by(STAFF_SORT_INDEXES[sort], dialect)
    return (
        f"SELECT {_STAFF_COLUMNS} FROM companies{index} "
        f"WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"
    )


def _reversed_order(order: str) -> str:
    """An ORDER BY clause read backwards (ASC and DESC swapped), for the back half of a list."""
    return re.sub(r"\b(ASC|DESC)\b", lambda m: "DESC" if m[1] == "ASC" else "ASC", order)
