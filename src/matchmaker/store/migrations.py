"""Applying the schema's migrations once each, and the Python steps that complete them.

The migrations themselves, and why each exists, are in :mod:`.schema`; they are
read from there when applied (``schema.MIGRATIONS``), so a test can stand in an
older schema.
"""

from __future__ import annotations

import json
import sqlite3

from ..text_languages import field_languages
from . import schema
from .errors import DatabaseFileError
from .pg_schema import dialect_form
from .records import now, search_key
from .schema import MIGRATION_STEPS, MigrationStep


class SchemaMixin:
    """Migrating the schema (part of :class:`~matchmaker.store.Store`)."""

    def _refuse_pending_migrations(self) -> None:
        if not self.db["migrations"].exists():
            raise DatabaseFileError(f"{self.path} is not a matchmaker database (no migrations)")
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations").fetchall()}
        if any(version not in done for version, _ in schema.MIGRATIONS):
            raise DatabaseFileError(
                f"{self.path} needs upgrading, which a read-only opening cannot do; open it "
                "once with a writing command (e.g. 'matchmaker embed') where it is writable"
            )

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; safe to call on every start."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations").fetchall()}
        applied = []
        for version, step in schema.MIGRATIONS:
            if version in done:
                continue
            with self._immediate():
                if self.db.execute(
                    "SELECT 1 FROM migrations WHERE version = ?", [version]
                ).fetchone():
                    continue  # another process migrated meanwhile
                _apply_step(self.db.conn, dialect_form(self.dialect, version, step))
                if version in MIGRATION_STEPS:
                    getattr(self, MIGRATION_STEPS[version])()
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", [version, now()])
            applied.append(version)
        return applied

    def _detect_languages_of_stored_rows(self) -> None:
        """Fill companies.languages for rows written before the column existed.

        Runs inside the migration's transaction, so the column and its values
        appear together; the text is not changed, so no version or audit entry.
        """
        rows = self.db.execute("SELECT id, description, offers, seeks FROM companies").fetchall()
        for company_id, description, offers, seeks in rows:
            fields = {"description": description, "offers": offers, "seeks": seeks}
            self.db.execute(
                "UPDATE companies SET languages = ? WHERE id = ?",
                [json.dumps(field_languages(fields)), company_id],
            )

    def _fill_search_keys(self) -> None:
        """Fill ``companies.search_key`` for profiles stored before migration 11.

        Runs inside the migration's transaction; only the key changes (no version,
        no audit entry), and the tag triggers do not fire (they watch other columns).
        """
        rows = self.db.execute("SELECT id, name, name_local, city FROM companies").fetchall()
        self.db.conn.executemany(
            "UPDATE companies SET search_key = ? WHERE id = ?",
            [(search_key(*row), row[0]) for row in rows],
        )


def _apply_step(conn: sqlite3.Connection, step: MigrationStep) -> None:
    """Run one migration inside the caller's transaction: its function, or its SQL."""
    if callable(step):
        step(conn)
        return
    for statement in _statements(step):
        conn.execute(statement)


def _statements(sql: str) -> list[str]:
    """The statements of a migration's SQL, in order.

    Split at each ``;`` that ends a complete statement (``sqlite3.complete_statement``),
    so a trigger's ``BEGIN ... END`` body, which holds semicolons, stays one statement.
    """
    statements, pending = [], ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";").strip())
            pending = ""
    statements.append(pending.strip().rstrip(";").strip())
    return [statement for statement in statements if statement]
