"""Reports in Latvian and Korean: headers, labels, reasons, numbers and dates in the language.

Real reports of the mini companies, written to files and read back the way a user's
spreadsheet or browser would; and an earlier report in any language still serves as
the "new since" baseline of the next one.
"""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

from matchmaker.cli import cli
from matchmaker.reports import ReportError, read_previous, write_report
from matchmaker.reports.formats.common import COLUMNS, column_header


@pytest.fixture
def report(make_report):
    return make_report()


def csv_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("language", "company", "reasons"),
    [("lv", "Uzņēmums", "Pamatojums"), ("ko", "기업", "매칭 이유")],
)
def test_csv_headers_and_words_are_in_the_language(report, tmp_path, language, company, reasons):
    path = write_report(report, "csv", tmp_path / f"r-{language}.csv", language)
    rows = csv_rows(path)
    assert rows and company in rows[0] and reasons in rows[0]
    assert "company_name" not in rows[0]
    english = csv_rows(write_report(report, "csv", tmp_path / "r-en.csv"))
    # Same rows, same order; ids and scores unchanged (machine-readable), words translated.
    assert [r[column_header("partner_id", language)] for r in rows] == [
        r["partner_id"] for r in english
    ]
    assert [r[column_header("score", language)] for r in rows] == [r["score"] for r in english]
    verified = {r[column_header("partner_verified", language)] for r in rows}
    assert verified <= ({"jā", "nē"} if language == "lv" else {"예", "아니요"})
    translated = sum(
        r[reasons] != e["reasons"] for r, e in zip(rows, english, strict=True) if e["reasons"]
    )
    assert translated == len([e for e in english if e["reasons"]])


def test_xlsx_sheets_headers_and_summary_are_in_korean(report, tmp_path):
    path = write_report(report, "xlsx", tmp_path / "r.xlsx", "ko")
    book = load_workbook(path)
    assert book.sheetnames == ["요약", "매칭"]
    summary = {row[0]: row[1] for row in book["요약"].iter_rows(values_only=True) if row}
    assert summary["모델"] == report.meta["model_id"]
    assert summary["매칭"] == report.match_count
    header = [c.value for c in book["매칭"][1]]
    assert header[: len(COLUMNS)] == [column_header(c.name, "ko") for c in COLUMNS]
    assert "기업 ID" in header and "company_id" not in header


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
@pytest.mark.parametrize("language", ["lv", "ko"])
def test_a_report_in_any_language_is_a_baseline_for_the_next(report, tmp_path, fmt, language):
    path = write_report(report, fmt, tmp_path / f"old.{fmt}", language)
    previous = read_previous(path)
    assert previous.pairs == frozenset(report.pairs())
    assert previous.meta["model_id"] == report.meta["model_id"]


def test_html_report_is_in_latvian_with_latvian_numbers_and_dates(report, tmp_path):
    page = (write_report(report, "html", tmp_path / "r.html", "lv")).read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>\n<html lang=\"lv\">")
    assert "Kur atbilstības koncentrējas" in page and "Where the matches cluster" not in page
    assert "Kāpēc" in page and "Pamatojums" not in page  # the table's own words
    # Scores with a decimal comma (Latvian), not a point: 1,234 not 1.234.
    scores = re.findall(r'<td class="score">([^<\s]+)', page)
    assert scores and all(re.fullmatch(r"-?\d+,\d{3}", s) for s in scores), scores[:5]
    # Dates as Latvian writes them (e.g. "2026. gada 2. dec. 02:40:01"), not ISO.
    generated = re.search(r'class="generated-at">([^<]+)<', page).group(1)
    assert "gada" in generated or re.search(r"\d{2}\.\d{2}\.\d{4}", generated), generated


def test_html_report_in_korean(report, tmp_path):
    page = write_report(report, "html", tmp_path / "r.html", "ko").read_text(encoding="utf-8")
    assert '<html lang="ko">' in page
    assert "매칭이 몰린 분야" in page and "파트너" in page
    assert "Noto Sans CJK KR" in page  # Hangul from a system font, nothing fetched


def test_an_unknown_language_is_refused_clearly(report, tmp_path):
    with pytest.raises(ReportError, match="unknown language 'de'"):
        write_report(report, "csv", tmp_path / "r.csv", "de")
    assert not (tmp_path / "r.csv").exists()


def test_cli_writes_a_korean_report(runner, cli_env, mini_path, tmp_path):
    assert runner.invoke(cli, ["import", str(mini_path)]).exit_code == 0
    out = tmp_path / "r.csv"
    result = runner.invoke(cli, ["report", "--out", str(out), "--language", "ko"])
    assert result.exit_code == 0, result.output
    assert "기업" in csv_rows(out)[0]
    refused = runner.invoke(cli, ["report", "--out", str(out), "--language", "de"])
    assert refused.exit_code == 2 and "'de' is not one of 'en', 'lv', 'ko'" in refused.output
