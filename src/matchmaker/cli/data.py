"""Commands that move profiles in and out of the database and keep it in shape.

``import``, ``export``, ``backup``, ``restore``, ``judgements``, ``embed`` and
``stats``: each parses its options, calls the core and prints one summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import fitted_state
from ..files import replaced_atomically
from ..importing import EXPORT_FORMATS, ParsedFile, detect_format, export_profiles, parse_file
from ..judgements import as_labelled_set
from ..profiles import visible
from ..service import Matchmaker, make_embedder
from ..store import (
    ImportConflict,
    ImportConflictError,
    StoreError,
    check_backup,
    database_exists,
    is_postgres_url,
    restore_database,
)
from ..store.backup import PG_BACKUP_MESSAGE
from ..store.connection import shown
from .duplicates import warn_about_duplicates
from .options import count_of, db_option, open_store, progress_printer, user_errors


@click.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json", "csv"]),
    help="File format (default: from the file name).",
)
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Import rows even if their profile was edited after the file was exported.",
)
@click.option("--actor", default="cli", show_default=True, help="Name recorded in the audit log.")
@db_option
@user_errors
def import_cmd(
    path: str, fmt: str | None, dry_run: bool, overwrite: bool, actor: str, db_path: str
) -> None:
    """Import (upsert by id) profiles from a .jsonl, .json or .csv file.

    Every row is validated first; if any row is invalid, each error is printed
    as 'row N, field F: problem' and nothing is written. Rows of an export whose
    profile was edited since (a newer version in the database) are conflicts:
    nothing is written unless --overwrite is given.
    """
    parsed = parse_file(path, fmt or detect_format(path))
    if not parsed.ok:
        for error in parsed.errors:
            click.echo(visible(str(error)), err=True)
        raise click.ClickException(f"{len(parsed.errors)} error(s) in {path}; nothing was imported")
    if dry_run:
        if database_exists(db_path):
            with open_store(db_path, readonly=True) as store:
                if not overwrite:
                    conflicts = store.find_conflicts(parsed.profiles, parsed.exported)
                    _refuse_conflicts(parsed, conflicts)
                warn_about_duplicates(store, parsed.profiles)
        click.echo(f"{len(parsed.profiles)} profiles are valid; nothing was written (dry run)")
        return
    embedder = make_embedder()  # a missing model is refused before the file is created
    with open_store(db_path, create=True) as store:
        try:
            summary = Matchmaker(store, embedder).import_file(
                parsed,
                actor=actor,
                progress=progress_printer("Embedding"),
                overwrite=overwrite,
            )
        except ImportConflictError as exc:
            _refuse_conflicts(parsed, exc.conflicts)
            raise
        warn_about_duplicates(store, parsed.profiles)
    click.echo(
        f"Imported {path}: {summary.created} new, {summary.updated} updated, "
        f"{summary.unchanged} unchanged"
    )


def _refuse_conflicts(parsed: ParsedFile, conflicts: list[ImportConflict]) -> None:
    """Print each conflict against its row, then stop: nothing is written."""
    if not conflicts:
        return
    for conflict in conflicts:
        click.echo(visible(f"row {parsed.row_of(conflict.company_id)}: {conflict}"), err=True)
    raise click.ClickException(
        f"{len(conflicts)} profile(s) were edited after this file was exported; nothing was "
        "imported. Export again and redo your changes there, or give --overwrite to replace "
        "the newer edits"
    )


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Output file (default: stdout).")
@click.option("--country", type=click.Choice(["LV", "KR"]), help="Only this country.")
@db_option
@user_errors
def export(fmt: str, out: str | None, country: str | None, db_path: str) -> None:
    """Export profiles in a form that 'matchmaker import' reads back."""
    with open_store(db_path, readonly=True) as store:
        profiles = store.list(country=country)
    if out:
        # a full disk midway must not truncate the previous export: write aside, then rename
        with (
            replaced_atomically(out) as temporary,
            open(temporary, "w", encoding="utf-8", newline="") as handle,
        ):
            count = export_profiles(profiles, fmt, handle)
        click.echo(f"Exported {count} profiles to {out}", err=True)
    else:
        export_profiles(profiles, fmt, sys.stdout)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@db_option
@user_errors
def backup(path: str, db_path: str) -> None:
    """Copy the whole database to PATH, safely while it is in use.

    Unlike export, a backup keeps everything: audit history, staff users, grades,
    deleted profiles, versions and dates. 'matchmaker restore PATH' brings it back.
    """
    with open_store(db_path, readonly=True) as store:
        counts = store.backup_to(path)
    click.echo(f"Backed up {shown(db_path)} to {path}: {_describe(counts)}")


@click.command()
@click.argument("backup_path", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@db_option
@user_errors
def restore(backup_path: str, yes: bool, db_path: str) -> None:
    """Replace the database with BACKUP (made by 'matchmaker backup'), after checking it.

    A damaged file, or one that is not a matchmaker database, is refused and
    nothing changes. The database it replaces is kept next to it.
    """
    if is_postgres_url(db_path):  # refused before any prompt could show the URL
        raise StoreError(PG_BACKUP_MESSAGE)
    counts = check_backup(backup_path)
    if not yes:
        click.confirm(
            f"Replace {shown(db_path)} with {backup_path} ({_describe(counts)})?",
            abort=True,
            err=True,
        )
    counts, kept = restore_database(backup_path, db_path)
    fitted_state.discard(db_path)  # fits of the replaced history must not be brought forward
    with open_store(db_path):  # applies newer migrations and checks the result
        pass
    was = f"; the database it replaced is kept as {kept}" if kept else ""
    click.echo(f"Restored {shown(db_path)} from {backup_path}: {_describe(counts)}{was}")


def _describe(counts: dict[str, int]) -> str:
    names = {"companies": "company", "audit": "audit entry", "users": "user"}
    names |= {"judgements": "staff grade", "vectors": "embedded field"}
    plurals = {"company": "companies", "audit entry": "audit entries"}
    return ", ".join(
        count_of(counts[table], names[table], plurals.get(names[table]))
        for table in names
        if table in counts
    )


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Output file (default: stdout).")
@db_option
@user_errors
def judgements(out: str | None, db_path: str) -> None:
    """Staff grades of suggested matches, as a labelled set for 'matchmaker eval'."""
    with open_store(db_path, readonly=True) as store:
        records, left_out = as_labelled_set(store.current_judgements())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if out:
        Path(out).write_text(lines, encoding="utf-8")
    else:
        click.echo(lines, nl=False)
    grades = sum(len(r["judgements"]) for r in records)
    skipped = f"; {left_out} with only 'not a partner' grades left out" if left_out else ""
    click.echo(
        f"{count_of(len(records), 'query', 'queries')}, {count_of(grades, 'partner grade')}"
        f"{skipped}" + (f"; written to {out}" if out else ""),
        err=True,
    )


@click.command()
@db_option
@user_errors
def embed(db_path: str) -> None:
    """Embed profiles whose text changed since they were last embedded."""
    embedder = make_embedder()  # a missing model is named before the database
    with open_store(db_path) as store:
        done = Matchmaker(store, embedder).embed_stale(progress=progress_printer("Embedding"))
    click.echo(f"Embedded {done} stale field(s) with {embedder.model_id}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@user_errors
def stats(as_json: bool, db_path: str) -> None:
    """Counts of companies, countries, verification and embeddings."""
    embedder = make_embedder()  # a missing model is named before the database
    with open_store(db_path, readonly=True) as store:
        figures = Matchmaker(store, embedder).stats()
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
        click.echo(f"{key:>20}: {value}")


