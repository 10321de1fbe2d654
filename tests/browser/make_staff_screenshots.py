"""Make the staff tools' screenshots in docs/.

Run ``.venv/bin/python tests/browser/make_staff_screenshots.py``. It builds a
temporary database from data/companies.jsonl with the real model, adds what each
staff page needs to show something (an edit to revert, one company entered a
second time under its legal name, two more staff accounts), runs
``matchmaker serve`` and saves each page with Debian's Chromium: 1280 pixels
wide, cut to the part that explains the feature, and quantised to a 256-colour
palette with Pillow (a third of the size; the UI's flat colours survive). The
mission plan has its own script (make_mission_screenshot.py). Not a test: run
it when the pages change, then look. docs/staff.md explains each screenshot.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).parents[1]))  # tests/, for serving.py (after tests/browser/)

from browser_helpers import PASSWORD, STAFF, log_in  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, MATCHMAKER, ROOT, run  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from serving import clean_env, serving  # noqa: E402

from matchmaker.store import Store  # noqa: E402

SOURCE = ROOT / "data" / "companies.jsonl"
DOCS = ROOT / "docs"
WIDTH, HEIGHT = 1280, 1000
#: Seegene entered a second time, as it might come from a trade-fair list.
DUPLICATE = {
    "id": "seegene-inc",
    "name": "Seegene Inc.",
    "name_local": "(주)씨젠",
    "country": "KR",
    "city": "Seoul",
    "sectors": ["diagnostics"],
    "description": "Molecular diagnostics company: multiplex real-time PCR assays.",
    "website": "https://www.seegene.com/",
}
EDITED = "seegene"


def prepare(db: Path, folder: Path) -> None:
    """The shipped companies, a duplicate, an edit with a typo to revert, three accounts."""
    run("import", str(SOURCE), "--db", str(db))
    extra = folder / "duplicate.jsonl"
    extra.write_text(json.dumps(DUPLICATE, ensure_ascii=False) + "\n", encoding="utf-8")
    run("import", str(extra), "--db", str(db))
    for user in (STAFF, "janis", "min-ji"):
        run("user", "add", user, "--password-stdin", "--db", str(db), stdin=PASSWORD + "\n")
    run("user", "disable", "janis", "--db", str(db))
    with Store.open(db) as store:
        profile = store.get(EDITED)
        profile.city, profile.employees = "Seuol", (profile.employees or 0) + 10
        store.save(profile, actor="min-ji")
        store.set_verified([EDITED], True, actor=STAFF)


def save(page: Page, name: str) -> None:
    """The page's top (1280 wide, to the end of its content or 1000 high), quantised."""
    path = DOCS / name
    bottom = page.locator("main").bounding_box()
    height = min(HEIGHT, int(bottom["y"] + bottom["height"]) + 24) if bottom else HEIGHT
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"saved docs/{name} ({path.stat().st_size // 1024} KB)")


def shoot(page: Page) -> None:
    log_in(page)
    page.goto("/staff/?country=KR&sector=pharmaceuticals&sort=-updated")
    save(page, "screenshot-staff-list.png")

    page.goto(f"/staff/companies/{EDITED}/history")
    page.get_by_role("button", name="Revert city").first.click()
    page.wait_for_url(f"**/staff/companies/{EDITED}/history")
    save(page, "screenshot-staff-history.png")

    page.goto("/staff/duplicates")
    save(page, "screenshot-staff-duplicates.png")

    page.goto(f"/staff/duplicates/merge?keep=seegene&merge={DUPLICATE['id']}")
    page.locator('input[name="take_name_local"][value="other"]').check()
    save(page, "screenshot-staff-merge.png")

    page.goto("/staff/users")
    save(page, "screenshot-staff-users.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "matchmaker.db"
        prepare(db, Path(folder))
        with (
            serving(MATCHMAKER, db, clean_env(), cwd=ROOT) as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(base_url=url, viewport={"width": WIDTH, "height": HEIGHT})
            shoot(page)
            browser.close()


if __name__ == "__main__":
    main()
