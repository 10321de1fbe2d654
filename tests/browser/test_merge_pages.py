"""A merge of duplicates with its redirects, in Chromium against ``matchmaker serve``.

Staff open the duplicates page, preview a pair, choose the fields to keep, merge,
and the retired company's address then leads to the kept one, in the browser and
(as a 308 naming the kept id) in the API; undoing the merge gives it its own page
back. The session's Chromium is reused, but not the session's mini server: a
merge retires a company that other browser tests search for, so this module runs
a server of its own on a copy of the mini companies plus one duplicate, embedded
with the hashing embedder (duplicate detection here rests on the names; the
server starts in seconds).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import PASSWORD, STAFF, log_in
from serving import clean_env, serving

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.store import Store
from matchmaker.web.auth import hash_password

ROOT = Path(__file__).parents[2]
MATCHMAKER = [str(Path(sys.executable).parent / "matchmaker")]
MINI = ROOT / "tests" / "fixtures" / "mini.jsonl"
KEPT, RETIRED = "han-generics", "han-generics-2"


def build_duplicates_database(db: Path) -> None:
    """The mini companies, Han Generics entered a second time (legal name, another city),
    and the session's staff account."""
    embedder = HashingEmbedder()
    with Store.open(db, create=True) as store:
        engine.import_profiles(store, embedder, parse_file(MINI), actor="fixture")
        copy = dataclasses.replace(
            store.get(KEPT), id=RETIRED, name="Han Generics Co., Ltd.", city="Ulsan"
        )
        engine.save_and_embed(store, embedder, copy, "fixture", create=True)
        store.add_user(STAFF, hash_password(PASSWORD))


@pytest.fixture(scope="module")
def duplicates_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("merges") / "matchmaker.db"
    build_duplicates_database(db)
    with serving(MATCHMAKER, db, clean_env(MATCHMAKER_MODEL="hashing"), cwd=ROOT) as url:
        yield url


@pytest.fixture
def staff_page(browser, duplicates_server):
    """A logged-in page on this module's server (fails on script or asset errors)."""
    context = browser.new_context(
        base_url=duplicates_server, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}")
        if r.status >= 400 and r.request.resource_type != "document"
        else None,
    )
    log_in(page)
    yield page
    context.close()
    assert errors == []


def open_merge_preview(page) -> None:
    """From the duplicates page, the preview of the Han Generics pair, keeping ``KEPT``."""
    page.get_by_role("link", name="Duplicates", exact=True).click()
    page.wait_for_url("**/staff/duplicates")
    row = page.locator("table.duplicates tbody tr").filter(has_text=RETIRED)
    assert "name" in row.locator(".evidence").inner_text()
    row.get_by_role("link", name="Compare and merge").click()
    page.wait_for_url("**/staff/duplicates/merge?**")
    heading = page.get_by_role("heading", level=1).inner_text()
    if heading != f"Merge {RETIRED} into {KEPT}":  # the pair was listed the other way round
        page.get_by_role("link", name=f"Keep {KEPT} instead").click()
        page.wait_for_url(f"**keep={KEPT}**")
    assert page.get_by_role("heading", level=1).inner_text() == f"Merge {RETIRED} into {KEPT}"


def test_merge_from_the_preview_redirects_the_old_address_and_can_be_undone(staff_page):
    page = staff_page
    open_merge_preview(page)
    city = page.locator("table.diff tr").filter(has_text="City")
    city.get_by_role("radio", name="Ulsan").check()  # the retired profile's city
    name = page.locator("table.diff tr").filter(has=page.get_by_role("rowheader", name="Name"))
    assert name.get_by_role("radio").first.is_checked()  # the kept name by default
    page.get_by_role("button", name="Merge", exact=True).click()

    page.wait_for_url(f"**/companies/{KEPT}")
    assert f"Merged Han Generics Co., Ltd. ({RETIRED})" in page.locator(".flashes").inner_text()
    assert "Ulsan" in page.locator("header .meta").first.inner_text()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Han Generics (fictional)")

    page.goto(f"/companies/{RETIRED}")  # the old address, bookmarked before the merge
    assert re.search(rf"/companies/{KEPT}$", page.url)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Han Generics (fictional)")
    api = page.request.get(f"/api/companies/{RETIRED}", max_redirects=0)
    assert api.status == 308 and api.headers["location"].endswith(f"/api/companies/{KEPT}")
    assert page.request.get(f"/api/companies/{RETIRED}").json()["id"] == KEPT

    page.goto("/staff/duplicates")
    merge = page.locator("ul.merges li").filter(has_text=RETIRED).first
    merge.get_by_role("button", name="Undo").click()
    page.wait_for_url("**/staff/duplicates")
    assert f"{RETIRED} is a profile of its own again" in page.locator(".flashes").inner_text()
    page.goto(f"/companies/{RETIRED}")
    assert page.url.endswith(f"/companies/{RETIRED}")
    assert "Ulsan" in page.locator("header .meta").first.inner_text()
    page.goto(f"/companies/{KEPT}")
    assert "Ulsan" not in page.locator("header .meta").first.inner_text()
