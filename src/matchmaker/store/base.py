"""Opening and closing the store, write transactions, the data revision, statistics.

SQLite is used the way its authors recommend: WAL mode, an explicit busy
timeout, foreign keys on, every multi-row write in one transaction, and
read-modify-write under ``BEGIN IMMEDIATE`` with a version column so that a
stale edit is refused instead of silently overwriting someone else's.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .connection import _refuse_missing_or_empty, connect, explain, is_postgres_url
from .errors import BusyError, StoreError
from .records import VectorRow

if TYPE_CHECKING:
    from . import Store


def _import_sqlite_utils():
    """sqlite-utils, imported without pandas: a third of a second saved in every process.

    sqlite-utils imports pandas whenever it is installed, only to map pandas
    timestamps to a column type; the store never passes pandas objects. A cold
    ``matchmaker match`` has half a second in all (issue 14), so pandas is hidden
    while sqlite-utils loads (a ``None`` in ``sys.modules`` makes ``import pandas``
    raise ImportError), unless something imported it already.
    """
    if "pandas" in sys.modules or "sqlite_utils.db" in sys.modules:
        import sqlite_utils

        return sqlite_utils
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        import sqlite_utils
    finally:
        if sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]
    return sqlite_utils


sqlite_utils = _import_sqlite_utils()


def _database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils over our connection, without sqlite-utils plugins.

    Plugins would change the store's connection by whatever happens to be
    installed; and finding them reads the metadata of every installed package
    (``importlib.metadata``), a twentieth of a second on every open.
    """
    return sqlite_utils.Database(conn, execute_plugins=False)


def database_exists(path: str | Path) -> bool:
    """Whether there is a matchmaker database to read: the file, or a migrated PostgreSQL one.

    On PostgreSQL the (empty) database exists before anything was written to it, so
    what counts is whether it was ever migrated.
    """
    if not is_postgres_url(path):
        return Path(path).exists()
    from .postgres import PgDatabase

    db = PgDatabase(str(path))
    try:
        return db["migrations"].exists()
    finally:
        db.close()


class StoreBase:
    """The connection and its transactions; :class:`~matchmaker.store.Store` adds the tables."""

    #: "sqlite", or "postgresql" for a store opened from a ``postgresql://`` URL: the few
    #: statements the two engines spell differently are chosen by it.
    dialect = "sqlite"

    def __init__(self, db: sqlite_utils.Database, path: str, readonly: bool = False):
        self.db = db
        self.path = path
        self.readonly = readonly
        # Vectors a read-only store could not save: (model_id, field) -> company id -> row.
        self._unsaved_vectors: dict[tuple[str, str], dict[str, VectorRow]] = {}

    @classmethod
    def open(
        cls,
        path: str | Path,
        create: bool = False,
        readonly: bool = False,
        check: bool = False,
        synchronous: str | None = None,
        migrate: bool = True,
    ) -> Store:
        """Open (and migrate) the database; refuse a missing file unless create=True.

        ``readonly`` opens without writing anything (read commands, read-only
        copies); ``check`` runs ``PRAGMA quick_check`` first, so a damaged file
        is refused before a write lands in it. ``migrate=False`` is for a process
        that migrated this file when it started (the web app, on every request).
        A ``postgresql://`` URL opens PostgreSQL instead (:meth:`_open_postgres`).
        """
        if is_postgres_url(path):
            return cls._open_postgres(str(path), readonly=readonly, migrate=migrate)
        path = Path(path)
        if str(path) != ":memory:":
            _refuse_missing_or_empty(path, create and not readonly)
        try:
            conn = connect(path, synchronous=synchronous, readonly=readonly)
            store = cls(_database(conn), str(path), readonly=readonly)
        except sqlite3.DatabaseError as exc:  # not a database, corrupt, locked, unreadable
            raise explain(exc, path) or StoreError(
                f"cannot open the database at {path}: {exc}"
            ) from None
        try:
            if check:
                store.quick_check()
            if readonly:
                store._refuse_pending_migrations()
            elif migrate:
                store.migrate()
        except sqlite3.DatabaseError as exc:
            store.close()
            raise explain(exc, path) or StoreError(
                f"cannot open the database at {path}: {exc}"
            ) from None
        except StoreError:
            store.close()
            raise
        return store

    @classmethod
    def _open_postgres(cls, url: str, readonly: bool, migrate: bool) -> Store:
        """Open a PostgreSQL database (it must exist; ``migrate`` creates the tables).

        psycopg is an optional dependency (the ``postgres`` extra), imported only here.
        ``create`` and ``check`` are SQLite file matters and mean nothing here.
        """
        try:
            from .postgres import PgDatabase, redacted
        except ImportError as exc:
            raise StoreError(
                f"PostgreSQL needs psycopg ({exc}); install matchmaker with the 'postgres' extra"
            ) from None
        store = cls(PgDatabase(url), redacted(url), readonly=readonly)
        store.dialect = "postgresql"
        try:
            if readonly and not store.db["migrations"].exists():
                raise StoreError(
                    f"the database {store.path} has no matchmaker tables yet; create them with "
                    "'matchmaker migrate' (or 'matchmaker import FILE')"
                )
            if readonly:
                store._refuse_pending_migrations()
            elif migrate:
                store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """A write transaction that takes the write lock up front.

        A full disk, a damaged or read-only file rolls the whole transaction back
        and becomes a :class:`DatabaseFileError` naming the file and what to do.
        On PostgreSQL, a transaction holding the one write lock (``postgres`` module).
        """
        if self.dialect == "postgresql":
            with self.db.write_transaction():
                yield
            return
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise explain(exc, self.path) or exc from None
            raise BusyError(
                f"the database is busy with another write ({exc}); try again in a moment"
            ) from None
        try:
            yield
            conn.commit()
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise explain(exc, self.path) or exc from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may have rolled back already (e.g. after SQLITE_FULL); nothing was kept
        with suppress(sqlite3.Error):
            self.db.conn.rollback()

    def _bump_revision(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")

    def revision(self) -> int:
        """Increases on every write to companies: a cheap 'has anything changed?' check."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    def database_identity(self) -> tuple[int, ...]:
        """What tells this database from another at the same path, whatever its revision.

        A backup can carry the very revision the database it replaces had, so a cache
        keyed by path and revision alone would outlive a restore. ``matchmaker
        restore`` copies the backup in with SQLite's backup API, which raises the
        file's schema version in the same step, or renames a copy into place (a new
        inode); on PostgreSQL, pg_restore creates the tables anew (``meta`` gets a new
        oid). Either changes this; an ordinary write does not.
        """
        if self.dialect == "postgresql":
            return (int(self.db.execute("SELECT 'meta'::regclass::oid").fetchone()[0]),)
        schema = int(self.db.execute("PRAGMA schema_version").fetchone()[0])
        try:
            inode = os.stat(self.path).st_ino
        except OSError:  # ":memory:"
            inode = 0
        return (inode, schema)

    def stats(self, model_id: str | None = None) -> dict[str, Any]:
        one = lambda sql, *p: self.db.execute(sql, p).fetchone()[0]  # noqa: E731
        by_country = dict(
            self.db.execute(
                "SELECT country, COUNT(*) FROM companies WHERE deleted_at IS NULL GROUP BY country"
            ).fetchall()
        )
        result = {
            "database": self.path,
            "companies": one("SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL"),
            "by_country": by_country,
            "verified": one(
                "SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL AND verified = 1"
            ),
            "incomplete": one(
                "SELECT COUNT(*) FROM companies WHERE deleted_at IS NULL "
                "AND trim(offers) = '' AND trim(seeks) = ''"
            ),
            "deleted": one("SELECT COUNT(*) FROM companies WHERE deleted_at IS NOT NULL"),
            "audit_entries": one("SELECT COUNT(*) FROM audit"),
            "users": one("SELECT COUNT(*) FROM users"),
            "last_change": one("SELECT MAX(updated_at) FROM companies"),
            "revision": self.revision(),
        }
        if model_id:
            result["embedded_companies"] = one(
                "SELECT COUNT(DISTINCT company_id) FROM vectors WHERE model_id = ?", model_id
            )
        return result
