"""The audit trail: who changed what and when, and reverting a past change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ..profiles import INPUT_FIELDS, Profile
from .errors import NotFoundError, StaleEditError, StoreError
from .records import _decoded_entry, _profile_from_row, now

#: Audit actions whose field changes can be reverted (they carry before and after values).
REVERTIBLE_ACTIONS = ("edit", "import", "verify", "unverify", "revert")


class AuditMixin:
    """The ``audit`` table (part of :class:`~matchmaker.store.Store`)."""

    def audit_entry(self, company_id: str, entry_id: int) -> dict[str, Any]:
        """One audit entry of one company (decoded like :meth:`history`)."""
        rows = list(
            self.db.query(
                "SELECT * FROM audit WHERE id = ? AND company_id = ?", [entry_id, company_id]
            )
        )
        if not rows:
            raise NotFoundError(f"no change #{entry_id} in the history of '{company_id}'")
        return _decoded_entry(rows[0])

    def revert(
        self,
        company_id: str,
        entry_id: int,
        actor: str,
        expected_version: int,
        fields: Iterable[str] | None = None,
        validate: Callable[[dict[str, Any]], Profile] | None = None,
    ) -> tuple[Profile, list[str]]:
        """Put back the values a past change replaced, as a new audited "revert" change.

        ``fields`` picks some of the entry's fields (default: all of them, the whole
        edit). The result is validated like any edit (``validate``, e.g.
        :func:`profiles.validate_profile`) and saved under ``BEGIN IMMEDIATE`` only if
        the profile is still at ``expected_version``. Returns the profile and the
        fields that changed (empty if they already held the old values).
        """
        with self._immediate():
            row = self._row(company_id)
            if row is None:
                raise NotFoundError(f"no company with id '{company_id}'")
            if row["version"] != expected_version:
                raise StaleEditError(company_id, expected_version, row["version"])
            entry = self.audit_entry(company_id, entry_id)
            if entry["action"] not in REVERTIBLE_ACTIONS or not entry["before"]:
                raise StoreError(
                    f"change #{entry_id} ({entry['action']}) has no values to put back"
                )
            wanted = list(entry["changed"]) if fields is None else list(fields)
            unknown = [name for name in wanted if name not in entry["before"]]
            if unknown or not wanted:
                raise StoreError(
                    f"change #{entry_id} did not change {', '.join(unknown) or 'any field'}"
                )
            content = _profile_from_row(row).content() | {
                name: entry["before"][name] for name in wanted
            }
            profile = validate(content) if validate else Profile(**content)
            before = _profile_from_row(row).content()
            changed = [name for name in INPUT_FIELDS if before[name] != profile.content()[name]]
            if changed:
                self._write(profile, actor, action="revert", reverts=entry_id)
                self._bump_revision()
        return self.get(company_id, include_deleted=True), changed

    def _audit(
        self,
        company_id: str,
        actor: str,
        action: str,
        changed: list[str],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reverts: int | None = None,
    ) -> None:
        extra = {} if reverts is None else {"reverts": reverts}
        self.db["audit"].insert(
            extra
            | {
                "company_id": company_id,
                "actor": actor,
                "action": action,
                "at": now(),
                "changed": json.dumps(changed),
                "before": None if before is None else json.dumps(before, ensure_ascii=False),
                "after": None if after is None else json.dumps(after, ensure_ascii=False),
            }
        )

    def history(self, company_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Audit entries, newest first: who did what, when, with before and after values."""
        sql, params = "SELECT * FROM audit", []
        if company_id is not None:
            sql += " WHERE company_id = ?"
            params.append(company_id)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_decoded_entry(row) for row in self.db.query(sql, params)]
