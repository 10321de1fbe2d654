"""The ``matchmaker`` command line: a thin layer over the core modules.

Commands parse options, call ``engine``/``store``/``ranking`` and print.
User mistakes (unknown id, missing database or model, bad file) end with a
one-line ``Error: ...`` and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from . import config, engine
from .cli_support import (
    db_option,
    make_filters,
    open_store,
    progress_printer,
    user_errors,
)
from .files import replaced_atomically
from .importing import EXPORT_FORMATS, ParsedFile, detect_format, export_profiles, parse_file
from .indexing import embed_profiles
from .judgements import as_labelled_set
from .model_comparison import CANDIDATE_MODELS
from .profiles import PARTNERSHIP_TYPES, normalise_country, visible
from .ranking import Match, PartnerRanker, TextQuery
from .store import (
    ImportConflict,
    ImportConflictError,
    Store,
    check_backup,
    restore_database,
)


@click.group()
@click.version_option(package_name="matchmaker")
def cli() -> None:
    """Find partner companies across Latvia and South Korea."""


@cli.command(name="import")
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
        if Path(db_path).exists() and not overwrite:
            with open_store(db_path, readonly=True) as store:
                _refuse_conflicts(parsed, store.find_conflicts(parsed.profiles, parsed.exported))
        click.echo(f"{len(parsed.profiles)} profiles are valid; nothing was written (dry run)")
        return
    embedder = engine.make_embedder()
    with open_store(db_path, create=True) as store:
        try:
            summary = engine.import_profiles(
                store,
                embedder,
                parsed,
                actor=actor,
                progress=progress_printer("Embedding"),
                overwrite=overwrite,
            )
        except ImportConflictError as exc:
            _refuse_conflicts(parsed, exc.conflicts)
            raise
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


@cli.command()
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


@cli.command()
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
    click.echo(f"Backed up {db_path} to {path}: {_describe(counts)}")


@cli.command()
@click.argument("backup_path", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@db_option
@user_errors
def restore(backup_path: str, yes: bool, db_path: str) -> None:
    """Replace the database with BACKUP (made by 'matchmaker backup'), after checking it.

    A damaged file, or one that is not a matchmaker database, is refused and
    nothing changes. The database it replaces is kept next to it.
    """
    counts = check_backup(backup_path)
    if not yes:
        click.confirm(
            f"Replace {db_path} with {backup_path} ({_describe(counts)})?", abort=True, err=True
        )
    counts, kept = restore_database(backup_path, db_path)
    with open_store(db_path):  # applies newer migrations and checks the result
        pass
    was = f"; the database it replaced is kept as {kept}" if kept else ""
    click.echo(f"Restored {db_path} from {backup_path}: {_describe(counts)}{was}")


def _describe(counts: dict[str, int]) -> str:
    names = {"companies": "company", "audit": "audit entry", "users": "user"}
    names |= {"judgements": "staff grade", "vectors": "embedded field"}
    plurals = {"company": "companies", "audit entry": "audit entries"}
    return ", ".join(
        _count(counts[table], names[table], plurals.get(names[table]))
        for table in names
        if table in counts
    )


@cli.command()
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
        f"{_count(len(records), 'query', 'queries')}, {_count(grades, 'partner grade')}"
        f"{skipped}" + (f"; written to {out}" if out else ""),
        err=True,
    )


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def ranking_options(command: Callable) -> Callable:
    options = [
        click.option(
            "--top",
            "-k",
            default=10,
            show_default=True,
            type=click.IntRange(1, 1000),
            help="Number of results.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON list."),
        click.option(
            "--sector", "sectors", multiple=True, help="Only candidates with this sector."
        ),
        click.option(
            "--type",
            "partnership_types",
            multiple=True,
            type=click.Choice(PARTNERSHIP_TYPES, case_sensitive=False),
            help="Only candidates open to this partnership type.",
        ),
        click.option("--verified-only", is_flag=True, help="Only verified profiles."),
        click.option("--min-employees", type=click.IntRange(0), help="Minimum company size."),
        db_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument("company_id")
@ranking_options
@user_errors
def match(company_id: str, top: int, as_json: bool, db_path: str, **filter_args) -> None:
    """Partners for COMPANY_ID in the other country, best first, with reasons."""
    with open_store(db_path, readonly=True) as store:
        store.get(company_id)
        ranker = fitted_ranker(store)
    print_matches(ranker.match(company_id, top=top, filters=make_filters(**filter_args)), as_json)


@cli.command()
@click.argument("text")
@click.option("--country", required=True, help="Country to search: LV or KR.")
@ranking_options
@user_errors
def query(text: str, country: str, top: int, as_json: bool, db_path: str, **filter_args) -> None:
    """Companies in --country for a need described in TEXT."""
    if not text.strip():
        raise click.BadParameter("describe what you need", param_hint="TEXT")
    country = normalise_country(country)
    with open_store(db_path, readonly=True) as store:
        ranker = fitted_ranker(store)
    filters = make_filters(**filter_args, country=country)
    found = ranker.query(text, country=country, top=top, filters=filters)
    if not as_json:
        click.echo(read_as(found.reading))
    print_matches(found.matches, as_json)


def read_as(parsed: TextQuery) -> str:
    """How a free-text need was read, so the user can rephrase it."""
    needs = "you need " + ", ".join(f"“{n}”" for n in parsed.needs)
    offers = "you offer " + ", ".join(f"“{o}”" for o in parsed.offers)
    if not parsed.offers:
        return f"Read as: {needs} (say what you offer too, e.g. “for our PCR kits”)\n"
    if not parsed.needs:
        return f"Read as: {offers} (no need stated: companies that want it come first)\n"
    return f"Read as: {needs}; {offers}\n"


@cli.command()
@click.argument("company_id")
@click.option("--country", type=click.Choice(["LV", "KR"]), help="Only this country.")
@ranking_options
@user_errors
def similar(
    company_id: str, country: str | None, top: int, as_json: bool, db_path: str, **filter_args
) -> None:
    """Companies whose profile reads like COMPANY_ID's: peers and competitors."""
    with open_store(db_path, readonly=True) as store:
        store.get(company_id)
        ranker = fitted_ranker(store)
    filters = make_filters(**filter_args, country=country)
    print_matches(ranker.similar(company_id, top=top, filters=filters), as_json)


def fitted_ranker(store: Store) -> PartnerRanker:
    """The ranker for a read command; say so when stale profiles were embedded for this run only.

    Read commands open the database read-only, so vectors of profiles changed
    since the last embedding are not stored and would be computed again next time.
    """
    ranker = engine.build_ranker(
        store, engine.make_embedder(), progress=progress_printer("Embedding")
    )
    unsaved = store.unsaved_vector_count()
    if unsaved:
        click.echo(
            f"Note: {_count(unsaved, 'profile field')} embedded for this run only (read "
            "commands do not write); run 'matchmaker embed' to store them",
            err=True,
        )
    return ranker


def print_matches(matches: list[Match], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
        return
    if not matches:
        click.echo("No companies pass these filters; try fewer filters.")
    for rank, m in enumerate(matches, start=1):
        where = ", ".join(x for x in (m.city, m.country) if x)
        click.echo(f"{rank:>2}. {m.name} ({where})  score {m.score:.3f}  [{m.id}]")
        for reason in m.reasons:
            click.echo(f"      - {reason}")


@cli.command()
@db_option
@user_errors
def embed(db_path: str) -> None:
    """Embed profiles whose text changed since they were last embedded."""
    embedder = engine.make_embedder()
    with open_store(db_path) as store:
        done = embed_profiles(store, embedder, progress=progress_printer("Embedding"))
    click.echo(f"Embedded {done} stale field(s) with {embedder.model_id}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@user_errors
def stats(as_json: bool, db_path: str) -> None:
    """Counts of companies, countries, verification and embeddings."""
    embedder = engine.make_embedder()
    with open_store(db_path, readonly=True) as store:
        figures = store.stats(model_id=embedder.model_id)
        figures["model"] = embedder.model_id
        figures["stale_fields"] = engine.count_stale(store, embedder)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
        click.echo(f"{key:>20}: {value}")


#: the labelled sets `matchmaker eval` measures by default, strongest ground truth first
EVAL_SETS = (
    ("real deals (eval/deals)", "eval/deals/judgements.jsonl", "eval/deals/profiles.jsonl"),
    ("judged set A", "eval/partner_judgements.jsonl", "data/companies.jsonl"),
    ("judged set B, blind", "eval/partner_judgements_b.jsonl", "data/companies.jsonl"),
)


@cli.command(name="eval")
@click.option(
    "--judgements",
    type=click.Path(exists=True, dir_okay=False),
    help="One labelled set to measure instead of the default ones (see eval/README.md).",
)
@click.option(
    "--profiles",
    default="data/companies.jsonl",
    show_default=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Candidate pool of --judgements (any import file).",
)
@click.option(
    "--peers",
    default="../shared/benchmarks/sp500-peers/companies.jsonl",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="sp500-peers file for the similar-companies measurement (skipped if absent).",
)
@click.option("--per-query", is_flag=True, help="Also print nDCG@5 of each query.")
@click.option("--models", default=",".join(CANDIDATE_MODELS), show_default=True,
              help="Embedding models compared on English and translated sets ('none': skip).")
@user_errors
def eval_cmd(
    judgements: str | None, profiles: str, peers: str, per_query: bool, models: str
) -> None:
    """Measure partner ranking and similar companies against keyword and semantic baselines.

    Without --judgements: real deals, both judged sets, then --models in EN and KO/LV.
    """
    from . import evaluation, model_comparison

    sets = [("labelled set", judgements, profiles)] if judgements else list(EVAL_SETS)
    embedder = engine.make_embedder()
    for title, judged, pool in sets:
        _eval_partner_set(evaluation, embedder, title, judged, pool, per_query)
    if Path(peers).is_file():
        companies = evaluation.load_peers(peers)
        click.echo(f"\nSimilar companies: sp500-peers, {len(companies)} companies")
        click.echo(f"{'system':<28} {'nDCG@10':>8} {'P@10':>7}")
        for s in evaluation.evaluate_similar(companies, embedder):
            click.echo(f"{s.system:<28} {s.ndcg10:>8.3f} {s.p10:>7.3f}")
    else:
        click.echo(f"\n(similar companies not measured: {peers} not found)")
    if not judgements and models != "none":
        model_comparison.report(models.split(","), engine.make_embedder, click.echo)


@cli.command()
@click.option(
    "--out",
    default=lambda: config.get("learned_model"),
    show_default="models/partner-ranker.lgb (MATCHMAKER_LEARNED_MODEL)",
    type=click.Path(dir_okay=False),
    help="Where to write the model; its record goes beside it (.json).",
)
@user_errors
def train(out: str) -> None:
    """Learn partner ranking from outcomes (real deals, both judged sets), cross-validated.

    Company queries are split into five folds by query; each fold is scored by a
    model that never saw it, next to the fixed weights. The model is saved with
    what data and commit it came from, and is used by search only if it beats
    the fixed weights held out on every set.
    """
    from . import training

    embedder = engine.make_embedder()
    report = training.train(EVAL_SETS, embedder, out)
    click.echo(f"nDCG@5 of company queries ({embedder.model_id}); held out = 5-fold by company")
    click.echo(f"{'set':<24} {'fixed':>7} {'learned, held out':>18} {'learned, in-sample':>19}")
    for name, row in report.items():
        click.echo(
            f"{name:<24} {row['fixed']:>7.3f} {row['learned']:>18.3f} {row['in_sample']:>19.3f}"
        )
    used = all(r["learned"] > r["fixed"] for r in report.values())
    click.echo(f"Wrote {out}: " + ("used by search" if used else "not used (fixed weights win)"))


def _eval_partner_set(evaluation, embedder, title: str, judged: str, pool: str, per_query: bool):
    """Print one labelled set's scores for matchmaker and both baselines, from one fit."""
    parsed = parse_file(pool, any_european=True)
    if not parsed.ok:
        raise click.ClickException(f"{pool}: {parsed.errors[0]}")
    queries = evaluation.load_judgements(judged)
    for warning in evaluation.check_pool(queries, parsed.profiles):
        click.echo(f"Warning: {warning}", err=True)
    ranker = engine.fit_in_memory(parsed.profiles, embedder)
    run = evaluation.PartnerEvaluation(parsed.profiles, ranker, embedder)
    run.learned = engine.learned_model(embedder.model_id)
    click.echo(
        f"Partner fit, {title}: {judged}, {len(queries)} queries over "
        f"{len(parsed.profiles)} profiles in {pool} ({embedder.model_id})"
    )
    click.echo(
        f"{'system':<28} {'nDCG@5':>7} {'nDCG@10':>8} {'MRR':>7} {'P@5':>6} {'comp@5':>8}"
        f" {'recall@5':>8}"
    )
    for scores in run.run(queries):
        click.echo(scores.row())
    if per_query:
        for q in queries:
            mine = evaluation.ndcg_at(run.rank_matchmaker(q), q.gains, 5)
            dense = evaluation.ndcg_at(run.rank_dense(q), q.gains, 5)
            bm25 = evaluation.ndcg_at(run.rank_bm25(q), q.gains, 5)
            click.echo(
                f"  {q.qid:<5} {q.company or q.text!s:<50.50} "
                f"mm {mine:.2f}  dense {dense:.2f}  bm25 {bm25:.2f}"
            )
    click.echo("")


from .model_commands import reembed  # noqa: E402
from .report_commands import report  # noqa: E402

cli.add_command(report)
cli.add_command(reembed)


from .web.commands import serve, user  # noqa: E402  (web commands build on the CLI group)

cli.add_command(serve)
cli.add_command(user)
