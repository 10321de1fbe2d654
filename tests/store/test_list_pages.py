"""Pages of live companies in id order (``Store.list_page``, ``GET /api/companies``), on both
engines: by offset, and after the last id of the previous page (keyset paging).

What a page holds is checked against a plain reading of the rule computed here from the
profiles themselves; a walk must meet every company that lives throughout exactly once
whatever is created or deleted between its pages; and a filtered page must be a range of
one index in id order, never a sort of every match (the query plans, on a store of a few
thousand rows where the planner has a choice to make).
"""

from __future__ import annotations

import random

import pytest

from matchmaker.profiles import Profile, validate_profile
from matchmaker.store import Store, _row_from_content, search_key

#: (country, text) listings: none, each country, texts in ids, names and cities, both, none.
LISTINGS = [
    (None, ""), ("LV", ""), ("KR", ""), (None, "generics"), (None, "SEOUL"), (None, "rīga"),
    ("KR", "pharma"), ("LV", "koks"), ("LV", "CĒSIS"), (None, "no such company"), (None, "%"),
    (None, "_"),
]  # fmt: skip


def expected(store: Store, country: str | None, text: str) -> list[str]:
    """The ids a listing holds, by its definition: live, in the country, the folded text in
    the id, a name or the city; in id order."""
    key = search_key(text)
    return sorted(
        p.id
        for p in store.list()
        if (not country or p.country == country)
        and key in search_key(p.id, p.name, p.name_local, p.city)
    )


def walk(store: Store, country: str | None, text: str, size: int) -> list[str]:
    """Every id of a listing, page by page, each page after the last id of the one before."""
    seen: list[str] = []
    after = None
    while True:
        page = [p.id for p in store.list_page(country, text, size, after=after)]
        seen += page
        if len(page) < size:
            return seen
        after = page[-1]


def fictional(company_id: str, country: str = "LV") -> Profile:
    return validate_profile(
        {
            "id": company_id,
            "name": f"Paging {company_id} (fictional)",
            "country": country,
            "city": "Valmiera" if country == "LV" else "Busan",
            "description": "Fictional company for the paging tests.",
            "source": "test fixture (fictional)",
        }
    )


@pytest.mark.parametrize(("country", "text"), LISTINGS)
def test_a_walk_after_each_last_id_is_the_whole_listing_in_id_order(store: Store, country, text):
    store.set_deleted("han-generics", True, "staff")  # deleted companies are never listed
    wanted = expected(store, country, text)
    assert [p.id for p in store.list_page(country, text, 100)] == wanted
    for size in (1, 2, 3):
        assert walk(store, country, text, size) == wanted
        assert [p.id for p in store.list_page(country, text, size, offset=1)] == wanted[1:][:size]


def test_after_an_id_that_no_longer_exists_or_never_did_resumes_past_it(store: Store):
    everyone = expected(store, None, "")
    gone = everyone[3]
    store.set_deleted(gone, True, "staff")
    assert [p.id for p in store.list_page(None, "", 2, after=gone)] == everyone[4:6]
    assert [p.id for p in store.list_page(None, "", 100, after="a")] == expected(store, None, "")
    assert store.list_page(None, "", 100, after=everyone[-1]) == []
    assert store.list_page(None, "", 100, after="\U0010ffff") == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_companies_created_and_deleted_between_pages_never_duplicate_or_skip_the_rest(
    store: Store, seed: int
):
    """Between any two pages, companies are created (before and past the cursor), deleted
    and restored; every company live from the first page to the last is met once."""
    rng = random.Random(seed)
    store.upsert_many([fictional(f"m-{n:03d}", rng.choice(["LV", "KR"])) for n in range(30)], "t")
    live_at_start = set(expected(store, None, ""))
    ever_gone: set[str] = set()
    seen: list[str] = []
    after, created = None, 0
    while True:
        page = [p.id for p in store.list_page(None, "", 4, after=after)]
        seen += page
        if len(page) < 4:
            break
        after = page[-1]
        for _ in range(rng.randint(0, 3)):
            created += 1
            store.create(fictional(f"{rng.choice('abmz')}-new-{created:03d}"), "t")
        live = expected(store, None, "")
        for company_id in rng.sample(live, k=min(len(live), rng.randint(0, 2))):
            store.set_deleted(company_id, True, "t")
            ever_gone.add(company_id)
        if ever_gone and rng.random() < 0.3:
            store.set_deleted(rng.choice(sorted(ever_gone)), False, "t")
    assert seen == sorted(set(seen)), "a page repeated a company or went back"
    throughout = live_at_start - ever_gone
    assert throughout <= set(seen), f"skipped: {sorted(throughout - set(seen))}"


# -- the query plans -------------------------------------------------------------------------

#: Companies in the plan tests: enough that reading every match and sorting it costs more
#: than walking an index in order, so PostgreSQL's planner (after ANALYZE) has a real choice.
MANY = 3000


def add_many(store: Store, count: int = MANY) -> None:
    """``count`` companies in one transaction, LV and KR ids interleaved, one in ten deleted."""
    stamp = "2026-01-01T00:00:00+00:00"
    rows = []
    for n in range(count):
        row = _row_from_content(fictional(f"plan-{n:05d}", "LV" if n % 2 else "KR").content())
        deleted = stamp if n % 10 == 0 else None
        meta = {"version": 1, "created_at": stamp, "updated_at": stamp, "deleted_at": deleted}
        rows.append(row | meta)
    columns = list(rows[0])
    sql = f"INSERT INTO companies ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    with store._immediate():
        store.db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
    if store.dialect == "postgresql":  # what autovacuum would do after a bulk load
        store.db.execute("ANALYZE companies")


def page_plan(store: Store, country: str | None, text: str, after: str) -> str:
    """The plan of the statement ``list_page`` runs for a page after ``after``."""
    seen: list[tuple[str, list]] = []
    query = store.db.query
    store.db.query = lambda sql, params, **kw: (
        seen.append((sql, params)) or query(sql, params, **kw)
    )
    try:
        store.list_page(country, text, 101, after=after)
    finally:
        del store.db.query
    ((sql, params),) = seen
    if store.dialect == "postgresql":
        rows = store.db.execute(f"EXPLAIN {sql}", params).fetchall()
    else:
        rows = store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("country", "text", "index"),
    [
        ("LV", "valmiera", "companies_live_country"),
        ("KR", "", "companies_live_country"),
        (None, "paging", "companies_live_id"),
        (None, "", "companies_live_id"),
    ],
)
def test_a_page_after_a_cursor_is_a_range_of_one_index_in_id_order(
    store: Store, country, text, index
):
    """No sort of every match: a page reads an index from the cursor on and stops when full.

    Before migration 19, SQLite sorted every live row by id for each filtered page.
    PostgreSQL (no migration-19 indexes: measured needless) walks its primary key from
    the cursor, filtering as it goes.
    """
    add_many(store)
    plan = page_plan(store, country, text, after="plan-01500")
    if store.dialect == "sqlite":
        assert f"USING INDEX {index} (" in plan and "id>?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        return
    assert "Sort" not in plan and "Seq Scan" not in plan, plan
    assert "Index Scan using companies_pkey" in plan, plan
    assert "Index Cond: (id > 'plan-01500'::text)" in plan, plan


def test_on_postgresql_every_page_is_planned_for_its_cursor(store: Store):
    """Never a generic plan: psycopg prepares a statement run five times on a connection,
    and PostgreSQL's generic plan for a page, blind to the cursor and the limit, read and
    sorted every match past the cursor for each page (37 ms against 0.8 ms at 100,000).
    Each connection plans every statement for its values (store.postgres.CUSTOM_PLANS)."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    add_many(store, 300)
    pages = [store.list_page("LV", "valmiera", 5, after=f"plan-{n * 20:05d}") for n in range(10)]
    assert all(len(page) <= 5 for page in pages)
    assert store.db.execute("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
    prepared = store.db.execute(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%ORDER BY id LIMIT%'"
    ).fetchall()
    assert prepared and all(generic == 0 and custom > 0 for generic, custom in prepared)


def test_migration_19_indexes_a_stored_database_on_sqlite_only(store: Store):
    """Upgrading a database made before it: SQLite gets the two live-row indexes (pages
    unchanged), PostgreSQL nothing (its planner needs none, docs/benchmarks.md)."""
    before = [p.id for p in store.list_page("KR", "", 3, after="a")]
    with store._immediate():
        if store.dialect == "sqlite":
            store.db.execute("DROP INDEX companies_live_id")
            store.db.execute("DROP INDEX companies_live_country")
        store.db.execute("DELETE FROM migrations WHERE version = 19")
    assert store.migrate() == [19]
    if store.dialect == "sqlite":
        names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master").fetchall()}
    else:
        names = {r[0] for r in store.db.execute("SELECT indexname FROM pg_indexes").fetchall()}
    live = {"companies_live_id", "companies_live_country"}
    assert live <= names if store.dialect == "sqlite" else not live & names
    assert [p.id for p in store.list_page("KR", "", 3, after="a")] == before


def test_a_page_of_a_database_restored_from_before_migration_19_is_served(store: Store):
    """A backup from before migration 19 restored under a running server, not migrated
    yet: its pages come without the index hint (slower), never a 500."""
    before = [p.id for p in store.list_page("KR", "", 3, after="a")]
    if store.dialect == "sqlite":
        with store._immediate():
            store.db.execute("DROP INDEX companies_live_id")
            store.db.execute("DROP INDEX companies_live_country")
    assert [p.id for p in store.list_page("KR", "", 3, after="a")] == before
    assert [p.id for p in store.list_page(None, "", 3, after="a")]
