"""A staff member builds a report in a real browser against ``matchmaker serve``.

The session's server (waitress, the real model, the mini companies) and
Chromium come from tests/browser/conftest.py. The page's script
must poll the status endpoint and start the download by itself, under the
app's Content-Security-Policy, without a single console error.
"""

from __future__ import annotations

import json
import re

from browser_helpers import log_in


def test_staff_build_a_report_and_it_downloads_when_ready(page, tmp_path):
    log_in(page)
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
