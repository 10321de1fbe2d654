"""Security properties proven over every route in ``app.url_map``.

The routes are enumerated from the app itself, so a route added later is
covered without anyone adding it here: every state-changing route needs a
staff login (except logging in) and a CSRF token, every GET leaves the
database unchanged, and every response carries the security headers.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, SECRET, STAFF, csrf_token, make_app, post_form, snapshot
from werkzeug.routing import Rule

from matchmaker.web import ConfigError, create_app
from matchmaker.web.auth import LOGIN_ENDPOINTS
from matchmaker.web.security import SAFE_METHODS

#: Endpoints that show a form on GET and act on POST.
FORM_ENDPOINTS = {"auth.login", "curation.edit", "curation.new", "curation.upload"}
ARGUMENTS = {"company_id": "baltic-generics", "filename": "style.css", "merge_id": "1"}
TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


def url_for_rule(rule: Rule) -> str:
    values = {name: ARGUMENTS[name] for name in rule.arguments}
    _, path = rule.build(values)
    return path


def mutating(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - SAFE_METHODS
        ),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def readable(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def send(client: FlaskClient, method: str, url: str, token: str | None):
    """A plausible write to `url`: form fields for pages, JSON and a header for the API."""
    if url.startswith("/api/"):
        headers = {"X-CSRF-Token": token} if token else {}
        body = {"name": "Changed", "version": 1, "username": STAFF, "password": PASSWORD}
        return client.open(
            url, method=method, json=body, headers=headers, query_string={"version": 1}
        )
    data = {"version": "1", "name": "Changed", "username": STAFF, "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    return client.open(url, method=method, data=data)


def assert_headers(response) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


def test_the_app_has_the_routes_these_tests_are_about(app: Flask):
    endpoints = {rule.endpoint for rule, _ in mutating(app)}
    assert {
        "auth.login",
        "auth.logout",
        "curation.edit",
        "curation.new",
        "curation.delete",
        "curation.restore",
        "curation.verify",
        "curation.upload",
        "curation.confirm_import",
        "api.login",
        "api.logout",
        "api.create",
        "api.update",
        "api.delete",
        "api.restore",
        "api.import_file",
    } <= endpoints
    assert endpoints >= LOGIN_ENDPOINTS


def test_every_write_needs_a_login(app: Flask, client: FlaskClient, tmp_db_path: Path):
    token = csrf_token(client)
    before = snapshot(tmp_db_path)
    for rule, method in mutating(app):
        if rule.endpoint in LOGIN_ENDPOINTS:
            continue
        url = url_for_rule(rule)
        response = send(client, method, url, token)
        assert_headers(response)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login"), (method, url)
        assert snapshot(tmp_db_path) == before, (method, url)


def test_every_write_needs_the_csrf_token(app: Flask, staff_client: FlaskClient, tmp_db_path: Path):
    before = snapshot(tmp_db_path)
    for rule, method in mutating(app):
        url = url_for_rule(rule)
        for token in (None, "forged-token"):
            response = send(staff_client, method, url, token)
            assert_headers(response)
            assert response.status_code == 400, (method, url, token)
            assert b"CSRF" in response.data
            assert snapshot(tmp_db_path) == before, (method, url)
    # The session survived all that: the staff member is still logged in.
    assert staff_client.get("/api/session").get_json()["user"] == STAFF


def test_login_endpoints_also_need_the_token(client: FlaskClient, tmp_db_path: Path):
    before = snapshot(tmp_db_path)
    assert send(client, "POST", "/login", None).status_code == 400
    assert send(client, "POST", "/api/session", None).status_code == 400
    assert client.get("/api/session").get_json()["user"] is None
    assert snapshot(tmp_db_path) == before


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_get_sends_headers_and_changes_nothing(
    app: Flask, client: FlaskClient, tmp_db_path: Path, auth, logged_in: bool
):
    if logged_in:
        auth.login()
    before = snapshot(tmp_db_path)
    for rule in readable(app):
        url = url_for_rule(rule)
        response = client.get(url)
        assert response.status_code < 500, url
        assert_headers(response)
        assert snapshot(tmp_db_path) == before, url
        if logged_in and response.mimetype == "text/html":
            assert response.headers.get("Cache-Control") == "no-store", url
        response.close()  # static files are served from an open file


def test_errors_and_wrong_methods_send_headers_too(app: Flask, client: FlaskClient):
    for response in (
        client.get("/no/such/page"),
        client.get("/api/no-such-endpoint"),
        client.get("/companies/no-such-company"),
        client.put("/staff/companies/baltic-generics/delete"),
        client.get("/logout"),
    ):
        assert_headers(response)
        assert response.status_code in (404, 405)
    assert client.get("/api/no-such-endpoint").is_json


def test_no_get_route_changes_state_by_name(app: Flask):
    """State changes live on POST/PATCH/DELETE only: GET never reaches a writing view."""
    writers = {rule.endpoint for rule, _ in mutating(app)}
    for rule in readable(app):
        if rule.endpoint in writers:
            # Shared GET+POST endpoints render a form on GET; the GET test proves it writes nothing.
            assert rule.endpoint in FORM_ENDPOINTS


# -- pages: escaping, no inline script, labels ------------------------------


class PageAudit(HTMLParser):
    """Collects what CSP would block and form controls without a label."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self.styles = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []
        self.label_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            self.inline_scripts += 1
        if tag == "style" or "style" in attributes:
            self.styles += 1
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "label":
            self.label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        if tag in ("input", "select", "textarea"):
            kind = attributes.get("type", "text")
            if kind not in ("hidden", "submit", "button"):
                self.controls.append((tag, attributes | {"_in_label": self.label_depth > 0}))

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self) -> list[dict]:
        return [
            attrs
            for _, attrs in self.controls
            if not attrs["_in_label"]
            and attrs.get("id") not in self.label_for
            and not attrs.get("aria-label")
        ]


def pages(client: FlaskClient) -> dict[str, str]:
    urls = [
        "/",
        "/search?company=baltic-generics",
        "/search?q=distributor+for+cardiovascular+medicines&country=KR",
        "/search?company=generics",
        "/search?q=x",
        "/companies/baltic-generics",
        "/login",
        "/staff/",
        "/staff/?show=deleted",
        "/staff/companies/new",
        "/staff/companies/baltic-generics/edit",
        "/staff/companies/baltic-generics/history",
        "/staff/import",
        "/staff/export",
        "/staff/users",
        "/no-such-page",
    ]
    return {url: client.get(url).get_data(as_text=True) for url in urls}


def test_pages_have_no_inline_script_or_style_and_every_control_is_labelled(
    staff_client: FlaskClient,
):
    for url, html in pages(staff_client).items():
        audit = PageAudit()
        audit.feed(html)
        assert audit.inline_scripts == 0, url
        assert audit.handlers == [], url
        assert audit.styles == 0, url
        assert audit.unlabelled() == [], url
        assert '<html lang="en">' in html


def test_templates_never_mark_data_safe():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\|\s*safe\b(?!_url)", text), template
        assert "autoescape false" not in text, template


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_user_data_is_escaped_everywhere(staff_client: FlaskClient):
    response = post_form(
        staff_client,
        "/staff/companies/new",
        {
            "id": "xss-test",
            "name": "Evil " + XSS,
            "name_local": XSS,
            "country": "KR",
            "city": XSS,
            "sectors": "pharmaceuticals; " + XSS[:90],
            "description": "Distributor " + XSS,
            "offers": "cardiovascular medicines distribution; " + XSS,
            "seeks": "EU-GMP generic medicines " + XSS,
            "source": XSS,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    urls = [
        "/companies/xss-test",
        "/search?company=baltic-generics",
        "/search?q=" + XSS + "&country=KR",
        "/staff/?q=evil",
        "/staff/companies/xss-test/edit",
        "/staff/companies/xss-test/history",
    ]
    for url in urls:
        body = staff_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
    page = staff_client.get("/companies/xss-test").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page
    # JSON is data, never a page: the type-ahead inserts it with textContent.
    suggestion = staff_client.get("/api/suggest?q=evil")
    assert suggestion.mimetype == "application/json"
    assert suggestion.headers["X-Content-Type-Options"] == "nosniff"


def test_websites_must_be_http_or_https(staff_client: FlaskClient, tmp_db_path: Path):
    before = snapshot(tmp_db_path)
    for website in ("javascript:alert(1)", "data:text/html,hi", "//evil.example", "ftp://x.lv"):
        response = post_form(
            staff_client,
            "/staff/companies/new",
            {"name": "Web Test", "country": "LV", "description": "d", "website": website},
        )
        assert response.status_code == 400
        assert "http:// or https://" in response.get_data(as_text=True)
    assert snapshot(tmp_db_path) == before


def test_login_redirects_only_to_this_site(client: FlaskClient):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = post_form(
            client, "/login", {"username": STAFF, "password": PASSWORD, "next": target}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/staff/"
        post_form(client, "/logout")
    response = post_form(
        client, "/login", {"username": STAFF, "password": PASSWORD, "next": "/staff/import"}
    )
    assert response.headers["Location"] == "/staff/import"


# -- sessions, cookies and the secret key -----------------------------------


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, auth):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http


def test_production_cookies_are_secure_and_send_hsts(store, tmp_db_path, tmp_path):
    app = make_app(tmp_db_path, tmp_path, ENV="production")
    client = app.test_client()
    response = client.get("/api/session")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_a_real_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_db_path
):
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    with pytest.raises(ConfigError, match="MATCHMAKER_SECRET_KEY"):
        create_app({"DB": str(tmp_db_path)})
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app({"DB": str(tmp_db_path)})
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", SECRET)
    app = create_app({"DB": str(tmp_db_path)})
    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_makes_a_random_key_per_app(monkeypatch: pytest.MonkeyPatch, tmp_db_path):
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    monkeypatch.delenv("MATCHMAKER_ENV", raising=False)
    first = create_app({"DB": str(tmp_db_path)}).config["SECRET_KEY"]
    second = create_app({"DB": str(tmp_db_path)}).config["SECRET_KEY"]
    assert len(first) >= 32 and first != second


def test_settings_layer_defaults_then_environment_then_test_config(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("MATCHMAKER_DB", "/from/env.db")
    monkeypatch.setenv("MATCHMAKER_UPLOAD_MAX_MB", "2")
    app = create_app()
    assert app.config["DB"] == "/from/env.db"
    assert app.config["UPLOAD_MAX_BYTES"] == 2 * 1024 * 1024
    assert app.config["MODEL"] is None or isinstance(app.config["MODEL"], str)
    app = create_app({"DB": "/from/test.db"})
    assert app.config["DB"] == "/from/test.db"
    monkeypatch.setenv("MATCHMAKER_UPLOAD_MAX_MB", "lots")
    with pytest.raises(ConfigError, match="UPLOAD_MAX_MB"):
        create_app()


def test_a_forged_session_cookie_is_not_a_login(app: Flask, tmp_db_path: Path, tmp_path: Path):
    """A session signed with another key (another deployment, a guess) is ignored."""
    other = make_app(tmp_db_path, tmp_path, SECRET_KEY="x" * 40).test_client()
    assert (
        other.post(
            "/login",
            data={"username": STAFF, "password": PASSWORD, "csrf_token": csrf_token(other)},
        ).status_code
        == 302
    )
    cookie = other.get_cookie("matchmaker_session")
    client = app.test_client()
    client.set_cookie("matchmaker_session", cookie.value)
    assert client.get("/staff/").status_code == 302


# -- HEAD is a read, whatever the view ---------------------------------------


@pytest.mark.parametrize("endpoint", sorted(FORM_ENDPOINTS))
def test_head_with_a_form_body_runs_no_write(
    app: Flask, staff_client: FlaskClient, tmp_db_path: Path, endpoint: str
):
    """HEAD reaches a GET view (Flask adds it) without a CSRF check: it must only read."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = url_for_rule(rule)
    before = snapshot(tmp_db_path)
    form = {"id": "head-made", "name": "Made By HEAD", "country": "LV", "description": "d"}
    response = staff_client.open(
        url, method="HEAD", data=form | {"version": "1", "username": STAFF, "password": "x"}
    )
    assert response.status_code == 200, url
    assert response.data == b""
    assert snapshot(tmp_db_path) == before, url


def test_bodyless_heads_to_login_are_not_failed_logins(client: FlaskClient, auth):
    """A page elsewhere firing HEAD requests at /login cannot lock the real user out."""
    for _ in range(30):
        assert client.head("/login").status_code == 200
    assert auth.login().status_code == 302
