"""Make docs/screenshot-mission.png: ``.venv/bin/python tests/browser/make_mission_screenshot.py``.

Builds a temporary database from data/companies.jsonl with the real model, plans a
one-day mission of six Latvian and six Korean companies with ``matchmaker mission``,
runs ``matchmaker serve`` and saves the staff mission page with Debian's Chromium.
Not a test: run it when the page changes, then look.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).parents[1]))  # tests/, for serving.py (after tests/browser/)

from browser_helpers import PASSWORD, STAFF  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, MATCHMAKER, ROOT, run  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from serving import clean_env, serving  # noqa: E402

SOURCE = ROOT / "data" / "companies.jsonl"


def participants(per_side: int = 6) -> list[str]:
    rows = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines()]
    chosen = []
    for country in ("LV", "KR"):
        chosen += sorted(r["id"] for r in rows if r["country"] == country)[:per_side]
    return chosen


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "matchmaker.db")
        run("import", str(SOURCE), "--db", db)
        run("user", "add", STAFF, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
        run("mission", "create", "Seoul trade mission 2026", "--days", "2026-05-12",
            "--slots-per-day", "6", "--tables", "4", "--cap", "3", "--db", db)
        run("mission", "add", "1", *participants(), "--db", db)
        run("mission", "plan", "1", "--db", db)
        with (
            serving(MATCHMAKER, db, clean_env(), cwd=ROOT) as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url + "/login")
            page.get_by_label("User name").fill(STAFF)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/staff/")
            page.goto(url + "/staff/missions/view?id=1")
            page.locator("#plan-summary").scroll_into_view_if_needed()
            page.screenshot(path=str(ROOT / "docs" / "screenshot-mission.png"))
            print("saved docs/screenshot-mission.png")
            browser.close()


if __name__ == "__main__":
    main()
