"""The store side of the staff tools: the list query, the name index and its migration."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.importing import parse_file
from matchmaker.store import StaffFilter, Store, name_rowid, search_key
from matchmaker.store import schema as store_module


def test_a_database_from_before_migration_10_gets_its_names_indexed(
    tmp_path: Path, mini_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = tmp_path / "old.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", [m for m in store_module.MIGRATIONS if m[0] < 10])
        patch.setattr(Store, "_index_name", lambda self, profile: None)  # as before migration 10
        with Store.open(db, create=True) as old:
            old.upsert_many(parse_file(mini_path).profiles, actor="fixture")
            assert not old.db["company_names"].exists()
    with Store.open(db) as upgraded:
        page = upgraded.staff_page(StaffFilter(text="vidzemes"))
        assert [row["id"] for row in page.rows] == ["vidzeme-wood"]
        assert upgraded.db.execute("SELECT COUNT(*) FROM company_names").fetchone()[0] == 10


def test_name_index_follows_edits_and_keeps_one_row_per_company(store: Store):
    profile = store.get("han-generics")
    for city in ("Ulsan", "Daegu", "Ulsan"):
        profile.city = city
        store.save(profile, actor="colleague")
    rows = store.db.execute(
        "SELECT id, folded FROM company_names WHERE rowid = ?", [name_rowid("han-generics")]
    ).fetchall()
    assert rows == [("han-generics", search_key("han-generics", profile.name, None, "Ulsan"))]
    assert store.db.execute("SELECT COUNT(*) FROM company_names").fetchone()[0] == 10


def test_search_key_folds_accents_case_and_hangul_like_the_type_ahead():
    from matchmaker.web.lookup import fold

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
