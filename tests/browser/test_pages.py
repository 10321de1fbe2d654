"""The real app in a real browser: ``matchmaker serve`` (waitress, the real model) and Chromium.

The server, the browser and the ``page`` fixture are shared by every browser
test of the session (tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from browser_helpers import log_in

BAD_UPLOAD = (
    '{"id": "fine-co", "name": "Fine Co (fictional)", "country": "LV", "description": "d"}\n'
    '{"id": "bad-co", "name": "Bad Co (fictional)", "country": "Narnia", "description": "d"}\n'
)


def test_company_searches_with_the_keyboard_and_reads_the_reasons(page):
    page.goto("/")
    company = page.get_by_role("combobox", name="Your company")
    company.press_sequentially("baltic gen", delay=30)
    option = page.get_by_role("option", name="Baltic Generics (fictional)")
    option.wait_for()
    # a late type-ahead answer redraws the list; choose once every answer is in
    page.wait_for_load_state("networkidle")
    company.press("ArrowDown")
    for _ in range(5):  # on a loaded machine an answer can still land after the key press
        if option.get_attribute("aria-selected") == "true":
            break
        page.wait_for_timeout(300)
        if option.get_attribute("aria-selected") != "true":
            company.press("ArrowDown")  # the redrawn list starts unselected again
    assert option.get_attribute("aria-selected") == "true"
    company.press("Enter")
    assert company.input_value() == "Baltic Generics (fictional)"
    assert page.locator("#c-country-KR").is_checked()  # the other country, preselected
    company.press("Enter")
    page.wait_for_url("**/search?**")
    heading = page.get_by_role("heading", level=1)
    assert "Partners in South Korea for Baltic Generics" in heading.inner_text()
    first = page.locator("li.match").first
    assert "Seoul Pharma Distribution" in first.inner_text() or "Han Generics" in first.inner_text()
    reasons = first.locator("ul.reasons li")
    assert reasons.count() >= 1
    assert first.locator("ul.reasons q").count() >= 1  # quoted phrases
    assert reasons.count() <= 3  # the short view; the full list is one click away
    assert any("for your need" in r or "which you are" in r for r in reasons.all_inner_texts())
    first.locator("details.all-reasons summary").click()
    assert first.locator("details.all-reasons li").count() >= reasons.count()
    first.get_by_role("link").first.click()
    page.wait_for_url("**/companies/**")
    assert page.get_by_role("heading", name="Top partners in Latvia").is_visible()
    assert page.get_by_role("heading", name="Similar companies").is_visible()


def test_describe_a_need_in_a_sentence(page):
    page.goto("/")
    page.get_by_label("What are you looking for?").fill(
        "Korean distributor for cardiovascular medicines to hospitals and pharmacies"
    )
    page.locator("#t-country-KR").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?**")
    names = page.locator("li.match h3").all_inner_texts()
    assert any("Seoul Pharma Distribution" in n for n in names[:2]), names
    assert "Ranked in" in page.locator(".summary").inner_text()


def test_the_start_page_fits_a_phone_and_shows_form_errors(page):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    page.get_by_label("What are you looking for?").fill("PCR kits")
    page.get_by_role("button", name="Search").click()
    # The country radio is required: the browser asks for it before anything is sent.
    assert page.locator("#t-country-LV").evaluate("radio => radio.validity.valueMissing")
    assert "/search" not in page.url


def test_staff_edit_shows_up_in_search(page):
    search = "/search?q=seaweed+hydrogel+wound+dressings&country=KR"
    offered = "Offers seaweed hydrogel wound dressings for"  # <q> marks are CSS, not text
    page.goto(search)
    assert offered not in page.locator("ol.matches").text_content()
    log_in(page)
    page.goto("/staff/companies/jeju-cosmetics/edit")
    offers = page.get_by_label("Offers")
    offers.fill("seaweed hydrogel wound dressings; cosmetics contract manufacturing")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/companies/jeju-cosmetics")
    assert "search reflects the change now" in page.locator(".flash").inner_text()
    page.goto(search)
    top = page.locator("li.match").filter(has_text="Jeju Cosmetics")
    assert top.count() == 1
    assert page.locator("li.match").all_inner_texts().index(top.inner_text()) < 3
    assert offered in top.locator("details.all-reasons").text_content()
    page.goto("/staff/companies/jeju-cosmetics/history")
    assert "seaweed hydrogel wound dressings" in page.locator("ol.history").inner_text()


def test_staff_grade_a_suggested_partner_and_the_page_remembers(page):
    results = "/search?company=baltic-generics&country=KR"
    page.goto(results)
    assert page.locator("form.grade").count() == 0  # the public does not grade
    log_in(page)
    page.goto(results)
    match = page.locator("li.match").filter(has_text="Seoul Pharma Distribution")
    match.get_by_role("button", name="strong partner").click()
    page.wait_for_url("**" + results)
    assert "graded “strong partner” for this search" in page.locator(".flash").inner_text()
    match = page.locator("li.match").filter(has_text="Seoul Pharma Distribution")
    pressed = match.locator('form.grade button[aria-pressed="true"]')
    assert pressed.inner_text() == "strong partner"
    assert "by " in match.locator("form.grade").inner_text()


def test_upload_with_a_bad_row_shows_the_error_and_writes_nothing(page, server):
    log_in(page)
    page.goto("/staff/import")
    page.get_by_label("File").set_input_files(
        {
            "name": "companies.jsonl",
            "mimeType": "application/x-ndjson",
            "buffer": BAD_UPLOAD.encode(),
        }
    )
    page.get_by_role("button", name="Check the file").click()
    table = page.locator("table.errors")
    table.wait_for()
    row = table.locator("tbody tr").first
    assert row.locator("th").inner_text() == "2"
    assert row.locator("td").first.inner_text() == "country"
    assert "must be LV or KR" in row.inner_text()
    assert "nothing was imported" in page.get_by_role("heading", level=2).inner_text()
    with urllib.request.urlopen(server + "/api/companies?q=fine-co") as response:
        assert json.load(response) == []


def test_results_page_screenshot(page, tmp_path: Path):
    page.goto("/search?company=baltic-generics&country=KR")
    page.locator("li.match").first.wait_for()
    shot = tmp_path / "results.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
