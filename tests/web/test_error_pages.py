"""Domain errors that reach Flask become pages that say what to do; a bug is a logged 500."""

from __future__ import annotations

import logging

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
