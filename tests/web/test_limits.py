"""Rate limits and login back-off: an attacker's client is slowed, the real user is not.

Clients are told apart by address (``REMOTE_ADDR``), as the server sees them.
Each test sets small limits through the app's settings, the way a deployment
would through ``MATCHMAKER_*`` variables.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from accounts import password_hash
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, STAFF, AuthActions, csrf_token, make_app

from matchmaker.store import Store
from matchmaker.web import ConfigError, create_app
from matchmaker.web.auth import LOGIN_ERROR

ATTACKER, USER, OTHER = "203.0.113.66", "198.51.100.7", "192.0.2.44"
WRONG = "wrong password here"


LIMITS = {
    "LOGIN_CLIENT_LIMIT": "10 per 15 minutes",
    "LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes",
    "RATE_LIMIT_SEARCH": "3 per minute",
    "RATE_LIMIT_SUGGEST": "4 per minute",
    "RATE_LIMIT_API": "2 per minute",
    "RATE_LIMIT_STAFF": "6 per minute",
}


@pytest.fixture
def make_limited(store: Store, tmp_db_path: Path, tmp_path: Path):
    store.add_user(STAFF, password_hash(PASSWORD))
    return lambda **changes: make_app(tmp_db_path, tmp_path / "staging", **(LIMITS | changes))


@pytest.fixture
def limited(make_limited) -> Flask:
    return make_limited()


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client: FlaskClient, username: str = STAFF, password: str = PASSWORD):
    return AuthActions(client).login(username, password)


def assert_retry_after(response, at_most: int) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= at_most


# -- logins ---------------------------------------------------------------------------


def test_an_attack_on_an_account_does_not_lock_out_its_owner(limited: Flask, store: Store):
    attacker = client_at(limited, ATTACKER)
    statuses = [login(attacker, STAFF, WRONG).status_code for _ in range(20)]
    assert statuses == [401] * 5 + [429] * 15
    throttled = login(attacker, STAFF, PASSWORD)  # even the right password, from there
    assert_retry_after(throttled, 15 * 60)
    assert "Too many failed logins" in throttled.get_data(as_text=True)
    # The owner, from a client that has not failed, logs in at once.
    assert login(client_at(limited, USER)).status_code == 302
    assert store.get_user(STAFF)  # and nothing about the attack was stored on the account


def test_an_address_that_keeps_failing_is_throttled_for_every_account(limited: Flask):
    attacker = client_at(limited, ATTACKER)
    for number in range(10):  # ten names, none failed often enough to guard its account
        assert login(attacker, f"guess{number}", WRONG).status_code == 401
    assert_retry_after(login(attacker, STAFF, PASSWORD), 15 * 60)
    assert login(client_at(limited, OTHER)).status_code == 302


def test_a_guarded_account_still_lets_a_clean_client_try(limited: Flask):
    """Failures spread over addresses guard the account against those addresses only."""
    for number in range(5):
        assert login(client_at(limited, f"10.0.0.{number}"), STAFF, WRONG).status_code == 401
    assert login(client_at(limited, "10.0.0.0"), STAFF, PASSWORD).status_code == 429
    fresh = client_at(limited, "10.0.1.1")
    response = login(fresh, STAFF, WRONG)  # a clean client may still try, and fail
    assert response.status_code == 401 and str(LOGIN_ERROR) in response.get_data(as_text=True)
    assert login(fresh, STAFF, PASSWORD).status_code == 429  # but then it has failed too
    assert login(client_at(limited, USER)).status_code == 302


def test_the_api_login_backs_off_the_same_way(make_limited):
    attacker = client_at(make_limited(RATE_LIMIT_API="100 per minute"), ATTACKER)
    token = csrf_token(attacker)
    for expected in [401] * 5 + [429]:
        response = attacker.post(
            "/api/session",
            json={"username": STAFF, "password": WRONG},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == expected
    assert_retry_after(response, 15 * 60)
    assert "Too many failed logins" in response.get_json()["error"]


# -- request limits -------------------------------------------------------------------


def test_anonymous_searches_are_limited_per_address_with_retry_after(limited: Flask):
    visitor = client_at(limited, ATTACKER)
    for _ in range(3):
        assert visitor.get("/search?company=baltic-generics").status_code == 200
    response = visitor.get("/companies/baltic-generics")  # company pages rank too
    assert_retry_after(response, 60)
    assert "Too many requests" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert visitor.head("/search?company=baltic-generics").status_code == 429
    assert visitor.get("/").status_code == 200  # the start page is not a search
    assert client_at(limited, OTHER).get("/search?company=baltic-generics").status_code == 200


def test_type_ahead_and_api_have_their_own_limits(limited: Flask):
    visitor = client_at(limited, ATTACKER)
    for _ in range(2):
        assert visitor.get("/api/companies").status_code == 200
    response = visitor.get("/api/companies/baltic-generics")
    assert_retry_after(response, 60)
    assert "Too many requests" in response.get_json()["error"]
    for _ in range(4):  # the type-ahead counts separately, and has more room
        assert visitor.get("/api/suggest?q=ba").status_code == 200
    assert_retry_after(visitor.get("/api/suggest?q=bal"), 60)


def test_staff_have_their_own_limits(limited: Flask):
    """Staff behind the same address as a busy public are counted by name, not address."""
    public = client_at(limited, USER)
    for _ in range(3):
        public.get("/search?company=baltic-generics")
    assert public.get("/search?company=baltic-generics").status_code == 429
    staff = client_at(limited, USER)
    assert login(staff).status_code == 302
    statuses = [staff.get("/search?company=baltic-generics").status_code for _ in range(7)]
    assert statuses == [200] * 6 + [429]


def test_limits_are_settings_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, store: Store, tmp_db_path: Path
):
    monkeypatch.setenv("MATCHMAKER_RATE_LIMIT_API", "1 per hour")
    app = create_app({"DB": str(tmp_db_path), "MODEL": "hashing"})
    client = app.test_client()
    assert client.get("/api/companies").status_code == 200
    assert_retry_after(client.get("/api/companies"), 3600)
    monkeypatch.setenv("MATCHMAKER_RATE_LIMIT_API", "lots")
    with pytest.raises(ConfigError, match="MATCHMAKER_RATE_LIMIT_API"):
        create_app({"DB": str(tmp_db_path)})
    monkeypatch.delenv("MATCHMAKER_RATE_LIMIT_API")
    monkeypatch.setenv("MATCHMAKER_RATE_LIMIT_STORAGE", "nowhere://")
    with pytest.raises(ConfigError, match="MATCHMAKER_RATE_LIMIT_STORAGE"):
        create_app({"DB": str(tmp_db_path)})


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    store: Store, tmp_db_path: Path, tmp_path: Path
):
    for proxies, second_answer in ((0, 429), (1, 200)):
        app = make_app(tmp_db_path, tmp_path, RATE_LIMIT_API="1 per minute", PROXIES=proxies)
        client = app.test_client()
        first = client.get("/api/companies", headers={"X-Forwarded-For": "192.0.2.1"})
        second = client.get("/api/companies", headers={"X-Forwarded-For": "192.0.2.2"})
        # Without a trusted proxy a forged header cannot buy a fresh allowance; behind
        # one, the header is the only way to tell clients apart.
        assert (first.status_code, second.status_code) == (200, second_answer)


def test_behind_a_trusted_proxy_links_use_the_address_clients_see(
    store: Store, tmp_db_path: Path, tmp_path: Path
):
    """The API's next-page link, behind a TLS balancer that forwards the public host."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "match.example.org"}
    for proxies, start in ((0, "<http://localhost/"), (1, "<https://match.example.org/")):
        app = make_app(tmp_db_path, tmp_path, PROXIES=proxies)
        answer = app.test_client().get("/api/companies?limit=2", headers=forwarded)
        assert answer.status_code == 200
        assert answer.headers["Link"].startswith(start), answer.headers["Link"]


def test_the_flood_benchmark_runs_end_to_end():
    """benchmarks/search_flood.py with the hashing embedder and tiny phases (no time asserted)."""
    import sys

    root = Path(__file__).resolve().parents[2]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks import search_flood

    phases = search_flood.run("hashing", seconds=0.5, flooders=2)
    assert [p.name for p in phases][:2] == ["idle", "flood, no limit"]
    assert all(p.latencies_ms for p in phases)
    assert phases[0].statuses == {} and phases[1].statuses[200] > 0
    assert "p95/idle" in search_flood.report(phases, 2, 0.5, "hashing")


def test_every_429_carries_retry_after(make_limited):
    """A view's own 429 (e.g. too many reports at once) gets a Retry-After too."""
    app = make_limited()
    app.add_url_rule("/busy-for-test", "busy_for_test", lambda: ("busy", 429))
    response = app.test_client().get("/busy-for-test")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
