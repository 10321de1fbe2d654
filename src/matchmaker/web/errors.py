"""Error pages that say what to do next, as HTML for people and JSON for the API.

A user's mistake (unknown page, expired form, oversized upload) gets its own
status and a sentence to act on; a missing database or model is a 503 that
names the command to fix it. Only the domain's errors (:mod:`matchmaker.errors`)
and the database file's are turned into pages here; anything else is a bug and
becomes Flask's logged 500 page. Nothing here reveals internals.
"""

from __future__ import annotations

import sqlite3

from flask import (
    Flask,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ..embedding import ModelNotFoundError
from ..errors import Busy, InvalidInput, MatchmakerError, NotFound, Unavailable
from ..store import MergedError, StoreError, database_fault
from .i18n import current_language
from .limits import RateLimited
from .security import CSRFError, UnsafeJSON


class ConfigError(InvalidInput):
    """The app cannot start safely with these settings."""

#: The page's message for each status, in the page's language (the API's are English).
MESSAGES = {
    400: _l("The request could not be understood. Go back, check the form and try again."),
    401: _l("Log in as staff to do this."),
    403: _l("You may not do this."),
    404: _l("There is no page here. Search for a company from the start page."),
    405: _l("This address does not accept that kind of request."),
    409: _l("Someone else changed this in the meantime. Reload it and apply your change again."),
    413: _l("That is too large. Upload a smaller file (split it) or shorten the text."),
    429: _l("Too many requests. Wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Try again; if it persists, tell the agency staff."),
    503: _l("The service is not ready."),
}


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(UnsafeJSON, lambda exc: respond(400, core_message(exc)))
    # Flask picks the handler of the closest class in the exception's MRO
    app.register_error_handler(MergedError, _merged)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(InvalidInput, lambda exc: respond(400, core_message(exc)))
    app.register_error_handler(StoreError, lambda exc: respond(503, core_message(exc)))
    app.register_error_handler(Busy, lambda exc: respond(503, core_message(exc)))
    app.register_error_handler(Unavailable, lambda exc: respond(503, core_message(exc)))
    app.register_error_handler(MatchmakerError, lambda exc: respond(400, core_message(exc)))
    app.register_error_handler(sqlite3.DatabaseError, _database_file)
    for error in _postgres_errors():
        app.register_error_handler(error, _database_server)
    app.register_error_handler(ModelNotFoundError, lambda exc: respond(503, core_message(exc)))
    app.register_error_handler(HTTPException, _http)


def _database_file(exc: sqlite3.DatabaseError):
    """A damaged, full or locked database file: say so (to staff via the log too), a 503.

    Any other database error (a misspelt statement, a broken constraint) is a bug and
    is raised again, to become Flask's logged 500 with its traceback.
    """
    problem = database_fault(exc, "the database")
    if problem is None:
        raise exc
    current_app.logger.error("database error: %s", exc)
    return respond(503, core_message(problem))


def _postgres_errors() -> tuple[type[Exception], ...]:
    """psycopg's errors of the server and the connection, when installed.

    Only those: a ``ProgrammingError`` (a statement the server refuses) is a bug and
    stays a logged 500. The SQLite default does not need psycopg.
    """
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        return ()
    return (psycopg.OperationalError, psycopg_pool.PoolTimeout)


def _database_server(exc: Exception):
    """A server or connection fault the store did not translate: a 503 and the log."""
    current_app.logger.error("database server error: %s: %s", type(exc).__name__, exc)
    return respond(503, MESSAGES[503])


def refuse_nul_bytes():
    """A NUL byte in the address or its query: 404 or 400 before any view runs.

    No company id, search or setting contains one, and PostgreSQL's text cannot hold
    one (psycopg refuses it), so both engines answer the same clear error.
    """
    if "\x00" in request.path:
        return respond(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        return respond(400)
    return None


def core_message(exc: Exception) -> str | None:
    """The core's own (English) words for the API and English pages.

    A Latvian or Korean page gets the status's translated sentence instead (None here):
    the core's details name commands and ids for staff, in English.
    """
    if wants_json() or current_language() == "en":
        return str(exc)
    return None


def _merged(exc: MergedError):
    """A merged company's address: 308 to the kept company's (same page, same query)."""
    args = dict(request.view_args or {})
    if request.endpoint and args.get("company_id") == exc.company_id:
        args["company_id"] = exc.kept_id
        target = url_for(request.endpoint, **args)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, code=308)
    return respond(404, core_message(exc))


def _not_found(exc: NotFound):
    """404 with "did you mean": links on the page, ``suggestions`` in the API's JSON."""
    suggestions = [
        {"id": i, "name": n, "url": url_for("search.company", company_id=i)}
        for i, n in getattr(exc, "suggestions", ())
    ]
    if wants_json():
        response = jsonify(error=core_message(exc), suggestions=suggestions)
        response.status_code = 404
        return response
    return render_template(
        "error.html",
        status=404,
        message=core_message(exc) or MESSAGES[404],
        suggestions=suggestions,
    ), 404


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def respond(status: int, message: str | None = None):
    """An error response in the form the client reads (JSON for /api, else a page)."""
    message = str(message or MESSAGES.get(status, MESSAGES[400]))
    if wants_json():
        response = jsonify(error=message)
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def _csrf(_exc: CSRFError):
    return respond(
        400,
        gettext(
            "This form has expired or did not come from this site (missing or wrong CSRF "
            "token). Reload the page and submit it again."
        ),
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
        gettext(
            "That request is larger than the %(limit)s MB limit. Split the file into "
            "smaller ones, or shorten the text.",
            limit=format_decimal(limit_mb, "0.##"),
        ),
    )


def _with_allow(response, methods):
    response = make_response(response)
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response
