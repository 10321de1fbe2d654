"""Live-import benchmark: search latency on a running server while ``matchmaker import`` runs.

Run from the repository root::

    .venv/bin/python benchmarks/live_import.py            # 1,000 new profiles, 20 readers
    .venv/bin/python benchmarks/live_import.py --quick    # 100 new profiles, 30 s
    PYTHONPATH=/tmp/mm-9d5ee86/src .venv/bin/python benchmarks/live_import.py  # another commit

Everything is real: ``matchmaker serve`` (waitress, 4 threads, the real model) in a
child process over a temporary database seeded with ``data/companies.jsonl``;
``--readers`` threads that search over HTTP one request after another (company
matches as JSON, the HTML results page, free-text search); and ``matchmaker
import`` of ``--new`` SYNTHETIC profiles (``benchmarks/synthetic.py``) in a second
child process against the same database file. Server and import run the code on
``PYTHONPATH`` (the environment lines say which), so the same script measures an
older commit exported with ``git archive``.

Two phases, in one run on one server: *idle* (readers only, ``--idle-seconds``)
and *import* (from starting the import until the server answers for the last new
company, i.e. the new profiles are searchable). Each prints the count, median,
p95 and worst latency of the searches *started* in it, and the errors; then the
ratio of the p95s. Then how promptly a staff edit shows: a PATCH of one shipped
company through the API ``--edit-after`` seconds into the import, and one after the
new profiles are searchable, each followed at once by a type-ahead lookup of that
company. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote
from urllib.request import HTTPCookieProcessor, Request, build_opener

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_profiles  # noqa: E402

import matchmaker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_DATA = ROOT / "data" / "companies.jsonl"
STAFF, PASSWORD = "bench", "a long benchmark password"
#: The shipped company whose city the benchmark edits through the API.
EDITED = "grindeks"


@dataclass
class Sample:
    started: float
    seconds: float
    status: int
    kind: str


@dataclass
class Readers:
    """Threads that search one request after another until told to stop."""

    port: int
    count: int
    queries: list[tuple[str, str]]
    think: float
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for i in range(self.count):
            thread = threading.Thread(target=self._read, args=(i,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _read(self, seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        while not self.stop.is_set():
            kind, url = rng.choice(self.queries)
            started = time.monotonic()
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            with self.lock:
                self.samples.append(Sample(started, time.monotonic() - started, status, kind))
            if self.think:
                time.sleep(rng.uniform(0, 2 * self.think))
        conn.close()

    def between(self, start: float, end: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if start <= s.started < end]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    environment(args)
    with tempfile.TemporaryDirectory(prefix="mm-live-") as tmp:
        run(args, Path(tmp))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--new", type=int, default=None, help="profiles imported (1000)")
    parser.add_argument("--readers", type=int, default=20, help="concurrent searchers (20)")
    parser.add_argument("--idle-seconds", type=float, default=None, help="idle phase (30)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between searches")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads (4)")
    parser.add_argument("--model", default=None, help="MATCHMAKER_MODEL for server and import")
    parser.add_argument("--quick", action="store_true", help="100 profiles, 10 s idle")
    parser.add_argument(
        "--edit-after", type=float, default=10.0, help="seconds into the import of the web edit"
    )
    parser.add_argument(
        "--seed-cache",
        type=Path,
        default=None,
        help="a file to keep the seeded database in and reuse (same model, same data)",
    )
    args = parser.parse_args(argv)
    args.new = args.new or (100 if args.quick else 1000)
    args.idle_seconds = args.idle_seconds or (10.0 if args.quick else 30.0)
    return args


def environment(args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print("# Live-import benchmark (synthetic profiles)")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"matchmaker from: {Path(matchmaker.__file__).parent}")
    print(f"commit: {_git('rev-parse', '--short', 'HEAD')}")
    print(f"usable CPUs: {len(os.sched_getaffinity(0))}; load average {load[0]:.2f}")
    print(
        f"new profiles: {args.new}; readers: {args.readers}; think time: {args.think} s; "
        f"waitress threads: {args.threads}"
    )


def run(args: argparse.Namespace, tmp: Path) -> None:
    env = child_env(args)
    db = tmp / "live.db"
    seed(env, db, args.seed_cache)
    new_file = tmp / "new.jsonl"
    profiles = make_profiles(args.new, seed=12)
    with new_file.open("w", encoding="utf-8") as out:
        for profile in profiles:
            out.write(json.dumps(profile.content(), ensure_ascii=False) + "\n")
    subprocess.run(
        [*matchmaker_argv(), "user", "add", STAFF, "--password-stdin", "--db", str(db)],
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = tmp / "server.log"
    server = subprocess.Popen(
        [*matchmaker_argv(), "serve", "--db", str(db), "--port", str(port),
         "--threads", str(args.threads)],  # fmt: skip
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: waitress logs a line per queued request, and a pipe nobody
        # reads fills up and stops the server mid-run.
        stderr=log.open("w"),
    )
    try:
        wait_until_serving(port, server, log)
        measure(args, env, port, db, new_file, profiles[-1].id)
    finally:
        server.terminate()
        server.wait(timeout=30)
        errors = log.read_text(errors="replace")
        if "Traceback" in errors:
            print("server errors:\n" + errors[-3000:])


def seed(env: dict, db: Path, cache: Path | None) -> None:
    """The shipped companies, imported and embedded (or copied from an earlier run's cache)."""
    if cache is not None and cache.is_file():
        shutil.copyfile(cache, db)
        print(f"seeded from {cache}")
        return
    started = time.monotonic()
    matchmaker_cmd(env, "import", str(SEED_DATA), "--db", str(db), check=True)
    print(f"seeded {SEED_DATA.name} in {time.monotonic() - started:.1f} s")
    if cache is not None:
        with sqlite3.connect(db) as source, sqlite3.connect(cache) as target:
            source.backup(target)


def measure(
    args: argparse.Namespace, env: dict, port: int, db: Path, new_file: Path, last_id: str
) -> None:
    readers = Readers(port, args.readers, search_urls(), args.think)
    readers.start()
    time.sleep(2)  # connections made, caches warm
    idle_start = time.monotonic()
    time.sleep(args.idle_seconds)
    import_start = time.monotonic()
    importer = subprocess.Popen(
        [*matchmaker_argv(), "import", str(new_file), "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ended: dict[str, object] = {}

    def wait_for_import() -> None:
        ended["output"], _ = importer.communicate()
        ended["at"] = time.monotonic()

    waiter = threading.Thread(target=wait_for_import, daemon=True)
    waiter.start()
    edits: list[tuple[str, float, bool]] = []
    editor = threading.Thread(
        target=lambda: edits.append(("during import", *staff_edit(port, "Valmiera"))),
        daemon=True,
    )
    timer = threading.Timer(args.edit_after, editor.start)
    timer.start()
    searchable = None
    while searchable is None:
        if status_of(port, f"/api/companies/{last_id}/matches") == 200:
            searchable = time.monotonic()
        elif importer.poll() not in (None, 0):
            readers.finish()
            waiter.join()
            raise SystemExit(f"the import failed:\n{ended['output']}")
        time.sleep(0.25)
    waiter.join()
    output, import_end = str(ended["output"]), float(ended["at"])  # type: ignore[arg-type]
    timer.join()
    editor.join()
    edits.append(("after the swap", *staff_edit(port, "Cēsis")))
    readers.finish()
    idle = readers.between(idle_start, import_start)
    during = readers.between(import_start, searchable)
    print(f"\nimport: exit {importer.returncode}, {output.strip().splitlines()[-1]}")
    print(f"import wall time: {import_end - import_start:.1f} s")
    print(f"new profiles searchable {searchable - import_start:.1f} s after the import started")
    print("\n| phase | searches | median (ms) | p95 (ms) | worst (ms) | errors |")
    print("|---|---|---|---|---|---|")
    for name, samples in (("idle", idle), ("during import", during)):
        print(table_row(name, samples))
    print("\nby kind, during import:")
    for kind in sorted({s.kind for s in during}):
        print(table_row(kind, [s for s in during if s.kind == kind]))
    print("\nweb edit (PATCH /api/companies/ID of a shipped company, then a type-ahead search):")
    for when, seconds, visible in edits:
        shown = "shown by the next search" if visible else "NOT yet shown by the next search"
        print(f"- {when}: the edit request took {seconds * 1000:.0f} ms; {shown}")
    ratio = p95(during) / p95(idle)
    print(f"\np95 during import / idle p95: {ratio:.2f}x (target: within 2x)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def staff_edit(port: int, city: str) -> tuple[float, bool]:
    """Log in, change a shipped company's city, and look it up: (edit seconds, shown?)."""
    base = f"http://127.0.0.1:{port}"
    opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def call(method: str, url: str, body: dict | None = None, token: str = "") -> dict:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
        with opener.open(Request(base + url, data, headers, method=method), timeout=300) as r:
            return json.loads(r.read())

    token = call("GET", "/api/session")["csrf_token"]
    login = {"username": STAFF, "password": PASSWORD}
    token = call("POST", "/api/session", login, token)["csrf_token"]
    company = call("GET", f"/api/companies/{EDITED}")
    started = time.monotonic()
    call("PATCH", f"/api/companies/{EDITED}", {"version": company["version"], "city": city}, token)
    seconds = time.monotonic() - started
    suggested = call("GET", "/api/suggest?q=" + quote(company["name"]))
    return seconds, any(e["id"] == EDITED and e["city"] == city for e in suggested)


def search_urls() -> list[tuple[str, str]]:
    """Company matches (JSON and the HTML page) and free-text needs, from the seed data."""
    companies = [json.loads(line) for line in SEED_DATA.open(encoding="utf-8")]
    urls = []
    for company in companies:
        cid, other = company["id"], "KR" if company["country"] == "LV" else "LV"
        urls.append(("api matches", f"/api/companies/{quote(cid)}/matches?top=10"))
        urls.append(("results page", f"/search?company={quote(cid)}"))
        if company.get("seeks"):
            need = quote(company["seeks"].split(";")[0][:120])
            urls.append(("text search", f"/api/search?q={need}&country={other}&top=10"))
    return urls


def table_row(name: str, samples: list[Sample]) -> str:
    if not samples:
        return f"| {name} | 0 | | | | |"
    ms = sorted(s.seconds * 1000 for s in samples)
    errors = sum(s.status != 200 for s in samples)
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {p95(samples) * 1000:.0f} | "
        f"{ms[-1]:.0f} | {errors} |"
    )


def p95(samples: list[Sample]) -> float:
    values = sorted(s.seconds for s in samples)
    return values[min(len(values) - 1, int(0.95 * len(values)))] if values else float("nan")


def child_env(args: argparse.Namespace) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = str(Path(matchmaker.__file__).parents[1])
    # 20 readers from one address would hit the anonymous rate limits within seconds;
    # this measures search under an import, the limiter has benchmarks/search_flood.py
    for name in ("SEARCH", "SUGGEST", "API"):
        env.setdefault(f"MATCHMAKER_RATE_LIMIT_{name}", "1000000 per minute")
    if args.model:
        env["MATCHMAKER_MODEL"] = args.model
    return env


def matchmaker_argv() -> list[str]:
    return [sys.executable, "-m", "matchmaker"]


def matchmaker_cmd(env: dict, *args: str, check: bool) -> None:
    subprocess.run([*matchmaker_argv(), *args], env=env, check=check, capture_output=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_of(port: int, url: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def wait_until_serving(
    port: int, server: subprocess.Popen, log: Path, timeout: float = 600
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')}")
        if status_of(port, "/") == 200:
            return
        time.sleep(0.5)
    raise SystemExit("the server did not start")


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    main()
