"""Keyset paging of ``GET /api/companies`` through the real app and database: the cursor
(``after``), ``X-Next-Cursor`` and ``Link: <…>; rel="next"``, on both engines.

A client that follows ``Link`` headers must get the same companies as one big page, with
no next page named on the last one; ``offset`` keeps working as before; and any cursor
this API did not make for the listing asked (malformed, cut, edited, from other filters,
combined with ``offset``) is a 400 with a JSON message, never a 5xx.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.profiles import validate_profile
from matchmaker.store import Store
from matchmaker.web.cursors import MAX_TOKEN_LENGTH, make_cursor

OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.yaml"
#: Listings as a client asks for them (query parameters besides limit and after).
LISTINGS = [{}, {"country": "KR"}, {"country": "lv"}, {"q": "Generics"}, {"q": "rīga"},
            {"country": "KR", "q": "seoul"}, {"q": "nothing like this"}]  # fmt: skip


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [company["id"] for company in response.get_json()]


def next_link(response) -> str | None:
    """The path and query of the ``rel="next"`` link, checked against ``X-Next-Cursor``."""
    link, cursor = response.headers.get("Link"), response.headers.get("X-Next-Cursor")
    assert (link is None) == (cursor is None), (link, cursor)
    if link is None:
        return None
    target, relation = link.split(";")
    assert relation.strip() == 'rel="next"'
    url = urlsplit(target.strip().removeprefix("<").removesuffix(">"))
    assert url.scheme == "http" and url.path == "/api/companies"  # absolute, as GitHub's
    assert parse_qs(url.query)["after"] == [cursor]
    return f"{url.path}?{url.query}"


def follow(client: FlaskClient, first: str) -> tuple[list[str], int]:
    """Every id from ``first`` on, following ``Link`` headers; and how many pages it took."""
    seen, pages, url = [], 0, first
    while url:
        response = client.get(url)
        seen += ids(response)
        pages += 1
        url = next_link(response)
    return seen, pages


def query(params: dict[str, str], **more) -> str:
    return "/api/companies?" + urlencode(params | more)


@pytest.mark.parametrize("params", LISTINGS)
@pytest.mark.parametrize("limit", [1, 3, 5])
def test_following_link_headers_gives_the_whole_listing_once(client, params, limit):
    whole = ids(client.get(query(params, limit=1000)))
    walked, pages = follow(client, query(params, limit=limit))
    assert walked == whole
    assert pages == max(1, -(-len(whole) // limit))  # a full last page names no next one


def test_offset_pages_are_as_before_and_name_the_next_page_by_cursor(client):
    whole = ids(client.get("/api/companies"))
    assert len(whole) == 10 and whole == sorted(whole)
    response = client.get("/api/companies?limit=3&offset=3")
    assert ids(response) == whole[3:6]
    assert ids(client.get(next_link(response))) == whole[6:9]
    last = client.get("/api/companies?limit=3&offset=9")
    assert ids(last) == whole[9:] and next_link(last) is None
    assert ids(client.get("/api/companies?offset=10")) == []
    assert "Link" not in client.get("/api/companies").headers  # 10 fit on the first page


def test_a_walk_meets_every_company_that_lives_throughout_once(client, store: Store):
    """Companies created before and after the cursor, deleted and restored between pages."""
    start = ids(client.get("/api/companies"))
    response = client.get("/api/companies?limit=4")
    seen = ids(response)
    store.create(_fictional("aaa-before-the-cursor"), "staff")
    store.create(_fictional("zzz-after-the-cursor"), "staff")
    deleted = start[5]
    store.set_deleted(deleted, True, "staff")
    store.set_deleted(seen[0], True, "staff")
    response = client.get(next_link(response))
    seen += ids(response)
    store.set_deleted(deleted, False, "staff")
    seen += follow(client, next_link(response))[0]
    assert seen == sorted(set(seen))
    assert set(start) - {deleted} <= set(seen)
    assert "zzz-after-the-cursor" in seen and "aaa-before-the-cursor" not in seen


def _fictional(company_id: str):
    return validate_profile(
        {
            "id": company_id,
            "name": f"{company_id} (fictional)",
            "country": "LV",
            "description": "Fictional company for the paging tests.",
        }
    )


# -- refusals --------------------------------------------------------------------------------


def refused(client: FlaskClient, url: str, parameter: str) -> str:
    """The 400's message for ``parameter``; HEAD is refused alike (no 5xx for either)."""
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad parameters" and parameter in body["errors"], body
    assert client.head(url).status_code == 400
    return body["errors"][parameter]


def test_offset_with_a_cursor_is_a_clear_400(client):
    cursor = client.get("/api/companies?limit=2").headers["X-Next-Cursor"]
    message = refused(client, f"/api/companies?after={cursor}&offset=2", "offset")
    assert "offset or after" in message
    assert ids(client.get(f"/api/companies?after={cursor}&offset=")) != []  # blank: absent


def test_a_cursor_for_other_filters_is_refused(client):
    cursor = client.get("/api/companies?country=KR&limit=2").headers["X-Next-Cursor"]
    assert ids(client.get(f"/api/companies?country=kr&after={cursor}"))  # same listing
    for other in ("", "&country=LV", "&country=KR&q=seoul"):
        message = refused(client, f"/api/companies?after={cursor}{other}", "after")
        assert "other filters" in message
    folded = client.get(query({"q": "RĪGA", "limit": "1"})).headers["X-Next-Cursor"]
    assert ids(client.get(query({"q": " riga "}, after=folded)))  # the same folded text


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def tampered(cursor: str) -> list[str]:
    """A real cursor cut, edited, re-encoded with another id, and other things that are not."""
    raw = _raw(cursor)
    body = json.loads(raw[:-8])
    other_id = json.dumps([body[0], "zzz", body[2]]).encode()
    flipped = bytes([raw[2] ^ 1]) + raw[3:]
    return [
        cursor[:-1], cursor[:-4], cursor[1:], cursor + "A", cursor.replace(cursor[5], "*"),
        _token(raw[:2] + flipped), _token(other_id + raw[-8:]), _token(raw[:-8]),
        _token(raw[-8:]), "x", "====", "%00", "a b", "한국", "A" * MAX_TOKEN_LENGTH,
        "A" * (MAX_TOKEN_LENGTH + 1), cursor.upper(),
    ]  # fmt: skip


def test_a_malformed_or_tampered_cursor_is_a_clear_400(client):
    cursor = client.get("/api/companies?limit=2").headers["X-Next-Cursor"]
    for token in tampered(cursor):
        message = refused(client, query({}, after=token), "after")
        assert "cursor" in message
    assert client.get(query({}, after="\x00" + cursor)).status_code == 400  # NUL: app-wide


@pytest.mark.parametrize(
    "body",
    [[2, "han-generics", "x"], [True, "han-generics", "x"], [1, 5, "x"], [1, "", "x"],
     [1, "a\x00b", "x"], [1, "\ud800", "x"], [1, "x" * 400, "x"], {"a": 1}, "abc", 1, None,
     [1, "han-generics"]],
)  # fmt: skip
def test_a_well_checked_cursor_that_this_api_never_makes_is_a_400(client, body):
    """Forged with a correct check: still a 400 (never a database error) for every value
    the API would not have put there."""
    from matchmaker.web.cursors import _check

    payload = json.dumps(body).encode()
    message = refused(client, query({}, after=_token(payload + _check(payload))), "after")
    assert "cursor" in message


def test_a_cursor_is_made_without_the_secret_key(app, client):
    """Valid across restarts and app servers: the check is an integrity check, not a secret."""
    cursor = client.get("/api/companies?limit=4").headers["X-Next-Cursor"]
    assert cursor == make_cursor(ids(client.get("/api/companies?limit=4"))[-1], None, "")
    app.config["SECRET_KEY"] = "another-secret-key-that-is-long-enough-for-tests"
    assert len(ids(client.get(f"/api/companies?after={cursor}"))) == 6


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(token=st.text(max_size=80), method=st.sampled_from(["GET", "HEAD", "POST", "DELETE"]))
def test_any_after_value_under_any_method_is_never_a_5xx(client, token, method):
    response = client.open(query({}, after=token), method=method)
    assert response.status_code < 500
    if method in ("GET", "HEAD") and token.strip():
        assert response.status_code == 400


def test_openapi_documents_the_cursor_and_the_next_page_headers():
    spec = yaml.safe_load(OPENAPI.read_text())
    listing = spec["paths"]["/api/companies"]["get"]
    assert {"after", "offset", "limit", "q"} <= {p.get("name") for p in listing["parameters"]}
    assert set(listing["responses"]["200"]["headers"]) == {"X-Next-Cursor", "Link"}
