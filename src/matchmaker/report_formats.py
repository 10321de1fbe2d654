"""Writing reports as CSV, XLSX, JSON or HTML, and reading earlier ones back.

One row per (company, partner, rank) in CSV and XLSX, with the columns
declared once in :data:`COLUMNS`. Text cells that a spreadsheet would run as
a formula (starting with ``= + - @``, tab or carriage return) are prefixed
with ``'``, the OWASP advice against CSV/formula injection: profile text comes
from imports and web forms, not from staff alone.

Files are written to a temporary name and renamed, so an interrupted run never
leaves a half-written report where the last good one was.

:func:`read_previous` accepts any of the four formats (HTML reports carry
their pairs in an embedded JSON block) for the "new since" comparison.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .files import replaced_atomically
from .formulas import neutralise
from .reports import CompanyMatches, PreviousReport, Report, ReportEntry, ReportError, summarise

FORMATS = ("csv", "xlsx", "json", "html")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
HTML_DATA_ID = "matchmaker-report-data"
LISTED_IDS = 10  # chosen ids spelled out where room is short; the JSON meta keeps them all


@dataclass(frozen=True)
class Column:
    """A CSV/XLSX column: header, width in the spreadsheet, and how to get the value."""

    name: str
    width: int
    value: Callable[[CompanyMatches, ReportEntry], Any]


COLUMNS: tuple[Column, ...] = (
    Column("direction", 10, lambda s, e: s.direction),
    Column("company_id", 22, lambda s, e: s.company.id),
    Column("company_name", 32, lambda s, e: s.company.name),
    Column("company_country", 9, lambda s, e: s.company.country),
    Column("rank", 6, lambda s, e: e.rank),
    Column("partner_id", 22, lambda s, e: e.match.id),
    Column("partner_name", 32, lambda s, e: e.match.name),
    Column("partner_name_local", 22, lambda s, e: e.match.name_local or ""),
    Column("partner_country", 9, lambda s, e: e.match.country),
    Column("partner_city", 14, lambda s, e: e.match.city or ""),
    Column("partner_sectors", 28, lambda s, e: "; ".join(e.match.sectors)),
    Column("partner_verified", 9, lambda s, e: "yes" if e.match.verified else "no"),
    Column("score", 8, lambda s, e: e.match.score),
    Column("new", 6, lambda s, e: "" if e.new is None else ("yes" if e.new else "no")),
    Column("reasons", 90, lambda s, e: "\n".join(e.match.reasons)),
)


def guess_format(path: str | Path) -> str:
    """The format named by a file's extension (``.htm`` counts as HTML)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    if suffix not in FORMATS:
        raise ReportError(
            f"cannot tell the format of '{path}'; name it .csv, .xlsx, .json or .html "
            "or give --format"
        )
    return suffix


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Write the report atomically (temporary file, then rename) and return the path."""
    if fmt not in WRITERS:
        raise ReportError(f"format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    path = Path(path)
    if path.is_dir():
        raise ReportError(f"'{path}' is a folder; give a file name")
    if not path.parent.is_dir():
        raise ReportError(f"folder '{path.parent}' does not exist")
    with replaced_atomically(path) as temporary:
        WRITERS[fmt](report, temporary)
    return path


def score_part_names(report: Report) -> list[str]:
    """The ranker's score parts in the order it reports them (one column each)."""
    names: dict[str, None] = {}
    for section in report.sections:
        for entry in section.entries:
            names.update(dict.fromkeys(entry.match.score_parts))
    return list(names)


def table(report: Report) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows shared by CSV and XLSX; text values already neutralised."""
    parts = score_part_names(report)
    header = [c.name for c in COLUMNS] + [f"part_{p}" for p in parts]
    return header, _rows(report, parts)


def _rows(report: Report, parts: list[str]) -> Iterator[list[Any]]:
    for section in report.sections:
        for entry in section.entries:
            values = [neutralise(c.value(section, entry)) for c in COLUMNS]
            yield values + [entry.match.score_parts.get(p) for p in parts]


# -- CSV -------------------------------------------------------------------------

CSV_META_COLUMNS = ("model_id", "data_revision", "data_changed_at", "matchmaker_version")


def write_csv(report: Report, path: Path) -> None:
    """UTF-8 with a BOM, so Excel shows Hangul and Latvian letters; metadata on every row.

    CSV has no place for a header block, so the reproducibility fields repeat in
    the last columns (the parameters as compact JSON): a file that travels alone
    still says how it was made.
    """
    meta = report.meta
    trailer = [meta.get(k) for k in CSV_META_COLUMNS] + [
        json.dumps(compact_parameters(meta["parameters"]), sort_keys=True, ensure_ascii=False)
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        header, rows = table(report)
        writer.writerow(header + [*CSV_META_COLUMNS, "parameters"])
        for row in rows:
            writer.writerow(row + [neutralise(v) for v in trailer])


# -- XLSX ------------------------------------------------------------------------


def write_xlsx(report: Report, path: Path) -> None:
    """A Summary sheet (how the report was made, the figures) and a Matches sheet.

    Written in openpyxl's streaming mode so memory does not grow with the rows.
    Row heights are set from the wrapped text: LibreOffice does not always fit
    them itself on load, and overlapping reasons are unreadable.
    """
    from openpyxl import Workbook

    if report.match_count > XLSX_MAX_ROWS:
        raise ReportError(
            f"{report.match_count} matches do not fit in one Excel sheet "
            f"({XLSX_MAX_ROWS} rows); use CSV or fewer companies"
        )
    book = Workbook(write_only=True)
    _summary_sheet(book, report)
    _matches_sheet(book, report)
    book.save(path)


SUMMARY_WIDTHS = (34, 70)
LINE_HEIGHT = 15.0  # points per line of 11-point text
CHARS_PER_WIDTH = 1.1  # prose fits a little more than one character per column-width unit


def _summary_sheet(book, report: Report) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet("Summary")
    _fit_to_page_width(sheet, landscape=False)
    for letter, width in zip("AB", SUMMARY_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top", horizontal="left")
    number = 0
    for title, lines in summary_blocks(report):
        sheet.append([_cell(sheet, title, font=bold)])
        number += 1
        for label, value in lines:
            number += 1
            texts = [(str(label), SUMMARY_WIDTHS[0]), (str(value), SUMMARY_WIDTHS[1])]
            _set_height(sheet, number, texts)
            sheet.append([_cell(sheet, label, alignment=wrap), _cell(sheet, value, alignment=wrap)])
        sheet.append([])
        number += 1


def _matches_sheet(book, report: Report) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet("Matches")
    header, rows = table(report)
    widths = [c.width for c in COLUMNS] + [11] * (len(header) - len(COLUMNS))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    sheet.print_title_rows = "1:1"
    _fit_to_page_width(sheet, landscape=True)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{report.match_count + 1}"
    sheet.append([_cell(sheet, name, font=Font(bold=True)) for name in header])
    wrap = Alignment(wrap_text=True, vertical="top")
    reasons = header.index("reasons")
    for number, row in enumerate(rows, start=2):
        _set_height(sheet, number, [(row[reasons], widths[reasons])])
        row[reasons] = _cell(sheet, row[reasons], alignment=wrap)
        sheet.append(row)


def _cell(sheet, value: Any, font=None, alignment=None):
    """A streamed cell with a style; text is neutralised like every other cell."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if font:
        cell.font = font
    if alignment:
        cell.alignment = alignment
    return cell


def _set_height(sheet, number: int, texts: list[tuple[str, int]]) -> None:
    """Height of row ``number`` (set before it is streamed): lines of its longest text."""
    lines = max(
        sum(max(1, -(-len(line) // int(width * CHARS_PER_WIDTH))) for line in text.split("\n"))
        for text, width in texts
    )
    if lines > 1:
        sheet.row_dimensions[number].height = lines * LINE_HEIGHT


def _fit_to_page_width(sheet, landscape: bool) -> None:
    """Print on A4, as wide as the page and as many pages long as needed."""
    from openpyxl.worksheet.worksheet import Worksheet

    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def summary_blocks(report: Report) -> list[tuple[str, list[list[Any]]]]:
    """The Summary sheet's blocks as (title, rows): report info, figures, top partners."""
    meta = report.meta
    summary = summarise(report)
    params = meta["parameters"]
    filters = params["partner_filters"]
    info = [
        ["Title", meta["title"]],
        ["Generated at (UTC)", meta["generated_at"]],
        ["Model", meta["model_id"]],
        ["Data revision", meta["data_revision"]],
        ["Data last changed (UTC)", meta["data_changed_at"]],
        ["Companies in database", meta["companies_in_database"]],
        ["matchmaker version", meta["matchmaker_version"]],
        ["Partners per company (top)", params["top"]],
        ["Direction", params["direction"]],
        ["Chosen companies", describe_ids(params["company_ids"])],
        ["Company sectors", ", ".join(params["sectors"]) or "all"],
        ["Changed since", params["changed_since"] or "any time"],
        ["Partner filters", describe_filters(filters)],
        ["Ranking candidates per company", meta["ranking"]["candidates"]],
        ["Ranking weights", describe_weights(meta["ranking"]["weights"])],
    ]
    if meta.get("previous_report"):
        previous = meta["previous_report"]
        info.append(
            ["New since", f"{previous['source']} (generated {previous.get('generated_at')})"]
        )
    figures = [["Companies", summary.companies], ["Matches", summary.matches]]
    for direction, counts in summary.by_direction.items():
        figures.append(
            [f"{direction}: companies / matches", f"{counts['companies']} / {counts['matches']}"]
        )
    if summary.new is not None:
        figures.append(["New matches", summary.new])
    figures.append(["Companies without partners", summary.without_partners])
    figures.append(["Strong match", summary.strong_rule])
    partners = [[f"{p.name} ({p.country})", p.count] for p in summary.top_partners]
    return [
        ("Report", info),
        ("Figures", figures),
        ("Most frequent partners (companies they appear for)", partners),
    ]


def compact_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters for places that repeat them or lack room (every CSV row, one XLSX cell).

    A report for 10,000 chosen companies would otherwise carry all their ids on
    each of its rows; the first few and the count still tell the reports apart.
    """
    ids = parameters["company_ids"]
    if len(ids) <= LISTED_IDS:
        return parameters
    return {**parameters, "company_ids": [*ids[:LISTED_IDS], f"... {len(ids)} in all"]}


def describe_ids(ids: list[str]) -> str:
    """Chosen company ids in words: all, the list, or the first few and how many."""
    if not ids:
        return "all"
    shown = ", ".join(ids[:LISTED_IDS])
    return shown if len(ids) <= LISTED_IDS else f"{shown} and {len(ids) - LISTED_IDS} more"


def describe_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in weights.items())


def describe_filters(filters: dict[str, Any]) -> str:
    """Partner filters in words, for people reading the report."""
    words = []
    if filters["sectors"]:
        words.append("sector " + " or ".join(filters["sectors"]))
    if filters["partnership_types"]:
        words.append("open to " + " or ".join(filters["partnership_types"]))
    if filters["verified_only"]:
        words.append("verified only")
    if filters["min_employees"]:
        words.append(f"at least {filters['min_employees']} employees")
    return "; ".join(words) or "none"


# -- JSON ------------------------------------------------------------------------


def report_document(report: Report) -> dict[str, Any]:
    """The JSON form: meta, summary figures, and companies with their matches."""
    return {
        "meta": report.meta,
        "summary": asdict(summarise(report)),
        "companies": [
            {
                "id": s.company.id,
                "name": s.company.name,
                "name_local": s.company.name_local,
                "country": s.company.country,
                "city": s.company.city,
                "sectors": list(s.company.sectors),
                "direction": s.direction,
                "matches": [{"rank": e.rank, "new": e.new, **e.match.to_dict()} for e in s.entries],
            }
            for s in report.sections
        ],
    }


def write_json(report: Report, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report_document(report), handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def write_html(report: Report, path: Path) -> None:
    from .report_html import render_html

    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_html(report))


WRITERS: dict[str, Callable[[Report, Path], None]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "json": write_json,
    "html": write_html,
}


# -- reading an earlier report -------------------------------------------------------


def read_previous(path: str | Path) -> PreviousReport:
    """The (company, partner) pairs and metadata of an earlier report, in any format."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"no previous report at '{path}'")
    fmt = guess_format(path)
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


def _read_json(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    pairs = {(c["id"], m["id"]) for c in document["companies"] for m in c["matches"]}
    return pairs, document["meta"]


def _read_csv(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(r["company_id"], r["partner_id"]) for r in rows}
    meta = {k: rows[0].get(k) for k in CSV_META_COLUMNS} if rows else {}
    return pairs, meta


def _read_xlsx(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book["Matches"].iter_rows(values_only=True)
        header = list(next(rows))
        company, partner = header.index("company_id"), header.index("partner_id")
        pairs = {(str(r[company]), str(r[partner])) for r in rows if r[company] is not None}
        meta = {
            str(row[0]): row[1]
            for row in book["Summary"].iter_rows(values_only=True, max_col=2)
            if row and row[0] is not None
        }
    finally:
        book.close()
    return pairs, {
        "generated_at": meta.get("Generated at (UTC)"),
        "model_id": meta.get("Model"),
        "data_revision": meta.get("Data revision"),
    }


class _DataBlock(HTMLParser):
    """Finds the report's embedded JSON block in an HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "script" and ("id", HTML_DATA_ID) in attrs

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)


def _read_html(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    parser = _DataBlock()
    parser.feed(path.read_text(encoding="utf-8"))
    if not parser.text:
        raise ValueError("it has no embedded report data")
    document = json.loads("".join(parser.text))
    return {tuple(pair) for pair in document["pairs"]}, document["meta"]


READERS = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json, "html": _read_html}
