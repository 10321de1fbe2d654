"""Safe by default: security headers on every response, a CSRF token on every write.

Both are app-wide hooks rather than per-view decorators, so a route added
later is covered without anyone remembering to opt in. Forms send the token
as the ``csrf_token`` field; API clients send it in the ``X-CSRF-Token``
header (``GET /api/session`` hands it out).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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
    """True for a path on this site ('/staff/...'), the only place a login may redirect to."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
