"""A staff member builds a report in a real browser against ``matchmaker serve``.

The server (waitress, the real model) runs as a subprocess on the mini
companies; Debian's Chromium is driven through Playwright. The page's script
must poll the status endpoint and start the download by itself, under the
app's Content-Security-Policy, without a single console error.
"""

from __future__ import annotations

import json
import os
import re
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
ROOT = Path(__file__).parents[2]
MATCHMAKER = [str(Path(sys.executable).parent / "matchmaker")]
STAFF, PASSWORD = "ilze", "browser-test-password"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    return env | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _run(*args: str, stdin: str | None = None) -> None:
    subprocess.run([*MATCHMAKER, *args], input=stdin, text=True, check=True, cwd=ROOT, env=_env())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("report-browser")
    db = str(folder / "matchmaker.db")
    _run("import", str(ROOT / "tests" / "fixtures" / "mini.jsonl"), "--db", db)
    _run("user", "add", STAFF, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [*MATCHMAKER, "serve", "--port", str(port), "--db", db],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, "matchmaker serve exited"
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "matchmaker serve did not start"
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def page(server):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(base_url=server, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        context.close()
        browser.close()
        assert errors == []


def test_staff_build_a_report_and_it_downloads_when_ready(page, tmp_path):
    page.goto("/login")
    page.get_by_label("User name").fill(STAFF)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")
    page.goto("/staff/reports/")
    page.get_by_label("Latvian companies (partners in Korea)").check()
    page.get_by_label("Partners per company").fill("3")
    page.get_by_label("Web page with charts (HTML, printable)").check()
    with page.expect_download(timeout=120_000) as started:
        page.get_by_role("button", name="Make the report").click()
        page.wait_for_url(re.compile(r".*/staff/reports/status\?job=.*"))
    download = started.value
    assert re.fullmatch(
        r"partner-report-\d{4}-\d{2}-\d{2}-\d{4}\.html", download.suggested_filename
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    assert html.count('class="company"') == 4  # the four Latvian companies
    data = re.search(r'id="matchmaker-report-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["meta"]["model_id"] == "all-MiniLM-L6-v2"
    page.locator("#report-done").wait_for(state="visible")
    assert "4 companies, 12 matches." in page.locator("#report-summary").inner_text()
    page.goto("/staff/reports/")
    assert "done" in page.get_by_role("table").inner_text()
