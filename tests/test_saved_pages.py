"""A loaded fit's files are read into the page cache, within the memory the machine has.

A saved fit is memory-mapped, so each ``match`` on a cold page cache reads its
candidates' pages from disk (seconds at a million companies). The live index reads
the files once after loading (saved_pages); these tests check what is read, in
which order, and that it stops at the memory budget.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from matchmaker import engine, fitted_state, saved_pages
from matchmaker.embedding import HashingEmbedder
from matchmaker.live_index import LiveIndex
from matchmaker.store import Store


@pytest.fixture
def saved_folder(store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch):
    """A real saved fit of the mini set, with its arrays and lists in files of their own."""
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)
    LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # fits and saves
    (folder,) = fitted_state.state_root(tmp_db_path).iterdir()
    return folder


def test_every_file_a_match_maps_is_read_index_first(saved_folder: Path):
    files = saved_pages.saved_files(saved_folder)
    parts = [path.relative_to(saved_folder).parts[0] for path, _ in files]
    assert parts == sorted(parts, key=saved_pages.PARTS.index)  # first stage, arrays, rows
    assert {"arrays", "rows"} <= set(parts)
    on_disk = sum(
        p.stat().st_size for part in ("arrays", "rows") for p in (saved_folder / part).iterdir()
    )
    done = saved_pages.read_into_cache(saved_folder, budget=10**12)
    assert done.files == len(files)
    assert done.read_bytes == sum(size for _, size in files) >= on_disk
    assert done.skipped_bytes == 0


def test_reading_stops_at_the_budget(saved_folder: Path):
    sizes = [size for _, size in saved_pages.saved_files(saved_folder)]
    budget = sum(sizes) // 2
    done = saved_pages.read_into_cache(saved_folder, budget=budget)
    assert 0 < done.read_bytes <= budget
    assert done.read_bytes + done.skipped_bytes == sum(sizes)
    nothing = saved_pages.read_into_cache(saved_folder, budget=0)
    assert (nothing.files, nothing.read_bytes, nothing.skipped_bytes) == (0, 0, sum(sizes))


def test_a_folder_removed_meanwhile_reads_nothing_and_raises_nothing(tmp_path: Path):
    done = saved_pages.read_into_cache(tmp_path / "replaced-by-a-newer-fit", budget=10**12)
    assert (done.files, done.read_bytes, done.skipped_bytes) == (0, 0, 0)


def test_available_memory_is_read_from_meminfo_within_a_containers_limit(tmp_path: Path):
    meminfo, cgroup = tmp_path / "meminfo", tmp_path / "cgroup"
    cgroup.mkdir()
    meminfo.write_text("MemTotal:       24000000 kB\nMemAvailable:   12345678 kB\nCached: 1 kB\n")
    no_cgroup = tmp_path / "no-cgroup"
    assert saved_pages.available_memory(meminfo, no_cgroup) == 12345678 * 1024
    (cgroup / "memory.max").write_text("max\n")
    assert saved_pages.available_memory(meminfo, cgroup) == 12345678 * 1024  # no limit
    (cgroup / "memory.max").write_text("4294967296\n")
    (cgroup / "memory.current").write_text("1073741824\n")
    assert saved_pages.available_memory(meminfo, cgroup) == 3 * 1024**3  # the limit's room
    assert saved_pages.available_memory(tmp_path / "not-linux", no_cgroup) == 0  # unknown
    meminfo.write_text("MemAvailable: lots\n")
    assert saved_pages.available_memory(meminfo, no_cgroup) == 0
    if saved_pages.MEMINFO.exists():  # this machine's
        assert saved_pages.available_memory() > 0


def test_a_restart_reads_the_loaded_fit_in_the_background(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch, caplog
):
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)
    LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # fits and saves
    monkeypatch.setattr(engine, "build_ranker", _refuse)
    read: list[saved_pages.Prefetched] = []
    reading = saved_pages.read_into_cache

    def recorded(folder: Path, budget: int | None = None) -> saved_pages.Prefetched:
        read.append(reading(folder, budget))
        return read[-1]

    monkeypatch.setattr(saved_pages, "read_into_cache", recorded)
    with caplog.at_level(logging.INFO, logger="matchmaker.saved_pages"):
        LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # loads, no fit
        for _ in range(200):
            if read:
                break
            time.sleep(0.05)
    assert len(read) == 1 and read[0].files > 0 and read[0].read_bytes > 0
    assert "into the page cache" in caplog.text


def _refuse(*_args, **_kwargs):
    raise AssertionError("a restart with a saved fit must not fit again")
