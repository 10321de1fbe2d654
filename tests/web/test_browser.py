"""The real app in a real browser: ``matchmaker serve`` (waitress, the real model) and Chromium.

The database is built with ``matchmaker import`` from the fictional mini
companies, a staff account with ``matchmaker user add``, and the server runs
as a subprocess on a free local port. Debian's Chromium is driven through
Playwright; Playwright never downloads a browser of its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).parents[2]
MATCHMAKER = [str(Path(sys.executable).parent / "matchmaker")]
STAFF, PASSWORD = "ilze", "browser-test-password"
BAD_UPLOAD = (
    '{"id": "fine-co", "name": "Fine Co (fictional)", "country": "LV", "description": "d"}\n'
    '{"id": "bad-co", "name": "Bad Co (fictional)", "country": "Narnia", "description": "d"}\n'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    return env | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def run(*args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [*MATCHMAKER, *args], input=stdin, text=True, check=True, cwd=ROOT, env=server_env()
    )


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"matchmaker serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"matchmaker serve did not answer at {url} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`matchmaker serve` on a database built from the mini fixture, with the real model."""
    folder = tmp_path_factory.mktemp("browser")
    db = str(folder / "matchmaker.db")
    run("import", str(ROOT / "tests" / "fixtures" / "mini.jsonl"), "--db", db)
    run("user", "add", STAFF, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
    port = free_port()
    process = subprocess.Popen(
        [*MATCHMAKER, "serve", "--port", str(port), "--db", db],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
            ".ci/run and scripts/test do this. Browser tests never download a browser."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context; fails the test on a script error, a CSP block or a broken asset.

    A page answered with 4xx on purpose (a form with errors) is not a failure; a stylesheet,
    script or icon that does not load is.
    """
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def log_in(page) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(STAFF)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")


def test_company_searches_with_the_keyboard_and_reads_the_reasons(page):
    page.goto("/")
    company = page.get_by_role("combobox", name="Your company")
    company.press_sequentially("baltic gen", delay=30)
    option = page.get_by_role("option", name="Baltic Generics (fictional)")
    option.wait_for()
    company.press("ArrowDown")
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
    assert "for your need" in reasons.all_inner_texts()[0]
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
    assert offered not in page.locator("ol.matches").inner_text()
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
    assert offered in top.locator("ul.reasons").inner_text()
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
