"""Chunked reports on the command line: ``report --workers N``, ``report --resume RUN_ID``
and ``report-worker RUN_ID``.

The command that starts a run fits the ranker (embedding what is stale), records the
run and its chunks, starts N - 1 worker processes on this machine, ranks chunks
itself, waits until every chunk is done (taking over those of workers that die),
then writes the file. ``report-worker`` joins a run from anywhere that reaches the
database and ranks until nothing is left to claim; it never writes the file.
How runs work: :mod:`matchmaker.reports.runs` and docs/reports.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import closing

import click
from click.core import ParameterSource

from ..ranking import PartnerRanker
from ..ranking.batch import usable_cpus
from ..reports import Report, detect_format, read_previous, write_report
from ..reports.build import Fitter
from ..reports.model import PreviousReport, ReportSpec
from ..reports.runs import (
    RunOutput,
    assemble,
    join_run,
    load_run,
    run_output,
    start_run,
    work_on_run,
)
from ..service import Matchmaker
from ..store import Store
from .options import count_of, db_option, open_store, progress_printer, user_errors

#: ``report`` options that shape what is ranked: a resumed run keeps its own.
RUN_OPTIONS = (
    "top", "direction", "company_ids", "sectors", "changed_since", "partner_sectors",
    "partnership_types", "verified_only", "min_employees", "previous", "only_new",
    "strong_score", "chunk_size",
)  # fmt: skip


def refuse_run_options(ctx: click.Context, why: str) -> None:
    """A resumed run ranks what it was started with: say so instead of ignoring an option."""
    given = [
        name
        for name in RUN_OPTIONS
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,)
    ]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise click.UsageError(f"{why}; drop {flags}")


def service_fit(service: Matchmaker) -> Fitter:
    """The service's ranker (cached by data revision) as a report fit function."""
    return lambda _store, embed_progress: service.ranker(embed_progress)


def start(
    spec: ReportSpec,
    output: RunOutput,
    workers: int,
    chunk_size: int,
    db_path: str,
    started: float,
) -> None:
    """``report --workers N``: record a run, rank it with N processes here, write the file."""
    previous = read_previous(output.previous) if output.previous else None  # fail early
    with open_store(db_path) as store:
        service = Matchmaker(store, progress=progress_printer("Embedding"), reproducible=True)
        run_id, ranker = start_run(store, service_fit(service), spec, output, chunk_size)
        chunks = sum(store.report_chunk_states(run_id).values())
        click.echo(
            f"Report run {run_id}: {count_of(chunks, 'chunk')}. Other machines can help with "
            f"'matchmaker report-worker {run_id}'; if this stops, finish it with "
            f"'matchmaker report --resume {run_id}'",
            err=True,
        )
        finish(store, ranker, run_id, workers, db_path, previous, started)


def resume(
    run_id: str,
    workers: int,
    out: str | None,
    fmt: str | None,
    language: str,
    db_path: str,
    started: float,
) -> None:
    """``report --resume RUN_ID``: rank what is left of a run, then write its file.

    ``--out``, ``--format`` and ``--language`` may replace the recorded ones: they do
    not change what is ranked.
    """
    ctx = click.get_current_context()
    with open_store(db_path) as store:
        output = run_output(load_run(store, run_id))
        if out:
            output = RunOutput(out, fmt or detect_format(out), output.language, output.previous)
        if ctx.get_parameter_source("language") == ParameterSource.COMMANDLINE:
            output = RunOutput(output.out, output.fmt, language, output.previous)
        store.update_report_run_output(run_id, output.to_dict())
        previous = read_previous(output.previous) if output.previous else None
        ranker = None
        states = store.report_chunk_states(run_id)
        if states["open"] or states["claimed"]:
            service = Matchmaker(store, progress=progress_printer("Embedding"), reproducible=True)
            ranker = join_run(store, service_fit(service), run_id)
        finish(store, ranker, run_id, workers, db_path, previous, started)


def finish(
    store: Store,
    ranker: PartnerRanker | None,
    run_id: str,
    workers: int,
    db_path: str,
    previous: PreviousReport | None,
    started: float,
) -> None:
    """Rank with ``workers`` processes (this one included) until all is done; write the file."""
    if ranker is not None:
        threads = max(1, usable_cpus() // workers)
        children = [spawn_worker(run_id, db_path, threads) for _ in range(workers - 1)]
        try:
            work_on_run(
                store,
                ranker,
                run_id,
                threads,
                wait=True,
                progress=progress_printer("Ranking"),
                tick=lambda: [child.poll() for child in children],
            )
        except BaseException:
            for child in children:
                child.terminate()
            raise
        finally:
            for child in children:
                child.wait()
        failed = [child.returncode for child in children if child.returncode]
        if failed:  # their chunks were ranked by the others: say so, the file is still whole
            click.echo(f"Warning: {count_of(len(failed), 'worker process')} stopped early "
                       f"(exit codes {', '.join(map(str, failed))}); the others ranked "
                       "their chunks", err=True)  # fmt: skip
    output = run_output(load_run(store, run_id))
    result = assemble(store, run_id, previous)
    write_report(result, output.fmt, output.out, output.language)
    store.mark_report_run_written(run_id)
    say_written(result, previous is not None, output.out, started)


def spawn_worker(run_id: str, db_path: str, threads: int) -> subprocess.Popen:
    """``matchmaker report-worker`` as a child process, with this process's settings."""
    command = [sys.executable, "-m", "matchmaker", "report-worker", run_id]
    command += ["--db", db_path, "--threads", str(threads), "--no-progress"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def say_written(result: Report, compared: bool, out: str, started: float) -> None:
    """The summary line every report ends with."""
    new = sum(bool(e.new) for s in result.sections for e in s.entries)
    news = f" ({new} new)" if compared else ""
    click.echo(
        f"Report: {len(result.sections)} companies, {result.match_count} matches{news} "
        f"in {time.perf_counter() - started:.1f} s -> {out}"
    )


@click.command("report-worker")
@click.argument("run_id")
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Ranking threads in this process (default: one per usable CPU).",
)
@click.option("--progress/--no-progress", default=True, hidden=True)  # off for our children
@db_option
@user_errors
def report_worker(run_id: str, threads: int | None, progress: bool, db_path: str) -> None:
    """Help rank a chunked report run (started by 'report --workers'); exits when none is left.

    It never writes the report file: the command that started the run (or
    'report --resume RUN_ID') does, once every chunk is done.
    """
    # The starting command checked the file (quick_check); a worker joins without rereading it.
    with closing(Store.open(db_path)) as store:
        load_run(store, run_id)
        ranked = 0
        states = store.report_chunk_states(run_id)
        if states["open"] or states["claimed"]:
            embedding, ranking = (
                (progress_printer("Embedding"), progress_printer("Ranking"))
                if progress
                else (None, None)
            )
            service = Matchmaker(store, progress=embedding, reproducible=True)
            ranker = join_run(store, service_fit(service), run_id)
            ranked = work_on_run(store, ranker, run_id, threads, progress=ranking)
        states = store.report_chunk_states(run_id)
        click.echo(
            f"Report run {run_id}: this worker ranked {count_of(ranked, 'chunk')}; "
            f"{states['done']} of {sum(states.values())} done"
        )
