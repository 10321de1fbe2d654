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
from .profiles import INPUT_FIELDS, LIST_FIELDS, Profile, ProfileError, validate_profile

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


@dataclass
class ParsedFile:
    profiles: list[Profile] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix == "ndjson":
        return "jsonl"
    if suffix not in FORMATS:
        raise ValueError(f"unsupported file type '.{suffix}'; use .jsonl, .json or .csv")
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
        return ParsedFile(errors=[RowError(0, "", f"is not UTF-8 text (byte {exc.start})")])
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
    return result


_LINE_END = re.compile(r"\r\n|\r|\n")


def _unparsable(exc: ValueError | RecursionError) -> str:
    """Valid JSON syntax that Python still refuses: absurd nesting or huge integers."""
    if isinstance(exc, RecursionError):
        return "not readable JSON: nested too deeply"
    return "not readable JSON: a number has too many digits"


class _FileError(Exception):
    def __init__(self, row: int, message: str):
        self.row, self.message = row, message


def _read_jsonl(text: str):
    # Only \n, \r\n and \r end a JSON line; str.splitlines() would also split inside
    # values at U+2028, U+0085 and other characters JSON leaves unescaped.
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
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
    line = reader.line_num
    try:
        for values in reader:
            row = line + 1
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


def _check_unique_columns(header: list[str]) -> None:
    """A repeated column would silently lose one of its values; refuse the file instead."""
    first_at: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name and name in first_at:
            raise _FileError(
                1,
                f"column '{name}' appears twice in the header (columns {first_at[name]} "
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
        columns = [*INPUT_FIELDS, "created_at", "updated_at"]
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for profile in profiles:
            record = _export_record(profile)
            for name in LIST_FIELDS:
                record[name] = "; ".join(record[name])
            record["verified"] = "true" if record["verified"] else "false"
            writer.writerow(
                {
                    k: "" if record.get(k) is None else formulas.neutralise(record[k])
                    for k in columns
                }
            )
    else:
        raise ValueError(f"unsupported export format '{fmt}'; use jsonl or csv")
    return len(profiles)


def _export_record(profile: Profile) -> dict[str, Any]:
    record = profile.content()
    record.update(created_at=profile.created_at, updated_at=profile.updated_at)
    return record
