"""Spreadsheet formula injection: cells neutralised on the way out, restored on the way in.

A cell that starts with ``= + - @`` (or a tab or carriage return) runs as a
formula when a CSV or XLSX file is opened in Excel or LibreOffice, so text
from profiles is written with a leading apostrophe, the spreadsheet
convention for "this is text". The rule also covers text that already starts
with apostrophes before such a character, which makes it reversible:
:func:`restore` undoes exactly what :func:`neutralise` did, so an exported
CSV imports back unchanged.
"""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would evaluate gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and _would_run(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text :func:`neutralise` was given (a leading apostrophe it added is dropped)."""
    if value.startswith("'") and _would_run(value[1:]):
        return value[1:]
    return value


def _would_run(text: str) -> bool:
    return text.lstrip("'").startswith(TRIGGERS)
