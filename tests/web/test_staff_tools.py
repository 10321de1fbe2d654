"""Staff tools at scale over real HTTP and a real database: the paginated list, exports,
bulk actions, reverts, verification events, the users page, navigation, public pages.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from web_helpers import STAFF, make_app, post_form, snapshot

from matchmaker import engine, formulas
from matchmaker.importing import parse_bytes, parse_file
from matchmaker.profiles import validate_profile
from matchmaker.store import Store

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "data" / "companies.jsonl"


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_ids(response) -> list[str]:
    """The ids of the profiles a list page shows, in order."""
    return re.findall(r'name="ids" value="([^"]+)"', text(response))


def add_profiles(store: Store, count: int, **fields) -> list[str]:
    """``count`` extra fictional LV profiles named "Extra NNN (fictional)"."""
    profiles = [
        validate_profile(
            {
                "id": f"extra-{i:03d}",
                "name": f"Extra {i:03d} (fictional)",
                "country": "LV",
                "city": "Rīga",
                "sectors": ["medical devices"],
                "description": "A fictional extra profile for the staff list tests.",
                **fields,
            }
        )
        for i in range(count)
    ]
    store.upsert_many(profiles, actor="fixture")
    return [p.id for p in profiles]


# -- the list ------------------------------------------------------------------------


def test_list_pages_through_every_profile_once(staff_client: FlaskClient, store: Store):
    add_profiles(store, 120)
    seen: list[str] = []
    for number in (1, 2, 3):
        seen += listed_ids(staff_client.get(f"/staff/?page={number}"))
    assert len(seen) == 130 == len(set(seen))
    first = staff_client.get("/staff/")
    assert "1–50 of 130, page 1 of 3" in text(first)
    assert 'rel="next"' in text(first) and "page=2" in text(first)
    last = staff_client.get("/staff/?page=99")  # past the end: the last page
    assert "101–130 of 130, page 3 of 3" in text(last)


def test_more_matches_than_the_count_cap_say_more_than_and_reach_the_last_page(
    staff_client: FlaskClient, store: Store, monkeypatch: pytest.MonkeyPatch
):
    from matchmaker.store import staff as store_module  # the module that reads the caps
    from matchmaker.web import staff

    monkeypatch.setattr(store_module, "STAFF_COUNT_CAP", 4)
    monkeypatch.setattr(store_module, "STAFF_FEW_MATCHES", 2)
    monkeypatch.setattr(staff, "PAGE_SIZES", (3, 25))
    first = text(staff_client.get("/staff/?per=3"))
    assert "Profiles 1–3 of more than 4, page 1." in first
    assert 'href="/staff/?per=3&amp;page=last"' in first and 'rel="next"' in first
    last = staff_client.get("/staff/?per=3&page=last")
    assert "Profiles 10–10 of 10, page 4 of 4." in text(last)
    everyone = sorted(store.list(), key=lambda p: (p.name.casefold(), p.id))
    assert listed_ids(last) == [everyone[-1].id]


def test_list_page_stays_small_however_many_profiles(staff_client: FlaskClient, store: Store):
    add_profiles(store, 400)
    body = staff_client.get("/staff/?per=25").get_data()
    assert len(listed_ids_bytes(body)) == 25
    assert len(body) < 60_000


def listed_ids_bytes(body: bytes) -> list[str]:
    return re.findall(r'name="ids" value="([^"]+)"', body.decode())


def test_list_sorts_by_name_and_by_recent_change(staff_client: FlaskClient, store: Store):
    by_name = listed_ids(staff_client.get("/staff/"))
    names = [store.get(i).name.casefold() for i in by_name]
    assert names == sorted(names)
    reverse = listed_ids(staff_client.get("/staff/?sort=-name"))
    assert reverse == by_name[::-1]
    profile = store.get("quiet-holding")
    profile.city = "Ulsan"
    # updated_at has one-second resolution: the change must land in a later second than
    # the fixture's own writes, or it ties with them (ties are ordered by id)
    time.sleep(1.05)
    store.save(profile, actor="colleague")
    assert listed_ids(staff_client.get("/staff/?sort=-updated"))[0] == "quiet-holding"


def test_list_filters_by_country_sector_role_verified_and_date(
    staff_client: FlaskClient, store: Store
):
    assert set(listed_ids(staff_client.get("/staff/?country=LV"))) == {
        p.id for p in store.list(country="LV")
    }
    assert listed_ids(staff_client.get("/staff/?sector=cosmetics")) == ["jeju-cosmetics"]
    profile = store.get("han-generics")
    profile.roles = ["distributor"]
    store.save(profile, actor="colleague")
    assert listed_ids(staff_client.get("/staff/?role=distributor")) == ["han-generics"]
    store.set_verified(["busan-biologics"], True, "colleague")
    assert listed_ids(staff_client.get("/staff/?verified=yes")) == ["busan-biologics"]
    assert "busan-biologics" not in listed_ids(staff_client.get("/staff/?verified=no"))
    assert listed_ids(staff_client.get("/staff/?since=2999-01-01")) == []
    assert len(listed_ids(staff_client.get("/staff/?since=2000-01-01"))) == 10
    combined = staff_client.get("/staff/?country=KR&sector=pharmaceuticals&sort=-name")
    assert listed_ids(combined) == ["seoul-pharma-distribution", "han-generics"]


def test_search_covers_every_name_field_in_any_script(staff_client: FlaskClient, store: Store):
    profile = store.get("han-generics")
    profile.name_local = "한제네릭스"
    store.save(profile, actor="colleague")
    add_profiles(store, 3)
    assert listed_ids(staff_client.get("/staff/?q=한제네")) == ["han-generics"]
    assert listed_ids(staff_client.get("/staff/?q=HAN GEN")) == ["han-generics"]
    assert listed_ids(staff_client.get("/staff/?q=extra-001")) == ["extra-001"]
    # accents folded both ways, and one or two characters still search
    assert len(listed_ids(staff_client.get("/staff/?q=riga"))) >= 3
    assert len(listed_ids(staff_client.get("/staff/?q=RĪGA"))) >= 3
    assert listed_ids(staff_client.get("/staff/?q=한")) == ["han-generics"]
    assert listed_ids(staff_client.get('/staff/?q=" OR 1 --')) == []
    assert listed_ids(staff_client.get("/staff/?q=%25")) == []


def test_renamed_profile_is_found_by_its_new_name_only(staff_client: FlaskClient, store: Store):
    profile = store.get("quiet-holding")
    profile.name = "Loud Holding (fictional)"
    store.save(profile, actor="colleague")
    assert listed_ids(staff_client.get("/staff/?q=loud")) == ["quiet-holding"]
    assert listed_ids(staff_client.get("/staff/?q=quiet hol")) == []


@pytest.mark.parametrize(
    "query",
    [
        "country=Narnia",
        "role=wizard",
        "verified=maybe",
        "since=yesterday",
        "sort=DROP TABLE",
        "page=-3",
        "page=abc",
        "per=1000000000000",
    ],
)
def test_bad_filters_are_explained_not_crashes(staff_client: FlaskClient, query: str):
    response = staff_client.get(f"/staff/?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in text(response)
    assert len(listed_ids(response)) == 10  # the bad part is left out, the list still shows


def test_deleted_profiles_have_their_own_view(staff_client: FlaskClient, store: Store):
    store.set_deleted("jeju-cosmetics", True, "colleague")
    assert "jeju-cosmetics" not in listed_ids(staff_client.get("/staff/"))
    deleted = staff_client.get("/staff/?show=deleted")
    assert listed_ids(deleted) == ["jeju-cosmetics"] and "Restore" in text(deleted)


# -- exports -------------------------------------------------------------------------


def test_export_all_in_each_format_imports_back_unchanged(
    staff_client: FlaskClient, store: Store
):
    profile = store.get("han-generics")
    profile.description = "=HYPERLINK(\"http://evil.example\", \"click\") makes tablets"
    store.save(profile, actor="colleague")
    expected = {p.id: p.content() for p in store.list()}
    for fmt in ("csv", "jsonl"):
        response = staff_client.get(f"/staff/export?format={fmt}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        parsed = parse_bytes(response.get_data(), fmt)
        assert parsed.ok and {p.id: p.content() for p in parsed.profiles} == expected
    csv_text = staff_client.get("/staff/export?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text  # neutralised like the CLI export


def test_xlsx_export_neutralises_formulas_like_the_csv(staff_client: FlaskClient, store: Store):
    profile = store.get("han-generics")
    profile.offers = "+1 day delivery; @home service"
    profile.description = "=1+1 is not run"
    store.save(profile, actor="colleague")
    response = staff_client.get("/staff/export?format=xlsx&country=KR")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = list(rows[0]), rows[1:]
    assert len(body) == len(store.list(country="KR"))
    han = dict(zip(header, next(r for r in body if r[0] == "han-generics"), strict=True))
    assert han["description"] == "'=1+1 is not run"
    assert formulas.restore(han["offers"]) == "+1 day delivery; @home service"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_of_a_filter_holds_only_that_selection(staff_client: FlaskClient, store: Store):
    response = staff_client.get("/staff/export?format=jsonl&sector=cosmetics")
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["jeju-cosmetics"]
    page = staff_client.get("/staff/export?sector=cosmetics")
    assert page.status_code == 200 and "The filtered selection: 1 profile." in text(page)


def test_export_refuses_an_unknown_format(staff_client: FlaskClient, tmp_db_path: Path):
    before = snapshot(tmp_db_path)
    assert staff_client.get("/staff/export?format=exe").status_code == 400
    assert snapshot(tmp_db_path) == before


def test_export_needs_a_login(client: FlaskClient):
    response = client.get("/staff/export?format=csv")
    assert response.status_code in (302, 401)
    assert b"baltic-generics" not in response.get_data()


# -- bulk actions ----------------------------------------------------------------------


def test_bulk_verify_then_unverify_is_audited_per_profile(staff_client: FlaskClient, store: Store):
    ids = ["han-generics", "busan-biologics"]
    response = post_form(staff_client, "/staff/bulk", {"action": "verify", "ids": ids})
    assert response.status_code == 303
    assert all(store.get(i).verified for i in ids)
    entry = store.history("han-generics", limit=1)[0]
    assert (entry["action"], entry["actor"], entry["changed"]) == ("verify", STAFF, ["verified"])
    post_form(staff_client, "/staff/bulk", {"action": "unverify", "ids": ids})
    assert not any(store.get(i).verified for i in ids)
    assert store.history("busan-biologics", limit=1)[0]["action"] == "unverify"


def test_bulk_delete_is_audited_and_restorable(staff_client: FlaskClient, store: Store):
    ids = ["jeju-cosmetics", "quiet-holding"]
    post_form(staff_client, "/staff/bulk", {"action": "delete", "ids": ids})
    assert all(store.is_deleted(i) for i in ids)
    assert store.history("quiet-holding", limit=1)[0]["action"] == "delete"
    assert set(listed_ids(staff_client.get("/staff/?show=deleted"))) == set(ids)


def test_bulk_export_downloads_the_ticked_profiles_and_audits_it(
    staff_client: FlaskClient, store: Store
):
    ids = ["han-generics", "vidzeme-wood"]
    response = post_form(
        staff_client, "/staff/bulk", {"action": "export", "format": "jsonl", "ids": ids}
    )
    assert response.status_code == 200
    exported = [json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines()]
    assert exported == ids
    entry = store.history("vidzeme-wood", limit=1)[0]
    assert entry["action"] == "export" and entry["after"] == {"format": "jsonl"}


def test_bulk_with_an_unknown_id_changes_nothing(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    response = post_form(
        staff_client, "/staff/bulk", {"action": "verify", "ids": ["han-generics", "no-such"]}
    )
    assert response.status_code == 400 and "no-such" in text(response)
    assert snapshot(tmp_db_path) == before


@pytest.mark.parametrize("form", [{"action": "explode", "ids": ["han-generics"]}, {}])
def test_bulk_refuses_unknown_actions(staff_client: FlaskClient, tmp_db_path: Path, form: dict):
    before = snapshot(tmp_db_path)
    assert post_form(staff_client, "/staff/bulk", form).status_code == 400
    assert snapshot(tmp_db_path) == before


def test_bulk_goes_back_to_the_filtered_list_never_elsewhere(staff_client: FlaskClient):
    form = {"action": "verify", "ids": ["han-generics"], "back": "/staff/?country=KR"}
    assert post_form(staff_client, "/staff/bulk", form).headers["Location"] == "/staff/?country=KR"
    form["back"] = "https://evil.example/staff/"
    assert post_form(staff_client, "/staff/bulk", form).headers["Location"] == "/staff/"


# -- verification and revert -------------------------------------------------------------


def test_verification_is_its_own_event_with_who_and_when(staff_client: FlaskClient, store: Store):
    version = store.get("han-generics").version
    post_form(staff_client, "/staff/companies/han-generics/verify", {"version": version})
    entry = store.history("han-generics", limit=1)[0]
    assert entry["action"] == "verify" and entry["actor"] == STAFF and entry["at"]
    page = text(staff_client.get("/staff/companies/han-generics/history"))
    assert "<strong>verify</strong> by staff" in page


def edit(store: Store, company_id: str, **changes) -> int:
    """Save changes as a colleague; return the audit id of that edit."""
    profile = store.get(company_id)
    for name, value in changes.items():
        setattr(profile, name, value)
    store.save(profile, actor="colleague")
    return store.history(company_id, limit=1)[0]["id"]


def test_revert_one_field_of_an_edit(staff_client: FlaskClient, store: Store):
    original = store.get("han-generics")
    entry = edit(store, "han-generics", city="Ulsan", description="Rewritten by mistake.")
    version = store.get("han-generics").version
    form = {"entry": entry, "version": version, "field": "description"}
    response = post_form(staff_client, "/staff/companies/han-generics/revert", form)
    assert response.status_code == 303
    reverted = store.get("han-generics")
    assert reverted.description == original.description and reverted.city == "Ulsan"
    assert reverted.version == version + 1
    last = store.history("han-generics", limit=1)[0]
    assert (last["action"], last["actor"], last["reverts"]) == ("revert", STAFF, entry)
    assert last["changed"] == ["description"]
    page = text(staff_client.get("/staff/companies/han-generics/history"))
    assert f"reverts #{entry}" in page


def test_revert_a_whole_edit(staff_client: FlaskClient, store: Store):
    original = store.get("busan-biologics").content()
    entry = edit(store, "busan-biologics", city="Ulsan", sectors=["wood products"], verified=True)
    version = store.get("busan-biologics").version
    post_form(
        staff_client,
        "/staff/companies/busan-biologics/revert",
        {"entry": entry, "version": version},
    )
    assert store.get("busan-biologics").content() == original


def test_revert_with_a_stale_version_is_409_and_changes_nothing(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    entry = edit(store, "han-generics", city="Ulsan")
    stale = store.get("han-generics").version
    edit(store, "han-generics", city="Daegu")  # someone else, after the history was opened
    before = snapshot(tmp_db_path)
    form = {"entry": entry, "version": stale}
    response = post_form(staff_client, "/staff/companies/han-generics/revert", form)
    assert response.status_code == 409
    assert snapshot(tmp_db_path) == before and store.get("han-generics").city == "Daegu"


def test_revert_refuses_what_cannot_be_reverted(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    created = store.history("han-generics")[-1]["id"]  # the import that created it
    entry = edit(store, "han-generics", city="Ulsan")
    version = store.get("han-generics").version
    url = "/staff/companies/han-generics/revert"
    before = snapshot(tmp_db_path)
    for form, status in [
        ({"entry": created, "version": version}, 400),
        ({"entry": entry, "version": version, "field": "name"}, 400),
        ({"entry": 999999, "version": version}, 404),
        ({"entry": "x", "version": version}, 400),
        ({"version": version}, 400),
    ]:
        assert post_form(staff_client, url, form).status_code == status, form
    other = post_form(staff_client, "/staff/companies/busan-biologics/revert", {
        "entry": entry, "version": store.get("busan-biologics").version})
    assert other.status_code == 404  # an entry of another company
    assert snapshot(tmp_db_path) == before


def test_history_offers_revert_buttons_for_field_changes(staff_client: FlaskClient, store: Store):
    entry = edit(store, "han-generics", city="Ulsan")
    page = text(staff_client.get("/staff/companies/han-generics/history"))
    assert f'name="entry" value="{entry}"' in page
    assert 'name="field" value="city"' in page
    assert f"Revert the whole change #{entry}" in page


# -- users, navigation -----------------------------------------------------------------


def test_users_page_lists_accounts_without_secrets(staff_client: FlaskClient, store: Store):
    store.add_user("disabled-one", "not-a-real-hash")
    store.set_disabled("disabled-one", True)
    page = text(staff_client.get("/staff/users"))
    assert STAFF in page and "disabled-one" in page and "disabled since" in page
    assert "not-a-real-hash" not in page and "pbkdf2" not in page and "scrypt" not in page


def test_navigation_reaches_every_staff_feature(staff_client: FlaskClient):
    page = text(staff_client.get("/"))
    nav = page[page.index("<nav") : page.index("</nav>")]
    for href in ("/staff/", "/staff/import", "/staff/export", "/staff/reports/", "/staff/users"):
        assert f'href="{href}"' in nav, href
        assert staff_client.get(href).status_code == 200, href


def test_navigation_links_each_optional_page_once_it_is_served(
    store: Store, tmp_db_path: Path, tmp_path: Path
):
    """Duplicates and missions are served by this app: each is linked, exactly once."""
    from matchmaker.web.staff import OPTIONAL_PAGES, staff_links

    app = make_app(tmp_db_path, tmp_path / "staging")
    with app.test_request_context("/"):
        hrefs = [href for _, href in staff_links()]
    for path, _label in OPTIONAL_PAGES:
        assert sum(href.rstrip("/") == path for href in hrefs) == 1, path


def test_every_navigation_link_opens_its_page(staff_client: FlaskClient):
    """The duplicates link pointed at /staff/duplicates/, which Flask answers with 404."""
    page = text(staff_client.get("/staff/"))
    nav = page[page.index("<nav") : page.index("</nav>")]
    hrefs = re.findall(r'href="(/staff/[^"]*)"', nav)
    assert "/staff/duplicates" in hrefs and "/staff/missions/" in hrefs
    for href in hrefs:
        assert staff_client.get(href).status_code == 200, href


def test_anonymous_visitors_see_no_staff_navigation(client: FlaskClient):
    page = text(client.get("/"))
    assert "/staff/users" not in page and "/staff/export" not in page


# -- public pages ----------------------------------------------------------------------

INTERNAL = ("editorial summary", "shared/seed", "not re-read", "offers/seeks:", ".txt)")


@pytest.fixture
def shipped_client(tmp_path: Path, hashing_embedder) -> FlaskClient:
    """The app over the shipped data (data/companies.jsonl), not logged in."""
    db = tmp_path / "shipped.db"
    with Store.open(db, create=True) as opened:
        engine.import_profiles(opened, hashing_embedder, parse_file(SHIPPED), actor="fixture")
    return make_app(db, tmp_path / "staging").test_client()


def test_no_public_page_of_the_shipped_data_shows_internal_notes(shipped_client: FlaskClient):
    ids = [json.loads(line)["id"] for line in SHIPPED.read_text().splitlines() if line.strip()]
    notes_seen = 0
    links_seen = 0
    for company_id in ids:
        page = text(shipped_client.get(f"/companies/{company_id}"))
        assert not [n for n in INTERNAL if n in page], company_id
        api = shipped_client.get(f"/api/companies/{company_id}").get_json()
        assert not [n for n in INTERNAL if n in json.dumps(api)], company_id
        links_seen += page.count('<ul class="sources">')
        notes_seen += 1
    assert notes_seen == len(ids) >= 100
    assert links_seen >= 90  # nearly every profile cites a page, shown as a link
    listing = json.dumps(shipped_client.get("/api/companies?limit=500").get_json())
    assert not [n for n in INTERNAL if n in listing]


def test_public_page_shows_roles_offers_seeks_and_source_links(
    client: FlaskClient, store: Store
):
    profile = store.get("han-generics")
    profile.roles, profile.partner_roles = ["pharma-company"], ["distributor"]
    profile.source = (
        "checked: https://example.org/han | offers/seeks: editorial summary of plausible "
        "partnering interests (shared/seed/notes.txt)"
    )
    store.save(profile, actor="colleague")
    page = text(client.get("/companies/han-generics"))
    assert 'href="https://example.org/han"' in page
    assert "pharmaceutical company (finished medicines)" in page
    assert "importer / distributor / wholesaler" in page
    assert "Offers" in page and "Seeks" in page and profile.description in page
    assert "editorial summary" not in page and "shared/seed" not in page


def test_staff_still_read_the_whole_source(staff_client: FlaskClient, store: Store):
    profile = store.get("han-generics")
    profile.source = "checked: https://example.org/han | offers/seeks: editorial summary"
    store.save(profile, actor="colleague")
    page = text(staff_client.get("/companies/han-generics"))
    assert "offers/seeks: editorial summary" in page and "staff only" in page
