"""Company profiles: read, create, edit, import, delete, verify, each write audited."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..errors import UnknownCompany
from ..profiles import INPUT_FIELDS, VOCABULARY_FIELDS, Profile
from ..text_languages import field_languages
from .errors import (
    ConflictError,
    ImportConflict,
    ImportConflictError,
    MergedError,
    NotFoundError,
    StaleEditError,
)
from .names import id_chunks
from .records import UpsertSummary, _profile_from_row, _row_from_content, now, search_key
from .staff_queries import _like_escaped


class CompaniesMixin:
    """The ``companies`` table (part of :class:`~matchmaker.store.Store`)."""

    def get(self, company_id: str, include_deleted: bool = False) -> Profile:
        """The profile; a merged id raises MergedError, an unknown one suggests near names."""
        row = self._row(company_id)
        if row is None or (row["deleted_at"] and not include_deleted):
            kept = self.merged_into(company_id)
            if kept:
                raise MergedError(company_id, kept)
            raise self.not_found(company_id)
        return _profile_from_row(row)

    def not_found(self, text: str) -> UnknownCompany:
        """'no company with id ...', with "did you mean" live companies of a similar name."""
        ids = self.similar_names(text)
        rows = self.directory_rows(ids)
        suggestions = [(i, rows[i]["name"]) for i in ids]
        message = f"no company with id '{text}'"
        if suggestions:
            message += "; did you mean " + " or ".join(f"{n} ({i})" for i, n in suggestions) + "?"
        return UnknownCompany(text, suggestions, message)

    def exists(self, company_id: str) -> bool:
        return self._row(company_id) is not None

    def is_deleted(self, company_id: str) -> bool:
        row = self._row(company_id)
        return bool(row and row["deleted_at"])

    def list(
        self, country: str | None = None, include_deleted: bool = False, deleted_only: bool = False
    ) -> list[Profile]:
        where, params = [], []
        if country:
            where.append("country = ?")
            params.append(country)
        if deleted_only:
            where.append("deleted_at IS NOT NULL")
        elif not include_deleted:
            where.append("deleted_at IS NULL")
        sql = "SELECT * FROM companies"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [_profile_from_row(r) for r in self.db.query(sql, params)]

    def live_profiles_of(self, company_ids: Iterable[str]) -> dict[str, Profile]:
        """id -> profile of those ids that are live companies (a few, by primary key)."""
        found: dict[str, Profile] = {}
        for chunk in id_chunks(list(dict.fromkeys(company_ids))):
            sql = f"SELECT * FROM companies WHERE id IN ({', '.join('?' * len(chunk))})"
            rows = self.db.query(sql, chunk)  # by primary key (see names.directory_rows)
            found.update((r["id"], _profile_from_row(r)) for r in rows if not r["deleted_at"])
        return found

    def list_page(
        self,
        country: str | None,
        text: str,
        limit: int,
        offset: int = 0,
        after: str | None = None,
    ) -> list[Profile]:
        """One page of live profiles in id order, for ``GET /api/companies``.

        ``text`` (folded, see ``records.search_key``) must be in the id, a name or the
        city. ``after`` (keyset paging) starts the page past that id, whether or not
        it still exists, so a client walking the list meets every company that lives
        throughout exactly once, whatever is created or deleted between its pages;
        ``offset`` counts from there. Each page walks a migration-19 index of live
        rows in id order and stops when it is full: the one that starts with the
        country when there is one, and tests the text in the index, reading only
        the rows it returns (see :func:`_page_index`; docs/benchmarks.md "API paging");
        PostgreSQL plans each page for its values, and walks its primary key.
        """
        where, params = ["deleted_at IS NULL"], []
        if country:
            where.append("country = ?")
            params.append(country)
        key = search_key(text)
        if key:
            where.append("search_key LIKE ? ESCAPE '\\'")
            params.append("%" + _like_escaped(key) + "%")
        if after is not None:
            where.append("id > ?")
            params.append(after)
        hint = _page_index(self.dialect, bool(country))
        page = f" WHERE {' AND '.join(where)} ORDER BY id LIMIT ? OFFSET ?"
        # (PostgreSQL plans each page for its cursor: store.postgres.CUSTOM_PLANS)
        try:
            rows = list(
                self.db.query("SELECT * FROM companies" + hint + page, [*params, limit, offset])
            )
        except sqlite3.OperationalError as exc:
            if not hint or "no such index" not in str(exc):
                raise
            # a backup from before migration 19, restored under a running server and
            # not migrated yet: the same page without the index (slower, never a 500)
            rows = list(self.db.query("SELECT * FROM companies" + page, [*params, limit, offset]))
        return [_profile_from_row(r) for r in rows]

    def changed_since(self, revision: int) -> tuple[list[Profile], list[str]]:
        """Companies written after data revision ``revision``: (live profiles, deleted ids).

        Read from the ``changed_revision`` stamp (migration 15), so any process
        sharing the database can bring its ranker up to date without refitting
        (:mod:`matchmaker.live_index`). Merged-away companies are deleted ones.
        """
        rows = self.db.query(
            "SELECT * FROM companies WHERE changed_revision > ? ORDER BY id", [revision]
        )
        live, deleted = [], []
        for row in rows:
            if row["deleted_at"]:
                deleted.append(row["id"])
            else:
                live.append(_profile_from_row(row))
        return live, deleted

    def count_changed_since(self, revision: int) -> int:
        """How many companies were written after ``revision`` (an index range count)."""
        sql = "SELECT COUNT(*) FROM companies WHERE changed_revision > ?"
        return int(self.db.execute(sql, [revision]).fetchone()[0])

    def upsert_many(
        self,
        profiles: Iterable[Profile],
        actor: str,
        exported: Mapping[str, Any] | None = None,
        overwrite: bool = False,
    ) -> UpsertSummary:
        """Insert or update profiles by id, all in one transaction, with an audit entry each.

        An unchanged profile is left alone (no new version, no audit entry), so
        re-importing the same file is a no-op. A soft-deleted profile that is
        imported again is restored. ``exported`` (id -> state with ``version`` and
        ``updated_at`` at export) makes a file that would revert later edits raise
        :class:`ImportConflictError` with nothing written, unless ``overwrite``.
        """
        profiles = list(profiles)
        summary = UpsertSummary()
        with self._immediate():
            if exported and not overwrite:
                conflicts = self.find_conflicts(profiles, exported)
                if conflicts:
                    raise ImportConflictError(conflicts)
            for profile in profiles:
                profile = self._keep_curated(profile)
                outcome = self._write(profile, actor, action="import")
                if outcome == "created":
                    summary.created += 1
                elif outcome == "updated":
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                    continue
                summary.changed_ids.append(profile.id)
            if summary.changed_ids:
                self._bump_revision()
        return summary

    def _keep_curated(self, profile: Profile) -> Profile:
        """An imported row that leaves roles, partner roles or markets empty keeps stored ones.

        Staff curate these fields on the company form; an export from another tool
        (or an older file) that lacks them must not wipe that work. Clearing them
        is an edit, not an import.
        """
        row = self._row(profile.id)
        if row is None:
            return profile
        kept = {
            name: json.loads(row[name])
            for name in VOCABULARY_FIELDS
            if not getattr(profile, name) and row[name] != "[]"
        }
        return replace(profile, **kept) if kept else profile

    def find_conflicts(
        self, profiles: Iterable[Profile], exported: Mapping[str, Any]
    ) -> list[ImportConflict]:
        """Rows of an exported file whose stored profile was edited (or deleted) since.

        A row conflicts when the stored version differs from the file's (or, for
        files without versions, the stored ``updated_at`` is later) *and* importing
        it would change something: re-importing an identical row is harmless.
        """
        conflicts = []
        for profile in profiles:
            state = exported.get(profile.id)
            row = self._row(profile.id) if state is not None else None
            if row is None:
                continue
            if state.version is not None:
                moved = row["version"] != state.version
            else:
                moved = bool(state.updated_at) and row["updated_at"] > state.updated_at
            would_change = row["deleted_at"] or _profile_from_row(row).content() != (
                profile.content()
            )
            if moved and would_change:
                conflicts.append(
                    ImportConflict(
                        profile.id,
                        state.version,
                        state.updated_at,
                        row["version"],
                        row["updated_at"],
                    )
                )
        return conflicts

    def save(self, profile: Profile, actor: str, expected_version: int | None = None) -> Profile:
        """Create or edit one profile; refuse it if the stored version moved on."""
        with self._immediate():
            row = self._row(profile.id)
            if expected_version is not None:
                actual = row["version"] if row else 0
                if actual != expected_version:
                    raise StaleEditError(profile.id, expected_version, actual)
            if self._write(profile, actor, action="edit") != "unchanged":
                self._bump_revision()
        return self.get(profile.id)

    def create(self, profile: Profile, actor: str) -> Profile:
        """Add a new profile; refuse an id that is already taken."""
        with self._immediate():
            if self._row(profile.id) is not None:
                raise ConflictError(f"a company with id '{profile.id}' already exists")
            self._write(profile, actor, action="create")
            self._bump_revision()
        return self.get(profile.id)

    def set_deleted(
        self, company_id: str, deleted: bool, actor: str, expected_version: int | None = None
    ) -> Profile:
        """Soft-delete (deleted=True) or restore a profile; the row and its history stay."""
        with self._immediate():
            row = self._row(company_id)
            if row is None:
                raise UnknownCompany(company_id)
            if expected_version is not None and row["version"] != expected_version:
                raise StaleEditError(company_id, expected_version, row["version"])
            if bool(row["deleted_at"]) != deleted:
                stamp = now()
                self.db.execute(
                    "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [stamp if deleted else None, stamp, company_id],
                )
                self._audit(company_id, actor, "delete" if deleted else "restore", [], None, None)
                self._bump_revision()
        return self.get(company_id, include_deleted=True)

    def set_verified(
        self,
        company_ids: Iterable[str],
        verified: bool,
        actor: str,
        expected_version: int | None = None,
    ) -> int:
        """Mark profiles verified or not, in one transaction; return how many changed.

        Verification is its own audit event ("verify" or "unverify", with who and
        when), not an "edit". ``expected_version`` (one profile only) refuses a stale
        click; a bulk action skips profiles already in the asked state.
        """
        company_ids = list(company_ids)
        changed = 0
        with self._immediate():
            for company_id in company_ids:
                row = self._row(company_id)
                if row is None or row["deleted_at"]:
                    raise NotFoundError(f"no company with id '{company_id}'")
                if expected_version is not None and row["version"] != expected_version:
                    raise StaleEditError(company_id, expected_version, row["version"])
                if bool(row["verified"]) == verified:
                    continue
                self.db.execute(
                    "UPDATE companies SET verified = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [int(verified), now(), company_id],
                )
                action = "verify" if verified else "unverify"
                before, after = {"verified": not verified}, {"verified": verified}
                self._audit(company_id, actor, action, ["verified"], before, after)
                changed += 1
            if changed:
                self._bump_revision()
        return changed

    def delete_many(self, company_ids: Iterable[str], actor: str) -> int:
        """Soft-delete profiles in one transaction (a "delete" audit entry each)."""
        company_ids = list(company_ids)
        deleted = 0
        with self._immediate():
            for company_id in company_ids:
                row = self._row(company_id)
                if row is None:
                    raise NotFoundError(f"no company with id '{company_id}'")
                if row["deleted_at"]:
                    continue
                stamp = now()
                self.db.execute(
                    "UPDATE companies SET deleted_at = ?, version = version + 1, updated_at = ? "
                    "WHERE id = ?",
                    [stamp, stamp, company_id],
                )
                self._audit(company_id, actor, "delete", [], None, None)
                deleted += 1
            if deleted:
                self._bump_revision()
        return deleted

    def record_export(self, company_ids: Iterable[str], actor: str, fmt: str) -> None:
        """An "export" audit entry per profile of a selection staff exported (who, when, format)."""
        with self._immediate():
            for company_id in company_ids:
                self._audit(company_id, actor, "export", [], None, {"format": fmt})

    def _row(self, company_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM companies WHERE id = ?", [company_id]))
        return rows[0] if rows else None

    def _write(self, profile: Profile, actor: str, action: str, reverts: int | None = None) -> str:
        """Write one profile inside the caller's transaction; return what happened."""
        row = self._row(profile.id)
        stamp = now()
        new = profile.content()
        if row is None:
            record = _row_from_content(new) | {
                "languages": json.dumps(field_languages(new)),
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
            }
            self.db["companies"].insert(record)
            self._write_name_keys(profile.id, profile.name, profile.name_local)
            self._audit(
                profile.id, actor, action if action != "edit" else "create", list(new), None, new
            )
            return "created"
        old = _profile_from_row(row).content()
        changed = [k for k in INPUT_FIELDS if old[k] != new[k]]
        if not changed and not row["deleted_at"]:
            return "unchanged"
        record = _row_from_content(new) | {
            "languages": json.dumps(field_languages(new)),
            "version": row["version"] + 1,
            "updated_at": stamp,
            "deleted_at": None,
        }
        self.db["companies"].update(profile.id, record)
        if {"name", "name_local"} & set(changed):
            self._write_name_keys(profile.id, profile.name, profile.name_local)
        if changed:
            self._audit(
                profile.id,
                actor,
                action,
                changed,
                {k: old[k] for k in changed},
                {k: new[k] for k in changed},
                reverts=reverts,
            )
        if row["deleted_at"]:
            self._audit(profile.id, actor, "restore", [], None, None)
        return "updated"


def _page_index(dialect: str, by_country: bool) -> str:
    """SQLite's ``INDEXED BY`` for a page of ``list_page`` (PostgreSQL plans by cost).

    Without statistics SQLite takes ``deleted_at IS NULL`` for a rare value and reads
    every live entry of a staff-list index, then sorts them by id, for every page
    (20-40 ms at 100,000 companies however deep the page, 1-2 s at offset 90,000).
    The migration-19 indexes hold only live rows, in id order (after the country
    when one is asked for), with the search key, so a page is a range of one index.
    """
    if dialect != "sqlite":
        return ""
    return " INDEXED BY " + ("companies_live_country" if by_country else "companies_live_id")
