"""Make the README's screenshots: ``.venv/bin/python tests/web/make_screenshots.py``.

Builds a temporary database from data/companies.jsonl with the real model,
runs ``matchmaker serve`` on a free port and saves pages with Debian's
Chromium into docs/. Not a test: run it when the pages change, then look.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MATCHMAKER,
    ROOT,
    free_port,
    run,
    server_env,
    wait_until_up,
)

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
        port = free_port()
        server = subprocess.Popen(
            [*MATCHMAKER, "serve", "--port", str(port), "--db", db], cwd=ROOT, env=server_env()
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url + "/", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 1100})
                for name, path in SHOTS.items():
                    page.goto(url + path.replace("grindeks", company))
                    page.screenshot(path=str(ROOT / "docs" / name))
                    print("saved docs/" + name)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main(*sys.argv[1:])
