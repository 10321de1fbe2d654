"""Folders of fits in progress are never swept from under their writer (work_folders).

A bounded fit writes its arrays into a hidden folder for the whole fit (an hour
at a million companies). Another process finishing its own save sweeps the
folders it does not need: it must skip one that a live process still holds
locked, and remove one whose writer died (killed, so it could not clean up).
Real processes, real files, real ``flock``.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matchmaker import engine, fitted_state, work_folders
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.ranking import PartnerRanker
from matchmaker.store import Store

ROOT = Path(__file__).resolve().parents[1]
OLD = time.time() - 2 * work_folders.GRACE_SECONDS


def age(folder: Path) -> None:
    """Make ``folder`` look older than the grace period."""
    os.utime(folder, (OLD, OLD))


def writer_process(root: Path, prefix: str) -> tuple[subprocess.Popen, Path]:
    """Another process that creates a locked work folder (with arrays/) and keeps writing."""
    code = (
        "import sys, time; from pathlib import Path; from matchmaker import work_folders; "
        "w = work_folders.create(Path(sys.argv[1]), sys.argv[2], subfolders=('arrays',)); "
        "print(w.path, flush=True); time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(root), prefix], stdout=subprocess.PIPE, text=True
    )
    return child, Path(child.stdout.readline().strip())


def test_a_locked_folder_is_in_progress_until_renamed_into_place(tmp_path):
    work = work_folders.create(tmp_path, "r1-abc", subfolders=("arrays",))
    assert work.path.name.startswith(".r1-abc-") and (work.path / "arrays").is_dir()
    age(work.path)
    assert not work_folders.abandoned(work.path)  # this process holds the lock
    hidden = work.path
    work.rename(tmp_path / "r1-abc")
    assert sorted(p.name for p in (tmp_path / "r1-abc").iterdir()) == ["arrays"]  # no lock file
    assert work.lock is None and not hidden.exists()
    assert work_folders.abandoned(hidden)  # gone: nothing to keep
    work.discard()  # after the rename: removes nothing
    assert (tmp_path / "r1-abc").is_dir()
    assert work_folders.abandoned(tmp_path / "r1-abc")  # a finished state is never in progress


def test_an_error_inside_the_folder_removes_it_and_closes_the_lock(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(KeyError), work_folders.create(tmp_path, "r1-x") as work:
        raise KeyError("anything, not only OSError")
    assert not work.path.exists() and work.lock is None
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_young_folder_is_left_alone_even_unlocked(tmp_path):
    young = tmp_path / ".r2-young"
    young.mkdir()
    assert not work_folders.abandoned(young)
    age(young)
    assert work_folders.abandoned(young)  # no lock file: an interrupted save from before locks


def test_a_killed_writers_folder_is_abandoned(tmp_path):
    """The kernel drops a killed process's flock: its folder can then be swept."""
    child, folder = writer_process(tmp_path, "r3-k")
    try:
        age(folder)
        assert not work_folders.abandoned(folder)  # alive and writing
    finally:
        child.kill()
        child.wait()
    assert work_folders.abandoned(folder)


@pytest.fixture
def shipped(tmp_path) -> Path:
    path = tmp_path / "x.db"
    with Store.open(path, create=True) as db:
        engine.import_profiles(
            db, HashingEmbedder(), parse_file(ROOT / "data" / "companies.jsonl"), actor="test"
        )
    return path


def test_another_save_during_a_bounded_fit_leaves_its_folder_alone(shipped, monkeypatch):
    """Before, the other save removed the fit's folder and the fit fell back to memory."""
    monkeypatch.setattr(work_folders, "GRACE_SECONDS", 0.0)  # only the lock protects it
    embedder = HashingEmbedder()
    with Store.open(shipped) as store:
        profiles, revision = store.list(), store.revision()
        source = engine.vector_source(store, embedder.model_id)
        other = PartnerRanker(embedder=embedder, candidates=50).fit(
            profiles, engine.load_vectors(store, embedder.model_id)
        )
        saved_by_other = []

        def read(part):
            if not saved_by_other:  # another process (the CLI, say) saves its fit now
                saved_by_other.append(fitted_state.save(other, shipped, revision))
                names = sorted(p.name[:3] for p in saved_by_other[0].parent.iterdir())
                saved_by_other.append(names)
            return source(part)

        ranker = PartnerRanker(embedder=embedder)
        _, folder = fitted_state.fit_and_save(ranker, profiles, read, shipped, revision, chunk=10)
    assert saved_by_other[0] is not None
    assert saved_by_other[1] == [".r1", "r1-"]  # the other save swept around the fit's folder
    assert folder is not None and folder.is_dir()  # saved, not fitted in memory instead
    assert not (folder / work_folders.LOCK_NAME).exists()
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # then it swept


def test_a_killed_fits_folder_is_swept_by_the_next_save(shipped, monkeypatch):
    monkeypatch.setattr(work_folders, "GRACE_SECONDS", 0.0)
    root = fitted_state.state_root(shipped)
    root.mkdir()
    child, left = writer_process(root, "r1-killed")
    child.kill()
    child.wait()
    embedder = HashingEmbedder()
    with Store.open(shipped) as store:
        ranker = PartnerRanker(embedder=embedder).fit(
            store.list(), engine.load_vectors(store, embedder.model_id)
        )
        saved = fitted_state.save(ranker, shipped, store.revision())
    assert not left.exists()
    assert sorted(p.name for p in root.iterdir()) == [saved.name]


def test_a_save_that_fails_in_any_way_leaves_no_folder_and_no_open_file(shipped, monkeypatch):
    """Before, only an OSError was cleaned up; any other error left a locked folder."""
    embedder = HashingEmbedder()

    def unpicklable(*_args):
        raise pickle.PicklingError("something in the ranker cannot be pickled")

    def database_gone():
        raise sqlite3.OperationalError("database is locked")

    with Store.open(shipped) as store:
        profiles, revision = store.list(), store.revision()
        ranker = PartnerRanker(embedder=embedder).fit(
            profiles, engine.load_vectors(store, embedder.model_id)
        )
        source = engine.vector_source(store, embedder.model_id)
        before = len(os.listdir("/proc/self/fd"))
        with monkeypatch.context() as patched:
            patched.setattr(fitted_state, "_write", unpicklable)
            for _ in range(3):
                with pytest.raises(pickle.PicklingError):
                    fitted_state.save(ranker, shipped, revision)
        with pytest.raises(sqlite3.OperationalError):
            fitted_state.fit_and_save(
                PartnerRanker(embedder=embedder), profiles, source, shipped, revision,
                still_current=database_gone,
            )  # fmt: skip
        assert len(os.listdir("/proc/self/fd")) == before
    assert list(fitted_state.state_root(shipped).iterdir()) == []
