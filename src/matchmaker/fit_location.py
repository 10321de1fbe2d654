"""Where a database's saved fits live (``fitted_state``), on SQLite and on PostgreSQL.

A saved fit is what lets a restart, a second app server or a CLI call load the
ranker in seconds instead of fitting it (two hours and 11 GB at a million
companies). Beside a SQLite file it goes in ``<database>.fitted``. A PostgreSQL
URL is not a path, and it may carry a password that must never become one, so
its fits go in a folder of their own, named from the URL without the password:
``<fit folder>/<database name>-<hash of its connection parameters>`` (as libpq
reads the URL).

The fit folder is ``MATCHMAKER_FIT_DIR`` when set (for SQLite too, when the
database's own folder is read-only), else ``matchmaker/fits`` in the user's
cache folder (``$XDG_CACHE_HOME``, or ``~/.cache``). ``none`` saves nothing:
every process then fits in memory, as PostgreSQL processes did before.

A fit found there is still checked against the database before use
(``fitted_state._agrees_with``): a database dropped and created again under the
same URL is not answered from its predecessor's fit.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from . import config

#: Connection parameters left out of a PostgreSQL URL's folder name: secrets, not identity.
SECRET_OPTIONS = frozenset({"password", "passfile", "sslpassword"})


def state_root(db_path: str | Path) -> Path | None:
    """The folder of this database's saved fits; None when none are kept.

    None for an in-memory database, when ``MATCHMAKER_FIT_DIR`` is ``none`` (or unset
    for a user without a home folder), or for a PostgreSQL URL libpq cannot read (its
    connection fails anyway).
    """
    if not db_path or str(db_path) == ":memory:":
        return None
    chosen = (config.get("fit_dir") or "").strip()
    if chosen.lower() == "none":
        return None
    is_url = "://" in str(db_path)
    if not chosen and not is_url:
        return Path(str(db_path) + ".fitted")
    base = Path(chosen).expanduser() if chosen else default_fit_dir()
    if base is None:  # no home folder to keep them in: fit in memory, as without a folder
        return None
    if not is_url:
        return base / file_folder_name(Path(db_path))
    name = url_folder_name(str(db_path))
    return None if name is None else base / name


def default_fit_dir() -> Path | None:
    """``matchmaker/fits`` in the user's cache folder (the XDG base directory rule);
    None for a user without a home folder (some containers): set MATCHMAKER_FIT_DIR."""
    cache = os.environ.get("XDG_CACHE_HOME")
    if not cache:
        try:
            cache = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(cache) / "matchmaker" / "fits"


def url_folder_name(url: str) -> str | None:
    """A folder name for a PostgreSQL URL: its database name, then a hash of what
    identifies the database (every connection parameter but the secrets), or None
    when the URL cannot be read.

    Read with libpq's own parser (what the connection uses), not ``urlsplit``: a
    password holding an unencoded ``#`` or ``?`` is valid for libpq, but ``urlsplit``
    cuts the URL there, so two databases on different hosts shared one folder and a
    password's start became the "port" of a ``ValueError`` (a log line).
    """
    try:
        from psycopg import Error as PgError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # no PostgreSQL driver: no connection either
        return None
    try:
        params = conninfo_to_dict(url)
    except PgError:  # the connection refuses it too; its message names no password
        return None
    identity = repr(
        sorted(
            (key, str(value)) for key, value in params.items() if key.lower() not in SECRET_OPTIONS
        )
    )
    name = str(params.get("dbname") or params.get("user") or "postgres")
    return f"{_readable(name)}-{_digest(identity)}"


def file_folder_name(path: Path) -> str:
    """A folder name for a SQLite file kept elsewhere: its name, then a hash of its
    absolute path (two ``matchmaker.db`` in different folders are two databases)."""
    return f"{_readable(path.name)}-{_digest(os.path.abspath(path))}"


def _readable(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40] or "db"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
