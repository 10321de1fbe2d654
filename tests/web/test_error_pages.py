"""Domain errors that reach Flask become pages that say what to do; a bug is a logged 500."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from flask import Flask

from matchmaker import errors


@pytest.fixture
def failing(app: Flask) -> Flask:
    """The app with one extra page per kind of failure, and exceptions not propagated."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors become pages
    failures = {
        "unknown": errors.UnknownCompany("nope"),
        "invalid": errors.InvalidInput("the date is not a date"),
        "busy": errors.Busy("the database is busy; try again"),
        "bug": KeyError("internal"),
        "damaged": sqlite3.DatabaseError("database disk image is malformed"),
        "locked": sqlite3.OperationalError("database is locked"),
        "sql-bug": sqlite3.OperationalError("no such column: internal"),
        "closed": sqlite3.ProgrammingError("Cannot operate on a closed database."),
    }
    for name, exc in failures.items():
        app.add_url_rule(f"/fail/{name}", name, _raiser(exc))
    return app


def _raiser(exc: Exception):
    def view():
        raise exc

    return view


@pytest.mark.parametrize(
    ("name", "status", "says"),
    [
        ("unknown", 404, "no company with id &#39;nope&#39;"),
        ("invalid", 400, "the date is not a date"),
        ("busy", 503, "the database is busy"),
        ("damaged", 503, "the database is damaged"),
        ("locked", 503, "the database is busy"),
    ],
)
def test_domain_errors_get_their_status_and_message(failing, name, status, says):
    response = failing.test_client().get(f"/fail/{name}")
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


def test_a_bug_is_a_logged_500_that_reveals_nothing(failing, caplog):
    with caplog.at_level(logging.ERROR):
        response = failing.test_client().get("/fail/bug")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "internal" not in page
    assert any(r.exc_info and isinstance(r.exc_info[1], KeyError) for r in caplog.records)


@pytest.mark.parametrize("name", ["sql-bug", "closed"])
def test_a_database_error_that_is_not_the_file_s_fault_is_a_bug(failing, caplog, name):
    """A misspelt statement is an OperationalError like a locked file; it used to be a
    503 telling staff the database was not ready. It is our bug: a logged 500."""
    with caplog.at_level(logging.ERROR):
        response = failing.test_client().get(f"/fail/{name}")
    assert response.status_code == 500
    assert "internal" not in response.get_data(as_text=True)
    assert any(r.exc_info and isinstance(r.exc_info[1], sqlite3.Error) for r in caplog.records)
