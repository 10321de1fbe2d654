"""No 500 on user input: deep or non-standard JSON, CR/LF in a redirect, random bodies anywhere.

The property test draws a route from ``app.url_map`` (so new routes are
included), a method, and a random JSON, form or raw body, and sends it as an
anonymous visitor or as staff, always with a valid CSRF token so that the
request reaches the view. Whatever it sends, the answer is never 5xx.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from web_helpers import PASSWORD, STAFF, csrf_token, post_form, snapshot
from werkzeug.routing import Rule

from matchmaker.web import create_app
from matchmaker.web.security import MAX_JSON_DEPTH

DEEP = 10_000
JSON_WRITES = [
    ("POST", "/api/companies"),
    ("PATCH", "/api/companies/baltic-generics"),
    ("POST", "/api/session"),
    ("POST", "/api/judgements"),
]


def send_raw_json(client: FlaskClient, method: str, url: str, body: str):
    return client.open(
        url,
        method=method,
        data=body,
        content_type="application/json",
        headers={"X-CSRF-Token": csrf_token(client)},
    )


@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"a": ' * DEEP + "1" + "}" * DEEP,
        '{"name": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}",
    ],
    ids=["list-10000", "object-10000", "just-too-deep"],
)
@pytest.mark.parametrize(("method", "url"), JSON_WRITES)
@pytest.mark.parametrize("as_staff", [False, True], ids=["anonymous", "staff"])
def test_deeply_nested_json_is_a_clear_400(
    client: FlaskClient, auth, tmp_db_path: Path, method, url, body, as_staff
):
    if as_staff:
        auth.login()
    before = snapshot(tmp_db_path)
    response = send_raw_json(client, method, url, body)
    if not as_staff and url != "/api/session":
        assert response.status_code == 401  # the login check comes first
    else:
        assert response.status_code == 400
        assert f"nested more than {MAX_JSON_DEPTH} levels" in response.get_json()["error"]
    assert snapshot(tmp_db_path) == before


@pytest.mark.parametrize("body", ['{"name": NaN}', '{"employees": Infinity}', '{"x": 1e999}'])
def test_json_numbers_that_are_not_numbers_are_refused(
    staff_client: FlaskClient, tmp_db_path: Path, body: str
):
    before = snapshot(tmp_db_path)
    response = send_raw_json(staff_client, "POST", "/api/companies", body)
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]
    assert snapshot(tmp_db_path) == before


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/companies", '{"name": "A\\ud800", "country": "LV", "description": "d"}'),
        ("POST", "/api/companies", '{"\\udc00": 1}'),
        ("PATCH", "/api/companies/baltic-generics", '{"city": "\\udfff", "version": 1}'),
        ("POST", "/api/judgements", '{"query_text": "\\ud800", "grade": 1}'),
    ],
)
def test_json_text_that_is_not_unicode_is_refused(
    staff_client: FlaskClient, tmp_db_path: Path, method: str, url: str, body: str
):
    before = snapshot(tmp_db_path)
    response = send_raw_json(staff_client, method, url, body)
    assert response.status_code == 400
    assert "surrogate" in response.get_json()["error"]
    assert snapshot(tmp_db_path) == before


def test_json_as_deep_as_allowed_still_reaches_the_view(staff_client: FlaskClient):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = send_raw_json(staff_client, "POST", "/api/companies", '{"sectors": ' + nested + "}")
    assert response.status_code == 422  # an invalid profile, said by the profile rules


@pytest.mark.parametrize(
    "target",
    [
        "/staff/\r\nSet-Cookie: stolen=1",
        "/staff/\nX",
        "/\t/evil.example/",
        "/\r\n/evil.example/",
        "/staff/\x00",
        "/staff\\..\\evil",
    ],
)
def test_a_next_with_control_characters_after_login_is_a_safe_redirect(
    client: FlaskClient, target: str
):
    form = {"username": STAFF, "password": PASSWORD, "next": target}
    response = post_form(client, "/login", form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert "stolen" not in response.headers.get("Set-Cookie", "")


def test_a_grade_with_a_crlf_next_goes_back_safely(staff_client: FlaskClient):
    response = post_form(
        staff_client,
        "/staff/judgements",
        {
            "query_company": "baltic-generics",
            "target_country": "KR",
            "candidate": "han-generics",
            "grade": "2",
            "next": "/search?company=baltic-generics\r\nX: y",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


# -- random bodies to every route -----------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ODD = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\x00", "\ufeff", "\u202e", "ā", "한", "\r", "\n", "\\", "/", "%"]),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=30,
)
KNOWN_FIELDS = [
    "id", "name", "name_local", "country", "city", "sectors", "description", "offers",
    "seeks", "partnership_types", "website", "employees", "founded", "certifications",
    "source", "verified", "version", "username", "password", "next", "digest", "format",
    "query_company", "query_text", "target_country", "candidate", "grade", "q", "top",
    "job", "companies", "direction", "changed_since", "min_employees", "strong_score",
    "after", "offset", "limit",
]  # fmt: skip
KEY = st.one_of(st.sampled_from(KNOWN_FIELDS), ODD)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD,
    st.sampled_from(["LV", "KR", "baltic-generics", "1", "0", "-1", "csv", "jsonl", "2"]),
)
JSON_VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=5),
    max_leaves=25,
)
JSON_BODY = st.one_of(
    JSON_VALUE,
    st.dictionaries(st.sampled_from(KNOWN_FIELDS), JSON_VALUE, max_size=8),
)
FORM_BODY = st.dictionaries(
    KEY, st.one_of(ODD, st.lists(ODD, max_size=3), st.sampled_from(["1", "LV", "2"])), max_size=8
)
RAW_BODY = st.binary(max_size=300)
SPECIAL = st.sampled_from(
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"name": ' * DEEP + b"1" + b"}" * DEEP,
        b'{"name": NaN, "version": 1}',
        b'{"employees": 1e999, "version": 1}',
        b"\xff\xfe\x00",
        b'{"name": "\\ud800", "\\udc00": 1, "version": 1}',
        b'{"next": "/staff/\\r\\nX: y", "username": "staff"}',
        b"id,name\r\n\"open,x",
    ]
)
BODY = st.one_of(
    st.tuples(st.just("json"), JSON_BODY),
    st.tuples(st.just("form"), FORM_BODY),
    st.tuples(st.just("raw"), RAW_BODY),
    st.tuples(st.just("raw"), SPECIAL),
)
QUERY = st.dictionaries(KEY, ODD, max_size=3)
ID = st.one_of(st.sampled_from(["baltic-generics", "han-generics", "nobody"]), ODD.filter(bool))
FUZZ = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: The routes as the app builds them (no database is opened): a new route is fuzzed too.
RULES = sorted(
    create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DB": "unused.db"}).url_map.iter_rules(),
    key=lambda rule: (rule.rule, rule.endpoint),
)
BY_ENDPOINT = {rule.endpoint: rule for rule in RULES}


@st.composite
def requests(draw) -> tuple[Rule, str, dict[str, str]]:
    """A route, a method (usually one it serves) and values for its URL arguments."""
    rule = draw(st.sampled_from(RULES))
    own = sorted(rule.methods - {"HEAD", "OPTIONS"}) or ["GET"]
    method = draw(st.one_of(st.sampled_from(own), st.sampled_from(METHODS)))
    values = {name: draw(ID) for name in rule.arguments if name != "filename"}
    if "filename" in rule.arguments:
        values["filename"] = "style.css"
    return rule, method, values


class Identities:
    """An anonymous visitor and a staff member, each with its session cookie and token."""

    def __init__(self, app: Flask):
        self.app = app
        self.anonymous = app.test_client()
        self.anonymous.environ_base["REMOTE_ADDR"] = "10.1.0.1"
        self.staff = app.test_client()
        self.staff.environ_base["REMOTE_ADDR"] = "10.1.0.2"
        self.cookies: dict[bool, str] = {}
        self.tokens: dict[bool, str] = {False: csrf_token(self.anonymous)}
        self.cookies[False] = self.anonymous.get_cookie("matchmaker_session").value
        self.log_in_staff()

    def log_in_staff(self) -> None:
        """Log in from an address of its own, which the fuzzing never makes fail."""
        fresh = self.app.test_client()
        fresh.environ_base["REMOTE_ADDR"] = "10.1.0.3"
        form = {"username": STAFF, "password": PASSWORD}
        assert post_form(fresh, "/login", form).status_code == 302
        self.cookies[True] = fresh.get_cookie("matchmaker_session").value
        self.tokens[True] = csrf_token(fresh)

    def client(self, as_staff: bool) -> FlaskClient:
        client = self.staff if as_staff else self.anonymous
        client.set_cookie("matchmaker_session", self.cookies[as_staff])
        if as_staff and client.get("/api/session").get_json()["user"] != STAFF:
            self.log_in_staff()  # a fuzzed logout ended the session
            client.set_cookie("matchmaker_session", self.cookies[True])
        return client


@pytest.fixture
def identities(app: Flask, tmp_path: Path) -> Identities:
    assert sorted(rule.rule for rule in app.url_map.iter_rules()) == sorted(r.rule for r in RULES)
    app.config["REPORTS_DIR"] = str(tmp_path / "reports")
    return Identities(app)


SENT: list[int] = []


@FUZZ
@given(target=requests(), as_staff=st.booleans(), body=BODY, query=QUERY)
@example(
    target=(BY_ENDPOINT["api.login"], "POST", {}),
    as_staff=False,
    body=("raw", b"[" * DEEP + b"]" * DEEP),
    query={},
)
@example(
    target=(BY_ENDPOINT["auth.login"], "POST", {}),
    as_staff=False,
    body=("form", {"username": STAFF, "password": PASSWORD, "next": "/staff/\r\nX: y"}),
    query={},
)
def test_random_bodies_to_every_route_never_get_a_5xx(
    identities: Identities, target, as_staff: bool, body, query
):
    rule, method, values = target
    _, url = rule.build(values)
    client = identities.client(as_staff)
    token = identities.tokens[as_staff]
    kind, payload = body
    headers = {"X-CSRF-Token": token}
    if kind == "json":
        response = client.open(
            url, method=method, json=payload, headers=headers, query_string=query
        )
    elif kind == "form":
        form = {**payload, "csrf_token": token}
        response = client.open(url, method=method, data=form, query_string=query)
    else:
        response = client.open(
            url, method=method, data=payload, headers=headers, query_string=query,
            content_type="application/json",
        )  # fmt: skip
    response.close()
    SENT.append(1)
    assert response.status_code < 500, (method, url, as_staff, kind, payload, response.status_code)
