"""Backups and restores with SQLite's online backup API, each checked before it counts.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ..files import replaced_atomically
from .connection import BUSY_TIMEOUT_MS, _connect_readonly, explain, is_postgres_url
from .errors import DatabaseFileError, StoreError
from .schema import MIGRATIONS

#: Backups and restores are SQLite file operations; PostgreSQL has its own tools.
PG_BACKUP_MESSAGE = (
    "backup and restore copy a SQLite file; on PostgreSQL use pg_dump and pg_restore "
    "(e.g. 'pg_dump -Fc -f matchmaker.dump DBNAME')"
)


class BackupMixin:
    """Checking and copying the live database (part of :class:`~matchmaker.store.Store`)."""

    def quick_check(self) -> None:
        """Refuse a damaged file (PRAGMA quick_check) before anything is written to it."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise DatabaseFileError(
                f"the database {self.path} is damaged ({'; '.join(problems)[:300]}); nothing "
                f"was written. Restore a backup with 'matchmaker restore BACKUP --db {self.path}'"
            )

    def backup_to(self, path: str | Path) -> dict[str, int]:
        """Copy the whole database to ``path`` with SQLite's online backup API.

        Consistent while other connections write (it reads one snapshot), written
        to a temporary name and renamed, then checked like a restore would check
        it. Everything is kept: audit, users, grades, deleted profiles, versions.
        """
        if self.dialect == "postgresql":
            raise StoreError(PG_BACKUP_MESSAGE)
        path = Path(path)
        if path.exists() and path.resolve() == Path(self.path).resolve():
            raise StoreError(f"{path} is the live database itself; give another file")
        if path.is_dir():
            raise StoreError(f"{path} is a folder; give a file name")
        if not path.parent.is_dir():
            raise StoreError(f"folder '{path.parent}' does not exist")
        try:
            return _backup_into(self.db.conn, path)
        except DatabaseFileError as exc:  # the copy failed its check: the database is damaged
            raise DatabaseFileError(
                f"cannot back up {self.path}: the copy fails its check ({exc}), so the database "
                "itself is damaged; nothing was written. Restore an earlier backup"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise explain(exc, self.path, writing=False) or StoreError(
                f"cannot back up {self.path}: {exc}"
            ) from None


#: What a backup holds, counted after writing it and after restoring it.
COUNTED_TABLES = ("companies", "audit", "users", "judgements", "vectors")


def check_backup(path: str | Path) -> dict[str, int]:
    """Refuse a file that is not a whole, undamaged matchmaker database; return its counts.

    Checks, read-only: SQLite's ``integrity_check``, our ``migrations`` table (and
    no migration newer than this version knows), and every table those migrations
    create. A backup that passes can replace the live database.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise DatabaseFileError(f"{path} is not a backup: the file is missing or empty")
    try:
        conn = _connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc):
            raise DatabaseFileError(f"{path} is damaged ({exc}); it cannot be restored") from None
        raise DatabaseFileError(f"{path} is not a backup: {exc}") from None
    try:
        return _checked_counts(conn, path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"{path} is damaged ({exc}); it cannot be restored") from None
    finally:
        conn.close()


def _checked_counts(conn: sqlite3.Connection, path: Path) -> dict[str, int]:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check(3)").fetchall()]
    if problems != ["ok"]:
        raise DatabaseFileError(
            f"{path} is damaged ({'; '.join(problems)[:300]}); it cannot be restored"
        )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "migrations" not in tables:
        raise DatabaseFileError(f"{path} is not a matchmaker database (no migrations table)")
    applied = {r[0] for r in conn.execute("SELECT version FROM migrations")}
    known = dict(MIGRATIONS)
    if applied - set(known):
        raise DatabaseFileError(
            f"{path} comes from a newer matchmaker (migrations {sorted(applied - set(known))}); "
            "restore it with that version"
        )
    expected = {
        name
        for version in applied
        for name in re.findall(r"CREATE TABLE (\w+)", known[version], flags=re.IGNORECASE)
    }
    missing = sorted(expected - tables)
    if missing:
        raise DatabaseFileError(f"{path} lacks tables {', '.join(missing)}; it cannot be restored")
    return {
        name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]  # noqa: S608
        for name in COUNTED_TABLES
        if name in tables
    }


def restore_database(backup: str | Path, live: str | Path) -> tuple[dict[str, int], Path | None]:
    """Replace the live database with a checked backup, in one step; keep the one replaced.

    The backup is copied in with SQLite's backup API inside one write transaction,
    so a running server sees the old database or the new one, never a mixture.
    A live file SQLite cannot open (empty, damaged beyond reading) is replaced by
    renaming instead. Returns the backup's counts and where the old database went.
    """
    if is_postgres_url(live):
        raise StoreError(PG_BACKUP_MESSAGE)
    backup, live = Path(backup), Path(live)
    counts = check_backup(backup)
    live.parent.mkdir(parents=True, exist_ok=True)
    if live.exists() and live.resolve() == backup.resolve():
        raise StoreError(f"{backup} is the live database itself; give another file")
    kept = _keep_replaced(live)
    source = _connect_readonly(backup)
    try:
        try:
            target = sqlite3.connect(str(live), timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                source.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError:
            _replace_by_renaming(source, live)
    finally:
        source.close()
    return counts, kept


def _keep_replaced(live: Path) -> Path | None:
    """A copy of the database about to be replaced, in case the wrong backup was chosen."""
    if not live.exists() or live.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = live.with_name(f"{live.name}.before-restore-{stamp}")
    try:
        source = _connect_readonly(live)
        try:
            _backup_into(source, kept)
        finally:
            source.close()
    except (sqlite3.DatabaseError, DatabaseFileError):
        shutil.copy2(live, kept)  # damaged or unreadable: keep the bytes as they are
    return kept


def _replace_by_renaming(source: sqlite3.Connection, live: Path) -> None:
    with replaced_atomically(live, mode=0o600) as temporary:
        _copy(source, temporary)
    for suffix in ("-wal", "-shm"):  # they belonged to the file just replaced
        live.with_name(live.name + suffix).unlink(missing_ok=True)


def _backup_into(source: sqlite3.Connection, path: Path) -> dict[str, int]:
    """Write a checked, self-contained copy of ``source`` to ``path`` (atomically)."""
    with replaced_atomically(path, mode=0o600) as temporary:
        _copy(source, temporary)
        return check_backup(temporary)


def _copy(source: sqlite3.Connection, path: Path) -> None:
    target = sqlite3.connect(str(path))
    try:
        source.backup(target)  # one step: a consistent snapshot, while writers go on (WAL)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target.close()
