"""The staff mission pages, start to finish: create, find and add participants, wishes,
plan, adjust by hand, download agendas and the grid. Refusals come back as the page
with the reason and a 4xx, and write nothing."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from openpyxl import load_workbook
from web_helpers import full_snapshot, post_form

from matchmaker.mission_store import MissionStore
from matchmaker.store import Store

PEOPLE = ("baltic-generics", "daugava-lab-supply", "han-generics", "busan-biologics")


def create(client: FlaskClient, **changes) -> int:
    form = {"name": "Seoul <2026>", "days": "2026-05-12..2026-05-13", "slots_per_day": "4",
            "tables": "2", "cap": "3"} | changes
    response = post_form(client, "/staff/missions/create", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"id=(\d+)", response.headers["Location"]).group(1))


@pytest.fixture
def planned(staff_client: FlaskClient) -> int:
    mission = create(staff_client)
    for company in PEOPLE:
        assert post_form(staff_client, "/staff/missions/participants",
                         {"mission": mission, "company": company}).status_code == 303
    must = {"first": "baltic-generics", "second": "busan-biologics", "kind": "must"}
    post_form(staff_client, "/staff/missions/wishes", {"mission": mission} | must)
    response = post_form(staff_client, "/staff/missions/plan", {"mission": mission})
    assert response.status_code == 303
    return mission


def test_staff_plan_a_mission_and_download_agendas(staff_client: FlaskClient, planned: int):
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert "Seoul &lt;2026&gt;" in page  # escaped, never markup
    assert "Version 1 (plan by staff" in page
    assert "Baltic Generics (fictional) × Busan Biologics (fictional)" in page
    assert "<svg" in page  # the summary charts

    found = staff_client.get(f"/staff/missions/view?id={planned}&q=riga").get_data(as_text=True)
    assert "riga-clinical-research" in found

    ics = staff_client.get(
        f"/staff/missions/agenda?id={planned}&company=baltic-generics&format=ics"
    )
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    summaries = [str(e["summary"]) for e in Calendar.from_ical(ics.data).walk("VEVENT")]
    assert "Meeting: Busan Biologics (fictional)" in summaries

    page = staff_client.get(
        f"/staff/missions/agenda?id={planned}&company=busan-biologics&format=html"
    )
    assert page.status_code == 200 and "Baltic Generics (fictional)" in page.get_data(True)

    grid = staff_client.get(f"/staff/missions/grid?id={planned}")
    book = load_workbook(io.BytesIO(grid.data))
    assert book["Grid"]["A1"].value == "Slot" and book["Meetings"].max_row >= 2

    bundle = staff_client.get(f"/staff/missions/agendas?id={planned}")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    assert f'filename="mission-{planned}-agendas-v1.zip"' in bundle.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"agenda-{planned}-{c}.{kind}" for c in PEOPLE
                               for kind in ("html", "ics"))
        one = archive.read(f"agenda-{planned}-baltic-generics.ics")
    summaries = [str(e["summary"]) for e in Calendar.from_ical(one).walk("VEVENT")]
    assert "Meeting: Busan Biologics (fictional)" in summaries


def test_hand_changes_are_checked_and_versioned(staff_client, planned, tmp_db_path):
    change = {"mission": planned, "action": "remove", "lv": "baltic-generics",
              "kr": "busan-biologics", "version": "1"}
    before = full_snapshot(tmp_db_path)
    refused = post_form(staff_client, "/staff/missions/change", change)
    assert refused.status_code == 400
    assert "must meet; drop the must-meet wish first" in refused.get_data(as_text=True)
    stale = post_form(staff_client, "/staff/missions/change", change | {"version": "7"})
    assert stale.status_code == 409 and "plan changed meanwhile" in stale.get_data(as_text=True)
    bad_slot = post_form(staff_client, "/staff/missions/change",
                         change | {"action": "move", "slot": "99"})
    assert bad_slot.status_code == 400
    assert "slot 99 does not exist" in bad_slot.get_data(as_text=True)
    assert full_snapshot(tmp_db_path) == before

    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    meeting = re.search(r"(\d+): Daugava Lab Supply \(fictional\) × (\w[\w ]+) \(fictional\)", page)
    if meeting is None:  # daugava got no meeting: add one in a slot it has free
        moved = post_form(staff_client, "/staff/missions/change", change | {
            "action": "add", "lv": "daugava-lab-supply", "kr": "han-generics", "slot": "7"})
    else:
        moved = post_form(staff_client, "/staff/missions/change", change | {
            "action": "remove", "lv": "daugava-lab-supply",
            "kr": meeting.group(2).lower().replace(" ", "-")})
    assert moved.status_code == 303, moved.get_data(as_text=True)
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert "Version 2 (" in page and "v1 · plan by staff" in page


@pytest.mark.parametrize(
    ("url", "form", "message"),
    [
        ("/staff/missions/create", {"name": "X", "days": "tomorrow"}, "not a date"),
        ("/staff/missions/create", {"name": "X", "days": "2026-05-12", "tables": "many"},
         "Tables must be a whole number, not “many”"),
        ("/staff/missions/create", {"name": "X", "days": "2026-05-12", "good_fit": "nan"},
         "finite"),
        ("/staff/missions/create", {"name": "X", "days": "2026-05-12", "good_fit": "1.5"},
         "a good fit is between 0 and 1"),
        ("/staff/missions/participants", {"company": "no-such-company"}, "no company with id"),
        ("/staff/missions/participant", {"company": "han-generics", "unavailable": "0-99"},
         "outside 0-7"),
        ("/staff/missions/wishes", {"first": "baltic-generics", "second": "daugava-lab-supply",
                                    "kind": "must"}, "are both LV"),
        ("/staff/missions/plan", {}, "at least one LV and one KR"),
        ("/staff/missions/change", {"action": "move", "version": "0"}, "no plan yet"),
    ],
)
def test_bad_input_is_a_clear_4xx_that_writes_nothing(
    staff_client, tmp_db_path, url, form, message
):
    mission = create(staff_client)
    for company in ("baltic-generics", "daugava-lab-supply", "han-generics"):
        post_form(staff_client, "/staff/missions/participants",
                  {"mission": mission, "company": company})
    if url.endswith("/plan"):
        post_form(staff_client, "/staff/missions/participant",
                  {"mission": mission, "company": "han-generics", "remove": "1"})
    before = full_snapshot(tmp_db_path)
    response = post_form(staff_client, url, {"mission": mission} | form)
    assert 400 <= response.status_code < 500
    assert message in response.get_data(as_text=True)
    assert full_snapshot(tmp_db_path) == before


def test_pages_need_a_login_and_unknown_missions_are_404(client, staff_client, auth):
    assert staff_client.get("/staff/missions/view?id=999").status_code == 404
    assert staff_client.get("/staff/missions/grid?id=abc").status_code == 404
    auth.logout()
    response = client.get("/staff/missions/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_participant_taken_out_after_planning_is_flagged_not_a_crash(staff_client, planned):
    removed = post_form(staff_client, "/staff/missions/participant",
                        {"mission": planned, "company": "busan-biologics", "remove": "1"})
    assert removed.status_code == 303
    page = staff_client.get(f"/staff/missions/view?id={planned}")
    assert page.status_code == 200
    assert "'busan-biologics' is not an LV/KR participant" in html.unescape(page.get_data(True))
    grid = staff_client.get(f"/staff/missions/grid?id={planned}")
    assert grid.status_code == 200
    rows = load_workbook(io.BytesIO(grid.data))["Meetings"].iter_rows(values_only=True)
    assert any("busan-biologics (no longer taking part)" in row for row in rows)
    agenda = staff_client.get(
        f"/staff/missions/agenda?id={planned}&company=baltic-generics&format=ics"
    )
    assert agenda.status_code == 200


def test_restore_an_earlier_version_and_plan_again_keeping_the_meetings(
    staff_client, planned, tmp_db_path
):
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    # each meeting says how it fits from each side, in the results page's words
    assert re.search(r"for Baltic Generics \(fictional\): (strong|good|possible) fit; "
                     r"for Busan Biologics \(fictional\): (strong|good|possible) fit", page)
    first = re.findall(r"<li>\d+: ([^<]+ × [^<]+?) <span class=\"score\">", page)
    other = next(pair for pair in first if "Busan" not in pair)
    lv, kr = (name.removesuffix(" (fictional)").lower().replace(" ", "-")
              for name in other.split(" × "))
    removed = post_form(staff_client, "/staff/missions/change", {
        "mission": planned, "action": "remove", "lv": lv, "kr": kr, "version": "1"})
    assert removed.status_code == 303

    before = full_snapshot(tmp_db_path)
    stale = post_form(staff_client, "/staff/missions/restore",
                      {"mission": planned, "version": "1", "latest": "1"})
    assert stale.status_code == 409 and "plan changed meanwhile" in stale.get_data(True)
    assert full_snapshot(tmp_db_path) == before
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert "Restore version 1" in page and "Restore version 2" not in page
    for version in ("2", "0", "-1", "99999999999999999999"):  # the last was a 500 (OverflowError)
        refused = post_form(staff_client, "/staff/missions/restore",
                            {"mission": planned, "version": version, "latest": "2"})
        assert refused.status_code == 400
        assert f"no earlier plan version {version}" in refused.get_data(as_text=True)
    assert full_snapshot(tmp_db_path) == before
    restored = post_form(staff_client, "/staff/missions/restore",
                         {"mission": planned, "version": "1", "latest": "2"})
    assert restored.status_code == 303
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert "Version 3 (restore by staff" in page and "version 1 restored" in page
    assert re.findall(r"<li>\d+: ([^<]+ × [^<]+?) <span class=\"score\">", page) == first

    kept = post_form(staff_client, "/staff/missions/plan", {"mission": planned, "keep": "1"})
    assert kept.status_code == 303
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert "keeping the meetings of version 3" in page
    with Store.open(tmp_db_path) as store:
        missions = MissionStore(store)
        sent, latest = missions.plan(planned, 3), missions.plan(planned)
    assert latest.version == 4
    placed = {(m.pair, m.slot, m.table) for m in latest.meetings}
    assert {(m.pair, m.slot, m.table) for m in sent.meetings} <= placed


def test_unavailability_can_be_given_as_days_and_times(staff_client, planned, tmp_db_path):
    saved = post_form(staff_client, "/staff/missions/participant", {
        "mission": planned, "company": "han-generics",
        "unavailable": "2026-05-13 09:00-09:40, 09:00-09:20"})
    assert saved.status_code == 303
    page = staff_client.get(f"/staff/missions/view?id={planned}").get_data(as_text=True)
    assert 'value="0, 4-5"' in page  # 4 slots a day: day 2 starts at slot 4
    before = full_snapshot(tmp_db_path)
    refused = post_form(staff_client, "/staff/missions/participant", {
        "mission": planned, "company": "han-generics", "unavailable": "2026-06-01"})
    assert refused.status_code == 400
    assert "not a day of this mission" in html.unescape(refused.get_data(as_text=True))
    assert full_snapshot(tmp_db_path) == before
