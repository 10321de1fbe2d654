"""Serving from a saved fit: load time, memory, `match`/`query` latency, approximate vs exact.

Run from the repository root on a folder that a fit saved (``<database>.fitted/r…``,
written by any matchmaker process, by ``benchmarks/scale.py`` or by a script that
builds a large synthetic fit)::

    .venv/bin/python benchmarks/saved_fit.py FOLDER [--queries 200] [--model hashing]

What a serving process does, measured without refitting, so sizes whose fit takes
many minutes (100k, 1M) can be measured again after each change to ranking:

1. **Load**: seconds to load the fit, and the process's memory after it, split
   into its own (RssAnon) and mapped file pages (RssFile, shared page cache); the
   first `match` after loading; the memory after one `match` per query company,
   read before the baseline below copies the other country's vectors.
2. **`match` latency** over random query companies, wall and CPU time of the
   calling thread, after a warm-up, next to the baseline ``util.semantic_search``
   over whole-profile vectors of the other country (sentence-transformers), in the
   same run.
3. **Approximate against exact stage 1**: the same companies matched with the
   index and with the exact scan; the share whose final top 10 is identical.
4. **`query`** (free text), when the model is not the hashing one: latency with
   the text's encoding timed apart, and the identical top 10 again.
5. **Edits** (``--edits N``), what the live index does per edit once its warm-up
   has run: encode the edited company's fields, apply the change
   (``ranking.incremental.apply_changes``), and `match`
   the edited company. The baseline, in the same run, is what each update did
   before ``ranking.row_index``: copy the whole id map as a dict.
6. **Cold first matches** (``--cold N``, needs root): the page cache is dropped and
   N companies matched for the first time, as after a restart; then it is dropped
   again, the fit's files read ahead as the live index does after loading
   (``matchmaker.saved_pages``), and N other companies matched.

All profiles in such folders are synthetic unless the folder says otherwise.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matchmaker import fitted_state
from matchmaker.engine import make_embedder
from matchmaker.ranking import PartnerRanker
from matchmaker.ranking.signals import other_country

TOP = 10
WARM_UP = 10


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a saved fit: <database>.fitted/r…")
    parser.add_argument("--queries", type=int, default=200, help="query companies (default 200)")
    parser.add_argument("--model", default=None, help="model folder, or 'hashing'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-query", action="store_true", help="no free-text part")
    parser.add_argument("--edits", type=int, default=0, help="edits to apply at the end")
    parser.add_argument(
        "--cold", type=int, default=0, help="first matches on a dropped page cache (root)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"# saved fit {args.folder}, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"load average at the start: {_load_average()}")
    embedder = make_embedder(args.model)
    before = memory()
    start = time.perf_counter()
    ranker = fitted_state._read(args.folder, embedder, None)
    print(
        f"load: {time.perf_counter() - start:.2f} s, {len(ranker.profiles_):,} profiles, "
        f"memory added {_memory_delta(before, memory())}"
    )
    if args.cold:
        measure_cold(ranker, args.folder, args.cold, args.seed)
    chosen = np.random.default_rng(args.seed).choice(
        len(ranker.profiles_), min(args.queries, len(ranker.profiles_)), replace=False
    )
    ids = [ranker.profiles_[int(i)].id for i in chosen]

    def match(company_id: str) -> list[str]:
        return [m.id for m in ranker.match(company_id, top=TOP)]

    start = time.perf_counter()
    match(ids[0])
    print(f"first match after loading: {(time.perf_counter() - start) * 1000:.0f} ms")
    for company_id in ids:  # the serving process alone, before the baseline copies vectors
        match(company_id)
    print(f"memory after {len(ids) + 1} matches: {_memory_delta(before, memory())}")
    baseline = SemanticSearch(ranker)  # copies the profile vectors (1.5 GB at 1M) and loads torch
    wall, cpu, approximate, base = timed(match, ids, baseline.search)
    print(
        f"match: {_ms(wall)} wall, {_ms(cpu)} CPU of the calling thread; "
        f"semantic_search baseline, called after each match, {_ms(base)}; "
        f"ratio of medians {np.median(wall) / np.median(base):.1f}x"
    )
    print(f"memory with the baseline loaded too: {_memory_delta(before, memory())}")
    exact = exact_results(ranker, match, ids)
    same = sum(a == e for a, e in zip(approximate, exact, strict=True))
    print(f"match top 10 identical to exact stage 1: {same}/{len(ids)} ({same / len(ids):.1%})")
    if not (args.skip_query or embedder.model_id.startswith("hashing")):
        measure_query(ranker, chosen)
    if args.edits:
        measure_edits(ranker, args.edits, args.seed)


def measure_query(ranker: PartnerRanker, chosen: np.ndarray) -> None:
    """Free-text `query` latency, encoding apart, and agreement with exact stage 1."""
    texts = [
        (
            ranker.profiles_[int(i)].seeks or ranker.profiles_[int(i)].description,
            other_country(ranker.profiles_[int(i)].country),
        )
        for i in chosen
    ]

    def query(item: tuple[str, str]) -> list[str]:
        return [m.id for m in ranker.query(item[0], country=item[1], top=TOP).matches]

    encode = encoding_seconds(ranker, texts)
    wall, cpu, approximate, _ = timed(query, texts)
    print(
        f"query: {_ms(wall)} wall, {_ms(cpu)} CPU; of which encoding the text "
        f"{_ms(encode)}; without encoding, median "
        f"{1e3 * (np.median(wall) - np.median(encode)):.1f} ms"
    )
    exact = exact_results(ranker, query, texts)
    same = sum(a == e for a, e in zip(approximate, exact, strict=True))
    print(f"query top 10 identical to exact stage 1: {same}/{len(texts)} ({same / len(texts):.1%})")


def measure_cold(ranker: PartnerRanker, folder: Path, companies: int, seed: int) -> None:
    """First matches on a cold page cache: as the pages are touched, then read ahead."""
    from matchmaker import saved_pages

    if not drop_page_cache():
        print("cold first matches: skipped (dropping the page cache needs root on Linux)")
        return
    rows = np.random.default_rng(seed + 2).choice(len(ranker.profiles_), 2 * companies, False)
    ids = [ranker.profiles_[int(i)].id for i in rows]
    ranker.match(ranker.profiles_[0].id)  # one-time work (imports, unpickling) in neither set
    drop_page_cache()
    cold = [_seconds(ranker.match, company_id) for company_id in ids[:companies]]
    drop_page_cache()
    done = saved_pages.read_into_cache(folder)
    print(
        f"read ahead: {done.read_bytes / 1e9:.2f} GB in {done.seconds:.1f} s "
        f"({done.skipped_bytes / 1e9:.2f} GB left out for memory)"
    )
    read_ahead = [_seconds(ranker.match, company_id) for company_id in ids[companies:]]
    print(
        f"first match of {companies} companies on a dropped page cache: {_ms(cold)}; "
        f"after reading the fit ahead: {_ms(read_ahead)}"
    )


def drop_page_cache() -> bool:
    """Drop the kernel's clean page cache (root, Linux); whether it was dropped."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


def _seconds(call: Callable, *args) -> float:
    start = time.perf_counter()
    call(*args)
    return time.perf_counter() - start


def measure_edits(ranker: PartnerRanker, edits: int, seed: int) -> None:
    """Per edit: encode, apply, match the edited company (section 5).

    (Names are looked up in the database since session 12, so there is no per-process
    directory to update; ``benchmarks/name_lookup.py`` measures the type-ahead.)
    """
    from matchmaker.live_index import warm_up
    from matchmaker.ranking.incremental import apply_changes

    start = time.perf_counter()
    warm_up(ranker)  # what the live index does in the background after loading
    print(f"warm-up (the live index runs it in the background): {_since(start):.1f} s")
    rng = np.random.default_rng(seed + 1)
    before = dict(ranker.index_)  # the id map as the code before row_index kept it
    for n in range(edits):
        company = ranker.profiles_[int(rng.integers(len(ranker.profiles_)))]
        company = ranker.profiles_[ranker.index_[company.id]]  # its latest version
        edited = dataclasses.replace(company, offers=f"{company.offers}; cold-chain lot {n}")
        start = time.perf_counter()
        vectors = field_vectors(ranker, edited)
        encoded = time.perf_counter() - start
        start = time.perf_counter()
        updated = apply_changes(ranker, [edited], [], vectors)
        applied = time.perf_counter() - start
        start = time.perf_counter()
        updated.match(edited.id, top=TOP)
        matched = time.perf_counter() - start
        start = time.perf_counter()
        before = _moved_as_before(before, edited.id, len(ranker.profiles_))
        copied = time.perf_counter() - start
        print(
            f"edit {n + 1}: encode {encoded * 1e3:.0f} ms; apply {applied * 1e3:.0f} ms, "
            f"match of the edited company {matched * 1e3:.0f} ms: "
            f"{(applied + matched) * 1e3:.0f} ms after encoding; "
            f"baseline, copying the id map as before: {copied * 1e3:.0f} ms"
        )
        ranker = updated


def _moved_as_before(index: dict[str, int], company_id: str, row: int) -> dict[str, int]:
    """The baseline: what apply_changes did to the id map per edit before ranking.row_index.

    A copy of the previous edit's plain dict (entry by entry once a pop has left a
    deleted slot in it), then the id moved. Copying the RowIndex instead would time a
    Python-level iteration the old code never did (several times slower).
    """
    copy = dict(index)
    copy.pop(company_id, None)
    copy[company_id] = row
    return copy


def field_vectors(ranker: PartnerRanker, profile) -> dict[str, dict[str, np.ndarray]]:
    """``vectors[field][company_id]`` of one profile, encoded as the write path does."""
    from matchmaker.texts import FIELDS

    vectors = {}
    for field, texts_of in FIELDS.items():
        texts = texts_of(profile)
        found = ranker.embedder.encode(texts) if texts else np.zeros((0, ranker.dim_), np.float32)
        vectors[field] = {profile.id: np.asarray(found, dtype=np.float32)}
    return vectors


def timed(
    call: Callable, items: Sequence, baseline: Callable | None = None
) -> tuple[list[float], list[float], list, list[float]]:
    """Wall and calling-thread CPU seconds per call after a warm-up, each call's result, and
    the wall seconds of ``baseline`` on the same item right after each call.

    Alternating with the baseline makes the ratio hold on a machine whose speed drifts
    (this one's did by 2x within an hour, with nothing else running).
    """
    for item in items[:WARM_UP]:
        call(item)
    wall, cpu, results, base = [], [], [], []
    for item in items:
        start, start_cpu = time.perf_counter(), time.thread_time()
        results.append(call(item))
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        if baseline is not None:
            start = time.perf_counter()
            baseline(item)
            base.append(time.perf_counter() - start)
    return wall, cpu, results, base


def exact_results(ranker: PartnerRanker, call: Callable, items: Sequence) -> list:
    """The same calls with the approximate index set aside: exact stage 1."""
    index, ranker.first_stage_ = ranker.first_stage_, None
    try:
        return [call(item) for item in items]
    finally:
        ranker.first_stage_ = index


class SemanticSearch:
    """sentence-transformers' semantic_search over the other country's profile vectors.

    What a user would otherwise run: the query company's whole-profile vector
    against every company of the other country, top 10 by dot product.
    """

    def __init__(self, ranker: PartnerRanker):
        import torch
        from sentence_transformers import util

        self.ranker, self.torch, self.util = ranker, torch, util
        self.corpora = {
            country: torch.from_numpy(
                np.ascontiguousarray(ranker.profile_vecs_[ranker.countries_ == country])
            )
            for country in ("LV", "KR")
        }

    def search(self, company_id: str) -> None:
        i = self.ranker.index_[company_id]
        corpus = self.corpora[other_country(self.ranker.countries_[i])]
        query = self.torch.from_numpy(np.ascontiguousarray(self.ranker.profile_vecs_[i : i + 1]))
        self.util.semantic_search(query, corpus, top_k=TOP, score_function=self.util.dot_score)


def encoding_seconds(ranker: PartnerRanker, texts: Sequence[tuple[str, str]]) -> list[float]:
    """Seconds to encode each query's texts as query() does (the text and its phrases)."""
    from matchmaker.ranking.text_queries import parse_text_query
    from matchmaker.texts import matching_phrases

    times = []
    for text, _ in texts:
        parsed = parse_text_query(text)
        pieces = [text, *matching_phrases(parsed.needs), *matching_phrases(parsed.offers)]
        start = time.perf_counter()
        ranker.embedder.encode(pieces)
        times.append(time.perf_counter() - start)
    return times  # the same texts timed() times after its warm-up: compare like with like


def memory() -> dict[str, int]:
    """This process's RssAnon and RssFile in MB (Linux /proc)."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile"):
                found[key] = int(value.split()[0]) // 1024
    return found


def _memory_delta(before: dict[str, int], after: dict[str, int]) -> str:
    return ", ".join(f"{key} +{after[key] - before.get(key, 0):,} MB" for key in after)


def _since(start: float) -> float:
    return time.perf_counter() - start


def _ms(seconds: Sequence[float]) -> str:
    return f"median {np.median(seconds) * 1e3:.1f} / p95 {np.percentile(seconds, 95) * 1e3:.1f} ms"


def _load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
