"""The app migrates its database once, at start-up, not on every request."""

from __future__ import annotations

from pathlib import Path

from web_helpers import make_app

from matchmaker.store import Store


def test_requests_do_not_migrate_after_start_up(
    store: Store, tmp_db_path: Path, tmp_path, monkeypatch
):
    calls = []
    real_migrate = Store.migrate

    def counted(self):
        calls.append(self.path)
        return real_migrate(self)

    monkeypatch.setattr(Store, "migrate", counted)
    app = make_app(tmp_db_path, tmp_path / "staging")
    assert calls == [str(tmp_db_path)]  # at start-up
    client = app.test_client()
    for path in ("/", "/api/companies", "/companies/baltic-generics"):
        assert client.get(path).status_code == 200, path
    assert calls == [str(tmp_db_path)]


def test_a_database_missing_at_start_up_is_migrated_by_the_first_request(
    tmp_db_path: Path, tmp_path, mini_path, hashing_embedder
):
    app = make_app(tmp_db_path, tmp_path / "staging")
    client = app.test_client()
    assert client.get("/api/companies").status_code == 503  # no database yet: says so
    Store.open(tmp_db_path, create=True).close()
    assert client.get("/api/companies").status_code == 200
