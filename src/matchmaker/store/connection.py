"""Opening SQLite connections, and saying in one line what went wrong with the file.

Every connection gets the same pragmas: an explicit busy timeout, foreign keys
on, WAL mode (unless read-only) and the chosen ``synchronous`` level.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .. import config
from .errors import BusyError, DatabaseFileError, StoreError

BUSY_TIMEOUT_MS = 5000
#: A database "path" starting with one of these is a PostgreSQL connection URL.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


#: ``PRAGMA synchronous`` levels: FULL syncs the WAL on every commit, so a power cut
#: cannot lose a commit that was reported done; NORMAL syncs only at checkpoints.
SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def is_postgres_url(path: str | Path) -> bool:
    """Whether MATCHMAKER_DB (or --db) names a PostgreSQL database rather than a SQLite file."""
    return str(path).startswith(POSTGRES_SCHEMES)


def shown(path: str | Path) -> str:
    """``path`` as messages may show it: a PostgreSQL URL without its password.

    Messages reach terminals, logs and error pages; a password in ``MATCHMAKER_DB``
    must reach none of them.
    """
    text = str(path)
    if not is_postgres_url(text):
        return text
    text = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", text)
    return re.sub(r"([?&](?:ssl)?password=)[^&]*", r"\1***", text, flags=re.IGNORECASE)


def synchronous_level(value: str | None = None) -> str:
    """The durability setting (MATCHMAKER_SYNCHRONOUS), checked; FULL unless told otherwise."""
    level = str(value or config.get("synchronous") or "FULL").strip().upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise StoreError(
            f"MATCHMAKER_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not '{value}'"
        )
    return level


def connect(
    path: str | Path, synchronous: str | None = None, readonly: bool = False
) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection needs.

    A read-only connection never writes, not even the journal mode, so a copy on
    read-only media can be read. If SQLite cannot even create the WAL index next
    to the file (a read-only folder), the file is opened as immutable.
    """
    level = synchronous_level(synchronous)
    if readonly:
        conn = _connect_readonly(Path(path))
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {level}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    for options in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(
            uri + options, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "unable to open" not in str(exc) or "immutable" in options:
                raise
    raise AssertionError("unreachable")


def explain(exc: sqlite3.Error, path: str | Path, writing: bool = True) -> StoreError | None:
    """A one-line message naming the file and what to do, for errors of the file itself."""
    text = str(exc).lower()
    kept = "; nothing was written" if writing else ""
    if "full" in text:
        return DatabaseFileError(
            f"cannot write to {path}: the disk is full ({exc}){kept}. "
            "Free some space and try again"
        )
    if "disk i/o" in text:
        return DatabaseFileError(
            f"cannot use {path}: {exc} (is the disk full or failing?){kept}. Free some space "
            "or check the disk, and try again"
        )
    if "not a database" in text:
        return DatabaseFileError(
            f"cannot open the database at {path}: it is not a SQLite database ({exc}){kept}. "
            f"Check the path, or restore a backup with 'matchmaker restore BACKUP --db {path}'"
        )
    if "malformed" in text or "corrupt" in text:
        return DatabaseFileError(
            f"the database {path} is damaged ({exc}){kept}. Restore a backup with "
            f"'matchmaker restore BACKUP --db {path}'"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseFileError(
            f"the database {path} is read-only ({exc}){kept}. Copy it somewhere writable, "
            "or use a read command (export, stats, match, query, similar)"
        )
    return None


def database_fault(exc: sqlite3.Error, path: str | Path) -> StoreError | None:
    """The one-line error for a fault of the database file met mid-command, or None for a bug.

    SQLite raises the same classes for a damaged file and for a mistake in our own code
    (a misspelt statement is an ``OperationalError``, a broken constraint or a closed
    connection a ``DatabaseError`` too), so only the message tells them apart. What is
    not a known fault of the file is a bug: the CLI and the web app let it surface as
    one (a traceback, a logged 500) instead of telling the user to restore a backup.
    """
    known = explain(exc, path, writing=False)
    if known is not None:
        return known
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return BusyError(f"the database {path} is busy ({exc}); try again in a moment")
    if "unable to open" in text:
        return DatabaseFileError(
            f"cannot open the database at {path} ({exc}); check that the file and its "
            "folder are there and readable"
        )
    return None


def _refuse_missing_or_empty(path: Path, create: bool) -> None:
    """No file: create it only if asked. An empty file is never silently a new database.

    A 0-byte file is what a failed copy or a full disk leaves; taking it as a new,
    empty database made ``export`` print nothing and exit 0.
    """
    if not path.exists():
        if not create:
            raise StoreError(
                f"no database at {path}; create it with 'matchmaker import data/companies.jsonl'"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    wal = path.with_name(path.name + "-wal")
    if path.is_file() and path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
        raise DatabaseFileError(
            f"{path} is empty (0 bytes), so it is not a matchmaker database; restore a backup "
            f"with 'matchmaker restore BACKUP --db {path}', or delete the file to start anew"
        )
