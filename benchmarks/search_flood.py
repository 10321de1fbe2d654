"""Flood benchmark: the start page while one client floods text searches, with and without limits.

Run from the repository root::

    .venv/bin/python benchmarks/search_flood.py           # real model, 40 flooding threads
    .venv/bin/python benchmarks/search_flood.py --quick   # hashing embedder, a few seconds

The shipped companies (``data/companies.jsonl``) are imported into a temporary
database and served by waitress with 4 threads, as ``matchmaker serve`` does,
in this process. A prober fetches the start page (``GET /``, which is not
rate-limited) every 50 ms and records its latency: first idle, then while N
threads send free-text searches as fast as they can from one address, once
with the search limit out of reach (the app before rate limits) and once with
the default ``MATCHMAKER_RATE_LIMIT_SEARCH``. The output gives the start page's
median and 95th percentile, their ratio to idle, and how many searches were
served or refused with 429. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from matchmaker import config, engine  # noqa: E402
from matchmaker.importing import parse_file  # noqa: E402
from matchmaker.store import Store  # noqa: E402
from matchmaker.web import create_app, resources  # noqa: E402

UNREACHABLE = "1000000 per second"
SEARCHES = [
    "/search?q=distributor+for+cardiovascular+medicines+in+Korea&country=KR",
    "/search?q=EU-GMP+contract+manufacturing+of+generic+tablets&country=LV",
    "/search?q=clinical+trial+sites+for+a+biosimilar+candidate&country=LV",
    "/search?q=PCR+kits+and+ELISA+reagents+distributor&country=KR",
]


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Server:
    """The app under waitress on a free local port, in a background thread."""

    def __init__(self, db: Path, model: str, search_limit: str):
        import waitress.server

        self.app = create_app(
            {"DB": str(db), "MODEL": model, "RATE_LIMIT_SEARCH": search_limit, "ENV": "development"}
        )
        with self.app.app_context():  # as `matchmaker serve`: fitted and warm before listening
            resources.get_ranker()
            resources.get_embedder().encode(["warm-up"])
            resources.close_store()
        self.server = waitress.server.create_server(
            self.app, host="127.0.0.1", port=0, threads=4, ident="matchmaker"
        )
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        # close() pulls the socket from under the loop at the end of a phase.
        with contextlib.suppress(OSError, ValueError):
            self.server.run()

    def close(self) -> None:
        self.server.close()
        self.server.task_dispatcher.shutdown()


def get(port: int, path: str) -> tuple[int, float]:
    """Status and milliseconds of one GET on a new connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def run_phase(port: int, name: str, seconds: float, flooders: int) -> Phase:
    phase = Phase(name)
    stop = threading.Event()
    lock = threading.Lock()

    def flood(offset: int) -> None:
        number = offset
        while not stop.is_set():
            status, _ = get(port, SEARCHES[number % len(SEARCHES)])
            number += 1
            with lock:
                phase.statuses[status] += 1

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(flooders)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, ms = get(port, "/")
        if status == 200:
            phase.latencies_ms.append(ms)
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    return phase


def prepare(folder: Path, model: str) -> Path:
    db = folder / "flood.db"
    with Store.open(db, create=True) as store:
        parsed = parse_file(ROOT / "data" / "companies.jsonl")
        engine.import_profiles(store, engine.make_embedder(model), parsed, actor="benchmark")
    return db


def run(model: str, seconds: float, flooders: int) -> list[Phase]:
    import torch

    torch.set_num_threads(1)  # as `matchmaker serve`: one torch thread per request thread
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # the queue is the point
    default_limit = next(s.default for s in config.SETTINGS if s.name == "rate_limit_search")
    phases = []
    with tempfile.TemporaryDirectory() as folder:
        db = prepare(Path(folder), model)
        for name, limit, count in (
            ("idle", default_limit, 0),
            ("flood, no limit", UNREACHABLE, flooders),
            (f"flood, limit {default_limit}", default_limit, flooders),
        ):
            server = Server(db, model, limit)
            try:
                phases.append(run_phase(server.port, name, seconds, count))
            finally:
                server.close()
    return phases


def report(phases: list[Phase], flooders: int, seconds: float, model: str) -> str:
    idle = phases[0]
    lines = [
        f"start page (GET /) while {flooders} threads flood text searches from one address, "
        f"{seconds:g} s per phase, model {model}",
        f"{'phase':<30} {'probes':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/idle':>9} "
        f"{'served':>7} {'429':>6}",
    ]
    for phase in phases:
        p50, p95 = statistics.median(phase.latencies_ms or [float("nan")]), phase.percentile(0.95)
        lines.append(
            f"{phase.name:<30} {len(phase.latencies_ms):>6} {p50:>8.1f} {p95:>8.1f} "
            f"{p95 / idle.percentile(0.95):>9.1f} {phase.statuses[200]:>7} "
            f"{phase.statuses[429]:>6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder, or 'hashing'")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--flooders", type=int, default=40, help="flooding threads")
    parser.add_argument("--quick", action="store_true", help="hashing, 3 s phases, 8 threads")
    args = parser.parse_args(argv)
    if args.quick:
        args.model = args.model or "hashing"
        args.seconds, args.flooders = min(args.seconds, 3.0), min(args.flooders, 8)
    model = args.model or config.get("model") or ""
    phases = run(model or None, args.seconds, args.flooders)
    print(report(phases, args.flooders, args.seconds, model or "default"))


if __name__ == "__main__":
    main()
