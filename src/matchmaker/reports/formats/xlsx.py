"""XLSX reports: a Summary sheet (how the report was made, the figures) and a Matches sheet.

openpyxl is imported inside the functions: only XLSX reports pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...formulas import neutralise
from ..model import Report, ReportError
from ..summary import summarise
from .common import COLUMNS, describe_filters, describe_ids, describe_weights, table

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


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


def read_xlsx(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
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
