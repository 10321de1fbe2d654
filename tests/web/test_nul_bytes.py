"""A NUL byte in a public address or query: a clear 404/400 on both engines, never a 500.

PostgreSQL's text cannot hold a NUL byte and psycopg raises ``DataError`` for one;
before the app refused them early, these addresses answered 500 on PostgreSQL
(404/200 on SQLite). Runs on both engines (MATCHMAKER_TEST_DB=postgresql).
"""

from __future__ import annotations

import pytest

from matchmaker.store import Store
from matchmaker.store.errors import UnstorableValueError


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/companies/ab%00c", 404),
        ("/api/companies/ab%00c", 404),
        ("/api/companies/ab%00c/matches", 404),
        ("/staff/?q=a%00", 400),
        ("/api/search?q=a%00b", 400),
        ("/?q=%00", 400),
    ],
)
def test_a_nul_byte_in_the_address_is_a_clear_error(client, url, status):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    if url.startswith("/api/"):
        assert response.is_json and response.get_json()["error"]
    else:
        assert b"<html" in response.data.lower()


def test_a_nul_byte_in_a_staff_query_is_refused_for_staff_too(staff_client):
    assert staff_client.get("/staff/?q=a%00").status_code == 400


def test_the_store_calls_a_nul_byte_the_users_input_not_a_broken_database(store: Store):
    """On PostgreSQL the store maps psycopg's DataError to an input error (400, not 503);
    SQLite stores the byte, so there the lookup simply finds nothing."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite's text holds a NUL byte: nothing to translate")
    with pytest.raises(UnstorableValueError, match="NUL"):
        store.db.execute("SELECT id FROM companies WHERE id = ?", ["ab\x00c"]).fetchall()
    with pytest.raises(UnstorableValueError):
        list(store.db.query("SELECT id FROM companies WHERE id = ?", ["ab\x00c"]))
    assert store.stats()["companies"] == 10  # the connection is still usable
