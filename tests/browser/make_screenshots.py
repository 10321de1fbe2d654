"""Make the README's screenshots: ``.venv/bin/python tests/browser/make_screenshots.py``.

Builds a temporary database from data/companies.jsonl with the real model,
runs ``matchmaker serve`` on a free port and saves pages with Debian's
Chromium into docs/. Not a test: run it when the pages change, then look.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for serving.py

from conftest import CHROMIUM, CHROMIUM_ARGS, MATCHMAKER, ROOT, run  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from serving import clean_env, serving  # noqa: E402

SHOTS = {
    "screenshot-results.png": "/search?company=grindeks&country=KR&top=5",
    "screenshot-text-results.png": (
        "/search?q=We+develop+a+trastuzumab+biosimilar+and+need+EU+clinical+trial+sites"
        "&country=LV&top=5"
    ),
    "screenshot-company.png": "/companies/grindeks",
    "screenshot-start.png": "/",
}


def main(company: str = "grindeks") -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "matchmaker.db")
        run("import", str(ROOT / "data" / "companies.jsonl"), "--db", db)
        with (
            serving(MATCHMAKER, db, clean_env(), cwd=ROOT) as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            for name, path in SHOTS.items():
                page.goto(url + path.replace("grindeks", company))
                page.screenshot(path=str(ROOT / "docs" / name))
                print("saved docs/" + name)
            browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
