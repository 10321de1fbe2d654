"""Where a database's saved fits live (``fitted_state``), on SQLite and on PostgreSQL.

A saved fit is what lets a restart, a second app server or a CLI call load the
ranker in seconds instead of fitting it (two hours and 11 GB at a million
companies). Beside a SQLite file it goes in ``<database>.fitted``. A PostgreSQL
URL is not a path, and it may carry a password that must never become one, so
its fits go in a folder of their own, named from the URL without the password:
``<fit folder>/<database name>-<hash of user, host, port, name and options>``.

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
from urllib.parse import parse_qsl, urlsplit

from . import config

#: Query options of a PostgreSQL URL left out of its folder name: secrets, not identity.
SECRET_OPTIONS = frozenset({"password", "passfile", "sslpassword"})


def state_root(db_path: str | Path) -> Path | None:
    """The folder of this database's saved fits; None when none are kept.

    None for an in-memory database, or when ``MATCHMAKER_FIT_DIR`` is ``none``.
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
    return base / (url_folder_name(str(db_path)) if is_url else file_folder_name(Path(db_path)))


def default_fit_dir() -> Path:
    """``matchmaker/fits`` in the user's cache folder (the XDG base directory rule)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "matchmaker" / "fits"


def url_folder_name(url: str) -> str:
    """A folder name for a PostgreSQL URL: its database name, then a hash of what
    identifies the database (user, host, port, name, options), never the password."""
    parts = urlsplit(url)
    options = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in SECRET_OPTIONS
    )
    identity = repr(
        (
            parts.scheme,
            parts.username,
            (parts.hostname or "").lower(),
            parts.port,
            parts.path,
            options,
        )
    )
    return f"{_readable(parts.path.strip('/') or 'postgres')}-{_digest(identity)}"


def file_folder_name(path: Path) -> str:
    """A folder name for a SQLite file kept elsewhere: its name, then a hash of its
    absolute path (two ``matchmaker.db`` in different folders are two databases)."""
    return f"{_readable(path.name)}-{_digest(os.path.abspath(path))}"


def _readable(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40] or "db"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
