"""The paginated staff list: filters, sorts, the name search, one page at a time.

The count reads indexes only and stops at ``STAFF_COUNT_CAP``; a page either sorts
a few matches or walks the sort's migration-11 index, so a page costs about the
same at 100k profiles as at 100 (docs/benchmarks.md). The SQL is in
:mod:`.staff_queries`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..profiles import Profile
from .records import NAME_FIELDS, _profile_from_row, search_key
from .staff_queries import (
    STAFF_SORT_INDEXES,
    STAFF_SORTS,
    StaffFilter,
    _count_sql,
    _like_escaped,
    _reversed_order,
    _rows_of_sql,
    _staff_matches,
    _staff_where,
    _walk_sql,
)

#: Matches are counted up to this many; beyond it the list says "more than 10,000"
#: (counting every one of 100k matches cost more than the rest of the page).
STAFF_COUNT_CAP = 10_000
#: A text search counts only this many ("more than 1,000"): its matches are found by
#: reading every search key, which for a common word cost more than the page itself.
STAFF_TEXT_COUNT_CAP = 1_000
#: Up to this many matches, their ids are read first and only those rows are sorted;
#: with more, the sort's index is walked until a page is full (a walk would read every
#: row before finding a rare match, a sort of many would read all of them).
STAFF_FEW_MATCHES = 1_000

__all__ = [
    "NAME_FIELDS",
    "STAFF_COUNT_CAP",
    "STAFF_FEW_MATCHES",
    "STAFF_SORTS",
    "STAFF_SORT_INDEXES",
    "STAFF_TEXT_COUNT_CAP",
    "StaffFilter",
    "StaffListMixin",
    "StaffPage",
    "_like_escaped",
    "_staff_where",
    "search_key",
]


@dataclass
class StaffPage:
    """One page of the staff list: its rows (plain dicts, no vectors) and the match count.

    ``capped``: there are more than ``total`` matches (``STAFF_COUNT_CAP``), so
    ``pages`` is a lower bound and the list says "more than".
    """

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class StaffListMixin:
    """The staff list's queries (part of :class:`~matchmaker.store.Store`)."""

    def staff_page(
        self, where: StaffFilter, sort: str = "name", page: int = 1, per_page: int = 50
    ) -> StaffPage:
        """One page of the profiles ``where`` selects, in ``sort`` order, and their count.

        Only the columns the list shows are read, the count reads indexes only and
        stops at ``STAFF_COUNT_CAP``, and the page either sorts a few matches or walks
        the sort's index, so a page costs about the same at 100k profiles as at 100
        (docs/benchmarks.md). A page past the end gives the last page.
        """
        few = self._staff_ids(where, STAFF_FEW_MATCHES + 1)
        cap = STAFF_TEXT_COUNT_CAP if search_key(where.text) else STAFF_COUNT_CAP
        if len(few) <= STAFF_FEW_MATCHES:
            total, capped = len(few), False
        elif cap <= STAFF_FEW_MATCHES:
            total, capped = cap, True  # the ids just read already say "more than"
        else:
            total, capped = self._staff_count(where, cap)
        if len(few) > STAFF_FEW_MATCHES:
            few = None
            if capped and page * per_page > total:  # past the capped count: count them all
                total, capped = self._staff_count(where, None)
        pages = max(1, -(-total // per_page))
        page = max(1, page if capped else min(page, pages))
        offset = (page - 1) * per_page
        if few is not None:
            rows = self._staff_rows_of(few, sort, offset, per_page)
        else:
            rows = self._staff_rows_walked(where, sort, offset, per_page, None if capped else total)
        return StaffPage(rows, total, page, per_page, capped)

    def staff_count(self, where: StaffFilter) -> int:
        """How many profiles ``where`` selects, all counted (the export page says it)."""
        return self._staff_count(where, None)[0]

    def _staff_ids(self, where: StaffFilter, limit: int) -> list[str]:
        sql, params = _staff_matches(where, self.dialect)
        return [row[0] for row in self.db.execute(f"{sql} LIMIT ?", [*params, limit])]

    def _staff_count(self, where: StaffFilter, cap: int | None) -> tuple[int, bool]:
        """The number of matches, or ``cap`` and True when there are more than ``cap``."""
        sql, params = _staff_matches(where, self.dialect)
        if cap is not None or self.dialect == "sqlite":
            params = [*params, -1 if cap is None else cap + 1]
        count = self.db.execute(_count_sql(sql, cap is not None, self.dialect), params)
        count = count.fetchone()[0]
        return (cap, True) if cap is not None and count > cap else (count, False)

    def _staff_rows_of(
        self, ids: list[str], sort: str, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """One page of the given profiles: each read by id, then sorted (few of them)."""
        sql = _rows_of_sql(sort, self.dialect)
        return list(self.db.query(sql, [json.dumps(ids), limit, offset]))

    def _staff_rows_walked(
        self, where: StaffFilter, sort: str, offset: int, limit: int, total: int | None
    ) -> list[dict[str, Any]]:
        """One page read along the sort's index, skipping ``offset`` matches.

        With a known ``total``, a page in the back half is read from the other end
        of the index (the last page of 100k skips 50 rows, not 99,950).
        """
        clause, params = _staff_where(where, self.dialect)
        order, reverse = STAFF_SORTS[sort], False
        if total is not None and offset > total // 2:
            order, reverse = _reversed_order(order), True
            limit = max(0, min(limit, total - offset))
            offset = max(0, total - offset - limit)
        sql = _walk_sql(clause, sort, order, self.dialect)
        rows = list(self.db.query(sql, [*params, limit, offset]))
        return rows[::-1] if reverse else rows

    def staff_profiles(self, where: StaffFilter, sort: str = "name") -> list[Profile]:
        """Every profile ``where`` selects, whole, in ``sort`` order (for exports)."""
        clause, params = _staff_where(where, self.dialect)
        sql = f"SELECT * FROM companies WHERE {clause} ORDER BY {STAFF_SORTS[sort]}"
        return [_profile_from_row(r) for r in self.db.query(sql, params)]

    def sectors_in_use(self) -> list[str]:
        """Every sector some live profile names, for the staff list's sector filter.

        (A subquery: PostgreSQL sorts a DISTINCT only by what it selects.)
        """
        sql = (
            "SELECT value FROM (SELECT DISTINCT value FROM company_tags "
            "WHERE field = 'sectors' AND live = 1) AS s ORDER BY value COLLATE NOCASE"
        )
        return [row[0] for row in self.db.execute(sql)]
