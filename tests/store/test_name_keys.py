"""The type-ahead from the database (store/names.py, directory.py), on both engines.

What the directory answers is checked against a plain reading of the rule, computed
here from the profiles themselves: exact key first, then a key that starts with the
text, then a later word that does, then a key that contains it; by folded name, then
id. The rows must follow every write path (create, rename, delete, restore, merge,
undo) and migration 17 must fill them for profiles stored before it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from matchmaker.directory import Directory
from matchmaker.lookup import (
    CONTAINS,
    EXACT,
    STARTS,
    WORD_STARTS,
    fold,
    name_keys,
    prefix_end,
    typed_forms,
    word_tails,
)
from matchmaker.profiles import Profile
from matchmaker.store import Store, restore_database
from matchmaker.store import names as names_module

#: Texts a person might type, covering every kind of match in the mini profiles.
TYPED = (
    "a", "b", "ge", "generics", "han", "han generics (fictional)", "pharma", "seoul ph",
    "koks", "vidzemes koks", "Vidzemes", "riga", "ics", "fictional", "dist", "zzz", "(fi",
    "quiet-holding", "ēs", "-", "%", "_", "\\",
)


def reference(profiles: list[Profile], text: str, limit: int = 8) -> list[str]:
    """The type-ahead's answer by its definition, computed from profiles in Python.

    Each company at its best kind of match; within a kind, by the smallest key that
    matched that way, then id.
    """
    forms = typed_forms(text)
    scored = []
    for profile in profiles:
        keys = name_keys(profile.id, profile.name, profile.name_local)
        tails = [t for key in keys.whole for t in word_tails(key)]
        by_kind = {
            EXACT: [k for k in keys.whole if k in forms],
            STARTS: [k for k in keys.whole if any(k.startswith(f) for f in forms)],
            WORD_STARTS: [t for t in tails if any(t.startswith(f) for f in forms)],
            CONTAINS: [k for k in keys.whole if any(f in k for f in forms if len(f) >= 3)],
        }
        matched = [(kind, min(keys)) for kind, keys in by_kind.items() if keys]
        if matched:
            scored.append((*min(matched), profile.id))
    return [company_id for *_, company_id in sorted(scored)[:limit]]


def live(store: Store) -> list[Profile]:
    return store.list()


def assert_directory_follows(store: Store) -> None:
    directory = Directory(store)
    for text in TYPED:
        assert [e.id for e in directory.suggest(text)] == reference(live(store), text), text


def test_suggestions_follow_the_rule_for_every_kind_of_match(store: Store):
    assert_directory_follows(store)
    directory = Directory(store)
    assert [e.id for e in directory.suggest("han")][0] == "han-generics"
    assert directory.suggest("") == []
    assert directory.suggest("zzz") == []


def test_a_rename_a_delete_a_restore_and_a_new_company_show_at_once(store: Store):
    renamed = dataclasses.replace(store.get("baltic-generics"), name="Amber Pharma")
    store.save(renamed, actor="test")
    added = dataclasses.replace(store.get("han-generics"), id="zz-new", name="Ģenerika Nova")
    store.save(added, actor="test")
    store.delete_many(["seoul-pharma-distribution"], actor="test")
    directory = Directory(store)
    assert [e.id for e in directory.suggest("amber")] == ["baltic-generics"]
    assert directory.resolve("Baltic Generics (fictional)") == (None, [])  # the old name
    assert [e.id for e in directory.suggest("generika")] == ["zz-new"]
    assert "seoul-pharma-distribution" not in [e.id for e in directory.suggest("seoul")]
    assert_directory_follows(store)
    restored = store.get("seoul-pharma-distribution", include_deleted=True)
    store.save(restored, actor="test")
    assert "seoul-pharma-distribution" in [e.id for e in Directory(store).suggest("seoul")]
    assert_directory_follows(store)


def test_a_merged_company_is_gone_from_the_directory_until_the_merge_is_undone(store: Store):
    kept = store.get("han-generics")
    merge_id = store.merge(kept, "busan-biologics", actor="test")
    assert Directory(store).resolve("busan-biologics") == (None, [])
    assert_directory_follows(store)
    store.undo_merge(merge_id, actor="test")
    assert Directory(store).resolve("busan-biologics")[0].id == "busan-biologics"
    assert_directory_follows(store)


def test_resolve_names_one_company_or_offers_a_choice(store: Store):
    directory = Directory(store)
    assert directory.resolve("baltic-generics")[0].id == "baltic-generics"
    assert directory.resolve("VIDZEMES KOKS")[0].id == "vidzeme-wood"
    entry, candidates = directory.resolve("generics")
    assert entry is None
    assert {"baltic-generics", "han-generics"} <= {c.id for c in candidates}
    assert directory.resolve("zzz") == (None, [])


def test_did_you_mean_finds_a_misspelt_name(store: Store):
    directory = Directory(store)
    assert [e.id for e in directory.did_you_mean("Baltik Generiks")][:1] == ["baltic-generics"]
    assert [e.id for e in directory.did_you_mean("incheon-diagnostix")][:1] == [
        "incheon-diagnostics"
    ]
    assert directory.did_you_mean("") == []


def test_sectors_and_countries_come_from_the_live_profiles(store: Store):
    directory = Directory(store)
    counts: dict[str, int] = {}
    for profile in live(store):
        for sector in dict.fromkeys(profile.sectors):
            counts[sector] = counts.get(sector, 0) + 1
    assert directory.sectors == sorted(counts, key=lambda s: (-counts[s], s))
    store.delete_many(["jeju-cosmetics"], actor="test")
    assert "cosmetics" not in Directory(store).sectors
    assert directory.countries(["han-generics", "jeju-cosmetics", "nope"]) == {"han-generics": "KR"}


def test_a_restored_backup_with_the_same_revision_shows_its_own_sectors(store: Store, tmp_path):
    """The sector list is cached per database and data revision; a backup of another
    database can carry the same revision, so a restore must change the cache's key."""
    if store.dialect != "sqlite":
        pytest.skip("restore copies a SQLite file (PostgreSQL: pg_restore)")
    other_path = tmp_path / "other.db"
    store.backup_to(other_path)
    with Store.open(other_path) as other:
        other.delete_many(["jeju-cosmetics"], actor="test")  # its sector is no one else's
        while store.revision() < other.revision():  # edits that leave the sectors as they are
            profile = store.get("han-generics")
            store.save(dataclasses.replace(profile, seeks=profile.seeks + " More."), actor="test")
        revision = other.revision()
        assert store.revision() == revision
        other.backup_to(tmp_path / "other-backup.db")
    assert "cosmetics" in Directory(store).sectors  # counted, and cached for this revision
    before = store.database_identity()
    restore_database(tmp_path / "other-backup.db", store.path)  # while `store` stays open
    assert store.revision() == revision and store.database_identity() != before
    assert "cosmetics" not in Directory(store).sectors


def test_the_database_identity_changes_with_a_restore_not_with_a_write(store: Store):
    before = store.database_identity()
    store.delete_many(["jeju-cosmetics"], actor="test")
    assert store.database_identity() == before
    if store.dialect == "postgresql":  # pg_restore drops and creates the tables
        with store._immediate():
            store.db.execute("CREATE TABLE meta_restored AS SELECT * FROM meta")
            store.db.execute("DROP TABLE meta")
            store.db.execute("ALTER TABLE meta_restored RENAME TO meta")
    else:
        store.backup_to(Path(store.path).with_name("copy.db"))
        restore_database(Path(store.path).with_name("copy.db"), store.path)
    assert store.database_identity() != before


def test_migrations_17_and_18_fill_and_reorder_the_rows_of_stored_profiles(store: Store):
    store.delete_many(["quiet-holding"], actor="test")
    before = sorted(store.db.execute("SELECT * FROM name_keys").fetchall())
    assert before
    drop = ["DROP TABLE name_keys", "DROP TRIGGER name_keys_live"]
    if store.dialect == "postgresql":
        drop = [
            "DROP TRIGGER name_keys_live ON companies",
            "DROP FUNCTION name_keys_live()",
            "DROP TABLE name_keys",
        ]
    with store._immediate():
        for statement in drop:
            store.db.execute(statement)
        store.db.execute("DELETE FROM migrations WHERE version IN (17, 18)")
    assert store.migrate() == [17, 18]
    after = sorted(store.db.execute("SELECT * FROM name_keys").fetchall())
    assert after == before
    assert "quiet-holding" not in [e.id for e in Directory(store).suggest("quiet")]


@pytest.mark.parametrize(
    ("prefix", "end"), [("ab", "ac"), ("a\U0010ffff", "b"), ("\ud7ff", "\ue000")]
)
def test_prefix_end_is_the_first_string_after_the_prefix_range(prefix: str, end: str):
    assert prefix_end(prefix) == end


def test_keys_hold_folded_names_romanised_hangul_and_word_tails():
    keys = name_keys("geo-young", "Geo-Young Corporation", "지오영")
    assert "geo-young corporation" in keys.whole and "jioyeong" in keys.whole
    assert "corporation" in keys.words and fold("Geo-Young") == "geo-young"


def test_the_api_list_is_one_page_of_sql_in_id_order(store: Store):
    everyone = [p.id for p in store.list()]
    assert [p.id for p in store.list_page(None, "", 3, 2)] == everyone[2:5]
    korean = [p.id for p in store.list_page("KR", "", 100)]
    assert korean == [p.id for p in store.list(country="KR")]
    assert [p.id for p in store.list_page(None, "Kōks", 100)] == ["vidzeme-wood"]
    assert [p.id for p in store.list_page(None, "cēsis", 100)] == ["vidzeme-wood"]  # the city
    assert store.list_page(None, "%", 100) == [] and store.list_page(None, "_", 100) == []


def test_an_unknown_id_suggests_near_names_from_the_keys(store: Store):
    message = str(store.not_found("baltik-generics"))
    assert "did you mean Baltic Generics (fictional) (baltic-generics)" in message
    assert "did you mean" not in str(store.not_found("zzzz"))


def test_a_typo_early_in_a_later_word_is_found_by_the_words_after_it(store: Store):
    """Between 'acme imrae' and 'acme mirae' lie 300 'acme kappa...' keys, more than
    did-you-mean reads on each side; the word after the typo still leads to it."""
    base = store.get("han-generics")
    crowd = [
        dataclasses.replace(base, id=f"acme-kappa-{i}", name=f"Acme Kappa{i:03d} Pharma")
        for i in range(300)
    ]
    target = dataclasses.replace(base, id="acme-mirae", name="Acme Mirae Labs")
    store.upsert_many([*crowd, target], actor="test")
    assert [e.id for e in Directory(store).did_you_mean("Acme iMrae Labs")][:1] == ["acme-mirae"]
    assert [e.id for e in Directory(store).suggest("acme k", limit=3)] == [
        "acme-kappa-0", "acme-kappa-1", "acme-kappa-2"
    ]
    for text in ("acme", "kappa", "pharma"):  # several 64-row steps of a walk each
        assert [e.id for e in Directory(store).suggest(text, limit=100)] == reference(
            live(store), text, limit=100
        ), text


def test_each_kind_walks_its_own_rows_from_where_the_last_step_stopped(
    store: Store, monkeypatch
):
    """The start of a later word reads word tails only, not every whole key of the same
    prefix before them (9.8 ms a keystroke at a million, 28 ms p95); and a walk's next
    rows start in the index where the last step stopped, not at the prefix again."""
    monkeypatch.setattr(names_module, "ROWS_PER_STEP", 2)  # several steps on the mini set
    assert_directory_follows(store)
    if store.dialect != "sqlite":
        return  # PostgreSQL's plans: docs/benchmarks.md
    seen: list[tuple[str, list]] = []
    execute = store.db.execute

    def recording(sql: str, params: Any = None) -> Any:
        seen.append((sql, list(params or [])))
        return execute(sql, params)

    monkeypatch.setattr(store.db, "execute", recording)
    for kind in (EXACT, STARTS, WORD_STARTS):
        store.names_matching(kind, "g", 8)
    store.names_near("generiks", 2, 5)
    monkeypatch.undo()
    assert any("company_id) >" in sql for sql, _ in seen)  # a step after the first
    for sql, params in seen:
        plan = " ".join(row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "USING PRIMARY KEY (whole=? AND" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)
        if "company_id) >" in sql:
            assert "(key,company_id)>" in plan, (sql, plan)


def test_contains_matches_are_left_out_on_a_large_sqlite_database(store: Store, monkeypatch):
    contained = [e.id for e in Directory(store).suggest("ics")]  # "...diagnostics", no word start
    assert "incheon-diagnostics" in contained
    monkeypatch.setattr(names_module, "CONTAINS_SCAN_MAX_COMPANIES", 5)  # the mini set has 10
    large = [e.id for e in Directory(store).suggest("ics")]
    assert large == (contained if store.dialect == "postgresql" else [])


def test_an_api_page_walks_the_ids_in_order_on_sqlite(store: Store, monkeypatch):
    """A page of GET /api/companies reads the primary key in id order and stops, instead of
    sorting every live row per request (SQLite chose a deleted_at index and a temp B-tree:
    2.4 s for a page at offset 99,000 of 100,000)."""
    if store.dialect != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL walks its primary key by cost")
    everyone = [p.id for p in store.list()]
    seen: list[tuple[str, list]] = []
    query = store.db.query
    monkeypatch.setattr(
        store.db, "query", lambda sql, params: seen.append((sql, params)) or query(sql, params)
    )
    assert [p.id for p in store.list_page(None, "", 2, 1)] == everyone[1:3]
    (sql, params), = seen
    plan = " ".join(row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "TEMP B-TREE" not in plan, plan


def test_a_long_misspelt_text_is_looked_near_a_bounded_number_of_times(store: Store, monkeypatch):
    calls = []
    near = Store.names_near

    def counted(self, *args):
        calls.append(args)
        return near(self, *args)

    monkeypatch.setattr(Store, "names_near", counted)
    store.not_found("-".join(["baltik"] * 2000))  # an id in a URL can be this long
    assert 0 < len(calls) <= 3 * (1 + names_module.NEAR_WORDS)
