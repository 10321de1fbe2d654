"""Revocable sessions: a copied session cookie dies with logout, a new password, disable, remove.

Each test copies the staff member's cookie (and the CSRF token it carries) into
a second client, as someone who stole it would, proves the copy works, revokes
the session the way staff would, and replays the copy: it must neither open a
staff page nor make a write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, STAFF, AuthActions, csrf_token, snapshot

from matchmaker.cli import cli
from matchmaker.store import Store
from matchmaker.web.auth import LOGIN_ERROR

NEW_PASSWORD = "another long password"


class Stolen:
    """A copy of a logged-in browser's session cookie and CSRF token."""

    def __init__(self, app: Flask, victim: FlaskClient):
        self.cookie = victim.get_cookie("matchmaker_session").value
        self.token = csrf_token(victim)
        self.client = app.test_client()
        self.client.set_cookie("matchmaker_session", self.cookie)

    def replay(self):
        """Open a staff page and try an edit with the copied cookie, as sent at theft time."""
        self.client.set_cookie("matchmaker_session", self.cookie)
        page = self.client.get("/staff/")
        self.client.set_cookie("matchmaker_session", self.cookie)
        edit = self.client.patch(
            "/api/companies/baltic-generics",
            json={"city": "Stolen", "version": 1},
            headers={"X-CSRF-Token": self.token},
        )
        return page, edit


def assert_dead(stolen: Stolen, tmp_db_path: Path) -> None:
    before = snapshot(tmp_db_path)
    page, edit = stolen.replay()
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert edit.status_code == 401
    assert snapshot(tmp_db_path) == before


@pytest.fixture
def stolen(app: Flask, staff_client: FlaskClient, store: Store) -> Stolen:
    copy = Stolen(app, staff_client)
    page, edit = copy.replay()
    assert page.status_code == 200  # the copy works until the session is revoked
    assert edit.status_code == 200 and store.get("baltic-generics").city == "Stolen"
    return copy


def cli_run(runner: CliRunner, *args: str, stdin: str | None = None) -> None:
    result = runner.invoke(cli, list(args), input=stdin)
    assert result.exit_code == 0, result.output


def test_logout_ends_a_copied_session(stolen: Stolen, auth: AuthActions, tmp_db_path: Path):
    assert auth.logout().status_code == 302
    assert_dead(stolen, tmp_db_path)


def test_api_logout_ends_a_copied_session(
    stolen: Stolen, staff_client: FlaskClient, tmp_db_path: Path
):
    token = csrf_token(staff_client)
    response = staff_client.delete("/api/session", headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.get_json()["user"] is None
    assert_dead(stolen, tmp_db_path)


def test_logout_in_one_browser_ends_the_other_browsers_too(app: Flask, tmp_db_path: Path):
    office, laptop = app.test_client(), app.test_client()
    AuthActions(office).login()
    AuthActions(laptop).login()
    assert laptop.get("/staff/").status_code == 200
    AuthActions(office).logout()
    assert laptop.get("/staff/").status_code == 302


@pytest.mark.parametrize(
    ("revoke", "can_log_in_again"),
    [
        (lambda run: run("user", "passwd", STAFF, "--password-stdin", stdin=NEW_PASSWORD), True),
        (lambda run: run("user", "disable", STAFF), False),
        (lambda run: run("user", "remove", STAFF, "--yes"), False),
    ],
    ids=["passwd", "disable", "remove"],
)
def test_cli_user_commands_end_every_session(
    stolen: Stolen,
    app: Flask,
    runner: CliRunner,
    cli_env: Path,
    tmp_db_path: Path,
    revoke: Callable,
    can_log_in_again: bool,
):
    revoke(lambda *args, stdin=None: cli_run(runner, *args, stdin=stdin))
    assert_dead(stolen, tmp_db_path)
    fresh = AuthActions(app.test_client())
    assert fresh.login(STAFF, PASSWORD).status_code == 401  # the old password is gone too
    response = fresh.login(STAFF, NEW_PASSWORD)
    assert response.status_code == (302 if can_log_in_again else 401)
    if not can_log_in_again:
        assert str(LOGIN_ERROR) in response.get_data(as_text=True)  # the same message as always


def test_enable_lets_the_user_in_again_but_old_sessions_stay_ended(
    stolen: Stolen, app: Flask, runner: CliRunner, cli_env: Path, tmp_db_path: Path
):
    cli_run(runner, "user", "disable", STAFF)
    assert runner.invoke(cli, ["user", "list"]).output.split() == [STAFF, "(disabled)"]
    cli_run(runner, "user", "enable", STAFF)
    assert runner.invoke(cli, ["user", "list"]).output.split() == [STAFF]
    assert_dead(stolen, tmp_db_path)
    assert AuthActions(app.test_client()).login().status_code == 302


@pytest.mark.parametrize("command", ["disable", "enable", "remove"])
def test_user_commands_name_an_unknown_user(
    runner: CliRunner, cli_env: Path, store: Store, command: str
):
    result = runner.invoke(cli, ["user", command, "nobody", "--yes"][: 3 + (command == "remove")])
    assert result.exit_code == 1
    assert "no staff user 'nobody'" in result.output


def test_remove_asks_first(runner: CliRunner, cli_env: Path, app: Flask, store: Store):
    result = runner.invoke(cli, ["user", "remove", STAFF], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert store.get_user(STAFF)
    assert runner.invoke(cli, ["user", "remove", STAFF], input="y\n").exit_code == 0
    assert store.get_user(STAFF) is None


def test_a_session_from_before_the_upgrade_is_not_a_login(app: Flask, tmp_db_path: Path):
    """A cookie without a generation (issued by the previous version) is refused."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = STAFF
    assert client.get("/staff/").status_code == 302
