"""The PostgreSQL engine: a connection that speaks the small part of sqlite-utils the store uses.

Every method of :class:`~matchmaker.store.Store` is written once, against
``self.db``: on SQLite a ``sqlite_utils.Database``, here a :class:`PgDatabase`
over a pooled psycopg 3 connection. It offers the same calls (``execute``,
``query``, ``db[table].insert/update/count/exists``, ``conn``) and rewrites the
few SQLite spellings the store's statements use into PostgreSQL's:

- ``?`` placeholders become ``%s``;
- ``INSERT OR REPLACE`` / ``INSERT OR IGNORE`` become ``ON CONFLICT (key) DO UPDATE``
  / ``DO NOTHING`` on the table's primary key;
- ``x COLLATE NOCASE`` becomes ``lower(x)`` (the migration-10 indexes are on ``lower``);
- ``json_each`` becomes ``json_array_elements_text``; ``IS ?`` becomes
  ``IS NOT DISTINCT FROM``.

Statements that cannot be rewritten (the FTS5 name search, ``SKIP LOCKED``) are
spelled per engine in the store itself, keyed on ``Store.dialect``.

Concurrency, stated once: a write transaction takes one transaction-level
advisory lock, so writers queue one at a time exactly as ``BEGIN IMMEDIATE``
makes them on SQLite, and every read-modify-write (optimistic versions, counters,
the per-owner job limit) keeps its SQLite meaning; readers never wait. A lock
not granted within the busy timeout is a :class:`BusyError`. Connections run in
autocommit outside those transactions, so no connection idles in a transaction.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from .. import config
from . import connection as sqlite_connection
from .errors import BusyError, DatabaseFileError, StoreError, UnstorableValueError

#: The advisory lock every write transaction takes (any fixed 64-bit number would do).
WRITE_LOCK = 0x6D61746368  # "match"
#: Primary keys, for ``INSERT OR REPLACE`` and ``db[table].update``.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "companies": ("id",),
    "vectors": ("company_id", "model_id", "field"),
    "audit": ("id",),
    "users": ("username",),
    "meta": ("key",),
    "judgements": ("id",),
    "report_jobs": ("id",),
    "merges": ("id",),
    "missions": ("id",),
    "mission_participants": ("mission_id", "company_id"),
    "mission_wishes": ("mission_id", "lv", "kr"),
    "mission_plans": ("mission_id", "version"),
    "mission_log": ("id",),
    "migrations": ("version",),
}
#: Tables whose ``id`` the database numbers (SQLite's INTEGER PRIMARY KEY, an identity here).
NUMBERED = frozenset({"audit", "judgements", "merges", "missions", "mission_log"})
#: Tables with a ``rowid`` identity standing in for SQLite's: replaced rows get a new one.
ROWID_TABLES = frozenset({"vectors", "report_jobs"})
#: Errors that mean "another transaction is in the way": try again in a moment.
BUSY_ERRORS = (
    pg_errors.LockNotAvailable,
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.QueryCanceled,
)

#: How long a request waits for a free pooled connection before it is told to try again.
POOL_WAIT_S = 10.0
#: The fewest connections a pool keeps room for (``matchmaker serve`` raises it to its
#: threads + 2, so that every request thread and the background refit/report work get one).
_minimum_pool_size = 1

_POOLS: dict[tuple[int, str], ConnectionPool] = {}
#: Every statement is planned for its values, prepared or not. psycopg prepares a
#: statement run five times on a connection, and PostgreSQL may then reuse a generic
#: plan that cannot see them: a page of ``GET /api/companies`` then read and sorted
#: every match past its cursor (37 ms against 0.8 ms at 100,000 companies), and any
#: query whose best plan depends on a LIMIT, a cursor or a skewed value risks the same.
#: Planning costs a fraction of a millisecond; preparing still saves the parse.
CUSTOM_PLANS = "plan_cache_mode=force_custom_plan"
_POOLS_LOCK = threading.Lock()


def redacted(url: str) -> str:
    """The URL without its password, for messages and ``stats``."""
    return sqlite_connection.shown(url)


def pool_for(url: str) -> ConnectionPool:
    """This process's pool for ``url`` (a pool is never carried across ``fork()``)."""
    key = (os.getpid(), url)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            options = f"-c lock_timeout={sqlite_connection.BUSY_TIMEOUT_MS} -c {CUSTOM_PLANS}"
            params = conninfo_to_dict(url)
            params["options"] = (params.get("options", "") + " " + options).strip()
            pool = ConnectionPool(
                make_conninfo(**params),
                min_size=1,
                max_size=pool_size(),
                kwargs={"autocommit": True},
                # a pooled connection the server dropped (restart, idle timeout) is
                # tested and replaced when handed out, instead of failing the request
                check=ConnectionPool.check_connection,
                open=False,
                name=f"matchmaker-{len(_POOLS)}",
            )
            try:
                pool.open(wait=True, timeout=15)
            except PoolTimeout:
                pool.close()
                raise StoreError(
                    f"cannot connect to the database at {redacted(url)}: no answer within 15 s "
                    "(is PostgreSQL running, and are the host, user and database right?)"
                ) from None
            _POOLS[key] = pool
        return pool


def pool_size() -> int:
    """MATCHMAKER_DB_POOL, checked: the most connections this process opens.

    Never fewer than :func:`reserve_connections` asked for: a pool smaller than the
    server's threads makes requests queue for a connection and time out under load.
    """
    value = str(config.get("db_pool") or "10").strip()
    if not value.isdigit() or int(value) < 1:
        raise StoreError(f"MATCHMAKER_DB_POOL must be a whole number of connections, not '{value}'")
    return max(int(value), _minimum_pool_size)


def reserve_connections(count: int) -> None:
    """Make pools opened from now on hold at least ``count`` connections (``serve``)."""
    global _minimum_pool_size
    _minimum_pool_size = max(1, int(count))


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (all, or the one of ``url``): before dropping a database."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k[1] == url]:
            _POOLS.pop(key).close()


@dataclass
class Inserted:
    """What ``db[table].insert`` returns: sqlite-utils' ``last_pk``."""

    last_pk: Any


class PgTable:
    """``db[name]``: the few sqlite-utils table calls the store makes."""

    def __init__(self, db: PgDatabase, name: str):
        self.db, self.name = db, name

    def insert(self, record: dict[str, Any]) -> Inserted:
        columns = ", ".join(record)
        values = ", ".join("%s" for _ in record)
        sql = f"INSERT INTO {self.name} ({columns}) VALUES ({values})"
        if self.name in NUMBERED:
            cursor = self.db.raw_execute(sql + " RETURNING id", list(record.values()))
            return Inserted(cursor.fetchone()[0])
        self.db.raw_execute(sql, list(record.values()))
        keys = PRIMARY_KEYS.get(self.name, ())
        pk = tuple(record.get(k) for k in keys)
        return Inserted(pk[0] if len(pk) == 1 else pk)

    def update(self, pk: Any, record: dict[str, Any]) -> PgTable:
        (key,) = PRIMARY_KEYS[self.name]
        assignments = ", ".join(f"{name} = %s" for name in record)
        self.db.raw_execute(
            f"UPDATE {self.name} SET {assignments} WHERE {key} = %s", [*record.values(), pk]
        )
        return self

    @property
    def count(self) -> int:
        return self.db.raw_execute(f"SELECT COUNT(*) FROM {self.name}").fetchone()[0]  # noqa: S608

    def exists(self) -> bool:
        row = self.db.raw_execute("SELECT to_regclass(%s)", [self.name]).fetchone()
        return row[0] is not None


class PgDatabase:
    """A pooled PostgreSQL connection with the calls of ``sqlite_utils.Database`` the store uses."""

    def __init__(self, url: str):
        self.url = url
        #: How long a write waits for the write lock; None: the store's BUSY_TIMEOUT_MS.
        self.busy_timeout_ms: int | None = None
        self._pool = pool_for(url)
        self._conn: psycopg.Connection | None = None
        with self.translated_errors():
            self._conn = self._pool.getconn(timeout=POOL_WAIT_S)

    @property
    def conn(self) -> PgDatabase:
        """What the store calls ``db.conn``: this object (execute, executemany, commit)."""
        return self

    @property
    def connection(self) -> psycopg.Connection:
        if self._conn is None:
            raise StoreError("the database connection is closed")
        return self._conn

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor:
        """Run one statement written for SQLite (see the module docstring for the rewrites)."""
        return self.raw_execute(translate(sql), params)

    def raw_execute(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> psycopg.Cursor:
        """Run one statement already in PostgreSQL's spelling (``%s``, or ``%(name)s``
        with a mapping of parameters)."""
        with self.translated_errors():
            # always with parameters, so that ``%%`` is read as ``%`` even without any
            given = dict(params) if isinstance(params, Mapping) else list(params or ())
            return self.connection.execute(sql, given)

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """psycopg's errors as the store's, so that no caller ever sees a raw one.

        Every way into the server goes through here (statements, ``executemany``,
        ``query``, write transactions, taking a pooled connection): a raw psycopg
        error reaching a view would be a 500 where the user deserves a 400 or a 503.
        """
        try:
            yield
        except BUSY_ERRORS as exc:
            raise BusyError(
                f"the database is busy with another write ({exc}); try again in a moment"
            ) from None
        except PoolTimeout:
            raise BusyError(
                f"no connection to the database within {POOL_WAIT_S:g} s: the database "
                "server is down or unreachable, or every connection is in use (then raise "
                "MATCHMAKER_DB_POOL); try again in a moment"
            ) from None
        except pg_errors.DiskFull as exc:
            raise DatabaseFileError(
                f"cannot write to {redacted(self.url)}: the disk is full ({exc}); nothing was "
                "written. Free some space and try again"
            ) from None
        except (pg_errors.ReadOnlySqlTransaction, pg_errors.InsufficientPrivilege) as exc:
            # a standby server, or a user without write rights: SQLite's read-only file
            # here; since web/errors.py turns only OperationalError into a 503, either
            # would otherwise be a 500 blaming our code
            raise DatabaseFileError(
                f"the database at {redacted(self.url)} refuses this ({str(exc).strip()}); "
                "nothing was written. Point MATCHMAKER_DB at a server and user that may "
                "write, or use a read command"
            ) from None
        except psycopg.DataError as exc:  # a NUL byte in text, a number out of range
            raise UnstorableValueError(
                f"the database cannot store this value ({str(exc).strip()}); nothing was "
                "written. Remove control characters such as NUL from the input"
            ) from None
        except psycopg.OperationalError as exc:  # the server went away, or refused us
            self._discard_if_broken()
            raise DatabaseFileError(
                f"cannot use the database at {redacted(self.url)}: {exc}".strip()
            ) from None

    def _discard_if_broken(self) -> None:
        """Hand a dead connection back so that the pool replaces it (not to the next user)."""
        if self._conn is not None and self._conn.closed:
            conn, self._conn = self._conn, None
            self._pool.putconn(conn)  # the pool discards a closed connection

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.translated_errors(), self.connection.cursor() as cursor:
            cursor.executemany(translate(sql), [list(row) for row in rows])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows as dicts, like sqlite-utils (the stand-in ``rowid`` column left out)."""
        with self.translated_errors(), self.connection.cursor(row_factory=dict_row) as cursor:
            cursor.execute(translate(sql), list(params or ()))
            rows = cursor.fetchall()
        for row in rows:
            row.pop("rowid", None)
            yield row

    def commit(self) -> None:
        """Nothing to do: outside a write transaction every statement commits by itself."""

    def rollback(self) -> None:
        """Nothing to do: a write transaction rolls back by itself when it fails."""

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """One writer at a time, as ``BEGIN IMMEDIATE`` on SQLite (module docstring)."""
        with self.translated_errors(), self.connection.transaction():
            wait = self.busy_timeout_ms or sqlite_connection.BUSY_TIMEOUT_MS
            self.connection.execute(f"SET LOCAL lock_timeout = {int(wait)}")
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            yield

    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection (outside one, statements autocommit)."""
        return self.connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._pool.putconn(conn)


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """``sql`` as written for SQLite, in PostgreSQL's spelling (module docstring)."""
    sql = sql.replace("%", "%%")
    sql = _placeholders_to_pyformat(sql)
    sql = re.sub(r"\bIS %s", "IS NOT DISTINCT FROM %s", sql)
    sql = re.sub(r"([\w.]+) COLLATE NOCASE", r"lower(\1)", sql)
    sql = re.sub(
        r"SELECT value FROM json_each\(%s\)", "SELECT json_array_elements_text(%s::json)", sql
    )
    sql = re.sub(
        r"json_each\(([\w.]+)\) (\w+)", r"json_array_elements_text(\1::json) AS \2(value)", sql
    )
    match = re.match(r"\s*INSERT OR (REPLACE|IGNORE) INTO (\w+) \(([^)]*)\)", sql)
    if match:
        action, table, columns = match.groups()
        sql = "INSERT INTO" + sql[match.start(2) - 1 :]
        keys = PRIMARY_KEYS[table]
        if action == "IGNORE":
            sql += " ON CONFLICT DO NOTHING"
        else:
            names = [c.strip() for c in columns.split(",") if c.strip() not in keys]
            updates = [f"{c} = EXCLUDED.{c}" for c in names]
            if table in ROWID_TABLES:
                updates.append("rowid = DEFAULT")
            sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    return sql


def _placeholders_to_pyformat(sql: str) -> str:
    """``?`` outside quoted text becomes ``%s``."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(p if p.startswith("'") else p.replace("?", "%s") for p in parts)
