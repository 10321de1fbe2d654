"""A staff member plans a trade mission in a real browser, from creating it to downloading
an agenda, against ``matchmaker serve`` (the real model, the mini companies)."""

from __future__ import annotations

import re

from browser_helpers import log_in
from icalendar import Calendar


def add(page, text: str, name: str) -> None:
    page.get_by_label("Find a company to add (name or id)").fill(text)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=f"Add {name}").click()
    page.get_by_text(f"Added {name}.").wait_for()


def test_staff_plan_a_mission_and_download_an_agenda(page, tmp_path):
    log_in(page)
    page.get_by_role("link", name="Missions").click()
    page.get_by_label("Name", exact=True).fill("Browser mission")
    page.get_by_label("Days").fill("2026-05-12")
    page.get_by_label("Slots a day").fill("4")
    page.get_by_label("Tables").fill("2")
    page.get_by_label("Meetings per company (at most)").fill("2")
    page.get_by_role("button", name="Create mission").click()
    page.wait_for_url(re.compile(r".*/staff/missions/view\?id=\d+"))

    add(page, "baltic", "Baltic Generics (fictional)")
    add(page, "daugava", "Daugava Lab Supply (fictional)")
    add(page, "han gen", "Han Generics (fictional)")
    add(page, "busan", "Busan Biologics (fictional)")

    page.get_by_label("Latvian company", exact=True).select_option("baltic-generics")
    page.get_by_label("Wish", exact=True).select_option("must")
    page.get_by_label("Korean company", exact=True).select_option("busan-biologics")
    page.get_by_role("button", name="Save wish").click()
    page.get_by_text("Wish saved").wait_for()

    page.get_by_role("button", name="Plan the meetings").click()
    page.get_by_text(re.compile(r"Plan version 1: \d+ meetings?")).wait_for(timeout=60_000)
    summary = page.locator("#plan-summary").inner_text()
    assert "Version 1 (plan by ilze" in summary
    assert "Baltic Generics (fictional) × Busan Biologics (fictional)" in page.content()

    row = page.get_by_role("row").filter(has_text="Baltic Generics (fictional)").first
    with page.expect_download() as started:
        row.get_by_role("link", name=".ics").click()
    download = started.value
    assert re.fullmatch(r"agenda-\d+-baltic-generics\.ics", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    events = list(Calendar.from_ical(saved.read_bytes()).walk("VEVENT"))
    assert "Meeting: Busan Biologics (fictional)" in {str(e["summary"]) for e in events}


def test_staff_plan_again_keeping_the_meetings_then_restore_the_first_version(page):
    log_in(page)
    page.get_by_role("link", name="Missions").click()
    page.get_by_label("Name", exact=True).fill("Late joiner")
    page.get_by_label("Days").fill("2026-05-12")
    page.get_by_label("Slots a day").fill("4")
    page.get_by_label("Tables").fill("2")
    page.get_by_label("Meetings per company (at most)").fill("2")
    page.get_by_role("button", name="Create mission").click()
    add(page, "baltic", "Baltic Generics (fictional)")
    add(page, "busan", "Busan Biologics (fictional)")
    page.get_by_role("button", name="Plan the meetings").click()
    page.get_by_text(re.compile(r"Plan version 1: 1 meeting")).wait_for(timeout=60_000)
    first = page.locator("table.plan").inner_text()

    add(page, "han gen", "Han Generics (fictional)")  # joins after the agendas went out
    page.get_by_role("button", name="Plan again, keeping the current meetings").click()
    page.get_by_text(re.compile(r"Plan version 2: 2 meetings")).wait_for(timeout=60_000)
    assert "keeping the meetings of version 1" in page.locator("ol.history").first.inner_text()
    assert "Baltic Generics (fictional) × Han Generics (fictional)" in page.content()

    page.get_by_role("button", name="Restore version 1").click()
    page.get_by_text("Plan version 3: version 1 restored.").wait_for()
    assert page.locator("table.plan").inner_text() == first
    assert "No meeting yet: Han Generics (fictional)" in page.locator("#plan-gaps").inner_text()
