"""Hypothesis against the profile forms: any input is saved whole or refused whole, never a 500."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from web_helpers import post_form, snapshot

from matchmaker.profiles import ProfileError, validate_profile
from matchmaker.store import Store
from matchmaker.web.forms import PROFILE_FIELDS, form_values, profile_form_values, raw_profile

TEXT_FIELDS = [name for name, _, kind, _ in PROFILE_FIELDS if kind not in ("types", "checkbox")]
ODD = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            ["\x00", "\ufeff", "\u202e", "\u200f", "ā", "Ķ", "한", ";", "<", "&", '"', "\n", "\r"]
        ),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=60,
)
VALUE = st.one_of(
    ODD,
    st.sampled_from(["LV", "KR", "대한민국", "Latvija", "https://x.lv", "1999", "-5", "1e3"]),
    st.just("ab " * 1700),  # over every text limit
)
EDIT = st.fixed_dictionaries(
    {},
    optional={name: VALUE for name in TEXT_FIELDS}
    | {
        "partnership_types": st.lists(
            st.sampled_from(["distribution", "R&D", "bribery", "", "Licensing"]), max_size=3
        ),
        "verified": st.sampled_from(["1", "on", "", "maybe"]),
    },
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def expected_profile(form: dict, company_id: str | None):
    from werkzeug.datastructures import MultiDict

    multi = MultiDict(
        [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
    )
    try:
        return validate_profile(raw_profile(form_values(multi), company_id))
    except ProfileError:
        return None


@SETTINGS
@given(changes=EDIT)
def test_edit_form_saves_whole_or_refuses_whole_and_keeps_the_text(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path, changes: dict
):
    current = store.get("han-generics")
    form = profile_form_values(current.content())
    form["verified"] = "1" if form["verified"] else ""
    form |= changes
    form["version"] = str(current.version)
    before = snapshot(tmp_db_path)
    response = post_form(staff_client, "/staff/companies/han-generics/edit", form)
    expected = expected_profile(form, "han-generics")
    if expected is None:
        assert response.status_code == 400
        assert snapshot(tmp_db_path) == before
        page = response.get_data(as_text=True)
        assert 'aria-invalid="true"' in page or "Partnership types" in page
        for name in TEXT_FIELDS:
            if name != "country":
                assert str(escape(form[name].replace("\r\n", "\n"))) in page.replace("\r\n", "\n")
    else:
        assert response.status_code == 302
        assert store.get("han-generics").content() == expected.content()
        staff_client.get(response.headers["Location"])  # consume the flash message


@SETTINGS
@given(changes=EDIT)
def test_new_form_creates_whole_or_nothing(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path, changes: dict
):
    form = {"id": "", "name": "Fuzz Co", "country": "KR", "description": "d"} | changes
    before = snapshot(tmp_db_path)
    expected = expected_profile(form, None)
    taken = expected is not None and store.exists(expected.id)
    response = post_form(staff_client, "/staff/companies/new", form)
    if expected is None or taken:
        assert response.status_code in (400, 409)
        assert snapshot(tmp_db_path) == before
    else:
        assert response.status_code == 302
        assert store.get(expected.id).content() == expected.content()
        staff_client.get(response.headers["Location"])


SEARCH_VALUE = st.one_of(ODD, st.sampled_from(["LV", "KR", "Korea", "10", "0", "-1", "1e9", ""]))
SEARCH = st.dictionaries(
    st.sampled_from(
        ["company", "q", "country", "type", "sector", "top", "verified_only", "min_employees"]
    ),
    SEARCH_VALUE,
    max_size=5,
)


@SETTINGS
@given(args=SEARCH)
def test_any_search_parameters_get_a_page_or_a_clear_error(
    client: FlaskClient, tmp_db_path: Path, args: dict
):
    before = snapshot(tmp_db_path)
    for url in ("/search", "/api/search", "/api/companies", "/api/companies/han-generics/matches"):
        response = client.get(url, query_string=args)
        assert response.status_code in (200, 400, 404), (url, args)
        if response.status_code == 400 and url.startswith("/api/"):
            assert response.get_json()["error"]
    assert snapshot(tmp_db_path) == before
