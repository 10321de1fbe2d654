"""Chunked report runs: one large report ranked in chunks by one or several workers.

A *run* is a report request (:class:`ReportSpec` and where to write the file)
bound to the data revision and the model it is ranked on. Its query companies,
in the report's own order, are cut into chunks of :data:`RUN_CHUNK` companies
(a multiple of the ranker's block of :data:`~.build.CHUNK`, so every matrix
product sees the same block of companies as in a one-process report and gives
the same floats). Chunks and their progress live in the database
(``store/report_runs.py``): a worker claims a chunk, ranks it, and stores its
rows and marks it done in one transaction. A worker that dies leaves a claimed
chunk behind; it is claimed again when its lease runs out, or at once when the
worker was a process on this machine that no longer exists. When every chunk is
done, the report is assembled from the stored rows in chunk order, through the
same code as a one-process report (:func:`.build.section_of`,
:func:`.build.report_meta`), so the file is byte for byte the one a single
process writes. The whole design, with the engine-specific claim, is in
docs/reports.md.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..engine import holder_state, lease_holder
from ..profiles import Profile
from ..ranking import Filters, Match, PartnerRanker
from ..ranking.batch import CandidateCache
from ..store import Store
from .build import (
    CHUNK,
    Fitter,
    Progress,
    fit_steadily,
    follow_merges,
    previous_meta,
    report_meta,
    section_of,
    select_companies,
)
from .model import PreviousReport, Report, ReportError, ReportSpec

#: Companies per chunk of a run: 8 ranker blocks, a few seconds of ranking each.
RUN_CHUNK = 8 * CHUNK
#: How long a claimed chunk stays its worker's; after that anyone may rank it again.
LEASE_SECONDS = 900.0
#: How often a worker with nothing left to claim looks whether the others are done.
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RunOutput:
    """Where and how the finished report is written (not part of what is ranked)."""

    out: str
    fmt: str
    language: str
    previous: str | None = None  # path of the --new-since report, read when assembling

    def to_dict(self) -> dict[str, Any]:
        return {"out": self.out, "fmt": self.fmt, "language": self.language,
                "previous": self.previous}  # fmt: skip


def start_run(
    store: Store,
    fit: Fitter,
    spec: ReportSpec,
    output: RunOutput,
    chunk_size: int = RUN_CHUNK,
    embed_progress: Progress | None = None,
) -> tuple[str, PartnerRanker]:
    """Record a new run and its chunks; returns its id and the ranker it was planned on."""
    if chunk_size < CHUNK or chunk_size % CHUNK:
        raise ReportError(f"chunk size must be a multiple of {CHUNK}, not {chunk_size}")
    spec = follow_merges(store, spec)
    ranker, data = fit_steadily(store, fit, embed_progress)
    companies = select_companies(ranker.live_profiles(), spec)
    ids = [p.id for p in companies]
    run_id = uuid.uuid4().hex[:12]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    store.create_report_run(
        {
            "id": run_id,
            "request": {"spec": spec.to_dict(), "output": output.to_dict()},
            "meta": report_meta(ranker, spec, data, generated_at=started),
            "data_revision": data["data_revision"],
            "model_id": getattr(ranker.embedder, "model_id", ""),
            "chunk_size": chunk_size,
        },
        [ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size)],
    )
    return run_id, ranker


def load_run(store: Store, run_id: str) -> dict[str, Any]:
    """A recorded run, or a clear error naming the id."""
    run = store.get_report_run(run_id)
    if run is None:
        raise ReportError(f"no report run with id '{run_id}'")
    return run


def run_spec(run: dict[str, Any]) -> ReportSpec:
    """The :class:`ReportSpec` a run was started with (stored as ``spec.to_dict()``)."""
    data = dict(run["request"]["spec"])
    filters = data.pop("partner_filters")
    return ReportSpec(
        **{**data, "company_ids": tuple(data["company_ids"]), "sectors": tuple(data["sectors"])},
        partner_filters=Filters(**filters),
    )


def run_output(run: dict[str, Any]) -> RunOutput:
    return RunOutput(**run["request"]["output"])


def join_run(
    store: Store, fit: Fitter, run_id: str, embed_progress: Progress | None = None
) -> PartnerRanker:
    """A ranker for working on a run: fitted on the run's data revision with its model.

    The run's rows must all come from the same data, so a worker refuses to start
    once the data has changed (start a new run then).
    """
    run = load_run(store, run_id)
    ranker, data = fit_steadily(store, fit, embed_progress)
    if data["data_revision"] != run["data_revision"]:
        raise ReportError(
            f"the data changed since report run {run_id} started (revision "
            f"{run['data_revision']}, now {data['data_revision']}); start a new report"
        )
    model_id = getattr(ranker.embedder, "model_id", "")
    if model_id != run["model_id"]:
        raise ReportError(
            f"report run {run_id} ranks with the model {run['model_id']}, this worker has "
            f"{model_id}; set MATCHMAKER_MODEL to the run's model"
        )
    return ranker


def work_on_run(
    store: Store,
    ranker: PartnerRanker,
    run_id: str,
    threads: int | None = None,
    wait: bool = False,
    progress: Progress | None = None,
    lease_seconds: float = LEASE_SECONDS,
    tick: Callable[[], None] | None = None,
) -> int:
    """Claim and rank chunks until none is left to claim; returns how many this worker ranked.

    With ``wait``, keep going until every chunk is done, taking over the chunks of
    workers that die meanwhile (the command that started the run waits so, then
    writes the file). ``tick`` runs while waiting (e.g. to reap finished children,
    so a dead one is seen as dead). ``progress(done, total)`` counts chunks.
    """
    run = load_run(store, run_id)
    spec = run_spec(run)
    worker = lease_holder()
    kept = CandidateCache(ranker)  # gathered once per run, not once per chunk
    ranked = 0
    while True:
        _reopen_dead_workers(store, run_id)
        claimed = store.claim_report_chunk(run_id, worker, lease_seconds)
        if claimed is not None:
            seq, company_ids = claimed
            rows = rank_chunk(ranker, company_ids, spec, threads, kept)
            store.finish_report_chunk(run_id, seq, rows)
            ranked += 1
        states = store.report_chunk_states(run_id)
        if progress:
            progress(states["done"], sum(states.values()))
        if claimed is not None:
            continue
        if not wait or states["open"] + states["claimed"] == 0:
            return ranked
        if tick:
            tick()
        time.sleep(POLL_SECONDS)


def _reopen_dead_workers(store: Store, run_id: str) -> None:
    """Chunks held by a process of this machine that is gone go back to 'open' at once."""
    for holder in store.report_chunk_holders(run_id):
        if holder_state(holder) == "dead":
            store.reopen_report_chunks(run_id, holder)


def rank_chunk(
    ranker: PartnerRanker,
    company_ids: Sequence[str],
    spec: ReportSpec,
    threads: int | None,
    kept: CandidateCache | None = None,
) -> bytes:
    """One chunk's ranked partners as stored: compressed JSON of [company id, matches].

    ``kept``: the stage-1 candidate matrices of the run's earlier chunks (ranking.batch).
    """
    results = ranker.match_many(
        company_ids,
        top=spec.top,
        filters=spec.partner_filters,
        chunk=CHUNK,
        workers=threads,
        kept=kept,
    )
    rows = [[cid, [m.to_dict() for m in matches]] for cid, matches in results]
    return zlib.compress(json.dumps(rows, ensure_ascii=False).encode(), 6)


def assemble(store: Store, run_id: str, previous: PreviousReport | None = None) -> Report:
    """The report of a finished run, from its stored rows, in chunk order.

    The companies are read from the database at the run's revision (refused if it
    moved on), so the file shows the profiles the partners were ranked for.
    """
    run = load_run(store, run_id)
    if run["state"] == "written":
        output = run_output(run)
        raise ReportError(
            f"report run {run_id} was already written to {output.out}; its rows are gone, "
            "so run the report again for another file"
        )
    states = store.report_chunk_states(run_id)
    if states["open"] or states["claimed"]:
        raise ReportError(
            f"report run {run_id} is not finished: {states['done']} of "
            f"{sum(states.values())} chunks done"
        )
    if store.revision() != run["data_revision"]:
        raise ReportError(
            f"the data changed since report run {run_id} started; start a new report"
        )
    spec = run_spec(run)
    if spec.only_new and previous is None:
        raise ReportError("only_new needs a previous report to compare with")
    profiles: dict[str, Profile] = {p.id: p for p in store.list()}
    seen = previous.pairs if previous else None
    sections = [
        section_of(profiles[company_id], [Match(**m) for m in matches], spec, seen)
        for blob in store.report_chunk_rows(run_id)
        for company_id, matches in json.loads(zlib.decompress(blob))
    ]
    meta = {**run["meta"], "previous_report": previous_meta(previous)}
    return Report(meta=meta, sections=sections)
