"""Fixtures for the web app, Flask-tutorial style: ``app``, ``client``, ``auth``.

``app`` serves the root ``store`` fixture's temporary database (the ten
fictional mini companies, embedded with the hashing embedder) and has one
staff account. Helpers read a CSRF token the way a browser would and take a
snapshot of everything a write could change, so tests can prove nothing was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts import password_hash
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, STAFF, AuthActions, make_app

from matchmaker.store import Store


@pytest.fixture
def app(store: Store, tmp_db_path: Path, tmp_path: Path) -> Iterator[Flask]:
    store.add_user(STAFF, password_hash(PASSWORD))
    yield make_app(tmp_db_path, tmp_path / "staging")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def staff_client(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """A client logged in as staff."""
    assert auth.login().status_code == 302
    return client
