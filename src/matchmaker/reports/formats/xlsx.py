"""XLSX reports: a Summary sheet (how the report was made, the figures) and a Matches sheet.

openpyxl is imported inside the functions: only XLSX reports pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...formulas import neutralise
from ...languages import DEFAULT_LANGUAGE, LANGUAGES, N_, translations
from ..model import Report, ReportError
from ..summary import summarise
from .common import (
    COLUMNS,
    column_names_by_header,
    describe_filters,
    describe_ids,
    describe_weights,
    table,
)

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


def write_xlsx(report: Report, path: Path, language: str = DEFAULT_LANGUAGE) -> None:
    """A Summary sheet (how the report was made, the figures) and a Matches sheet.

    Sheet names, headers, labels and reasons are in ``language``; numbers are number
    cells, which the spreadsheet shows the way its own locale writes them.

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
    _summary_sheet(book, report, language)
    _matches_sheet(book, report, language)
    book.save(path)


SUMMARY_WIDTHS = (34, 70)
LINE_HEIGHT = 15.0  # points per line of 11-point text
CHARS_PER_WIDTH = 1.1  # prose fits a little more than one character per column-width unit


def sheet_names(language: str) -> tuple[str, str]:
    """The two sheets' names in ``language``: (summary, matches)."""
    t = translations(language)
    return t.pgettext("sheet", "Summary"), t.pgettext("sheet", "Matches")


def _summary_sheet(book, report: Report, language: str) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet(sheet_names(language)[0])
    _fit_to_page_width(sheet, landscape=False)
    for letter, width in zip("AB", SUMMARY_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top", horizontal="left")
    number = 0
    for title, lines in summary_blocks(report, language):
        sheet.append([_cell(sheet, title, font=bold)])
        number += 1
        for label, value in lines:
            number += 1
            texts = [(str(label), SUMMARY_WIDTHS[0]), (str(value), SUMMARY_WIDTHS[1])]
            _set_height(sheet, number, texts)
            sheet.append([_cell(sheet, label, alignment=wrap), _cell(sheet, value, alignment=wrap)])
        sheet.append([])
        number += 1


def _matches_sheet(book, report: Report, language: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(sheet_names(language)[1])
    header, rows = table(report, language)
    widths = [c.width for c in COLUMNS] + [11] * (len(header) - len(COLUMNS))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    sheet.print_title_rows = "1:1"
    _fit_to_page_width(sheet, landscape=True)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{report.match_count + 1}"
    sheet.append([_cell(sheet, name, font=Font(bold=True)) for name in header])
    wrap = Alignment(wrap_text=True, vertical="top")
    reasons = [c.name for c in COLUMNS].index("reasons")
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


#: The Summary sheet's labels that a later report reads back, as their English msgids.
READ_BACK = {
    "generated_at": N_("Generated at (UTC)"),
    "model_id": N_("Model"),
    "data_revision": N_("Data revision"),
}


def summary_blocks(
    report: Report, language: str = DEFAULT_LANGUAGE
) -> list[tuple[str, list[list[Any]]]]:
    """The Summary sheet's blocks as (title, rows): report info, figures, top partners."""
    _ = translations(language).gettext
    meta = report.meta
    summary = summarise(report)
    params = meta["parameters"]
    filters = params["partner_filters"]
    info = [
        [_("Title"), meta["title"]],
        [_(READ_BACK["generated_at"]), meta["generated_at"]],
        [_(READ_BACK["model_id"]), meta["model_id"]],
        [_(READ_BACK["data_revision"]), meta["data_revision"]],
        [_("Data last changed (UTC)"), meta["data_changed_at"]],
        [_("Companies in database"), meta["companies_in_database"]],
        [_("matchmaker version"), meta["matchmaker_version"]],
        [_("Partners per company (top)"), params["top"]],
        [_("Direction"), params["direction"]],
        [_("Chosen companies"), describe_ids(params["company_ids"], language)],
        [_("Company sectors"), ", ".join(params["sectors"]) or _("all")],
        [_("Changed since"), params["changed_since"] or _("any time")],
        [_("Partner filters"), describe_filters(filters, language)],
        [_("Ranking candidates per company"), meta["ranking"]["candidates"]],
        [_("Ranking weights"), describe_weights(meta["ranking"]["weights"])],
    ]
    if meta.get("previous_report"):
        previous = meta["previous_report"]
        info.append(
            [
                _("New since"),
                _("%(source)s (generated %(when)s)")
                % {"source": previous["source"], "when": previous.get("generated_at")},
            ]
        )
    figures = [[_("Companies"), summary.companies], [_("Matches"), summary.matches]]
    for direction, counts in summary.by_direction.items():
        figures.append(
            [
                _("%(direction)s: companies / matches") % {"direction": direction},
                f"{counts['companies']} / {counts['matches']}",
            ]
        )
    if summary.new is not None:
        figures.append([_("New matches"), summary.new])
    figures.append([_("Companies without partners"), summary.without_partners])
    figures.append([_("Strong match"), summary.strong_rule])
    partners = [[f"{p.name} ({p.country})", p.count] for p in summary.top_partners]
    return [
        (_("Report"), info),
        (_("Figures"), figures),
        (_("Most frequent partners (companies they appear for)"), partners),
    ]


def read_xlsx(path: Path) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        # By position: the sheets are named in the report's language.
        summary_sheet, matches_sheet = book.worksheets[:2]
        rows = matches_sheet.iter_rows(values_only=True)
        names = column_names_by_header()
        header = [names.get(str(h), str(h)) for h in next(rows)]
        company, partner = header.index("company_id"), header.index("partner_id")
        pairs = {(str(r[company]), str(r[partner])) for r in rows if r[company] is not None}
        meta = {
            str(row[0]): row[1]
            for row in summary_sheet.iter_rows(values_only=True, max_col=2)
            if row and row[0] is not None
        }
    finally:
        book.close()
    return pairs, {key: _read_back(meta, label) for key, label in READ_BACK.items()}


def _read_back(meta: dict[str, Any], label: str) -> Any:
    """A Summary value under ``label`` in whichever language the report was made."""
    for language in LANGUAGES:
        value = meta.get(translations(language).gettext(label))
        if value is not None:
            return value
    return None
