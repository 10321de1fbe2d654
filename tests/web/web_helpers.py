"""Helpers for the web tests: the test app, CSRF-aware requests, database snapshots."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from matchmaker.store import is_postgres_url
from matchmaker.web import create_app

STAFF = "staff"
PASSWORD = "a long test password"
SECRET = "test-secret-key-that-is-long-enough-for-production"


def make_app(db_path: Path, staging: Path, **extra: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DB": str(db_path),
            "MODEL": "hashing",
            "SECRET_KEY": SECRET,
            "IMPORT_STAGING_DIR": str(staging),
            # Tests send many requests from one address; the limit tests set their own.
            "RATE_LIMIT_SEARCH": "100000 per minute",
            "RATE_LIMIT_SUGGEST": "100000 per minute",
            "RATE_LIMIT_API": "100000 per minute",
            "RATE_LIMIT_STAFF": "100000 per minute",
            **extra,
        }
    )


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, as a page would embed it."""
    return client.get("/api/session").get_json()["csrf_token"]


def post_form(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST a form with the session's CSRF token, as the rendered form would."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


class AuthActions:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, username: str = STAFF, password: str = PASSWORD):
        return post_form(self.client, "/login", {"username": username, "password": password})

    def logout(self):
        return post_form(self.client, "/logout")


def _connect(db_path: Path) -> Any:
    """A plain connection of the test database's engine (a file, or a PostgreSQL URL)."""
    if is_postgres_url(db_path):
        import psycopg

        return psycopg.connect(str(db_path))
    return sqlite3.connect(db_path)


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every row a write could touch (companies, audit, users, grades), read afresh."""
    conn = _connect(db_path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("companies", "audit", "users", "meta", "judgements")
        }
    finally:
        conn.close()


def full_snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (vectors, migrations and tables added later included)."""
    conn = _connect(db_path)
    try:
        tables_sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY table_name"
            if is_postgres_url(db_path)
            else "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
        tables = [row[0] for row in conn.execute(tables_sql)]
        return {
            table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        conn.close()
