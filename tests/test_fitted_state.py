"""A fitted ranker is saved next to the database and loaded by the next process, never stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mapped_arrays import memory_mapped

from matchmaker import engine, fitted_state
from matchmaker.importing import parse_file
from matchmaker.saved_parts import Deferred, SavedCsr, SavedRows
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
        assert memory_mapped(ranker.offer_phrases_.vectors)
        assert memory_mapped(ranker.offer_vecs_)
        assert ranker.embedder is hashing_embedder
        assert service.query("PCR kits distributor", country="KR").matches


def test_a_call_after_an_edit_brings_the_saved_fit_forward_instead_of_fitting(
    store, hashing_embedder, tmp_db_path, monkeypatch
):
    """As a restarted server does (live_index): a CLI call or a report after an edit used
    to fit in full (10 s at 102 companies, hours at a million)."""
    service = Matchmaker(store, embedder=hashing_embedder)
    service.match("baltic-generics")
    fitted_at = store.revision()
    profile = store.get("baltic-generics")
    service.save(profile.__class__(**{**vars(profile), "offers": "EU-GMP tablets"}), "test")
    _no_fitting(monkeypatch)
    again = Matchmaker(store, embedder=hashing_embedder)
    assert again.match("baltic-generics")
    ranker = again.ranker()
    assert ranker.fitted_rows_ == len(store.list()) < len(ranker.profiles_)  # one row applied
    assert "EU-GMP tablets" in ranker.profiles_[ranker.index_["baltic-generics"]].offers
    saved = [p.name for p in fitted_state.state_root(tmp_db_path).iterdir()]
    assert len(saved) == 1 and saved[0].startswith(f"r{fitted_at}-")  # not saved again


def test_a_report_after_an_edit_ranks_the_same_whatever_older_fit_a_machine_keeps(
    store, hashing_embedder, tmp_path, monkeypatch
):
    """The chunks of one report run are ranked by processes here and on other machines
    (each with its own fit folder) and resumed later: a ranker brought forward from
    whichever older fit a machine keeps scores differently from a full fit (its base's
    vocabularies), so a report ranks with the revision's own fit, saved or fitted."""
    from matchmaker.reports import ReportSpec

    Matchmaker(store, embedder=hashing_embedder).match("baltic-generics")  # saves a fit
    profile = store.get("baltic-generics")
    edited = profile.__class__(**{**vars(profile), "offers": "EU-GMP tablets and PCR kits"})
    Matchmaker(store, embedder=hashing_embedder).save(edited, "test")
    brought = Matchmaker(store, embedder=hashing_embedder).ranker()
    assert brought.fitted_rows_ < len(brought.profiles_)  # searches: brought forward
    spec = ReportSpec(top=3)
    here = Matchmaker(store, embedder=hashing_embedder, reproducible=True)
    assert here.ranker().fitted_rows_ == len(here.ranker().profiles_)  # a full fit
    monkeypatch.setenv("MATCHMAKER_FIT_DIR", str(tmp_path / "another-machine"))
    there = Matchmaker(store, embedder=hashing_embedder, reproducible=True)
    assert here.report(spec).sections == there.report(spec).sections
    assert [m.to_dict() for m in brought.match("baltic-generics", top=3)] != [
        m.to_dict() for m in here.ranker().match("baltic-generics", top=3)
    ]  # what a run mixing the two rankers would have written


def test_enough_edits_make_a_new_fit_and_drop_the_old_one(
    store, hashing_embedder, tmp_db_path, monkeypatch
):
    monkeypatch.setattr(engine, "REFIT_AFTER_ROWS", 1)  # one edit of ten companies is "many"
    service = Matchmaker(store, embedder=hashing_embedder)
    service.match("baltic-generics")
    profile = store.get("baltic-generics")
    service.save(profile.__class__(**{**vars(profile), "offers": "EU-GMP tablets"}), "test")
    service.match("baltic-generics")
    saved = [p.name for p in fitted_state.state_root(tmp_db_path).iterdir()]
    assert len(saved) == 1 and saved[0].startswith(f"r{store.revision()}-")
    loaded = engine.load_saved_ranker(store, hashing_embedder, store.revision())
    assert loaded.fitted_rows_ == len(loaded.profiles_)  # a full fit
    assert "EU-GMP tablets" in loaded.profiles_[loaded.index_["baltic-generics"]].offers


@pytest.mark.sqlite_only  # a new database file at the same path; a URL's database stays
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


#: what a cold ``matchmaker match`` must not import (issue 14: half a second in all)
HEAVY = ("torch", "sentence_transformers", "lightgbm", "sklearn", "scipy", "pandas", "flask")

_RUN_AND_LIST_MODULES = """
import json, runpy, sys
out = sys.argv.pop(1)
sys.argv[0] = "matchmaker"
try:
    runpy.run_module("matchmaker", run_name="__main__")
finally:
    with open(out, "w") as listing:
        json.dump(sorted(sys.modules), listing)
"""


def _cold_match(env: dict, listing: Path, company: str = "baltic-generics"):
    """``matchmaker match`` in a new process; its output and the modules it imported."""
    command = [sys.executable, "-c", _RUN_AND_LIST_MODULES, str(listing), "match", company]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done, {name.split(".")[0] for name in json.loads(listing.read_text())}


def test_a_cold_cli_match_imports_no_model_and_no_heavy_library(cli_env, store, tmp_path):
    """The second call loads the saved fit: no model, no torch, no scikit-learn, no LightGBM.

    A learned model is configured, but its record says it lost to the fixed weights:
    its file (here not even a model) is never opened, so LightGBM is not imported.
    """
    from matchmaker.learning import feature_names

    record = {"use": False, "embedder": "hashing-v1", "features": feature_names()}
    (tmp_path / "model.json").write_text(json.dumps(record))
    (tmp_path / "model.lgb").write_text("not a model\n")
    env = {
        **os.environ,
        "MATCHMAKER_DB": str(cli_env),
        "MATCHMAKER_MODEL": "hashing",
        "MATCHMAKER_LEARNED_MODEL": str(tmp_path / "model.lgb"),
    }
    first, fitting = _cold_match(env, tmp_path / "first.json")
    again, loading = _cold_match(env, tmp_path / "again.json")
    assert again.stdout == first.stdout and "baltic-generics" not in again.stdout.splitlines()[0]
    assert "sklearn" in fitting and "numpy" in loading  # the listing works
    assert sorted(set(HEAVY) & loading) == []
    assert "fixed weights" not in again.stderr  # a record that says 'do not use' is no warning


def test_the_saved_fit_reads_profiles_and_vectorizers_when_used(
    store, hashing_embedder, tmp_db_path, monkeypatch
):
    """Every per-company list, vectorizer and sparse matrix is read on use; results are equal."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)
    fitted = engine.build_ranker(store, hashing_embedder)
    assert fitted_state.save(fitted, tmp_db_path, store.revision())
    loaded = engine.load_saved_ranker(store, hashing_embedder, store.revision())
    assert isinstance(loaded.profiles_, SavedRows) and isinstance(loaded.texts_, SavedRows)
    assert isinstance(loaded.role_fit_.fields_, SavedRows)
    assert isinstance(loaded.vectorizer_, Deferred) and isinstance(loaded.lex_seeks_, SavedCsr)
    assert isinstance(loaded.bm25_.words_.weights_, SavedCsr)
    assert list(loaded.profiles_) == fitted.profiles_
    matches = loaded.match("baltic-generics")
    assert "not loaded" in repr(loaded.vectorizer_)  # a company's partners need no vectorizer
    for method, arguments in (
        ("match", ("baltic-generics",)),
        ("similar", ("baltic-generics",)),
        ("query", ("PCR kits distributor", "KR")),
    ):
        got, want = getattr(loaded, method)(*arguments), getattr(fitted, method)(*arguments)
        if method == "query":
            got, want = got.matches, want.matches
        assert [m.to_dict() for m in got] == [m.to_dict() for m in want], method
    assert [m.to_dict() for m in matches] == [m.to_dict() for m in fitted.match("baltic-generics")]


def test_a_loaded_fit_saves_again_as_it_was_fitted(store, hashing_embedder, tmp_path, monkeypatch):
    """A loaded ranker (lazy parts and all) can be saved again: an incremental update does."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)
    fitted = engine.build_ranker(store, hashing_embedder)
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    fitted_state._write(fitted, tmp_path / "first")
    loaded = fitted_state._read(tmp_path / "first", hashing_embedder, None)
    fitted_state._write(loaded, tmp_path / "second")
    again = fitted_state._read(tmp_path / "second", hashing_embedder, None)
    assert isinstance(again.profiles_, SavedRows) and list(again.profiles_) == fitted.profiles_
    assert [m.to_dict() for m in again.query("PCR kits", country="KR").matches] == [
        m.to_dict() for m in fitted.query("PCR kits", country="KR").matches
    ]


def test_loaded_arrays_grow_in_place_mapped_or_not(store, hashing_embedder, tmp_path, monkeypatch):
    """An incremental update appends into the spare rows of what was loaded, whether the
    array was memory-mapped (large) or read whole (small, such as a CSR's indptr)."""
    from matchmaker.ranking import growing

    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 4096)  # the mini set's vectors: mapped
    fitted_state._write(engine.build_ranker(store, hashing_embedder), tmp_path)
    loaded = fitted_state._read(tmp_path, hashing_embedder, None)
    small, large = loaded.lex_seeks_.indptr, loaded.offer_vecs_
    assert not memory_mapped(small) and memory_mapped(large)
    for array in (small, large):
        grown = growing.grow(array, array[-1:])
        assert np.shares_memory(grown, array)  # written into the spare rows, not copied


def test_a_restarted_server_loads_the_saved_fit(store, hashing_embedder, tmp_db_path, monkeypatch):
    from matchmaker.web.resources import LiveIndex

    first = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # fits and saves
    _no_fitting(monkeypatch)
    again = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)
    assert again.revision == first.revision
    assert _ids(again.ranker.match("baltic-generics")) == _ids(
        first.ranker.match("baltic-generics")
    )
