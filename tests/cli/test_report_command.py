"""``matchmaker report`` as a user types it: every format, the summary line, clear errors."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook

from matchmaker.cli import cli
from matchmaker.reports import FORMATS

SUMMARY = re.compile(r"^Report: (\d+) companies, (\d+) matches( \((\d+) new\))? in [\d.]+ s -> ")


def run(runner, *args, ok: bool = True) -> Result:
    result = runner.invoke(cli, ["report", *[str(a) for a in args]])
    assert "Traceback" not in result.output
    assert (result.exit_code == 0) is ok, result.output
    return result


@pytest.fixture
def imported(runner, cli_env, mini_path) -> Path:
    """The mini profiles imported through the CLI into the temporary database."""
    result = runner.invoke(cli, ["import", str(mini_path)])
    assert result.exit_code == 0, result.output
    return cli_env


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_written_with_a_summary_line(runner, imported, tmp_path, fmt):
    out = tmp_path / f"partners.{fmt}"
    result = run(runner, "--top", 2, "--out", out)
    found = SUMMARY.match(result.stdout)
    assert found and found.group(1) == "10" and found.group(2) == "20", result.stdout
    assert result.stdout.strip().endswith(str(out))
    assert out.stat().st_size > 0
    if fmt == "xlsx":
        assert load_workbook(out)["Matches"].max_row == 21
    elif fmt == "json":
        assert len(json.loads(out.read_text(encoding="utf-8"))["companies"]) == 10
    elif fmt == "csv":
        with open(out, encoding="utf-8-sig", newline="") as handle:
            assert len(list(csv.DictReader(handle))) == 20
    else:
        assert out.read_text(encoding="utf-8").count('class="company"') == 10


def test_format_option_wins_over_the_extension(runner, imported, tmp_path):
    out = tmp_path / "partners.txt"
    run(runner, "--format", "json", "--out", out, "--top", 1)
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["parameters"]["top"] == 1


def test_options_reach_the_report(runner, imported, tmp_path):
    out = tmp_path / "r.json"
    run(
        runner,
        "--out", out, "--top", 5, "--direction", "lv-kr", "--sector", "generics",
        "--partner-sector", "pharmaceuticals", "--type", "Licensing", "--strong-score", "0.5",
    )  # fmt: skip
    document = json.loads(out.read_text(encoding="utf-8"))
    params = document["meta"]["parameters"]
    assert params["direction"] == "lv-kr" and params["sectors"] == ["generics"]
    assert params["partner_filters"]["partnership_types"] == ["licensing"]
    assert params["strong_score"] == 0.5
    assert [c["id"] for c in document["companies"]] == ["baltic-generics"]
    assert [m["id"] for m in document["companies"][0]["matches"]] == ["han-generics"]


def test_new_since_counts_and_only_new_lists_the_news(runner, imported, tmp_path, mini_path):
    first = tmp_path / "first.csv"
    run(runner, "--out", first, "--top", 2)
    result = run(runner, "--out", tmp_path / "second.json", "--top", 3, "--new-since", first)
    assert SUMMARY.match(result.stdout).group(4) == "10"
    result = run(
        runner, "--out", tmp_path / "news.xlsx", "--top", 3, "--new-since", first, "--only-new"
    )
    found = SUMMARY.match(result.stdout)
    assert found.group(2) == found.group(4) == "10"


def test_runs_twice_to_the_same_file_content(runner, imported, tmp_path):
    pages = []
    for name in ("a.html", "b.html"):
        run(runner, "--out", tmp_path / name, "--top", 3)
        page = (tmp_path / name).read_text(encoding="utf-8")
        pages.append(re.sub(r'"generated_at": "[^"]+"|generated-at">[^<]+', "", page))
    assert pages[0] == pages[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "r.pdf"], "cannot tell the format of 'r.pdf'"),
        (["--out", "r.csv", "--company", "nope"], "no company with id 'nope'"),
        (["--out", "r.csv", "--sector", "aerospace"], "no companies match this selection"),
        (["--out", "r.csv", "--changed-since", "last week"], "'last week' is not a date"),
        (["--out", "r.csv", "--only-new"], "--only-new needs --new-since REPORT"),
        (["--out", "r.csv", "--new-since", "missing.csv"], "no previous report at"),
        (["--out", "no/such/folder/r.csv"], "does not exist"),
        (["--out", "r.csv", "--direction", "lv-jp"], "Invalid value for '--direction'"),
        (["--top", "5"], "Missing option '--out'"),
    ],
)
def test_mistakes_end_in_one_clear_line(runner, imported, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(runner, *args, ok=False)
    assert message in result.stderr
    assert not list(Path(tmp_path).glob("r.*"))


def test_missing_database_is_a_clear_error(runner, cli_env, tmp_path):
    result = run(runner, "--out", tmp_path / "r.csv", ok=False)
    assert "no database at" in result.stderr
