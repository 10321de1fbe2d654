"""Writing reports as CSV, XLSX, JSON or HTML, and reading earlier ones back.

Files are written to a temporary name and renamed, so an interrupted run never
leaves a half-written report where the last good one was.

:func:`read_previous` accepts any of the four formats (HTML reports carry
their pairs in an embedded JSON block) for the "new since" comparison.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...files import replaced_atomically
from ...languages import DEFAULT_LANGUAGE, UnknownLanguageError, check_language
from ..model import PreviousReport, Report, ReportError
from . import csv, html, json, xlsx

FORMATS = ("csv", "xlsx", "json", "html")

#: Each writer takes the report, the path and the language of its headers and words.
WRITERS: dict[str, Callable[[Report, Path, str], None]] = {
    "csv": csv.write_csv,
    "xlsx": xlsx.write_xlsx,
    "json": json.write_json,
    "html": html.write_html,
}
READERS: dict[str, Callable[[Path], tuple[set[tuple[str, str]], dict[str, Any]]]] = {
    "csv": csv.read_csv,
    "xlsx": xlsx.read_xlsx,
    "json": json.read_json,
    "html": html.read_html,
}


def detect_format(path: str | Path) -> str:
    """The format named by a file's extension (``.htm`` counts as HTML)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    if suffix not in FORMATS:
        raise ReportError(
            f"cannot tell the format of '{path}'; name it .csv, .xlsx, .json or .html "
            "or give --format"
        )
    return suffix


def write_report(
    report: Report, fmt: str, path: str | Path, language: str = DEFAULT_LANGUAGE
) -> Path:
    """Write the report atomically (temporary file, then rename) and return the path.

    ``language`` ('en', 'lv', 'ko') is that of the headers, labels and reasons of the
    CSV, XLSX and HTML files; JSON stays English, for programs.
    """
    try:
        language = check_language(language)
    except UnknownLanguageError as exc:
        raise ReportError(str(exc)) from None
    if fmt not in WRITERS:
        raise ReportError(f"format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    path = Path(path)
    if path.is_dir():
        raise ReportError(f"'{path}' is a folder; give a file name")
    if not path.parent.is_dir():
        raise ReportError(f"folder '{path.parent}' does not exist")
    with replaced_atomically(path) as temporary:
        WRITERS[fmt](report, temporary, language)
    return path


def read_previous(path: str | Path) -> PreviousReport:
    """The (company, partner) pairs and metadata of an earlier report, in any format."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"no previous report at '{path}'")
    fmt = detect_format(path)
    try:
        pairs, meta = READERS[fmt](path)
    except (
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        StopIteration,
        OSError,
        zipfile.BadZipFile,
    ) as exc:
        raise ReportError(f"'{path}' is not a matchmaker report ({exc})") from None
    return PreviousReport(source=path.name, pairs=frozenset(pairs), meta=meta)
