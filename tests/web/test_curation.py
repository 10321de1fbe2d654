"""Curation as agency staff do it: login, create, edit, stale edits, delete, verify, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pg_server import WriteLockHolder
from web_helpers import PASSWORD, STAFF, post_form, snapshot

from matchmaker.store import Store
from matchmaker.web.auth import LOGIN_ERROR
from matchmaker.web.forms import profile_form_values


def text(response) -> str:
    return response.get_data(as_text=True)


def edit_values(store: Store, company_id: str, **changes) -> dict:
    """The edit form as the browser would post it, with some fields changed."""
    profile = store.get(company_id, include_deleted=True)
    values = profile_form_values(profile.content()) | changes
    values["version"] = str(changes.get("version", profile.version))
    if not values.pop("verified"):
        values.pop("verified", None)
    else:
        values["verified"] = "1"
    return values


# -- login ------------------------------------------------------------------


def test_staff_pages_need_a_login(client: FlaskClient):
    for url in ("/staff/", "/staff/companies/new", "/staff/import", "/staff/companies/x/history"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_login_error_is_the_same_for_unknown_users_and_wrong_passwords(client: FlaskClient, auth):
    unknown = auth.login("nobody", PASSWORD)
    wrong = auth.login(STAFF, "wrong password here")
    assert unknown.status_code == wrong.status_code == 401
    assert str(LOGIN_ERROR) in text(unknown) and str(LOGIN_ERROR) in text(wrong)
    assert 'value="nobody"' in text(unknown)  # the user name is kept, the password never
    assert PASSWORD not in text(unknown)


def test_repeated_failures_back_off_instead_of_locking_the_account(
    app: Flask, client: FlaskClient, auth, store
):
    for _ in range(5):
        assert auth.login(STAFF, "wrong password here").status_code == 401
    throttled = auth.login(STAFF, PASSWORD)
    assert throttled.status_code == 429  # this client waits, even with the right password
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many failed logins" in text(throttled)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert post_form(other, "/login", {"username": STAFF, "password": PASSWORD}).status_code == 302


def test_login_and_logout(client: FlaskClient, auth):
    response = auth.login()
    assert response.headers["Location"] == "/staff/"
    assert "Log out staff" in text(client.get("/staff/"))
    assert auth.logout().status_code == 302
    assert client.get("/staff/").status_code == 302


# -- create and edit --------------------------------------------------------


def test_create_a_profile(staff_client: FlaskClient, store: Store):
    response = post_form(
        staff_client,
        "/staff/companies/new",
        {
            "name": "Kurzeme Diagnostics (fictional)",
            "name_local": "Kurzemes Diagnostika",
            "country": "Latvia",
            "description": "Fictional maker of rapid tests.",
            "offers": "rapid antigen tests\nCE-IVD registration",
            "seeks": "Korean distributor for rapid tests",
            "partnership_types": ["distribution", "export"],
        },
    )
    assert response.status_code == 302
    profile = store.get("kurzeme-diagnostics-fictional-lv")
    assert profile.country == "LV"
    assert profile.partnership_types == ["distribution", "export"]
    assert profile.offer_phrases == ["rapid antigen tests", "CE-IVD registration"]
    assert store.history(profile.id)[0]["actor"] == STAFF
    page = text(staff_client.get(response.headers["Location"]))
    assert "Created Kurzeme Diagnostics (fictional)." in page


def test_invalid_form_shows_every_problem_and_keeps_what_was_typed(
    staff_client: FlaskClient, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    response = post_form(
        staff_client,
        "/staff/companies/new",
        {
            "name": "Half Typed Ltd",
            "country": "France",
            "description": "",
            "website": "javascript:alert(1)",
            "founded": "last year",
            "offers": "some offers Ā 한국",
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "Country must be LV or KR" in page
    assert "Description is required." in page
    assert "Website must be an http:// or https:// address." in page
    assert "Founded (year) must be a whole number." in page
    assert 'value="Half Typed Ltd"' in page
    assert "some offers Ā 한국</textarea>" in page
    assert 'aria-invalid="true"' in page
    assert snapshot(tmp_db_path) == before


def test_duplicate_id_is_refused_on_the_form(staff_client: FlaskClient):
    response = post_form(
        staff_client,
        "/staff/companies/new",
        {"id": "baltic-generics", "name": "Copy", "country": "LV", "description": "d"},
    )
    assert response.status_code == 409
    assert "already exists" in text(response)
    assert 'value="Copy"' in text(response)


def test_edit_is_saved_audited_and_reflected_in_search_at_once(
    staff_client: FlaskClient, store: Store
):
    before = text(staff_client.get("/search?q=veterinary+vaccine+adjuvants&country=KR"))
    assert before.index("Jeju Cosmetics") > 0
    values = edit_values(
        store, "jeju-cosmetics", offers="veterinary vaccine adjuvants; cosmetics", city="Jeju City"
    )
    response = post_form(staff_client, "/staff/companies/jeju-cosmetics/edit", values)
    assert response.status_code == 302
    assert response.headers["Location"] == "/companies/jeju-cosmetics"
    assert store.get("jeju-cosmetics").city == "Jeju City"
    page = text(staff_client.get("/search?q=veterinary+vaccine+adjuvants&country=KR"))
    first = page.index('class="match"')
    assert page.index("Jeju Cosmetics", first) < page.index("</li>", first)
    assert "<q>veterinary vaccine adjuvants</q>" in page
    history = text(staff_client.get("/staff/companies/jeju-cosmetics/history"))
    assert "Jeju City" in history and "edit" in history and STAFF in history


def test_stale_edit_is_refused_with_409_and_the_editors_text_is_kept(
    staff_client: FlaskClient, store: Store
):
    mine = edit_values(store, "han-generics", city="Daejeon")
    theirs = store.get("han-generics")
    theirs.city = "Busan"
    store.save(theirs, actor="colleague")
    response = post_form(staff_client, "/staff/companies/han-generics/edit", mine)
    assert response.status_code == 409
    page = text(response)
    assert "Not saved: colleague changed this profile" in page
    assert 'value="Daejeon"' in page  # my text is kept
    assert "Busan" in page  # their value is shown
    assert store.get("han-generics").city == "Busan"  # nothing overwritten
    # Saving again, knowingly, on top of their version works.
    again = edit_values(store, "han-generics", city="Daejeon")
    assert post_form(staff_client, "/staff/companies/han-generics/edit", again).status_code == 302
    assert store.get("han-generics").city == "Daejeon"


@pytest.mark.parametrize("url", ["/staff/companies/new", "/staff/companies/han-generics/edit"])
def test_a_busy_database_keeps_the_form_and_says_try_again(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path, monkeypatch, url
):
    """Another process holds the write lock past the busy timeout: 503, typed text kept."""
    values = edit_values(store, "han-generics", city="Daejeon (typed)")
    if url.endswith("/new"):
        values.update(id="", name="Busy Test Labs (fictional)")
    monkeypatch.setattr("matchmaker.store.connection.BUSY_TIMEOUT_MS", 100)  # not the full 5 s
    before = snapshot(tmp_db_path)
    other = WriteLockHolder(tmp_db_path)
    try:
        response = post_form(staff_client, url, values)
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 503
    page = text(response)
    assert "Not saved: the database is busy with another write" in page
    assert 'value="Daejeon (typed)"' in page
    assert snapshot(tmp_db_path) == before


def test_edit_without_a_version_is_treated_as_stale(staff_client: FlaskClient, store: Store):
    values = edit_values(store, "han-generics", city="Daejeon")
    del values["version"]
    assert post_form(staff_client, "/staff/companies/han-generics/edit", values).status_code == 409
    assert store.get("han-generics").city == "Seoul"


# -- delete, restore, verify -------------------------------------------------


def test_delete_hides_from_search_and_restore_brings_back(staff_client: FlaskClient, store: Store):
    version = store.get("seoul-pharma-distribution").version
    url = "/staff/companies/seoul-pharma-distribution"
    response = post_form(staff_client, url + "/delete", {"version": version})
    assert response.status_code == 302
    assert store.is_deleted("seoul-pharma-distribution")
    assert "Deleted Seoul Pharma" in text(staff_client.get(response.headers["Location"]))
    assert "Seoul Pharma" not in text(staff_client.get("/search?company=baltic-generics"))
    assert staff_client.get("/companies/seoul-pharma-distribution").status_code == 404
    deleted_list = text(staff_client.get("/staff/?show=deleted"))
    assert "Seoul Pharma Distribution" in deleted_list and "Restore" in deleted_list
    version = store.get("seoul-pharma-distribution", include_deleted=True).version
    assert post_form(staff_client, url + "/restore", {"version": version}).status_code == 302
    assert "Seoul Pharma" in text(staff_client.get("/search?company=baltic-generics"))
    actions = [e["action"] for e in store.history("seoul-pharma-distribution")]
    assert actions[:2] == ["restore", "delete"]


def test_stale_delete_is_refused(staff_client: FlaskClient, store: Store):
    old_version = store.get("busan-biologics").version
    profile = store.get("busan-biologics")
    profile.city = "Ulsan"
    store.save(profile, actor="colleague")
    url = "/staff/companies/busan-biologics/delete"
    response = post_form(staff_client, url, {"version": old_version})
    assert response.status_code == 409
    assert "Someone else changed this profile" in text(response)
    assert not store.is_deleted("busan-biologics")


def test_mark_verified_and_back(staff_client: FlaskClient, store: Store):
    url = "/staff/companies/han-generics/verify"
    version = store.get("han-generics").version
    assert post_form(staff_client, url, {"version": version, "verified": "1"}).status_code == 302
    assert store.get("han-generics").verified
    verified_only = staff_client.get("/search?company=baltic-generics&verified_only=1")
    assert "Han Generics" in text(verified_only)
    version = store.get("han-generics").version
    assert post_form(staff_client, url, {"version": version, "verified": "0"}).status_code == 302
    assert not store.get("han-generics").verified


def test_staff_list_filters_by_name_in_any_script(staff_client: FlaskClient):
    page = text(staff_client.get("/staff/?q=vidzemes"))
    assert "Vidzeme Wood" in page and "Baltic Generics" not in page
    assert "1–1 of 1," in page


# -- roles, partner roles and markets ----------------------------------------


def test_editing_another_field_keeps_curated_roles_and_markets(
    staff_client: FlaskClient, store: Store
):
    """The form shows the vocabulary fields, so saving it never wipes them."""
    profile = store.get("han-generics")
    profile.roles, profile.partner_roles = ["pharma-company"], ["distributor"]
    profile.markets = ["kr", "europe"]
    store.save(profile, actor="colleague")
    form = text(staff_client.get("/staff/companies/han-generics/edit"))
    assert 'value="pharma-company"' in form and 'value="kr; europe"' in form
    values = edit_values(store, "han-generics", city="Daejeon")
    assert post_form(staff_client, "/staff/companies/han-generics/edit", values).status_code == 302
    saved = store.get("han-generics")
    assert saved.city == "Daejeon"
    assert (saved.roles, saved.partner_roles, saved.markets) == (
        ["pharma-company"],
        ["distributor"],
        ["kr", "europe"],
    )


def test_staff_correct_roles_on_the_form_and_an_unknown_role_is_refused(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    url = "/staff/companies/han-generics/edit"
    values = edit_values(store, "han-generics", roles="distributor; CRO", markets="kr")
    assert post_form(staff_client, url, values).status_code == 302
    assert store.get("han-generics").roles == ["distributor", "cro"]
    before = snapshot(tmp_db_path)
    bad = edit_values(store, "han-generics", partner_roles="distributor; space agency")
    response = post_form(staff_client, url, bad)
    assert response.status_code == 400
    assert "unknown role &#39;space agency&#39;" in text(response)
    assert 'value="distributor; space agency"' in text(response)  # what was typed is kept
    assert snapshot(tmp_db_path) == before
