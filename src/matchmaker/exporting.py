"""Profile exports for the web app: CSV, XLSX or JSONL of all or some profiles.

CSV and JSONL are exactly what ``matchmaker export`` writes
(:func:`importing.export_profiles`); XLSX has the same columns and cells as
the CSV (:func:`importing.table_row`), so cells a spreadsheet would run as
formulas are neutralised the same way, and every format imports back
unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .errors import InvalidInput
from .importing import TABLE_COLUMNS, export_profiles, table_row
from .profiles import Profile

FORMATS = ("csv", "xlsx", "jsonl")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFormatError(InvalidInput):
    """A format the web export does not write."""


def export_bytes(profiles: Sequence[Profile], fmt: str) -> bytes:
    """The whole export file; raise ExportFormatError for an unknown format."""
    if fmt == "xlsx":
        return xlsx_bytes(profiles)
    if fmt not in FORMATS:
        raise ExportFormatError(f"cannot export as '{fmt}'; use {', '.join(FORMATS)}")
    text = io.StringIO()
    export_profiles(list(profiles), fmt, text)
    return text.getvalue().encode("utf-8")


def xlsx_bytes(profiles: Sequence[Profile]) -> bytes:
    """One 'profiles' sheet, header row first; written in openpyxl's streaming mode."""
    from openpyxl import Workbook  # only XLSX exports pay for importing it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("profiles")
    sheet.append(TABLE_COLUMNS)
    for profile in profiles:
        row = table_row(profile)
        sheet.append([row[name] for name in TABLE_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
