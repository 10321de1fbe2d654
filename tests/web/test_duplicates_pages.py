"""Duplicates in the web app: staff page, merge with a preview, redirects, undo, did you mean."""

from __future__ import annotations

import dataclasses

from flask.testing import FlaskClient
from web_helpers import post_form

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_bytes
from matchmaker.store import Store


def _add_duplicate(store: Store) -> None:
    """Han Generics entered a second time, under its legal name and with its own city."""
    copy = dataclasses.replace(
        store.get("han-generics"), id="han-generics-2", name="Han Generics Co., Ltd.", city="Ulsan"
    )
    engine.save_and_embed(store, HashingEmbedder(), copy, "test", create=True)


def test_the_duplicates_page_needs_a_login(client: FlaskClient):
    assert client.get("/staff/duplicates").status_code == 302


def test_merge_with_preview_redirects_the_old_address_and_can_be_undone(
    staff_client: FlaskClient, store: Store
):
    _add_duplicate(store)
    page = staff_client.get("/staff/duplicates")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "han-generics-2" in text and "Han Generics Co., Ltd." in text and "name:" in text

    preview = staff_client.get("/staff/duplicates/merge?keep=han-generics&merge=han-generics-2")
    assert preview.status_code == 200
    form = preview.get_data(as_text=True)
    assert 'name="take_city" value="other"' in form and "Ulsan" in form
    versions = {"keep_version": store.get("han-generics").version, "merge_version": 1}

    done = post_form(
        staff_client,
        "/staff/duplicates/merge",
        {"keep": "han-generics", "merge": "han-generics-2", "take_city": "other", **versions},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/companies/han-generics")
    assert store.get("han-generics").city == "Ulsan"

    old = staff_client.get("/companies/han-generics-2?top=3")
    assert old.status_code == 308
    assert old.headers["Location"].endswith("/companies/han-generics?top=3")
    api = staff_client.get("/api/companies/han-generics-2")
    assert api.status_code == 308
    assert api.headers["Location"].endswith("/api/companies/han-generics")
    assert staff_client.get(api.headers["Location"]).get_json()["city"] == "Ulsan"

    merge_id = store.merges()[0]["id"]
    undone = post_form(staff_client, f"/staff/merges/{merge_id}/undo")
    assert undone.status_code == 303
    assert staff_client.get("/companies/han-generics-2").status_code == 200
    assert store.get("han-generics").city != "Ulsan"
    assert "undone by staff" in staff_client.get("/staff/duplicates").get_data(as_text=True)


def test_a_stale_merge_preview_is_refused_and_shown_again(staff_client, store):
    _add_duplicate(store)
    stale = post_form(
        staff_client,
        "/staff/duplicates/merge",
        {"keep": "han-generics", "merge": "han-generics-2", "keep_version": 0, "merge_version": 1},
    )
    assert stale.status_code == 409 and "changed since" in stale.get_data(as_text=True)
    assert store.get("han-generics-2").name == "Han Generics Co., Ltd."


def test_a_misspelt_company_gets_did_you_mean_on_the_page_and_in_the_api(client: FlaskClient):
    page = client.get("/companies/baltic-generix")
    assert page.status_code == 404
    assert 'Did you mean <a href="/companies/baltic-generics">' in page.get_data(as_text=True)
    api = client.get("/api/companies/baltic-generix")
    assert api.status_code == 404
    assert [s["id"] for s in api.get_json()["suggestions"]] == ["baltic-generics"]
    search = client.get("/search", query_string={"company": "Baltik Generiks"})
    assert search.status_code == 404
    assert "Did you mean Baltic Generics (fictional) (baltic-generics)?" in search.get_data(
        as_text=True
    )


def test_type_ahead_finds_a_hangul_name_by_its_romanisation(client: FlaskClient, store: Store):
    parsed = parse_bytes(
        '{"id": "geo-young", "name": "Geo-Young", "name_local": "지오영", "country": "KR", '
        '"description": "Pharmaceutical wholesaler.", "offers": "distribution"}\n'.encode(),
        "jsonl",
    )
    store.upsert_many(parsed.profiles, actor="test")
    for typed in ("Ji-o-yeong", "jioyeong", "지오", "geo young"):
        ids = [s["id"] for s in client.get("/api/suggest", query_string={"q": typed}).get_json()]
        assert ids[:1] == ["geo-young"], (typed, ids)
