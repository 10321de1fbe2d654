"""A fitted ranker is saved next to the database and loaded by the next process, never stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matchmaker import engine, fitted_state
from matchmaker.importing import parse_file
from matchmaker.service import Matchmaker
from matchmaker.store import Store


def _ids(matches) -> list[str]:
    return [m.id for m in matches]


def _no_fitting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("fitted again instead of loading the saved state")

    monkeypatch.setattr(engine, "build_ranker", refuse)


def test_a_second_process_loads_the_fit_instead_of_refitting(
    store, hashing_embedder, tmp_db_path, monkeypatch
):
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)  # the mini set's arrays are small
    first = Matchmaker(store, embedder=hashing_embedder).match("baltic-generics")
    saved = list(fitted_state.state_root(tmp_db_path).iterdir())
    assert len(saved) == 1 and saved[0].name.startswith(f"r{store.revision()}-")
    _no_fitting(monkeypatch)
    with Store.open(tmp_db_path, readonly=True) as again:
        service = Matchmaker(again, embedder=hashing_embedder)
        assert [m.to_dict() for m in service.match("baltic-generics")] == [
            m.to_dict() for m in first
        ]
        ranker = service.ranker()
        # phrase vectors are mapped from disk, not copied into every process
        assert isinstance(ranker.offer_phrases_.vectors, np.memmap)
        assert isinstance(ranker.offer_vecs_, np.memmap)
        assert ranker.embedder is hashing_embedder
        assert service.query("PCR kits distributor", country="KR").matches


def test_an_edit_makes_a_new_fit_and_drops_the_old_one(store, hashing_embedder, tmp_db_path):
    service = Matchmaker(store, embedder=hashing_embedder)
    service.match("baltic-generics")
    profile = store.get("baltic-generics")
    service.save(profile.__class__(**{**vars(profile), "offers": "EU-GMP tablets"}), "test")
    service.match("baltic-generics")
    saved = [p.name for p in fitted_state.state_root(tmp_db_path).iterdir()]
    assert len(saved) == 1 and saved[0].startswith(f"r{store.revision()}-")
    loaded = engine.load_saved_ranker(store, hashing_embedder, store.revision())
    assert "EU-GMP tablets" in loaded.profiles_[loaded.index_["baltic-generics"]].offers


def test_another_database_at_the_same_revision_is_not_answered_from_it(
    tmp_db_path, mini_path, hashing_embedder
):
    with Store.open(tmp_db_path, create=True) as store:
        engine.import_profiles(store, hashing_embedder, parse_file(mini_path), actor="t")
        Matchmaker(store, embedder=hashing_embedder).match("baltic-generics")
        revision = store.revision()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_db_path}{suffix}").unlink(missing_ok=True)
    parsed = parse_file(mini_path)
    parsed.profiles[0] = parsed.profiles[0].__class__(
        **{**vars(parsed.profiles[0]), "name": "Renamed Company"}
    )
    with Store.open(tmp_db_path, create=True) as store:
        engine.import_profiles(store, hashing_embedder, parsed, actor="t")
        assert store.revision() == revision
        assert engine.load_saved_ranker(store, hashing_embedder, revision) is None


def test_an_unwritable_folder_only_means_fitting_again(store, hashing_embedder, tmp_db_path):
    root = fitted_state.state_root(tmp_db_path)
    root.write_text("not a folder")  # mkdir fails as it would in a read-only folder
    assert Matchmaker(store, embedder=hashing_embedder).match("baltic-generics")
    assert engine.load_saved_ranker(store, hashing_embedder, store.revision()) is None


def test_a_cold_cli_match_imports_no_torch(cli_env, store):
    """The second call loads the saved fit: no model, no torch (2 s of imports)."""
    env = {**os.environ, "MATCHMAKER_DB": str(cli_env), "MATCHMAKER_MODEL": "hashing"}
    command = [sys.executable, "-X", "importtime", "-m", "matchmaker", "match", "baltic-generics"]
    for _ in range(2):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "baltic-generics" not in done.stdout.splitlines()[0]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "torch" not in imported and "sentence_transformers" not in imported
    assert "sklearn" in {name.split(".")[0] for name in imported}  # the measurement works


def test_a_restarted_server_loads_the_saved_fit(store, hashing_embedder, tmp_db_path, monkeypatch):
    from matchmaker.web.resources import LiveIndex

    first = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # fits and saves
    _no_fitting(monkeypatch)
    again = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)
    assert again.revision == first.revision
    assert _ids(again.ranker.match("baltic-generics")) == _ids(
        first.ranker.match("baltic-generics")
    )


def test_a_database_url_has_no_folder_for_saved_state():
    """A PostgreSQL URL is not a path: no folder named after it (nor its password)."""
    from matchmaker.fitted_state import state_root

    assert state_root("postgresql://user:secret@db.example/matchmaker") is None
    local = "/var/lib/matchmaker/db.sqlite"
    assert state_root(local) == Path(local + ".fitted")
