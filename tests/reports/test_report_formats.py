"""CSV, XLSX, JSON and HTML files: contents, formula neutralisation, escaping, reading back."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matchmaker.formulas import neutralise
from matchmaker.reports import (
    FORMATS,
    ReportError,
    ReportSpec,
    detect_format,
    formats,
    generate,
    read_previous,
    write_report,
)
from matchmaker.reports.formats import xlsx
from matchmaker.reports.formats.common import COLUMNS


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30", "'+49 30"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("Grindeks", "Grindeks"),
        ("a=b", "a=b"),
        ("", ""),
        (-0.25, -0.25),
        (3, 3),
    ],
)
def test_neutralise_prefixes_only_text_a_spreadsheet_would_run(value, expected):
    assert neutralise(value) == expected


def test_csv_has_one_row_per_match_and_says_how_it_was_made(make_report, tmp_path):
    report = make_report(ReportSpec(top=3))
    path = write_report(report, "csv", tmp_path / "r.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = read_csv(path)
    assert len(rows) == report.match_count
    assert list(rows[0])[: len(COLUMNS)] == [c.name for c in COLUMNS]
    assert {"part_reciprocal", "model_id", "data_revision", "parameters"} <= set(rows[0])
    first = report.sections[0]
    assert rows[0]["company_id"] == first.company.id
    assert rows[0]["partner_id"] == first.entries[0].match.id
    assert rows[0]["rank"] == "1"
    assert float(rows[0]["score"]) == first.entries[0].match.score
    assert rows[0]["reasons"].split("\n") == first.entries[0].match.reasons
    assert json.loads(rows[0]["parameters"])["top"] == 3
    assert rows[0]["model_id"] == report.meta["model_id"]


def test_csv_neutralises_formulas(hostile_report, tmp_path):
    rows = read_csv(write_report(hostile_report, "csv", tmp_path / "r.csv"))
    evil = [r for r in rows if r["partner_id"] == "evil-kr"]
    assert evil, "the hostile company should be someone's partner"
    for row in evil:
        assert row["partner_name"] == "'" + '=HYPERLINK("http://attacker.example","click")'
        assert row["partner_city"] == "'@SUM(A1:A9)"
        assert row["partner_sectors"] == "'-pharma; pharmaceuticals"
    own = [r for r in rows if r["company_id"] == "evil-kr"]
    assert own and all(r["company_name"].startswith("'=") for r in own)
    numbers = {"score", "parameters"} | {c for c in rows[0] if c.startswith("part_")}
    for row in rows:
        for column, value in row.items():
            if column not in numbers:  # a number such as -0.04 is data, not a formula
                assert not value.startswith(("=", "+", "-", "@")), (column, value)


def test_xlsx_has_summary_and_matches_sheets_readable_and_inert(hostile_report, hostile, tmp_path):
    path = write_report(hostile_report, "xlsx", tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Matches"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["Model"] == hostile_report.meta["model_id"]
    assert summary["Data revision"] == hostile_report.meta["data_revision"]
    assert summary["Matches"] == hostile_report.match_count
    assert summary["Partners per company (top)"] == 6
    sheet = book["Matches"]
    header = [c.value for c in sheet[1]]
    assert header[: len(COLUMNS)] == [c.name for c in COLUMNS]
    assert sheet.max_row == hostile_report.match_count + 1
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref.startswith("A1:")
    widths = {
        c.name: sheet.column_dimensions[letter].width
        for c, letter in zip(COLUMNS, "ABCDEFGHIJKLMNO", strict=True)
    }
    assert widths["reasons"] >= 80 and widths["company_name"] >= 30 and widths["rank"] <= 8
    reasons = header.index("reasons") + 1
    assert sheet.cell(2, reasons).alignment.wrap_text
    lines = sheet.cell(2, reasons).value.count("\n") + 1
    assert sheet.row_dimensions[2].height >= 15 * lines  # every reason visible, none overlapping
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    names = {c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value}
    assert names == {"'" + hostile["name"]}
    scores = [sheet.cell(r, header.index("score") + 1).value for r in range(2, 5)]
    assert all(isinstance(s, float) for s in scores)


def test_xlsx_refuses_more_rows_than_excel_holds(make_report, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "XLSX_MAX_ROWS", 5)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ReportError, match="do not fit in one Excel sheet"):
        write_report(make_report(ReportSpec(top=3)), "xlsx", folder / "r.xlsx")
    assert not list(folder.iterdir())  # no half-written file left behind


def test_json_keeps_values_as_data(hostile_report, hostile, tmp_path):
    path = write_report(hostile_report, "json", tmp_path / "r.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"meta", "summary", "companies"}
    evil = next(c for c in document["companies"] if c["id"] == "evil-kr")
    assert evil["name"] == hostile["name"]  # JSON is data, not a spreadsheet: no prefix
    match = document["companies"][0]["matches"][0]
    assert {"rank", "new", "id", "score", "reasons", "score_parts"} <= set(match)
    assert document["summary"]["matches"] == hostile_report.match_count


def test_html_is_self_contained_and_escapes_profile_text(hostile_report, tmp_path):
    path = write_report(hostile_report, "html", tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert not re.search(r"<(img|link|iframe|object|embed|audio|video)\b", page)
    assert not re.search(r"\s(src|href)=['\"]?(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # name_local, escaped
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="application/json" id="matchmaker-report-data">']
    assert page.count("</script>") == 1
    assert page.count("<svg ") == 3
    for section in hostile_report.sections:
        assert f'id="c-{section.company.id}"' in page
    assert "Where the matches cluster" in page
    assert "@media print" in page


def test_html_shows_new_badges_only_for_new_matches(make_report, tmp_path):
    first = make_report(ReportSpec(top=2))
    previous_path = write_report(first, "json", tmp_path / "first.json")
    second = make_report(ReportSpec(top=3), previous=read_previous(previous_path))
    page = write_report(second, "html", tmp_path / "second.html").read_text(encoding="utf-8")
    new = sum(bool(e.new) for s in second.sections for e in s.entries)
    assert new == len(second.sections)  # each company's third partner is the news
    assert page.count('class="badge new"') == new
    assert "first.json" in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_back_as_a_previous_report(make_report, tmp_path, fmt):
    report = make_report(ReportSpec(top=3))
    path = write_report(report, fmt, tmp_path / f"report.{fmt}")
    previous = read_previous(path)
    assert previous.pairs == frozenset(report.pairs())
    assert previous.source == f"report.{fmt}"
    assert previous.meta["model_id"] == report.meta["model_id"]
    assert str(previous.meta["data_revision"]) == str(report.meta["data_revision"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.json", "[1, 2]", "is not a matchmaker report"),
        ("old.json", "{not json", "is not a matchmaker report"),
        ("old.csv", "a,b\n1,2\n", "is not a matchmaker report"),
        ("old.html", "<html><body>hello</body></html>", "no embedded report data"),
        ("old.xlsx", "not a zip", "is not a matchmaker report"),
        ("old.txt", "x", "cannot tell the format"),
    ],
)
def test_a_file_that_is_not_a_report_is_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=message):
        read_previous(path)


def test_missing_previous_report_is_refused(tmp_path):
    with pytest.raises(ReportError, match="no previous report at"):
        read_previous(tmp_path / "gone.csv")


@pytest.mark.parametrize(("name", "fmt"), [("a.CSV", "csv"), ("b.htm", "html"), ("c.xlsx", "xlsx")])
def test_format_follows_the_extension(name, fmt):
    assert detect_format(name) == fmt


def test_writing_refuses_folders_and_missing_folders(make_report, tmp_path):
    report = make_report(ReportSpec(top=1))
    with pytest.raises(ReportError, match="is a folder"):
        write_report(report, "csv", tmp_path)
    with pytest.raises(ReportError, match="does not exist"):
        write_report(report, "csv", tmp_path / "no" / "r.csv")
    with pytest.raises(ReportError, match="format must be one of"):
        write_report(report, "pdf", tmp_path / "r.pdf")


def test_a_failed_write_keeps_the_previous_file(make_report, tmp_path, monkeypatch):
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "r.csv"
    path.write_text("the last good report", encoding="utf-8")

    def broken(report, target, language):
        target.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(formats.WRITERS, "csv", broken)  # a disk that fills up mid-write
    with pytest.raises(OSError, match="disk full"):
        write_report(make_report(ReportSpec(top=1)), "csv", path)
    assert path.read_text(encoding="utf-8") == "the last good report"
    assert [p.name for p in folder.iterdir()] == ["r.csv"]


def test_a_long_list_of_chosen_ids_is_shortened_where_it_repeats(
    hostile_store, hashing_embedder, tmp_path
):
    ids = tuple(p.id for p in hostile_store.list())
    assert len(ids) == 13
    report = generate(hostile_store, hashing_embedder, ReportSpec(top=1, company_ids=ids))
    rows = read_csv(write_report(report, "csv", tmp_path / "r.csv"))
    recorded = json.loads(rows[0]["parameters"])["company_ids"]
    assert recorded == [*ids[:10], "... 13 in all"]  # as given, then the count
    book = load_workbook(write_report(report, "xlsx", tmp_path / "r.xlsx"))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["Chosen companies"].endswith(" and 3 more")
    document = json.loads(write_report(report, "json", tmp_path / "r.json").read_text("utf-8"))
    assert document["meta"]["parameters"]["company_ids"] == list(ids)  # JSON keeps them all
    page = write_report(report, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert " and 3 more" in page
