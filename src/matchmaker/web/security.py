"""Safe by default: security headers on every response, a CSRF token on every write.

Both are app-wide hooks rather than per-view decorators, so a route added
later is covered without anyone remembering to opt in. Forms send the token
as the ``csrf_token`` field; API clients send it in the ``X-CSRF-Token``
header (``GET /api/session`` hands it out).
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session
from flask.json.provider import DefaultJSONProvider

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Deepest JSON a request may send. A profile is two levels deep (object, list);
#: a body nested thousands deep made json.loads raise RecursionError (a 500).
MAX_JSON_DEPTH = 20
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class CSRFError(Exception):
    """A write arrived without the session's token: expired form or another site's request."""


class UnsafeJSON(Exception):
    """A request's JSON that is well-formed enough to parse but must not be: too deep, NaN.

    Deliberately not a ValueError: ``request.get_json(silent=True)`` swallows those
    and the view would answer "send a JSON object", which says nothing useful.
    """


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that reading refuses what would crash or corrupt later.

    Every ``request.get_json()`` goes through :meth:`loads`, so the check sits in
    one place for every route, present and future: nesting deeper than
    :data:`MAX_JSON_DEPTH`, lone surrogates, and the non-standard ``NaN`` and
    ``Infinity`` (which would be stored as the text "nan") are a 400 with a
    sentence saying so.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _refuse_constant)
        kwargs.setdefault("parse_float", _finite_float)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise UnsafeJSON(_too_deep()) from None
        _check_structure(value, MAX_JSON_DEPTH)
        return value


def _too_deep() -> str:
    return f"JSON nested more than {MAX_JSON_DEPTH} levels deep; send a flat object"


def _refuse_constant(name: str) -> float:
    raise UnsafeJSON(f"JSON has {name}, which is not a number; send a number or null")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnsafeJSON(f"JSON number {text[:40]} is too large; send a smaller number")
    return value


def _check_structure(value: Any, limit: int) -> None:
    """Refuse nesting deeper than `limit` and text that is not Unicode (without recursion).

    A lone surrogate such as "\\ud800" parses, but cannot be written back out as
    UTF-8: echoing it in an error message or storing it failed later with a 500.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise UnsafeJSON(_too_deep())
        stack.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end].encode("unicode_escape").decode("ascii")
        raise UnsafeJSON(
            f"JSON text has {bad}, half of a surrogate pair, which is not a character; "
            "send valid Unicode"
        ) from None


def init_app(app: Flask) -> None:
    app.before_request(check_csrf)
    app.after_request(add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.filters["safe_url"] = safe_url


def csrf_token() -> str:
    """The session's token, made on first use (a new session gets a new one)."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token() -> str:
    """A fresh token, e.g. at login, so one seen before login is worthless after it."""
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def is_write() -> bool:
    """True for a method that may change state; GET, HEAD and OPTIONS only read.

    A view that shows a form and acts on it branches on this, never on
    ``request.method == "GET"``: Flask routes HEAD to every GET view, and HEAD
    skips the CSRF and login checks, so a HEAD must never reach the acting branch.
    """
    return request.method not in SAFE_METHODS


def check_csrf() -> None:
    """Refuse any state-changing request whose token does not match the session's."""
    if request.method in SAFE_METHODS or request.routing_exception is not None:
        return  # a 404 or 405 follows; nothing will run
    expected = session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = request.form.get(CSRF_FIELD)
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        raise CSRFError()


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if session.get("user"):
        # Staff pages must not linger in shared caches or the back/forward cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host, else None: no javascript:, data: or relative."""
    if not url:
        return None
    parts = urlsplit(str(url).strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return str(url).strip()
    return None


def is_local_path(target: str | None) -> bool:
    """True for a path on this site ('/staff/...'), the only place a login may redirect to.

    Control characters and backslashes are refused: CR/LF cannot go into a
    Location header (it was a 500), browsers drop tabs and newlines from URLs
    (a tab between two slashes would leave the site) and read a backslash as '/'.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
