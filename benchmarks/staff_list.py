"""Staff list benchmark: the paginated list against the old one-page list, same run.

Run from the repository root::

    .venv/bin/python benchmarks/staff_list.py            # 5,000 and 100,000 profiles
    .venv/bin/python benchmarks/staff_list.py --quick    # 300 and 2,000: a smoke run

Every profile is SYNTHETIC (``benchmarks/synthetic.py``: names start with
"Synthetic", ids with ``syn-``), written with ``Store.upsert_many`` into a
temporary database, so ``data/`` is never touched. The list needs no vectors.

Each request goes through the whole Flask app as a logged-in staff member
(``app.test_client()``: routing, session, CSRF, SQL, template), which is the
server-side time; the network and the browser are left out. The baseline is the
old staff page, all profiles on one page (``store.list()`` rendered with the old
``staff/companies.html``), in the same process on the same database. Figures are
the median and 95th percentile per request kind and the size of the page, and
the same for the store call alone (``Store.staff_page`` or ``staff_count``, timed
with ``time.perf_counter`` inside the process), and that call's CPU time
(``time.thread_time``): on a loaded machine, where a request waits for a core,
the CPU time shows what the SQL itself costs.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

from flask import Flask, g, render_template  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from benchmarks.synthetic import make_profile  # noqa: E402
from matchmaker.store import Store, _row_from_content  # noqa: E402
from matchmaker.web import create_app  # noqa: E402
from matchmaker.web.auth import hash_password  # noqa: E402
from matchmaker.web.resources import get_store  # noqa: E402

USER, PASSWORD = "bench", "benchmark-password-long-enough"
#: What staff ask the list for (path and query string), each timed separately.
REQUESTS: list[tuple[str, str]] = [
    ("first page", "/staff/"),
    ("page 40 of 50 a page", "/staff/?page=40"),
    ("last page", "/staff/?page=1000000"),
    ("country LV, recently changed", "/staff/?country=LV&sort=-updated"),
    ("sector + verified", "/staff/?sector=medical+devices&verified=yes"),
    ("changed since", "/staff/?since=2000-01-01&sort=-name"),
    ("search a name (one match)", "/staff/?q={rare}"),
    ("search a word (common)", "/staff/?q=pharma"),
    ("search 2 letters", "/staff/?q=ri"),
    ("export page (count)", "/staff/export?country=KR"),
]


def build_database(path: Path, size: int, seed: int) -> float:
    """``size`` synthetic profiles (every 7th verified); returns the seconds it took.

    Rows go in with one bulk insert (each with its search key, its sectors and
    roles filled into ``company_tags`` by the table's triggers): ``upsert_many``
    (an audit entry per profile) would take over 10 minutes at 100k on a busy
    machine, and the list reads neither the audit nor the vectors.
    """
    started = time.perf_counter()
    stamp = "2026-01-01T00:00:00+00:00"
    with Store.open(path, create=True, synchronous="OFF") as store:
        rows = []
        for i in range(size):
            profile = make_profile(i, seed)
            profile.verified = i % 7 == 0
            changed = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00+00:00"
            rows.append(
                _row_from_content(profile.content())
                | {"version": 1, "created_at": stamp, "updated_at": changed, "deleted_at": None}
            )
        with store.db.conn:
            store.db["companies"].insert_all(rows, batch_size=2000)
            old_name_index = getattr(store, "_index_all_names", None)
            if old_name_index:  # the code before migration 11, run as the baseline
                old_name_index()
        store.add_user(USER, hash_password(PASSWORD))
    return time.perf_counter() - started


def logged_in_client(path: Path) -> tuple[Flask, FlaskClient]:
    app = create_app(
        {
            "TESTING": True,
            "DB": str(path),
            "MODEL": "hashing",
            "SECRET_KEY": "benchmark-secret-key-long-enough-for-anything",
            "RATE_LIMIT_STAFF": "100000000 per minute",
            "RATE_LIMIT_API": "100000000 per minute",
        }
    )
    client = app.test_client()
    token = client.get("/api/session").get_json()["csrf_token"]
    answer = client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, "benchmark login failed"
    return app, client


def old_full_page(app: Flask) -> Callable[[], bytes]:
    """The staff list before pagination: every profile read whole and rendered on one page."""

    def render() -> bytes:
        with app.test_request_context("/staff/"):
            g.user = USER
            profiles = get_store().list()
            return render_template(
                "staff/companies.html", profiles=profiles, q="", show="live"
            ).encode()

    return render


#: Seconds (wall, CPU) spent inside the store's staff-list calls during the current request.
STORE_SECONDS: list[tuple[float, float]] = []


def time_store_calls() -> None:
    """Wrap the store's staff-list entry points so each call's time lands in STORE_SECONDS."""
    for name in ("staff_page", "staff_count"):
        method = getattr(Store, name, None)
        if method is None or getattr(method, "_timed", False):
            continue

        def wrapper(self, *args, _method=method, **kwargs):
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return _method(self, *args, **kwargs)
            finally:
                STORE_SECONDS.append(
                    (time.perf_counter() - started, time.thread_time() - cpu)
                )

        wrapper._timed = True  # type: ignore[attr-defined]
        setattr(Store, name, wrapper)


def timed(
    call: Callable[[], bytes], repeat: int
) -> tuple[list[tuple[float, float]], int, list[tuple[float, float]]]:
    """Request times (wall, CPU), the page size, and the store's share of each request."""
    call()  # warm: templates compiled, pages in the OS cache
    times, size, store_times = [], 0, []
    for _ in range(repeat):
        STORE_SECONDS.clear()
        started, cpu = time.perf_counter(), time.thread_time()
        body = call()
        times.append((time.perf_counter() - started, time.thread_time() - cpu))
        store_times.append(tuple(map(sum, zip(*STORE_SECONDS, strict=True))) or (0.0, 0.0))
        size = len(body)
    return times, size, store_times


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_size(
    size: int,
    repeat: int,
    baseline_repeat: int,
    seed: int,
    baseline_max: int,
    keep: Path | None = None,
) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = (keep or Path(folder)) / f"staff-{size}-seed{seed}.db"
        if path.exists():  # built by an earlier run with --keep (same code, same profiles)
            print(f"{size:,} synthetic profiles: reusing {path}", flush=True)
        else:
            built = build_database(path, size, seed)
            print(f"{size:,} synthetic profiles written in {built:.1f} s", flush=True)
        app, client = logged_in_client(path)
        time_store_calls()
        rare = quote_plus(make_profile(size // 3, seed).name.lower())
        first: tuple[list[tuple[float, float]], int, list] = ([(1.0, 1.0)], 1, [])
        for label, url in REQUESTS:
            url = url.format(rare=rare)

            def get(url: str = url) -> bytes:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response.get_data()

            times, body, store_times = timed(get, repeat)
            rows.append(_row(size, label, times, body, store_times))
            first = first if label != "first page" else (times, body, store_times)
        if size > baseline_max:
            print(f"at {size:,}: baseline skipped (--baseline-max {baseline_max:,})")
            return rows
        times, body, _ = timed(old_full_page(app), baseline_repeat)
        rows.append(_row(size, "OLD: one page of all (baseline)", times, body, None))
        old_p95 = percentile([t[0] for t in times], 0.95)
        new_p95 = percentile([t[0] for t in first[0]], 0.95)
        print(
            f"at {size:,}: old full page / new first page: p95 "
            f"{old_p95 / new_p95:,.0f}x slower, "
            f"{body / first[1]:,.0f}x larger",
            flush=True,
        )
    return rows


def _row(
    size: int,
    label: str,
    measured: list[tuple[float, float]],
    body: int,
    store_times: list[tuple[float, float]] | None,
) -> list[str]:
    times, cpu_times = [t[0] for t in measured], [t[1] for t in measured]
    store = ["", "", ""]
    if store_times:
        wall, cpu = [t[0] for t in store_times], [t[1] for t in store_times]
        store = [
            f"{statistics.median(wall) * 1e3:,.1f}",
            f"{percentile(wall, 0.95) * 1e3:,.1f}",
            f"{percentile(cpu, 0.95) * 1e3:,.1f}",
        ]
    return [
        f"{size:,}",
        label,
        f"{statistics.median(times) * 1e3:,.1f}",
        f"{percentile(times, 0.95) * 1e3:,.1f}",
        f"{percentile(cpu_times, 0.95) * 1e3:,.1f}",
        *store,
        f"{body / 1024:,.0f}",
        str(len(times)),
    ]


def main(argv: list[str] | None = None) -> list[list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None, help="comma-separated profile counts")
    parser.add_argument("--repeat", type=int, default=None, help="requests per kind")
    parser.add_argument("--baseline-repeat", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=10**9,
        help="skip the old full page above this many profiles (it takes minutes at 100k)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the databases in this folder and reuse them (building 100k takes minutes)",
    )
    args = parser.parse_args(argv)
    default_sizes = "300,2000" if args.quick else "5000,100000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    repeat = args.repeat or (5 if args.quick else 40)
    baseline_repeat = args.baseline_repeat or (2 if args.quick else 5)
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    rows = []
    for size in sizes:
        rows += run_size(size, repeat, baseline_repeat, args.seed, args.baseline_max, args.keep)
    header = [
        "profiles",
        "request",
        "median ms",
        "p95 ms",
        "CPU p95 ms",
        "store median ms",
        "store p95 ms",
        "store CPU p95 ms",
        "page KB",
        "requests",
    ]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"load average at end: {os.getloadavg()}")
    return rows


if __name__ == "__main__":
    main()
