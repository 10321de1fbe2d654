"""The live index applies what changed since its snapshot, from the database, without a refit.

Whoever wrote the change (this process, another app server, the CLI), the
database says which companies changed since a revision (``changed_since``,
migration 15), and the next ``current()`` applies them incrementally. The
hashing embedder serves: what is tested is what is applied, when, and that no
full fit runs (ranking equality with a refit: tests/ranking/test_incremental.py).
"""

from __future__ import annotations

import dataclasses
import time

from mapped_arrays import memory_mapped

from matchmaker import engine, fitted_state, live_index
from matchmaker.directory import Directory
from matchmaker.embedding import HashingEmbedder
from matchmaker.live_index import LiveIndex
from matchmaker.saved_parts import SavedRows
from matchmaker.store import Store


def ids(matches) -> list[str]:
    return [m.id for m in matches]


def test_changed_since_names_every_kind_of_write(store: Store):
    start = store.revision()
    assert store.changed_since(start) == ([], [])
    baltic = store.get("baltic-generics")
    store.save(dataclasses.replace(baltic, offers="sterile eye drops"), actor="t")
    store.set_deleted("jeju-cosmetics", True, actor="t")
    store.set_verified(["han-generics"], True, actor="t")
    changed, deleted = store.changed_since(start)
    assert [p.id for p in changed] == ["baltic-generics", "han-generics"]
    assert changed[0].offers == "sterile eye drops"
    assert deleted == ["jeju-cosmetics"]
    assert store.count_changed_since(start) == 3
    assert [p.id for p in store.changed_since(start + 2)[0]] == ["han-generics"]
    store.set_deleted("jeju-cosmetics", False, actor="t")  # a restore is a change too
    assert [p.id for p in store.changed_since(start + 3)[0]] == ["jeju-cosmetics"]


def test_a_company_written_twice_in_one_transaction_is_stamped_once(store: Store):
    """Two writes to one row in a transaction used to recurse in SQLite's stamp trigger
    (migration 15: "too many levels of trigger recursion"); migration 16 fixed it."""
    start = store.revision()
    with store._immediate():
        store.db.execute("UPDATE companies SET city = 'Riga' WHERE id = 'baltic-generics'")
        store.db.execute("UPDATE companies SET city = 'Jelgava' WHERE id = 'baltic-generics'")
        store._bump_revision()
    changed, _ = store.changed_since(start)
    assert [p.id for p in changed] == ["baltic-generics"]
    assert changed[0].city == "Jelgava"
    assert store.count_changed_since(start + 1) == 0


def test_edits_deletes_and_additions_show_at_once(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch
):
    index = LiveIndex(str(tmp_db_path))
    first = index.current(store, hashing_embedder)  # the one full fit
    fitted_rows = len(first.ranker.profiles_)
    monkeypatch.setattr(engine, "build_ranker", _refuse)

    # an edit through the write path (saved, then embedded): the next request shows it
    baltic = store.get("baltic-generics")
    edited = dataclasses.replace(baltic, name="Baltic Eye Care (fictional)")
    engine.save_and_embed(store, hashing_embedder, edited, actor="t", expected_version=1)
    started = time.perf_counter()
    now = index.current(store, hashing_embedder)
    took = time.perf_counter() - started
    assert now.revision == store.revision() and now is not first
    assert took < 1.0, took
    assert now.ranker.fitted_rows_ == fitted_rows  # incremental, not refitted
    partners = now.ranker.match("han-generics", top=20)
    assert "Baltic Eye Care (fictional)" in {m.name for m in partners}
    assert Directory(store).resolve("Baltic Eye Care")[0].id == "baltic-generics"
    old_names = {m.name for m in first.ranker.match("han-generics", top=20)}
    assert "Baltic Eye Care (fictional)" not in old_names  # the old snapshot is unchanged

    # a delete and a new company
    store.set_deleted("daugava-lab-supply", True, actor="t")
    newcomer = dataclasses.replace(store.get("riga-clinical-research"), id="riga-newcomer")
    engine.save_and_embed(store, hashing_embedder, newcomer, actor="t", create=True)
    now = index.current(store, hashing_embedder)
    assert now.revision == store.revision()
    ranked = ids(now.ranker.match("incheon-diagnostics", top=50))
    assert "daugava-lab-supply" not in ranked and "riga-newcomer" in ranked
    assert Directory(store).resolve("daugava-lab-supply") == (None, [])
    assert sorted(p.id for p in now.ranker.live_profiles()) == [p.id for p in store.list()]


def test_a_change_whose_vectors_are_not_written_yet_waits(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder
):
    """The request keeps its snapshot; the background refresh applies it once embedded."""
    index = LiveIndex(str(tmp_db_path), patience=60)
    first = index.current(store, hashing_embedder)
    baltic = store.get("baltic-generics")
    store.save(dataclasses.replace(baltic, offers="sterile eye drops"), actor="t")
    assert index.current(store, hashing_embedder) is first  # not embedded yet: not applied
    engine.embed_profiles(store, hashing_embedder, [store.get("baltic-generics")])
    assert index.wait_for(store.revision(), hashing_embedder, timeout=10)
    assert index.snapshot.ranker.profiles_[-1].offers == "sterile eye drops"


def test_a_restart_loads_the_saved_fit_and_applies_what_changed_since(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch
):
    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)  # the mini set's arrays are small
    monkeypatch.setattr(fitted_state, "ROWS_FROM", 0)  # its lists too (saved_parts.SavedRows)
    fitted = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)  # fits and saves
    baltic = store.get("baltic-generics")
    edited = dataclasses.replace(baltic, name="Baltic Eye Care (fictional)")
    engine.save_and_embed(store, hashing_embedder, edited, actor="t")
    monkeypatch.setattr(engine, "build_ranker", _refuse)
    restarted = LiveIndex(str(tmp_db_path)).refresh(store, hashing_embedder)
    assert restarted.revision == store.revision() > fitted.revision
    assert restarted.ranker.fitted_rows_ == len(fitted.ranker.profiles_)
    assert restarted.ranker.profiles_[restarted.ranker.index_["baltic-generics"]] == (
        store.get("baltic-generics")
    )
    # the edit was written into the spare rows of the mapped file, not into a copy
    assert memory_mapped(restarted.ranker.offer_vecs_)
    assert memory_mapped(restarted.ranker.offer_phrases_.vectors)
    assert memory_mapped(restarted.ranker.lex_profiles_.data)  # csr arrays too
    assert isinstance(restarted.ranker.profiles_, SavedRows)  # the saved rows, one appended


def test_many_changed_rows_start_a_full_refit_that_swaps_in(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch
):
    monkeypatch.setattr(live_index, "REFIT_SHARE", 0.0)  # any change is "many"
    monkeypatch.setattr(live_index, "REFIT_AFTER_ROWS", 0)
    index = LiveIndex(str(tmp_db_path))
    index.current(store, hashing_embedder)
    baltic = store.get("baltic-generics")
    edited = dataclasses.replace(baltic, name="Baltic Eye Care (fictional)")
    engine.save_and_embed(store, hashing_embedder, edited, actor="t")
    updated = index.current(store, hashing_embedder)
    assert len(updated.ranker.profiles_) == updated.ranker.fitted_rows_ + 1  # at once
    deadline = time.monotonic() + 30
    while index.refreshing and time.monotonic() < deadline:
        time.sleep(0.05)
    refitted = index.snapshot
    assert refitted.revision == store.revision()
    assert len(refitted.ranker.profiles_) == refitted.ranker.fitted_rows_ == len(store.list())


def _refuse(*args, **kwargs):
    raise AssertionError("a full refit ran")
