"""``matchmaker report``: parse options, call :mod:`reports`, write the file, print a summary."""

from __future__ import annotations

import time

import click

from ..languages import DEFAULT_LANGUAGE, LANGUAGES
from ..profiles import PARTNERSHIP_TYPES
from ..reports import (
    DIRECTIONS,
    FORMATS,
    ReportSpec,
    detect_format,
    read_previous,
    write_report,
)
from ..reports.build import CHUNK
from ..reports.runs import RUN_CHUNK, RunOutput
from ..service import Matchmaker
from .options import (
    db_option,
    make_filters,
    open_store,
    progress_printer,
    top_option,
    user_errors,
)
from .report_runs import refuse_run_options, resume, say_written, start


@click.command()
@top_option("Partners per company.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from the --out extension).",
)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (required).")
@click.option(
    "--direction",
    type=click.Choice(list(DIRECTIONS)),
    default="both",
    show_default=True,
    help="lv-kr: Latvian companies get Korean partners; kr-lv the reverse.",
)
@click.option("--company", "company_ids", multiple=True, help="Only this company (repeatable).")
@click.option("--sector", "sectors", multiple=True, help="Only companies with this sector.")
@click.option(
    "--changed-since",
    metavar="DATE",
    help="Only companies whose profile changed on or after DATE (YYYY-MM-DD, UTC).",
)
@click.option(
    "--partner-sector", "partner_sectors", multiple=True, help="Only partners with this sector."
)
@click.option(
    "--type",
    "partnership_types",
    multiple=True,
    type=click.Choice(PARTNERSHIP_TYPES, case_sensitive=False),
    help="Only partners open to this partnership type.",
)
@click.option("--verified-only", is_flag=True, help="Only verified partners.")
@click.option("--min-employees", type=click.IntRange(0), help="Minimum partner size.")
@click.option(
    "--new-since",
    "previous",
    type=click.Path(dir_okay=False),
    metavar="REPORT",
    help="Mark matches not in this earlier report (any format) as new.",
)
@click.option("--only-new", is_flag=True, help="With --new-since: list only the new matches.")
@click.option(
    "--strong-score",
    type=float,
    help="Score of a strong match in the charts (default: the report's top quarter).",
)
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    default=DEFAULT_LANGUAGE,
    show_default=True,
    help="Language of the headers, labels and reasons (CSV, XLSX, HTML; JSON stays English).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Rank in resumable chunks kept in the database, with this many processes here.",
)
@click.option(
    "--resume",
    "resume_id",
    metavar="RUN_ID",
    help="Finish an interrupted chunked run (its options are the run's) and write its file.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(CHUNK),
    default=RUN_CHUNK,
    show_default=True,
    help=f"With --workers: companies per chunk, a multiple of {CHUNK}.",
)
@db_option
@user_errors
def report(
    top: int,
    fmt: str | None,
    out: str,
    direction: str,
    company_ids: tuple[str, ...],
    sectors: tuple[str, ...],
    changed_since: str | None,
    partner_sectors: tuple[str, ...],
    partnership_types: tuple[str, ...],
    verified_only: bool,
    min_employees: int | None,
    previous: str | None,
    only_new: bool,
    strong_score: float | None,
    language: str,
    workers: int | None,
    resume_id: str | None,
    chunk_size: int,
    db_path: str,
) -> None:
    """Top partners of many companies, as CSV, XLSX, JSON or HTML (with charts).

    With --workers N the ranking is cut into chunks kept in the database: it survives
    a crash (--resume RUN_ID) and other machines can help (report-worker RUN_ID).
    """
    started = time.perf_counter()
    if chunk_size % CHUNK:
        raise click.UsageError(f"--chunk-size must be a multiple of {CHUNK}, not {chunk_size}")
    if resume_id:
        refuse_run_options(click.get_current_context(), "--resume takes the run's own options")
        resume(resume_id, workers or 1, out, fmt, language, db_path, started)
        return
    if not out:
        raise click.UsageError("Missing option '--out'.")
    fmt = fmt or detect_format(out)
    if only_new and not previous:
        raise click.UsageError("--only-new needs --new-since REPORT")
    spec = ReportSpec(
        top=top,
        direction=direction,
        company_ids=company_ids,
        sectors=sectors,
        changed_since=changed_since,
        partner_filters=make_filters(
            partner_sectors, partnership_types, verified_only, min_employees
        ),
        strong_score=strong_score,
        only_new=only_new,
    )
    if workers:
        output = RunOutput(out, fmt, language, previous)
        start(spec, output, workers, chunk_size, db_path, started)
        return
    earlier = read_previous(previous) if previous else None
    with open_store(db_path) as store:
        service = Matchmaker(store, progress=progress_printer("Embedding"), reproducible=True)
        result = service.report(spec, previous=earlier, progress=progress_printer("Ranking"))
    write_report(result, fmt, out, language)
    say_written(result, earlier is not None, out, started)
