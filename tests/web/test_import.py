"""Import by upload: preview and per-row errors; nothing written before a confirm."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from web_helpers import STAFF, csrf_token, post_form, snapshot

from matchmaker.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures"

GOOD = (
    '{"id": "new-co", "name": "New Co (fictional)", "country": "KR", "description": "d",'
    ' "offers": "ultrasound probes", "seeks": "EU distributor"}\n'
    '{"id": "baltic-generics", "name": "Baltic Generics (fictional)", "country": "LV",'
    ' "city": "Valmiera", "description": "changed", "offers": "tablets"}\n'
)
BAD = (
    '{"id": "ok-co", "name": "OK Co", "country": "LV", "description": "fine"}\n'
    '{"id": "bad-co", "name": "Bad Co", "country": "France", "description": "d",'
    ' "website": "javascript:alert(1)"}\n'
    "{not json\n"
)


def text(response) -> str:
    return response.get_data(as_text=True)


def upload(client: FlaskClient, content: bytes, filename: str, fmt: str = ""):
    return post_form(
        client,
        "/staff/import",
        {"file": (io.BytesIO(content), filename), "format": fmt},
        content_type="multipart/form-data",
    )


def digest_of(page: str) -> str:
    marker = 'name="digest" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_preview_writes_nothing_and_confirm_writes_everything(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    response = upload(staff_client, GOOD.encode(), "companies.jsonl")
    assert response.status_code == 200
    page = text(response)
    assert "2 valid rows, ready to import" in page
    assert "1 new, 1 updated" in page
    assert "updated: city, sectors, description, offers, seeks" in page
    assert snapshot(tmp_db_path) == before
    response = post_form(staff_client, "/staff/import/confirm", {"digest": digest_of(page)})
    assert response.status_code == 302
    assert "1 new, 1 updated, 0 unchanged" in text(staff_client.get("/staff/"))
    assert store.get("new-co").name == "New Co (fictional)"
    assert store.get("baltic-generics").city == "Valmiera"
    assert store.history("new-co")[0]["actor"] == STAFF
    # Searching sees the import at once.
    assert "New Co" in text(staff_client.get("/search?q=ultrasound+probes&country=KR"))
    # A preview is confirmed once.
    again = post_form(staff_client, "/staff/import/confirm", {"digest": digest_of(page)})
    assert "expired" in text(staff_client.get(again.headers["Location"]))


def test_errors_are_shown_against_row_and_field_and_nothing_is_written(
    staff_client: FlaskClient, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    response = upload(staff_client, BAD.encode(), "bad.jsonl")
    assert response.status_code == 422
    page = text(response)
    assert "nothing was imported" in page
    assert '<th scope="row">2</th><td>country</td>' in page
    assert '<th scope="row">2</th><td>website</td>' in page
    assert '<th scope="row">3</th><td>(json)</td>' in page
    assert "{not json" in page  # the offending line, for context
    assert 'name="digest"' not in page  # nothing to confirm
    assert snapshot(tmp_db_path) == before


def test_csv_fixture_with_bad_rows_reports_spreadsheet_row_numbers(staff_client: FlaskClient):
    bad_csv = (
        "id,name,country,description,partnership_types\n"
        "a-co,A Co,LV,fine,distribution\n"
        "b-co,B Co,KR,fine,bribery\n"
    )
    page = text(upload(staff_client, bad_csv.encode(), "rows.csv"))
    assert '<th scope="row">3</th><td>partnership_types</td>' in page
    assert "(the header is row 1)" in page


def test_file_problems_are_explained(staff_client: FlaskClient):
    assert "Choose a .jsonl" in text(upload(staff_client, b"", ""))
    assert "unsupported file type" in text(upload(staff_client, b"x", "data.xlsx"))
    assert "is not UTF-8 text" in text(upload(staff_client, b"\xff\xfe\x00bad", "x.csv"))
    assert "has no company rows" in text(upload(staff_client, b"\n\n", "x.jsonl"))
    # The format can be chosen when the name does not tell.
    row = json.dumps({"name": "Fmt Co", "country": "LV", "description": "d"})
    assert "1 valid row" in text(upload(staff_client, row.encode(), "export.txt", fmt="jsonl"))


def test_upload_size_is_limited(
    store: Store, tmp_db_path: Path, tmp_path: Path, auth, client: FlaskClient, app: Flask
):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    app.config["UPLOAD_MAX_BYTES"] = 8_000
    auth.login()
    before = snapshot(tmp_db_path)
    response = upload(client, b"x" * 20_000, "big.jsonl")
    assert response.status_code == 413
    assert "limit" in text(response)
    assert snapshot(tmp_db_path) == before


def test_confirm_needs_this_sessions_preview(
    staff_client: FlaskClient, app: Flask, tmp_db_path: Path
):
    page = text(upload(staff_client, GOOD.encode(), "companies.jsonl"))
    digest = digest_of(page)
    before = snapshot(tmp_db_path)
    # Another staff session cannot confirm it.
    other = app.test_client()
    post_form(other, "/login", {"username": STAFF, "password": "a long test password"})
    response = post_form(other, "/staff/import/confirm", {"digest": digest})
    assert "expired" in text(other.get(response.headers["Location"]))
    # The staged file changed on disk: refused.
    staged = Path(app.config["IMPORT_STAGING_DIR"]) / digest
    staged.write_bytes(GOOD.replace("New Co", "Evil Co").encode())
    response = post_form(staff_client, "/staff/import/confirm", {"digest": digest})
    assert "changed since the preview" in text(staff_client.get(response.headers["Location"]))
    assert snapshot(tmp_db_path) == before


# -- fuzzing: any upload, no 500, nothing partial --------------------------

FIELDS = ["id", "name", "country", "description", "offers", "seeks", "website", "sectors"]
ODD_TEXT = st.text(
    alphabet=st.sampled_from(
        list("abc xyz;,\"'\n\t{}[]:")
        + ["\x00", "\ufeff", "\u202e", "\u200f", "ā", "ņ", "Ķ", "한", "국", "😀", "\r"]
    ),
    max_size=40,
)
VALUE = st.one_of(
    ODD_TEXT,
    st.sampled_from(["LV", "KR", "Latvija", "대한민국", "http://x.lv", "distribution"]),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(ODD_TEXT, max_size=3),
)
ROW = st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=len(FIELDS))
#: Mostly valid rows with one or two odd fields, so that some files pass and get confirmed.
NEAR_VALID = st.tuples(
    st.sampled_from(["fz-a", "fz-b", "fz-c", "baltic-generics"]),
    st.dictionaries(st.sampled_from(FIELDS[1:]), VALUE, max_size=2),
).map(lambda t: {"id": t[0], "name": "Fuzz Co", "country": "KR", "description": "d"} | t[1])


def as_jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def as_csv(rows: list[dict]) -> bytes:
    lines = [",".join(FIELDS)]
    for r in rows:
        cells = ['"' + str(r.get(f, "")).replace('"', '""') + '"' for f in FIELDS]
        lines.append(",".join(cells))
    return "\n".join(lines).encode()


UPLOAD = st.one_of(
    st.lists(NEAR_VALID, min_size=1, max_size=4).map(lambda rows: (as_jsonl(rows), "f.jsonl")),
    st.lists(NEAR_VALID, min_size=1, max_size=4).map(lambda rows: (as_csv(rows), "f.csv")),
    st.lists(ROW, max_size=5).map(lambda rows: (as_jsonl(rows), "f.jsonl")),
    st.lists(ROW, max_size=5).map(lambda rows: (as_csv(rows), "f.csv")),
    st.lists(ROW, max_size=5).map(lambda rows: (json.dumps(rows).encode(), "f.json")),
    st.binary(max_size=300).map(lambda data: (data, "f.jsonl")),
    st.binary(max_size=300).map(lambda data: (data, "f.csv")),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(upload_case=UPLOAD)
def test_any_upload_gives_a_clear_answer_and_imports_all_or_nothing(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path, upload_case
):
    content, name = upload_case
    before = snapshot(tmp_db_path)
    response = upload(staff_client, content, name)
    assert response.status_code in (200, 422)
    assert snapshot(tmp_db_path) == before  # a preview never writes
    if response.status_code == 422:
        assert "nothing was imported" in text(response) or "Cannot read" in text(response)
        return
    page = text(response)
    event("confirmed")
    confirm = post_form(staff_client, "/staff/import/confirm", {"digest": digest_of(page)})
    assert confirm.status_code == 302
    rows = page.count("<td><code>")
    ids = [line.split("</code>")[0] for line in page.split("<td><code>")[1:]]
    assert len(ids) == rows
    for company_id in ids:
        assert store.exists(company_id)
    staff_client.get("/staff/")  # consume the flash message
    assert csrf_token(staff_client)


def test_an_unclosed_csv_quote_is_refused_in_the_preview(
    staff_client: FlaskClient, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    data = b'id,name,country,description\na,A,LV,"open\nb,B,LV,x\n'
    response = upload(staff_client, data, "q.csv")
    assert response.status_code == 422
    assert "opened on line 2 is never closed" in text(response)
    assert 'name="digest"' not in text(response)
    assert snapshot(tmp_db_path) == before


def test_a_lone_surrogate_as_a_field_name_is_a_clear_error_not_a_500(
    staff_client: FlaskClient, tmp_db_path: Path
):
    before = snapshot(tmp_db_path)
    data = b'{"\\ud800": 1, "name": "A", "country": "LV", "description": "d"}\n'
    response = upload(staff_client, data, "s.jsonl")
    assert response.status_code == 422
    assert "\\ud800" in text(response) and "unknown field" in text(response)
    assert snapshot(tmp_db_path) == before


def test_the_preview_shows_rows_edited_since_the_export_and_needs_overwrite(
    staff_client: FlaskClient, store: Store, tmp_db_path: Path
):
    old = store.get("jeju-cosmetics").to_dict()
    profile = store.get("jeju-cosmetics")
    profile.city = "Seogwipo"
    store.save(profile, "anna", expected_version=profile.version)
    before = snapshot(tmp_db_path)
    response = upload(staff_client, (json.dumps(old) + "\n").encode(), "old.jsonl")
    assert response.status_code == 200
    page = text(response)
    assert "1 profile was edited after this file was exported" in page
    assert "jeju-cosmetics was edited after this file was exported" in page
    assert 'name="overwrite"' in page
    digest = digest_of(page)
    refused = post_form(staff_client, "/staff/import/confirm", {"digest": digest})
    assert refused.status_code == 302
    assert snapshot(tmp_db_path) == before
    assert "were edited after the file was exported" in text(staff_client.get("/staff/import"))
    response = upload(staff_client, (json.dumps(old) + "\n").encode(), "old.jsonl")
    done = post_form(
        staff_client,
        "/staff/import/confirm",
        {"digest": digest_of(text(response)), "overwrite": "1"},
    )
    assert done.status_code == 302
    assert store.get("jeju-cosmetics").city == old["city"]
