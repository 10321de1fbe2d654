"""Merging duplicate profiles, and undoing a merge.
"""

from __future__ import annotations

import json
from typing import Any

from ..profiles import Profile
from .errors import ConflictError, NotFoundError, StaleEditError
from .records import _JUDGEMENT_COLUMNS, _meta, _profile_from_row, _row_from_content, now


class MergesMixin:
    """The ``merges`` table (part of :class:`~matchmaker.store.Store`)."""

    def merged_into(self, company_id: str) -> str | None:
        """The live id a merged id now stands for (following merges of merges), else None."""
        current, seen = company_id, set()
        while current not in seen:
            seen.add(current)
            row = self.db.execute(
                "SELECT kept_id FROM merges WHERE merged_id = ? AND undone_at IS NULL",
                [current],
            ).fetchone()
            if row is None:
                return None if current == company_id else current
            current = row[0]
        return None  # a cycle cannot be built by merge(); refuse to loop on a damaged table

    def merge(
        self,
        kept: Profile,
        merged_id: str,
        actor: str,
        expected_versions: tuple[int, int] | None = None,
    ) -> int:
        """Merge ``merged_id`` into ``kept`` (its chosen fields), in one transaction.

        The kept profile is saved with the chosen values (audited as "merge"), the
        merged one is soft-deleted and its id redirects to the kept one, and staff
        judgements naming it move to the kept id. Returns the merge id for undo.
        ``expected_versions`` (kept, merged) refuses a merge of stale previews.
        """
        if kept.id == merged_id:
            raise ConflictError("a profile cannot be merged into itself")
        with self._immediate():
            kept_row, merged_row = self._row(kept.id), self._row(merged_id)
            for company_id, row in ((kept.id, kept_row), (merged_id, merged_row)):
                if row is None or row["deleted_at"]:
                    raise NotFoundError(f"no company with id '{company_id}'")
            if expected_versions is not None:
                for row, expected in zip((kept_row, merged_row), expected_versions, strict=True):
                    if row["version"] != expected:
                        raise StaleEditError(row["id"], expected, row["version"])
            before = _profile_from_row(kept_row).content()
            if self._write(kept, actor, action="merge") == "unchanged":
                self._audit(kept.id, actor, "merge", [], None, {"merged": merged_id})
            self._set_deleted_row(merged_id, True, actor, "merge", {"merged_into": kept.id})
            moved = self._move_judgements(merged_id, kept.id)
            version = self._row(kept.id)["version"]
            merge_id = self.db["merges"].insert(
                {
                    "kept_id": kept.id,
                    "merged_id": merged_id,
                    "actor": actor,
                    "at": now(),
                    "kept_before": json.dumps(before, ensure_ascii=False),
                    "kept_version": version,
                    "judgements": json.dumps(moved),
                }
            ).last_pk
            self._bump_revision()
        return int(merge_id)

    def undo_merge(self, merge_id: int, actor: str) -> dict[str, Any]:
        """Put both profiles and the judgements back as they were; audited as "unmerge"."""
        with self._immediate():
            merge = self._merge_row(merge_id)
            if merge["undone_at"]:
                raise ConflictError(f"merge {merge_id} was already undone")
            kept_row = self._row(merge["kept_id"])
            if kept_row["version"] != merge["kept_version"]:
                raise StaleEditError(merge["kept_id"], merge["kept_version"], kept_row["version"])
            before = json.loads(merge["kept_before"])
            self._write(
                _profile_from_row(_row_from_content(before) | _meta(kept_row)), actor, "unmerge"
            )
            self._set_deleted_row(
                merge["merged_id"], False, actor, "unmerge", {"split_from": merge["kept_id"]}
            )
            for judgement_id, column in json.loads(merge["judgements"]):
                self.db.execute(
                    f"UPDATE judgements SET {_JUDGEMENT_COLUMNS[column]} = ? WHERE id = ?",
                    [merge["merged_id"], judgement_id],
                )
            self.db.execute(
                "UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?",
                [now(), actor, merge_id],
            )
            self._bump_revision()
        return self._merge_row(merge_id)

    def merges(self, limit: int = 100) -> list[dict[str, Any]]:
        """Merges, newest first (undone ones included, with who undid them)."""
        return list(self.db.query("SELECT * FROM merges ORDER BY id DESC LIMIT ?", [limit]))

    def _merge_row(self, merge_id: int) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM merges WHERE id = ?", [merge_id]))
        if not rows:
            raise NotFoundError(f"no merge with id {merge_id}")
        return rows[0]

    def _set_deleted_row(
        self, company_id: str, deleted: bool, actor: str, action: str, note: dict[str, Any]
    ) -> None:
        stamp = now()
        self.db.execute(
            "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
            "WHERE id = ?",
            [stamp if deleted else None, stamp, company_id],
        )
        self._audit(company_id, actor, action, [], None, note)

    def _move_judgements(self, old_id: str, new_id: str) -> list[tuple[int, str]]:
        """Point judgements at the kept id; return (judgement id, column) to move back."""
        moved = []
        for column, sql_column in _JUDGEMENT_COLUMNS.items():
            ids = [
                r[0]
                for r in self.db.execute(
                    f"SELECT id FROM judgements WHERE {sql_column} = ?", [old_id]
                )
            ]
            self.db.execute(
                f"UPDATE judgements SET {sql_column} = ? WHERE {sql_column} = ?", [new_id, old_id]
            )
            moved.extend((i, column) for i in ids)
        return moved
