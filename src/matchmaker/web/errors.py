"""Error pages that say what to do next, as HTML for people and JSON for the API.

A user's mistake (unknown page, expired form, oversized upload) gets its own
status and a sentence to act on; a missing database or model is a 503 that
names the command to fix it. Only the domain's errors (:mod:`matchmaker.errors`)
and the database file's are turned into pages here; anything else is a bug and
becomes Flask's logged 500 page. Nothing here reveals internals.
"""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import Busy, InvalidInput, MatchmakerError, NotFound, Unavailable
from ..store import StoreError, explain
from .limits import RateLimited
from .security import CSRFError, UnsafeJSON


class ConfigError(InvalidInput):
    """The app cannot start safely with these settings."""

MESSAGES = {
    400: "The request could not be understood. Go back, check the form and try again.",
    401: "Log in as staff to do this.",
    403: "You may not do this.",
    404: "There is no page here. Search for a company from the start page.",
    405: "This address does not accept that kind of request.",
    409: "Someone else changed this in the meantime. Reload it and apply your change again.",
    413: "That is too large. Upload a smaller file (split it) or shorten the text.",
    429: "Too many requests. Wait a few minutes and try again.",
    500: "Something went wrong on our side. Try again; if it persists, tell the agency staff.",
    503: "The service is not ready.",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(UnsafeJSON, lambda exc: respond(400, str(exc)))
    # Flask picks the handler of the closest class in the exception's MRO
    app.register_error_handler(NotFound, lambda exc: respond(404, str(exc)))
    app.register_error_handler(InvalidInput, lambda exc: respond(400, str(exc)))
    app.register_error_handler(StoreError, lambda exc: respond(503, str(exc)))
    app.register_error_handler(Busy, lambda exc: respond(503, str(exc)))
    app.register_error_handler(Unavailable, lambda exc: respond(503, str(exc)))
    app.register_error_handler(MatchmakerError, lambda exc: respond(400, str(exc)))
    app.register_error_handler(sqlite3.DatabaseError, _database_file)
    app.register_error_handler(HTTPException, _http)


def _database_file(exc: sqlite3.DatabaseError):
    """A damaged or failing database file: say so (to staff via the log too), never a bare 500."""
    current_app.logger.error("database error: %s", exc)
    problem = explain(exc, "the database", writing=False)
    return respond(503, str(problem) if problem else MESSAGES[503])


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def respond(status: int, message: str | None = None):
    """An error response in the form the client reads (JSON for /api, else a page)."""
    message = message or MESSAGES.get(status, MESSAGES[400])
    if wants_json():
        response = jsonify(error=message)
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def _csrf(_exc: CSRFError):
    return respond(
        400,
        "This form has expired or did not come from this site (missing or wrong CSRF token). "
        "Reload the page and submit it again.",
    )


def _rate_limited(exc: RateLimited):
    response = make_response(respond(429, str(exc)))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http(exc: HTTPException):
    if exc.code == 413:
        return _too_large()
    status = exc.code or 500
    response = respond(status)
    if exc.code == 405 and exc.valid_methods:
        response = _with_allow(response, exc.valid_methods)
    return response


def _too_large():
    limit_mb = current_app.config["UPLOAD_MAX_BYTES"] / (1024 * 1024)
    return respond(
        413,
        f"That request is larger than the {limit_mb:g} MB limit. Split the file into "
        "smaller ones, or shorten the text.",
    )


def _with_allow(response, methods):
    response = make_response(response)
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response
