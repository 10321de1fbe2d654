"""A live server during bulk work: searches are answered from the fitted ranker while the
next one is built in the background, and the new profiles show once it is swapped in.

The bulk import is made the way ``matchmaker import`` makes it, against the same
database file: one transaction writes the rows, then the profiles are embedded.
Between the two the server's background refresh is pending, which is when the old
code froze every search (it embedded the new profiles inside the next request).
The hashing embedder serves: what is tested is who waits for whom, not ranking.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from web_helpers import PASSWORD, STAFF, make_app

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_bytes
from matchmaker.indexing import embed_profiles
from matchmaker.profiles import Profile, validate_profile
from matchmaker.store import Store
from matchmaker.web.resources import LiveIndex

NEWCOMER = {
    "id": "riga-peptides",
    "name": "Riga Peptide Works (fictional)",
    "country": "LV",
    "city": "Riga",
    "sectors": ["pharmaceuticals"],
    "description": "Fictional Latvian contract maker of therapeutic peptides.",
    "offers": "GMP peptide synthesis; peptide API scale-up",
    "seeks": "Korean distributor of peptide medicines",
    "partnership_types": ["distribution"],
}


def newcomer() -> Profile:
    return validate_profile(dict(NEWCOMER))


def live(app: Flask) -> LiveIndex:
    return app.extensions["matchmaker"]


def eventually(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def suggested_ids(client, text: str) -> list[str]:
    return [e["id"] for e in client.get(f"/api/suggest?q={text}").get_json()]


def ranked(client, company_id: str) -> bool:
    """Whether the serving ranker knows the company (503 "still indexing" while it does not).

    The type-ahead reads names from the database, so it shows a new company at once;
    whether the new snapshot is serving shows in ranking.
    """
    status = client.get(f"/api/companies/{company_id}/matches").status_code
    assert status in (200, 503), status
    return status == 200


def found_ids(client, text: str, country: str) -> list[str]:
    response = client.get(f"/api/search?q={text}&country={country}&top=20")
    assert response.status_code == 200
    return [m["id"] for m in response.get_json()]


def test_search_during_a_pending_refresh_is_answered_by_the_old_ranker(
    store: Store, tmp_db_path: Path, tmp_path: Path, hashing_embedder: HashingEmbedder
):
    app = make_app(tmp_db_path, tmp_path / "staging", REFRESH_PATIENCE_SECONDS=60)
    client = app.test_client()
    assert client.get("/api/companies/baltic-generics/matches").status_code == 200
    fitted = live(app).snapshot
    assert fitted is not None

    # `matchmaker import` has committed its rows and not yet embedded them.
    store.upsert_many([newcomer()], actor="cli")
    assert found_ids(client, "peptide synthesis", "LV")  # answered, not frozen
    assert "riga-peptides" not in found_ids(client, "peptide synthesis", "LV")
    # Names come from the database (directory.py): the type-ahead offers it at once, and
    # a search that names it says "still indexing" (503), not "no such company".
    assert suggested_ids(client, "riga pep") == ["riga-peptides"]
    assert live(app).snapshot is fitted and live(app).refreshing  # the refresh is pending
    pending = client.get("/api/companies/riga-peptides/matches")
    assert pending.status_code == 503 and pending.headers["Retry-After"] == "5"
    assert "still being indexed" in pending.get_json()["error"]
    by_name = client.get("/search?company=Riga+Peptide+Works+(fictional)")
    assert by_name.status_code == 503 and by_name.headers["Retry-After"] == "5"
    assert "still being indexed" in by_name.get_data(as_text=True)

    # The import embeds what it wrote; the server fits on those vectors and swaps.
    embed_profiles(store, hashing_embedder, [store.get("riga-peptides")])
    written_by_the_import = store.vectors_written()
    assert eventually(lambda: live(app).snapshot is not fitted)
    assert suggested_ids(client, "riga pep") == ["riga-peptides"]
    assert "riga-peptides" in found_ids(client, "peptide synthesis", "LV")
    assert client.get("/api/companies/riga-peptides/matches").status_code == 200
    assert store.vectors_written() == written_by_the_import  # not embedded a second time
    assert eventually(lambda: not live(app).refreshing)


def test_profiles_nobody_embeds_are_embedded_by_the_server(
    store: Store, tmp_db_path: Path, tmp_path: Path
):
    """An import killed after its commit leaves rows without vectors: the server embeds them."""
    app = make_app(tmp_db_path, tmp_path / "staging", REFRESH_PATIENCE_SECONDS=0.2)
    client = app.test_client()
    assert ranked(client, "baltic-generics")  # fitted once
    store.upsert_many([newcomer()], actor="cli")
    assert not ranked(client, "riga-peptides")  # the old snapshot, at once
    assert eventually(lambda: ranked(client, "riga-peptides"))
    assert "riga-peptides" in found_ids(client, "peptide synthesis", "LV")


def test_profiles_a_live_import_is_embedding_are_left_to_it(
    store: Store, tmp_db_path: Path, tmp_path: Path, hashing_embedder: HashingEmbedder
):
    """However slow the import (a loaded machine), the server does not embed them twice."""
    app = make_app(tmp_db_path, tmp_path / "staging", REFRESH_PATIENCE_SECONDS=0.1)
    client = app.test_client()
    assert ranked(client, "baltic-generics")  # fitted once
    fitted, mark = live(app).snapshot, store.vectors_written()
    store.take_embedding_lease(engine.lease_holder())  # held by this (live) process
    store.upsert_many([newcomer()], actor="cli")
    assert not ranked(client, "riga-peptides")
    time.sleep(1.5)  # well past the patience for rows that no lease covers
    assert live(app).snapshot is fitted and live(app).refreshing
    assert store.vectors_written() == mark  # the server has embedded nothing
    embed_profiles(store, hashing_embedder, [store.get("riga-peptides")])
    store.drop_embedding_lease(engine.lease_holder())
    assert eventually(lambda: ranked(client, "riga-peptides"))


def test_profiles_of_an_import_that_died_are_embedded_at_once(
    store: Store, tmp_db_path: Path, tmp_path: Path
):
    app = make_app(tmp_db_path, tmp_path / "staging", REFRESH_PATIENCE_SECONDS=600)
    client = app.test_client()
    assert ranked(client, "baltic-generics")  # fitted once
    importer = subprocess.Popen([sys.executable, "-c", "pass"])
    importer.wait()  # as if killed after its commit: the lease names a process that is gone
    store.take_embedding_lease(f"{socket.gethostname()}:{importer.pid}")
    store.upsert_many([newcomer()], actor="cli")
    assert engine.embedding_lease_state(store) == "dead"
    assert eventually(lambda: ranked(client, "riga-peptides"))


def test_an_import_holds_the_lease_only_while_it_runs(
    store: Store, hashing_embedder: HashingEmbedder
):
    parsed = parse_bytes(json.dumps(NEWCOMER).encode(), "jsonl")
    engine.import_profiles(store, hashing_embedder, parsed, actor="cli")
    assert store.embedding_lease() is None
    assert engine.embedding_lease_state(store) is None
    broken = parse_bytes(b'{"id": "x"}', "jsonl")
    with pytest.raises(ValueError):
        engine.import_profiles(store, hashing_embedder, broken, actor="cli")
    assert store.embedding_lease() is None


def test_a_web_edit_is_searchable_in_the_next_request(app: Flask, store: Store):
    """The edit request waits for the refit (it only fits: the edit was embedded in it)."""
    client = app.test_client()
    assert ranked(client, "han-generics")  # fitted once
    fitted = live(app).snapshot
    assert fitted is not None
    token = client.get("/api/session").get_json()["csrf_token"]
    login = client.post(
        "/api/session",
        json={"username": STAFF, "password": PASSWORD},
        headers={"X-CSRF-Token": token},
    )
    headers = {"X-CSRF-Token": login.get_json()["csrf_token"]}
    version = store.get("han-generics").version
    edited = client.patch(
        "/api/companies/han-generics", json={"version": version, "city": "Cēsis"}, headers=headers
    )
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert live(app).snapshot is not fitted and live(app).snapshot.revision == store.revision()
    entry = client.get("/api/suggest?q=han gen").get_json()[0]
    assert entry["city"] == "Cēsis"
