"""Import and export of profile files (.jsonl, .json, .csv).

Import is two steps so that nothing is ever half-written: :func:`parse_file`
reads and validates *every* row and collects every error; only a file with
no errors is handed to ``Store.upsert_many``, which writes it in one
transaction. Rows are numbered the way an editor shows them: the line for
JSONL and CSV (the CSV header is row 1, as in a spreadsheet), the position
for a JSON list. CSV exports neutralise cells a spreadsheet would run as
formulas and imports restore them (:mod:`formulas`), so the round trip holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import formulas
from .errors import InvalidInput
from .profiles import (
    BOM,
    INPUT_FIELDS,
    LIST_FIELDS,
    FieldError,
    Profile,
    ProfileError,
    validate_profile,
    visible,
)

FORMATS = ("jsonl", "json", "csv")
EXPORT_FORMATS = ("jsonl", "csv")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return f"file: {self.message}"
        if not self.field:  # the row as a whole (an unreadable line, the CSV header)
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, field {self.field}: {self.message}"


@dataclass(frozen=True)
class ExportedState:
    """The version and last change a row had when it was exported (exports write both).

    Importing the file later must not silently undo edits made since: the store
    compares these with what it holds and reports the rows that moved on.
    """

    version: int | None
    updated_at: str | None


@dataclass
class ParsedFile:
    profiles: list[Profile] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: id -> state at export, for rows that carry ``version`` or ``updated_at``.
    exported: dict[str, ExportedState] = field(default_factory=dict)

    def row_of(self, company_id: str) -> int:
        """The file row of a profile (0 if it is not in the file)."""
        for row, profile in zip(self.rows, self.profiles, strict=True):
            if profile.id == company_id:
                return row
        return 0

    @property
    def ok(self) -> bool:
        return not self.errors


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix == "ndjson":
        return "jsonl"
    if suffix not in FORMATS:
        raise InvalidInput(f"unsupported file type '.{suffix}'; use .jsonl, .json or .csv")
    return suffix


def parse_file(path: str | Path, fmt: str | None = None, any_european: bool = False) -> ParsedFile:
    """Read and validate a file on disk (``any_european``: an evaluation pool, see profiles)."""
    fmt = fmt or detect_format(str(path))
    return parse_bytes(Path(path).read_bytes(), fmt, any_european)


def parse_bytes(data: bytes, fmt: str, any_european: bool = False) -> ParsedFile:
    """Validate every row of an uploaded or read file; never raises for bad content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParsedFile(errors=[_not_utf8(data, exc.start, fmt)])
    if "\x00" in text:
        return ParsedFile(errors=[RowError(0, "", "contains NUL bytes; is it a binary file?")])
    result = ParsedFile()
    try:
        records = list(_READERS[fmt](text))
    except _FileError as exc:
        result.errors.append(RowError(exc.row, "", exc.message))
        return result
    if not records:
        result.errors.append(RowError(0, "", "has no company rows"))
    first_row_of: dict[str, int] = {}
    for row, record in records:
        if isinstance(record, RowError):
            result.errors.append(record)
            continue
        try:
            profile = validate_profile(record, any_european)
            state = _exported_state(record)
        except ProfileError as exc:
            result.errors.extend(RowError(row, e.field, e.message) for e in exc.errors)
            continue
        if profile.id in first_row_of:
            result.errors.append(
                RowError(
                    row, "id", f"'{profile.id}' already appears in row {first_row_of[profile.id]}"
                )
            )
            continue
        first_row_of[profile.id] = row
        result.profiles.append(profile)
        result.rows.append(row)
        if state is not None:
            result.exported[profile.id] = state
    return result


def _exported_state(record: dict[str, Any]) -> ExportedState | None:
    """``version`` and ``updated_at`` as an export wrote them, or None if the row has neither."""
    version, updated_at = record.get("version"), record.get("updated_at")
    if isinstance(version, str):
        version = version.strip() or None
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if version is not None:
        try:
            if isinstance(version, bool) or not isinstance(version, int | str):
                raise ValueError
            version = int(version)
            if version < 1:
                raise ValueError
        except ValueError:
            raise ProfileError(
                [FieldError("version", "must be the whole number an export wrote (1 or more)")]
            ) from None
    if updated_at is not None and not isinstance(updated_at, str):
        raise ProfileError([FieldError("updated_at", "must be the date an export wrote")])
    updated_at = (updated_at or "").strip() or None
    if version is None and updated_at is None:
        return None
    return ExportedState(version, updated_at)


_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")
#: What undecodable bytes become under errors="surrogateescape".
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _holds_escaped_byte(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_ESCAPED_BYTE.search(value))
    if isinstance(value, dict):
        return any(_holds_escaped_byte(k) or _holds_escaped_byte(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_escaped_byte(v) for v in value)
    return False


def _not_utf8(data: bytes, offset: int, fmt: str) -> RowError:
    """Where the first non-UTF-8 byte is, as an editor shows it: line, column and row.

    A byte offset means nothing to someone holding a spreadsheet export. The file
    is read again with the bad bytes kept as placeholders, so the row (and field)
    holding the first one can be named; a CSV row may span several lines.
    """
    line_starts = [0, *(m.end() for m in _LINE_END_BYTES.finditer(data, 0, offset))]
    line, start = len(line_starts), line_starts[-1]
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    message = (
        f"byte 0x{data[offset]:02X} on line {line}, column {column} is not UTF-8 text; "
        "save the file as UTF-8"
    )
    row, field_name = _row_holding_escaped_byte(data, fmt)
    if fmt == "jsonl":
        row = line
    return RowError(row, field_name, message)


def _row_holding_escaped_byte(data: bytes, fmt: str) -> tuple[int, str]:
    """(row, field) of the first record holding an undecodable byte, or (0, "")."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    try:
        for row, record in _READERS[fmt](text):
            if isinstance(record, dict):
                for key, value in record.items():
                    if _holds_escaped_byte(key) and fmt == "csv":
                        return 1, ""  # a CSV row's keys are the header, row 1
                    if _holds_escaped_byte(key) or _holds_escaped_byte(value):
                        return row, visible(str(key))
            elif _holds_escaped_byte(record):
                return row, ""
    except (_FileError, ValueError, RecursionError):
        pass
    return 0, ""


def _unparsable(exc: ValueError | RecursionError) -> str:
    """Valid JSON syntax that Python still refuses: absurd nesting or huge integers."""
    if isinstance(exc, RecursionError):
        return "not readable JSON: nested too deeply"
    return "not readable JSON: a number has too many digits"


_STRAY_BOM = (
    "starts with a second byte order mark (U+FEFF), as when two files are joined; remove it"
)


class _FileError(Exception):
    def __init__(self, row: int, message: str):
        self.row, self.message = row, message


def _read_jsonl(text: str):
    # Only \n, \r\n and \r end a JSON line; str.splitlines() would also split inside
    # values at U+2028, U+0085 and other characters JSON leaves unescaped.
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith(BOM):
            yield number, RowError(number, "(json)", _STRAY_BOM)
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                number,
                RowError(number, "(json)", f"not valid JSON: {exc.msg} at column {exc.colno}"),
            )
        except (ValueError, RecursionError) as exc:
            yield number, RowError(number, "(json)", _unparsable(exc))


def _read_json(text: str):
    if text.lstrip().startswith(BOM):
        raise _FileError(0, _STRAY_BOM)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _FileError(0, f"is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except (ValueError, RecursionError) as exc:
        raise _FileError(0, f"is {_unparsable(exc)}") from None
    if isinstance(data, dict) and isinstance(data.get("companies"), list):
        data = data["companies"]
    if not isinstance(data, list):
        raise _FileError(0, "must hold a JSON list of company objects")
    yield from enumerate(data, start=1)


def _read_csv(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise _FileError(1, f"unreadable CSV header: {exc}") from None
    header = [h.strip() for h in header]
    _check_unique_columns(header)
    _check_no_bom_in_header(header)
    line = reader.line_num
    last_start = 0
    try:
        for values in reader:
            row = last_start = line + 1
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                yield (
                    row,
                    RowError(
                        row, "(csv)", f"has {len(values)} cells but the header has {len(header)}"
                    ),
                )
                continue
            yield (
                row,
                {
                    h: (formulas.restore(v) if v.strip() else None)
                    for h, v in zip(header, values, strict=False)
                    if h
                },
            )
    except csv.Error as exc:
        raise _FileError(line + 1, f"unreadable CSV: {exc}") from None
    if last_start:
        _check_quotes_closed(text, last_start)


#: One CSV field from its first character: a quoted field (closed or running to the end
#: of the file) and whatever follows its closing quote, or an unquoted field.
_CSV_FIELD = re.compile(r'"(?:[^"]+|"")*("?)[^,\r\n]*|[^,\r\n]*')


def _check_quotes_closed(text: str, last_row: int) -> None:
    """Refuse a file whose last record opens a quote that never closes.

    Python's csv reader then reads the rest of the file into that one cell, so
    every later row silently vanished into a description. Only the last record
    can hold such a quote (it runs to the end of the file), so only it is scanned,
    field by field, the way the reader reads it.
    """
    starts = [0, *(m.end() for m in _LINE_END.finditer(text))]
    position = starts[last_row - 1]
    while position < len(text):
        field_match = _CSV_FIELD.match(text, position)
        if text.startswith('"', position) and not field_match.group(1):
            opened = last_row + len(_LINE_END.findall(text, starts[last_row - 1], position))
            raise _FileError(
                opened,
                f'a quote (") opened on line {opened} is never closed, so every line after '
                'it would be read into one cell; close it, or double a quote inside a cell ("")',
            )
        position = field_match.end()
        if text.startswith(",", position):
            position += 1
        else:
            return  # the end of the record (or of the file)


def _check_no_bom_in_header(header: list[str]) -> None:
    """A second BOM (two files joined) would otherwise show up as an invisible character."""
    for position, name in enumerate(header, start=1):
        if BOM in name:
            raise _FileError(
                1,
                f"column {position} ('{visible(name)}') holds a byte order mark (U+FEFF), as "
                "when two files are joined; remove it",
            )


def _check_unique_columns(header: list[str]) -> None:
    """A repeated column would silently lose one of its values; refuse the file instead."""
    first_at: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name and name in first_at:
            raise _FileError(
                1,
                f"column '{visible(name)}' appears twice in the header (columns {first_at[name]} "
                f"and {position}); keep one",
            )
        first_at.setdefault(name, position)


_READERS = {"jsonl": _read_jsonl, "json": _read_json, "csv": _read_csv}


def export_profiles(profiles: list[Profile], fmt: str, out: IO[str]) -> int:
    """Write profiles so that importing the output gives the same profiles back."""
    if fmt == "jsonl":
        for profile in profiles:
            out.write(json.dumps(_export_record(profile), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=TABLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for profile in profiles:
            writer.writerow(table_row(profile))
    else:
        raise InvalidInput(f"unsupported export format '{fmt}'; use jsonl or csv")
    return len(profiles)


#: Columns of a table export (CSV here, XLSX in :mod:`matchmaker.exporting`).
TABLE_COLUMNS = [*INPUT_FIELDS, "version", "created_at", "updated_at"]


def table_row(profile: Profile) -> dict[str, Any]:
    """A profile as one spreadsheet row: lists joined with "; ", formulas neutralised.

    Shared by the CSV and XLSX exports so both are equally safe to open in a
    spreadsheet and both import back unchanged.
    """
    record = _export_record(profile)
    for name in LIST_FIELDS:
        record[name] = "; ".join(record[name])
    record["verified"] = "true" if record["verified"] else "false"
    return {
        k: "" if record.get(k) is None else formulas.neutralise(record[k]) for k in TABLE_COLUMNS
    }


def _export_record(profile: Profile) -> dict[str, Any]:
    record = profile.content()
    # version and updated_at let a later import tell which rows were edited since
    record.update(
        version=profile.version or None,  # 0: never stored, so nothing to compare with
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
    return record
