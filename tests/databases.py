"""Helpers for tests that start from a database built by a session fixture."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_database(source: Path, target: Path) -> Path:
    """A copy made with SQLite's backup API (never a file copy of a database in use).

    Session fixtures build a database once (``model_db``); a test that writes works
    on its own copy, so the next test still starts from the same data.
    """
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        original.backup(copy)
    finally:
        original.close()
        copy.close()
    return target
