"""``matchmaker mission ...`` as staff type it: create, add by name, wishes, plan, adjust,
agenda and grid files; every mistake is a one-line error that changes nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import Result
from icalendar import Calendar
from openpyxl import load_workbook

from matchmaker.cli import cli


def run(runner, *args, ok: bool = True) -> Result:
    result = runner.invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert (result.exit_code == 0) == ok, result.output
    if not ok:
        assert result.stderr.strip().splitlines()[-1].startswith("Error: "), result.output
    return result


@pytest.fixture
def mission_db(runner, cli_env, mini_path) -> Path:
    run(runner, "import", mini_path)
    out = run(runner, "mission", "create", "Seoul 2026", "--days", "2026-05-12..2026-05-13",
              "--slots-per-day", "4", "--tables", "2", "--cap", "3")
    assert out.stdout.strip() == "Created mission 1: Seoul 2026, 8 slots."
    return cli_env


def test_a_mission_from_creation_to_agenda(runner, mission_db, tmp_path):
    run(runner, "mission", "add", "1", "baltic", "Han Generics", "busan-biologics",
        "riga-clinical-research", "--unavailable", "0")
    run(runner, "mission", "set", "1", "riga-clinical-research", "--cap", "1")
    run(runner, "mission", "wish", "1", "busan-biologics", "baltic-generics", "--must")
    planned = run(runner, "mission", "plan", "1", "--time-limit", "5")
    assert planned.stdout.startswith("Plan version 1: ")
    shown = json.loads(run(runner, "mission", "show", "1", "--json").stdout)
    meetings = shown["plan"]["meetings"]
    assert ("baltic-generics", "busan-biologics") in {(m["lv"], m["kr"]) for m in meetings}
    assert all(m["slot"] != 0 for m in meetings)  # everyone is unavailable in slot 0
    assert sum(m["lv"] == "riga-clinical-research" for m in meetings) <= 1

    must = ("baltic-generics", "busan-biologics")
    other = next(m for m in meetings if (m["lv"], m["kr"]) != must)
    refused = run(runner, "mission", "move", "1", other["lv"], other["kr"], "0", ok=False)
    assert "not available in slot 0" in refused.stderr
    run(runner, "mission", "cancel", "1", other["lv"], other["kr"])
    stale = run(runner, "mission", "cancel", "1", "baltic", "busan", "--version", "1", ok=False)
    assert "plan changed meanwhile" in stale.stderr
    history = run(runner, "mission", "history", "1").stdout
    assert history.startswith("v2\t") and "\tremove\t" in history and "\tplan\t" in history

    ics, html, xlsx = tmp_path / "a.ics", tmp_path / "a.html", tmp_path / "grid.xlsx"
    run(runner, "mission", "agenda", "1", "baltic-generics", "--out", ics)
    run(runner, "mission", "agenda", "1", "baltic-generics", "--out", html)
    run(runner, "mission", "grid", "1", "--out", xlsx)
    events = list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))
    partners = {str(e["summary"]).removeprefix("Meeting: ") for e in events}
    assert "Busan Biologics (fictional)" in partners
    assert "Busan Biologics (fictional)" in html.read_text()
    assert load_workbook(xlsx)["Meetings"].max_row == len(meetings)  # one cancelled, + header
    bundle = tmp_path / "all.zip"
    done = run(runner, "mission", "agendas", "1", "--out", bundle).stdout
    assert done.strip() == f"Wrote {bundle}: the agendas of 4 companies (HTML and .ics)."
    with zipfile.ZipFile(bundle) as archive:
        assert len(archive.namelist()) == 8
        page = archive.read("agenda-1-baltic-generics.html").decode()
    assert "Busan Biologics (fictional)" in page
    assert "as one .zip" in run(runner, "mission", "agendas", "1", "--out", "x.tar",
                                ok=False).stderr

    restored = run(runner, "mission", "restore", "1", "1").stdout
    assert restored.strip() == f"Plan version 3: restore version 1 ({len(meetings)} meetings)."
    assert "no earlier plan version 7" in run(runner, "mission", "restore", "1", "7",
                                              ok=False).stderr
    # beyond SQLite's integers: it used to end in an OverflowError traceback
    huge = "99999999999999999999"
    assert f"no earlier plan version {huge}" in run(runner, "mission", "restore", "1", huge,
                                                    ok=False).stderr
    kept = json.loads(run(runner, "mission", "show", "1", "--json").stdout)["plan"]["meetings"]
    run(runner, "mission", "plan", "1", "--keep", "--time-limit", "5")
    again = json.loads(run(runner, "mission", "show", "1", "--json").stdout)["plan"]
    assert again["version"] == 4 and "keeping version 3" in again["note"]
    assert all(m in again["meetings"] for m in kept)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mission", "add", "1", "generics"), "matches several companies"),
        (("mission", "add", "1", "nobody-at-all"), "no company with id or name"),
        (("mission", "create", "X", "--days", "2026-13-01"), "not a date"),
        (("mission", "plan", "1"), "at least one LV and one KR"),
        (("mission", "show", "9"), "no mission with id 9"),
        (("mission", "agenda", "1", "baltic", "--out", "a.pdf"), "as .html or .ics"),
        (("mission", "grid", "1", "--out", "g.xlsx"), "no plan yet"),
        (("mission", "wish", "1", "baltic", "han-generics", "--must"), "does not take part"),
    ],
)
def test_mistakes_are_one_line_errors(runner, mission_db, args, message):
    result = run(runner, *args, ok=False)
    assert message in result.stderr


@pytest.mark.parametrize("command", ["show", "plan", "history", "restore"])
def test_a_mission_id_beyond_sqlite_s_integers_is_a_usage_error(runner, mission_db, command):
    """It used to end in an OverflowError traceback ("Python int too large")."""
    args = ["mission", command, "99999999999999999999"] + (["1"] if command == "restore" else [])
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for 'MISSION_ID'" in result.stderr
