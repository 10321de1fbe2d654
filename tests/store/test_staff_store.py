"""The store side of the staff tools: the list query, its indexes and its migration."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from matchmaker.importing import parse_file
from matchmaker.store import StaffFilter, Store, _staff_where, search_key
from matchmaker.store import companies as companies_module
from matchmaker.store import schema as schema_module
from matchmaker.store import staff as staff_module

#: Company columns of migrations after 10 (11: the search key; 14: areas and product types),
#: left out of the rows an older schema is written with.
LATER_COLUMNS = ("search_key", "therapeutic_areas", "modalities")


def _tags_from_json(store: Store) -> set[tuple]:
    """What company_tags must hold, computed from the profiles' JSON lists."""
    sql = (
        "SELECT ?, j.value, c.id, c.deleted_at IS NULL, c.verified, c.country "
        "FROM companies c, json_each(c.{column}) j"
    )
    return {
        row
        for column in ("sectors", "roles")
        for row in store.db.execute(sql.format(column=column), [column]).fetchall()
    }


def _tags(store: Store) -> set[tuple]:
    sql = "SELECT field, value, company_id, live, verified, country FROM company_tags"
    return set(store.db.execute(sql).fetchall())


def test_a_database_from_before_migration_11_gets_search_keys_and_tags(
    tmp_db_path: Path, mini_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """On either engine (a PostgreSQL database too, with MATCHMAKER_TEST_DB=postgresql)."""
    db = tmp_db_path
    original = companies_module._row_from_content  # companies.py imports it by name
    with monkeypatch.context() as patch:
        older = [m for m in schema_module.MIGRATIONS if m[0] < 11]
        patch.setattr(schema_module, "MIGRATIONS", older)
        patch.setattr(
            companies_module,
            "_row_from_content",
            lambda content: {k: v for k, v in original(content).items() if k not in LATER_COLUMNS},
        )
        patch.setattr(Store, "_write_name_keys", lambda *args: None)  # migration 17's rows
        with Store.open(db, create=True) as old:
            old.upsert_many(parse_file(mini_path).profiles, actor="fixture")
            assert not old.db["company_tags"].exists()
            assert old.db["company_names"].exists()
    with Store.open(db) as upgraded:
        page = upgraded.staff_page(StaffFilter(text="vidzemes"))
        assert [row["id"] for row in page.rows] == ["vidzeme-wood"]
        keys = dict(upgraded.db.execute("SELECT id, search_key FROM companies").fetchall())
        for p in upgraded.list():
            assert keys[p.id] == search_key(p.id, p.name, p.name_local, p.city)
        assert len(_tags(upgraded)) == 16 and _tags(upgraded) == _tags_from_json(upgraded)
        assert not upgraded.db["company_names"].exists()


def test_tags_follow_every_kind_of_write(store: Store):
    profile = store.get("han-generics")
    profile.sectors = ["generics", "oncology", "generics"]  # a repeat is one tag
    profile.roles = ["manufacturer"]
    store.save(profile, actor="colleague")
    store.set_verified(["han-generics", "busan-biologics"], True, actor="colleague")
    store.delete_many(["jeju-cosmetics"], actor="colleague")
    store.set_deleted("vidzeme-wood", True, actor="colleague")
    store.set_deleted("vidzeme-wood", False, actor="colleague")
    store.merge(store.get("baltic-generics"), "daugava-lab-supply", actor="colleague")
    assert _tags(store) == _tags_from_json(store)
    assert ("sectors", "oncology", "han-generics", 1, 1, "KR") in _tags(store)
    assert ("roles", "manufacturer", "han-generics", 1, 1, "KR") in _tags(store)
    assert ("sectors", "cosmetics", "jeju-cosmetics", 0, 0, "KR") in _tags(store)
    store.db.execute("DELETE FROM companies WHERE id = 'quiet-holding'")
    assert not [t for t in _tags(store) if t[2] == "quiet-holding"]


def test_search_key_follows_edits(store: Store):
    profile = store.get("han-generics")
    for city in ("Ulsan", "Daegu", "Ulsan"):
        profile.city = city
        store.save(profile, actor="colleague")
    key = store.db.execute("SELECT search_key FROM companies WHERE id = 'han-generics'")
    assert key.fetchone()[0] == search_key("han-generics", profile.name, None, "Ulsan")
    assert [r["id"] for r in store.staff_page(StaffFilter(text="ulsan")).rows] == ["han-generics"]


def _reference(store: Store, where: StaffFilter, sort: str) -> list[str]:
    """The ids the list must show, filtered and sorted in Python from whole profiles."""
    rows = store.db.execute(
        "SELECT id, name, country, updated_at, search_key, deleted_at FROM companies"
    ).fetchall()
    profiles = {p.id: p for p in store.list(include_deleted=True)}
    chosen = []
    for company_id, name, country, updated, key, deleted in rows:
        p = profiles[company_id]
        if bool(deleted) != where.deleted:
            continue
        if search_key(where.text) not in key:
            continue
        if where.country and country != where.country:
            continue
        if where.sector and where.sector not in p.sectors:
            continue
        if where.role and where.role not in p.roles:
            continue
        if where.verified is not None and p.verified != where.verified:
            continue
        if where.changed_since and updated < where.changed_since:
            continue
        chosen.append((company_id, name.casefold(), country, updated))
    keys = {
        "name": lambda r: (r[1], r[0]),
        "country": lambda r: (r[2], r[1], r[0]),
        "updated": lambda r: (r[3], r[0]),
    }
    ordered = sorted(chosen, key=keys[sort.lstrip("-")], reverse=sort.startswith("-"))
    return [r[0] for r in ordered]


FILTERS = [
    StaffFilter(),
    StaffFilter(text="ri"),
    StaffFilter(text="GENERICS  fictional"),
    StaffFilter(text="seoul pharma"),
    StaffFilter(text="pharma seoul"),
    StaffFilter(text="  Rīga "),
    StaffFilter(text="%"),
    StaffFilter(country="KR"),
    StaffFilter(sector="pharmaceuticals"),
    StaffFilter(sector="pharmaceuticals", verified=True, country="KR"),
    StaffFilter(sector="distribution", text="riga"),
    StaffFilter(role="manufacturer"),
    StaffFilter(verified=False, changed_since="2000-01-01"),
    StaffFilter(deleted=True),
    StaffFilter(deleted=True, sector="cosmetics"),
]


@pytest.mark.parametrize(
    "few, cap, text_cap", [(1_000, 10_000, 1_000), (2, 3, 3), (0, 1, 1), (2, 4, 2), (3, 5, 1)]
)
def test_every_filter_sort_and_page_matches_a_plain_python_reference(
    store: Store, monkeypatch: pytest.MonkeyPatch, few: int, cap: int, text_cap: int
):
    """Both ways of reading a page (few matches sorted, or the sort's index walked from
    either end) and the capped counts give what a plain filter-and-sort gives."""
    monkeypatch.setattr(staff_module, "STAFF_FEW_MATCHES", few)
    monkeypatch.setattr(staff_module, "STAFF_COUNT_CAP", cap)
    monkeypatch.setattr(staff_module, "STAFF_TEXT_COUNT_CAP", text_cap)
    used = _record_page_readers(monkeypatch)
    store.set_verified(["han-generics", "seoul-pharma-distribution"], True, actor="colleague")
    store.delete_many(["jeju-cosmetics"], actor="colleague")
    profile = store.get("busan-biologics")
    profile.roles = ["manufacturer"]
    store.save(profile, actor="colleague")
    for where, sort in itertools.product(FILTERS, staff_module.STAFF_SORTS):
        expected = _reference(store, where, sort)
        shown = []
        for number in range(1, 6):
            page = store.staff_page(where, sort, page=number, per_page=2)
            if page.page != number:
                break
            shown += [row["id"] for row in page.rows]
            if page.capped:
                limit = text_cap if search_key(where.text) else cap
                assert page.total == limit < len(expected), (where, sort)
            else:
                assert page.total == len(expected), (where, sort)
        assert shown == expected, (where, sort)
        assert store.staff_count(where) == len(expected)
    # the caps patched above are the ones the store reads: each way was really taken
    assert used["sorted"]  # a few matches (no match at all, with few = 0)
    assert used["walked"] if few < 10 else not used["walked"]  # the mini data has 10 profiles
    assert used["walked_back"] or few >= 3


def _record_page_readers(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count how often each way of reading a page runs (the real methods still run)."""
    used = {"sorted": 0, "walked": 0, "walked_back": 0}
    mixin = staff_module.StaffListMixin
    rows_of, walked = mixin._staff_rows_of, mixin._staff_rows_walked

    def sorted_page(self, ids, *args):
        used["sorted"] += 1
        return rows_of(self, ids, *args)

    def walked_page(self, where, sort, offset, limit, total):
        used["walked"] += 1
        used["walked_back"] += total is not None and offset > total // 2
        return walked(self, where, sort, offset, limit, total)

    monkeypatch.setattr(mixin, "_staff_rows_of", sorted_page)
    monkeypatch.setattr(mixin, "_staff_rows_walked", walked_page)
    return used


def test_last_page_of_a_capped_list_counts_them_all(store: Store, monkeypatch):
    monkeypatch.setattr(staff_module, "STAFF_FEW_MATCHES", 0)
    monkeypatch.setattr(staff_module, "STAFF_COUNT_CAP", 3)
    first = store.staff_page(StaffFilter(), page=1, per_page=2)
    assert (first.total, first.capped, first.pages) == (3, True, 2)
    last = store.staff_page(StaffFilter(), page=10**9, per_page=2)
    assert (last.page, last.total, last.capped) == (5, 10, False)
    assert [r["id"] for r in last.rows] == _reference(store, StaffFilter(), "name")[-2:]


def test_search_key_folds_accents_case_and_hangul_like_the_type_ahead():
    from matchmaker.lookup import fold

    for text in ("Rīgas Farmaceitiskā Fabrika", "셀트리온", "ĶEKAVA  Pharma", "Grindeks AS"):
        assert search_key(text) == fold(text)
    assert "riga" in search_key("Rīga")


def test_page_past_the_end_is_the_last_page_and_counts_stay_right(store: Store):
    page = store.staff_page(StaffFilter(), page=99, per_page=3)
    assert (page.page, page.pages, page.total, len(page.rows)) == (4, 4, 10, 1)
    empty = store.staff_page(StaffFilter(text="nothing like this"), page=5)
    assert (empty.page, empty.pages, empty.total, empty.rows) == (1, 1, 0, [])


def test_set_verified_refuses_a_stale_version_and_writes_nothing(store: Store):
    from matchmaker.store import StaleEditError

    version = store.get("han-generics").version
    before = store.history("han-generics")
    with pytest.raises(StaleEditError):
        store.set_verified(["han-generics"], True, "staff", expected_version=version - 1)
    assert store.history("han-generics") == before and not store.get("han-generics").verified


def test_on_postgresql_migration_11_leaves_a_trigram_index_and_tag_triggers(store: Store):
    """The PostgreSQL form of migration 11 (run with MATCHMAKER_TEST_DB=postgresql)."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL's form of migration 11")
    indexes = {row[0] for row in store.db.execute("SELECT indexname FROM pg_indexes")}
    assert {"companies_search_key", "companies_staff_name", "company_tags_count"} <= indexes
    assert "company_names_folded" not in indexes and not store.db["company_names"].exists()
    clause, params = _staff_where(StaffFilter(text="generics"), store.dialect)
    clause, params = clause.split(" AND ")[1], params[:1]  # the text search alone
    assert clause.startswith("search_key LIKE")
    # 10 rows: the planner would read them all, or a whole sort index; at 100k it need not
    scans = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
    for setting in scans:
        store.db.execute(f"SET {setting} = off")
    try:
        plan = store.db.execute(f"EXPLAIN SELECT id FROM companies WHERE {clause}", params)
        assert "companies_search_key" in str(plan.fetchall())
    finally:
        for setting in scans:
            store.db.execute(f"RESET {setting}")
    store.db.execute("UPDATE companies SET sectors = '[\"x\", \"x\"]' WHERE id = 'han-generics'")
    assert ("sectors", "x", "han-generics", 1, 0, "KR") in _tags(store)
    assert _tags(store) == _tags_from_json(store)
