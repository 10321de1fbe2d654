"""Every write path reaches a serving live index as a refit would show it.

tests/test_live_index.py follows an edit, a delete and an addition. Here every
other kind of write a curator makes while a server runs (bulk verify, merge,
undo merge, revert, bulk delete, restore, an import of several rows) is applied
incrementally and compared with a full fit of the database as it now is: the
same live companies, no dead or doubled row in partners, peers or free-text
results, filters (verified, sector, country) that pick the same companies, the
same names found, and every live company rankable (as query and candidate).
"""

from __future__ import annotations

import dataclasses

from matchmaker import engine, live_index
from matchmaker.directory import Directory
from matchmaker.embedding import HashingEmbedder
from matchmaker.live_index import LiveIndex, Snapshot
from matchmaker.ranking import Filters
from matchmaker.store import Store


def _assert_like_a_refit(snapshot: Snapshot, store: Store, embedder: HashingEmbedder) -> None:
    """The incrementally updated snapshot against a full fit of the database now."""
    live = store.list()
    refit = engine.build_ranker(store, embedder)
    ranker = snapshot.ranker
    assert snapshot.revision == store.revision()
    assert len(ranker.profiles_) > ranker.fitted_rows_  # applied, not refitted
    assert sorted(p.id for p in ranker.live_profiles()) == [p.id for p in live]
    assert {p.id: p for p in ranker.live_profiles()} == {p.id: p for p in live}
    directory = Directory(store)  # names come from the database (directory.py)
    assert [directory.resolve(p.id)[0].id for p in live] == [p.id for p in live]
    assert directory.sectors == sorted(
        {s for p in live for s in p.sectors},
        key=lambda s: (-sum(s in p.sectors for p in live), s),
    )
    everyone = len(live)
    filters = [
        Filters(),
        Filters(verified_only=True),
        Filters(sectors=["pharmaceuticals"]),
        Filters(country="KR"),
        Filters(partnership_types=["licensing"]),
    ]
    for company in live:
        for chosen in filters:
            for method in ("match", "similar"):
                got = getattr(ranker, method)(company.id, top=everyone, filters=chosen)
                want = getattr(refit, method)(company.id, top=everyone, filters=chosen)
                assert len({m.id for m in got}) == len(got), (method, company.id)
                assert {m.id for m in got} == {m.id for m in want}, (method, company.id, chosen)
                assert all(m.name == store.get(m.id).name for m in got)
    for chosen in filters:
        got = ranker.query("generic medicines distribution", "KR", everyone, chosen).matches
        want = refit.query("generic medicines distribution", "KR", everyone, chosen).matches
        assert sorted(m.id for m in got) == sorted(m.id for m in want), chosen


def test_every_curator_write_shows_as_after_a_refit(
    store: Store, tmp_db_path, hashing_embedder: HashingEmbedder, monkeypatch
):
    monkeypatch.setattr(live_index, "REFIT_AFTER_ROWS", 10_000)  # no background refit here
    index = LiveIndex(str(tmp_db_path))
    index.current(store, hashing_embedder)

    def served() -> Snapshot:
        return index.current(store, hashing_embedder)

    store.set_verified(["baltic-generics", "han-generics", "jeju-cosmetics"], True, actor="t")
    _assert_like_a_refit(served(), store, hashing_embedder)

    kept = store.get("seoul-pharma-distribution")
    merged_kept = dataclasses.replace(kept, sectors=[*kept.sectors, "generics"])
    merge_id = store.merge(merged_kept, "han-generics", actor="t")
    engine.embed_profiles(store, hashing_embedder, [store.get(kept.id)])
    snapshot = served()
    assert "han-generics" not in snapshot.ranker.index_
    assert Directory(store).resolve("Han Generics")[0] is None
    _assert_like_a_refit(snapshot, store, hashing_embedder)

    store.undo_merge(merge_id, actor="t")
    engine.embed_profiles(store, hashing_embedder, store.list())
    snapshot = served()
    assert Directory(store).resolve("Han Generics (fictional)")[0].id == "han-generics"
    _assert_like_a_refit(snapshot, store, hashing_embedder)

    baltic = store.get("baltic-generics")
    edited = dataclasses.replace(baltic, sectors=["cosmetics"], offers="skin creams")
    saved = engine.save_and_embed(store, hashing_embedder, edited, actor="t")
    entry = store.history("baltic-generics")[0]
    store.revert("baltic-generics", entry["id"], actor="t", expected_version=saved.version)
    engine.embed_profiles(store, hashing_embedder, [store.get("baltic-generics")])
    snapshot = served()
    reverted = snapshot.ranker.profiles_[snapshot.ranker.index_["baltic-generics"]]
    assert reverted.content() == baltic.content()
    _assert_like_a_refit(snapshot, store, hashing_embedder)

    store.delete_many(["jeju-cosmetics", "vidzeme-wood", "daugava-lab-supply"], actor="t")
    store.set_deleted("vidzeme-wood", False, actor="t")
    _assert_like_a_refit(served(), store, hashing_embedder)

    template = store.get("riga-clinical-research")
    newcomers = [
        dataclasses.replace(template, id=f"riga-new-{i}", name=f"Riga New {i} (fictional)",
                            verified=bool(i % 2))
        for i in range(3)
    ]
    changed = dataclasses.replace(store.get("busan-biologics"), offers="biosimilar insulin")
    store.upsert_many([*newcomers, changed], actor="t")
    engine.embed_profiles(store, hashing_embedder, store.list())
    _assert_like_a_refit(served(), store, hashing_embedder)


def test_migration_15_on_a_database_with_deleted_and_merged_companies(
    tmp_db_path, mini_path, hashing_embedder: HashingEmbedder, monkeypatch
):
    """Rows written before the stamp existed count as part of any full fit; every write
    after it (a restore, an undone merge) is stamped, on either engine."""
    from matchmaker.importing import parse_file
    from matchmaker.store import schema as schema_module

    with monkeypatch.context() as patch:
        older = [m for m in schema_module.MIGRATIONS if m[0] < 15]
        patch.setattr(schema_module, "MIGRATIONS", older)
        patch.setattr(Store, "_write_name_keys", lambda *args: None)  # migration 17's rows
        with Store.open(tmp_db_path, create=True) as old:
            old.upsert_many(parse_file(mini_path).profiles, actor="fixture")
            old.set_deleted("jeju-cosmetics", True, actor="t")
            kept = old.get("seoul-pharma-distribution")
            merge_id = old.merge(kept, "han-generics", actor="t")
    with Store.open(tmp_db_path) as store:
        start = store.revision()
        assert store.changed_since(0) == ([], [])  # all stamped 0: in the first full fit
        engine.embed_profiles(store, hashing_embedder, store.list())
        index = LiveIndex(str(tmp_db_path))
        first = index.current(store, hashing_embedder)
        assert "jeju-cosmetics" not in first.ranker.index_
        assert "han-generics" not in first.ranker.index_

        store.set_deleted("jeju-cosmetics", False, actor="t")
        store.undo_merge(merge_id, actor="t")
        changed, deleted = store.changed_since(start)
        assert sorted(p.id for p in changed) == ["han-generics", "jeju-cosmetics"]
        assert deleted == []
        engine.embed_profiles(store, hashing_embedder, store.list())
        _assert_like_a_refit(index.current(store, hashing_embedder), store, hashing_embedder)
