"""Staff judgements of matches: grades, the newest of which counts.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownCompany
from ..judgements import Judgement, JudgementInputError
from .records import now


class JudgementsMixin:
    """The ``judgements`` table (part of :class:`~matchmaker.store.Store`)."""

    def add_judgement(self, judgement: Judgement, actor: str) -> dict[str, Any]:
        """Record a staff grade and return it; the newest grade of a (query, candidate) counts."""
        with self._immediate():
            candidate = self._row(judgement.candidate_id)
            if candidate is None or candidate["deleted_at"]:
                raise UnknownCompany(judgement.candidate_id)
            if candidate["country"] != judgement.target_country:
                raise JudgementInputError(
                    f"{candidate['name']} is not in {judgement.target_country}"
                )
            if judgement.query_company:
                query = self._row(judgement.query_company)
                if query is None or query["deleted_at"]:
                    raise UnknownCompany(judgement.query_company)
            row = {
                "query_company": judgement.query_company,
                "query_text": judgement.query_text,
                "target_country": judgement.target_country,
                "candidate_id": judgement.candidate_id,
                "grade": judgement.grade,
                "actor": actor,
                "created_at": now(),
            }
            row["id"] = self.db["judgements"].insert(row).last_pk
        return row

    def current_judgements(
        self,
        query_company: str | None = None,
        query_text: str | None = None,
        target_country: str | None = None,
    ) -> list[dict[str, Any]]:
        """The newest grade of every (query, candidate) pair, optionally of one query only.

        Grades that involve a deleted company are left out: it can be neither
        searched for nor suggested (they come back if it is restored).
        """
        one_query, params = "", []
        if query_company is not None or query_text is not None:
            # inside the grouping, so a results page reads one query's rows by index
            one_query = " WHERE query_company IS ? AND query_text IS ? AND target_country = ?"
            params = [query_company, query_text, target_country]
        sql = (
            f"SELECT * FROM judgements WHERE id IN (SELECT MAX(id) FROM judgements{one_query} "
            "GROUP BY query_company, query_text, target_country, candidate_id) "
            "AND candidate_id IN (SELECT id FROM companies WHERE deleted_at IS NULL) "
            "AND (query_company IS NULL "
            "OR query_company IN (SELECT id FROM companies WHERE deleted_at IS NULL))"
        )
        return list(self.db.query(sql + " ORDER BY id", params))
