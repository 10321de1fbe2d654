"""Every route × every HTTP method × with/without a staff session × with/without a CSRF token.

The routes come from ``app.url_map``, so a route added later is walked too. The
property: the database (every table, read afresh) changes only when a request
carries both a staff session and the session's CSRF token and uses a
state-changing method; and no combination answers 5xx. After a permitted write
the database is put back from a pristine copy, so each request meets the same
data and the walk reaches every route in the state its body expects.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, STAFF, csrf_token, full_snapshot
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from matchmaker.web.security import SAFE_METHODS

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ARGUMENTS = {"company_id": "baltic-generics", "filename": "style.css", "merge_id": "1"}
#: A body that would be a valid write for the routes that take one, so a missing
#: check shows as a change (a profile created, edited, deleted; a login; a grade).
FIELDS = {
    "name": "Walked Company",
    "country": "LV",
    "description": "Created by the method walk.",
    "version": "1",
    "username": STAFF,
    "password": PASSWORD,
    "verified": "1",
    "query_company": "baltic-generics",
    "target_country": "KR",
    "candidate": "han-generics",
    "grade": "2",
    "format": "jsonl",
}


@dataclass
class WalkResult:
    requests: int = 0
    changed: set[tuple[str, str]] = field(default_factory=set)


def url_for_rule(rule: Rule) -> str:
    _, path = rule.build({name: ARGUMENTS[name] for name in rule.arguments})
    return path


def send(client: FlaskClient, method: str, url: str, token: str | None):
    """The request a form or API client would send, with the token or without."""
    if url.startswith("/api/"):
        headers = {"X-CSRF-Token": token} if token else {}
        return client.open(
            url, method=method, json=api_body(url), headers=headers, query_string={"version": 1}
        )
    data = FIELDS | ({"csrf_token": token} if token else {})
    return client.open(url, method=method, data=data)


def api_body(url: str) -> dict:
    """The JSON an API client would send here (the API refuses fields it does not know)."""
    if url.startswith("/api/session"):
        return {"username": STAFF, "password": PASSWORD}
    if url.startswith("/api/judgements"):
        keys = ("query_company", "target_country", "candidate")
        return {key: FIELDS[key] for key in keys} | {"grade": 2}
    return {"name": FIELDS["name"], "country": "LV", "description": "Walked.", "version": 1}


def restore(pristine: Path, target: Path) -> None:
    """Put the database back with SQLite's backup API (safe with the app's WAL files)."""
    source, destination = sqlite3.connect(pristine), sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


class CommitWatch:
    """Whether another connection committed to the database since the last look.

    SQLite's ``PRAGMA data_version``, read on a connection of our own, changes whenever
    another connection commits; while it is unchanged the file's content is too, so the
    walk takes its full snapshot (a third of its time) only after a commit.
    """

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path)
        self.seen = self.version()

    def version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def committed(self) -> bool:
        previous, self.seen = self.seen, self.version()
        return self.seen != previous

    def close(self) -> None:
        self.conn.close()


def session_cookie(client: FlaskClient) -> str:
    return client.get_cookie("matchmaker_session").value


def dispatched_endpoint(app: Flask, url: str, method: str) -> str:
    """The endpoint Flask runs for this URL and method (POST /api/companies: api.create)."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(url, method=method)
    except HTTPException:
        return "?"
    return endpoint


def walk(app: Flask, tmp_db_path: Path, tmp_path: Path) -> WalkResult:
    anonymous, staff = app.test_client(), app.test_client()
    tokens = {False: csrf_token(anonymous)}
    assert staff.post(
        "/login",
        data={"username": STAFF, "password": PASSWORD, "csrf_token": csrf_token(staff)},
    ).status_code == 302
    tokens[True] = csrf_token(staff)
    cookies = {False: session_cookie(anonymous), True: session_cookie(staff)}
    pristine = tmp_path / "pristine.db"
    restore(tmp_db_path, pristine)
    before = full_snapshot(tmp_db_path)
    watch = CommitWatch(tmp_db_path)
    result = WalkResult()
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    for rule in rules:
        url = url_for_rule(rule)
        for method in METHODS:
            for logged_in in (False, True):
                for with_token in (False, True):
                    client = staff if logged_in else anonymous
                    # Each request starts from the identity's own cookie: a login or a
                    # logout in the previous request must not leak into this one.
                    client.set_cookie("matchmaker_session", cookies[logged_in])
                    response = send(client, method, url, tokens[logged_in] if with_token else None)
                    response.close()
                    result.requests += 1
                    where = (method, url, f"staff={logged_in}", f"token={with_token}")
                    assert response.status_code < 500, (where, response.status_code)
                    if watch.committed() and full_snapshot(tmp_db_path) != before:
                        assert logged_in and with_token and method not in SAFE_METHODS, where
                        result.changed.add((dispatched_endpoint(app, url, method), method))
                        restore(pristine, tmp_db_path)
                        assert full_snapshot(tmp_db_path) == before
                        watch.committed()  # the restore was a commit too
    watch.close()
    return result


@pytest.mark.sqlite_only  # puts the database back between requests with SQLite's backup API
def test_nothing_changes_without_both_a_staff_session_and_the_token(
    app: Flask, tmp_db_path: Path, tmp_path: Path
):
    result = walk(app, tmp_db_path, tmp_path)
    rules = list(app.url_map.iter_rules())
    assert result.requests == len(rules) * len(METHODS) * 4
    # The walk is not vacuous: with both present, the writes do happen.
    assert {
        ("curation.new", "POST"),
        ("curation.edit", "POST"),
        ("curation.delete", "POST"),
        ("curation.verify", "POST"),
        ("curation.judge", "POST"),
        ("api.create", "POST"),
        ("api.update", "PATCH"),
        ("api.delete", "DELETE"),
        ("api.judge", "POST"),
    } <= result.changed
    assert not any(method in SAFE_METHODS for _, method in result.changed)
