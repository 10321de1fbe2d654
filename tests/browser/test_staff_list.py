"""The staff list at 5,000 profiles and a revert, in Chromium against ``matchmaker serve``.

A server of its own (not the session's mini server, whose search results other
tests check): 5,000 SYNTHETIC profiles (``benchmarks/synthetic.py``) embedded
with the hashing embedder, so it starts in seconds. The list itself does not
depend on the model.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import PASSWORD, STAFF, log_in
from serving import clean_env, serving

from matchmaker.engine import make_embedder
from matchmaker.indexing import embed_profiles
from matchmaker.store import Store
from matchmaker.web.auth import hash_password

ROOT = Path(__file__).parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import make_profiles  # noqa: E402

MATCHMAKER = [str(Path(sys.executable).parent / "matchmaker")]
SIZE = 5000


@pytest.fixture(scope="module")
def profiles():
    return make_profiles(SIZE, seed=7)


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory, profiles) -> Iterator[str]:
    db = tmp_path_factory.mktemp("staff-list") / "matchmaker.db"
    with Store.open(db, create=True) as store:
        store.upsert_many(profiles, actor="fixture")
        embed_profiles(store, make_embedder("hashing"), store.list())
        store.add_user(STAFF, hash_password(PASSWORD))
    with serving(MATCHMAKER, db, clean_env(MATCHMAKER_MODEL="hashing"), cwd=ROOT) as url:
        yield url


@pytest.fixture
def staff_page(browser, big_server):
    """A logged-in page on the 5,000-profile server (fails on script or asset errors)."""
    context = browser.new_context(base_url=big_server, viewport={"width": 1280, "height": 900})
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


def summary(page) -> str:
    return page.locator("#list-summary").inner_text()


def test_pages_through_5000_profiles_and_stays_small(staff_page, profiles):
    assert "1–50 of 5000, page 1 of 100" in summary(staff_page)
    assert staff_page.locator("table.list tbody tr").count() == 50
    assert len(staff_page.content()) < 100_000  # one page, not 5,000 rows
    first_names = staff_page.locator("table.list tbody th").all_inner_texts()
    staff_page.get_by_role("link", name="Next").click()
    staff_page.wait_for_url("**page=2**")
    assert "51–100 of 5000, page 2 of 100" in summary(staff_page)
    assert not set(first_names) & set(staff_page.locator("table.list tbody th").all_inner_texts())
    staff_page.get_by_role("link", name="Last").click()
    staff_page.wait_for_url("**page=100**")
    assert "4951–5000 of 5000, page 100 of 100" in summary(staff_page)
    names = sorted((p.name for p in profiles), key=lambda n: (n.casefold(), n))
    assert names[-1] in staff_page.locator("table.list tbody").inner_text()


def test_filters_sort_and_search_narrow_the_list(staff_page, profiles):
    sector = profiles[0].sectors[0]
    expected = [p for p in profiles if p.country == "KR" and sector in p.sectors]
    staff_page.get_by_label("Country").select_option("KR")
    staff_page.get_by_label("Sector").select_option(sector)
    staff_page.get_by_label("Sort by").select_option("-name")
    staff_page.get_by_role("button", name="Apply", exact=True).click()
    staff_page.wait_for_url("**country=KR**")
    assert f"of {len(expected)}," in summary(staff_page)
    top = max(expected, key=lambda p: (p.name.casefold(), p.id))
    assert staff_page.locator("table.list tbody th").first.inner_text().startswith(top.name)
    target = profiles[1234]
    staff_page.get_by_label("Name, local name, id or city").fill(target.name.lower())
    staff_page.get_by_label("Country").select_option("")
    staff_page.get_by_label("Sector").select_option("")
    staff_page.get_by_role("button", name="Apply", exact=True).click()
    staff_page.wait_for_url(re.compile(r".*q=synthetic.*"))
    rows = staff_page.locator("table.list tbody th")
    assert rows.count() >= 1 and rows.first.inner_text().startswith(target.name)


def test_revert_a_field_from_the_history(staff_page, profiles):
    target = profiles[42]
    staff_page.goto(f"/staff/companies/{target.id}/edit")
    staff_page.get_by_label("City", exact=True).fill("Typo City")
    staff_page.get_by_role("button", name=re.compile("Save")).click()
    staff_page.wait_for_url(f"**/companies/{target.id}")
    assert "Typo City" in staff_page.locator("header .meta").first.inner_text()
    staff_page.goto(f"/staff/companies/{target.id}/history")
    # a write answers once the search index has the change: applied incrementally in
    # milliseconds (live_index.py), so the default timeouts hold even at 5,000 profiles
    staff_page.get_by_role("button", name="Revert city").first.click()
    staff_page.wait_for_url(f"**/staff/companies/{target.id}/history")
    assert "Reverted city" in staff_page.locator(".flashes").inner_text()
    assert "revert" in staff_page.locator("ol.history li").first.inner_text()
    staff_page.goto(f"/companies/{target.id}")
    meta = staff_page.locator("header .meta").first.inner_text()
    assert target.city in meta and "Typo City" not in meta
