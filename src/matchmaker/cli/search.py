"""Commands that rank: ``match`` (partners), ``query`` (a need in words), ``similar`` (peers).

They share the ranking options (:func:`options.ranking_options`) and print
matches the same way, as numbered lines with reasons or as a JSON list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..profiles import normalise_country
from ..ranking import Match, TextQuery
from ..ranking.text_queries import describe_reading
from ..service import Matchmaker
from ..store import Store
from .options import (
    count_of,
    make_filters,
    open_store,
    progress_printer,
    ranking_options,
    user_errors,
)


@click.command()
@click.argument("company_id")
@ranking_options
@user_errors
def match(company_id: str, top: int, as_json: bool, db_path: str, **filter_args) -> None:
    """Partners for COMPANY_ID in the other country, best first, with reasons."""
    with read_service(db_path) as service:
        found = service.match(company_id, top=top, filters=make_filters(**filter_args))
    print_matches(found, as_json)


@click.command()
@click.argument("text")
@click.option("--country", required=True, help="Country to search: LV or KR.")
@ranking_options
@user_errors
def query(text: str, country: str, top: int, as_json: bool, db_path: str, **filter_args) -> None:
    """Companies in --country for a need described in TEXT."""
    if not text.strip():
        raise click.BadParameter("describe what you need", param_hint="TEXT")
    country = normalise_country(country)
    filters = make_filters(**filter_args, country=country)
    with read_service(db_path) as service:
        found = service.query(text, country=country, top=top, filters=filters)
    if not as_json:
        click.echo(read_as(found.reading))
    print_matches(found.matches, as_json)


def read_as(parsed: TextQuery) -> str:
    """How a free-text need was read, in the language it was typed in, so the user can rephrase."""
    return describe_reading(parsed) + "\n"


@click.command()
@click.argument("company_id")
@click.option("--country", type=click.Choice(["LV", "KR"]), help="Only this country.")
@ranking_options
@user_errors
def similar(
    company_id: str, country: str | None, top: int, as_json: bool, db_path: str, **filter_args
) -> None:
    """Companies whose profile reads like COMPANY_ID's: peers and competitors."""
    filters = make_filters(**filter_args, country=country)
    with read_service(db_path) as service:
        found = service.similar(company_id, top=top, filters=filters)
    print_matches(found, as_json)


@contextmanager
def read_service(db_path: str) -> Iterator[Matchmaker]:
    """The service for a read command; say so when stale profiles were embedded for this run only.

    Read commands open the database read-only, so vectors of profiles changed
    since the last embedding are not stored and would be computed again next time.
    """
    with open_store(db_path, readonly=True) as store:
        yield Matchmaker(store, progress=progress_printer("Embedding"))
        _note_unsaved_vectors(store)


def _note_unsaved_vectors(store: Store) -> None:
    unsaved = store.unsaved_vector_count()
    if unsaved:
        click.echo(
            f"Note: {count_of(unsaved, 'profile field')} embedded for this run only (read "
            "commands do not write); run 'matchmaker embed' to store them",
            err=True,
        )


def print_matches(matches: list[Match], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
        return
    if not matches:
        click.echo("No companies pass these filters; try fewer filters.")
    for rank, m in enumerate(matches, start=1):
        where = ", ".join(x for x in (m.city, m.country) if x)
        fit = f"{m.fit} fit, " if m.fit else ""
        click.echo(f"{rank:>2}. {m.name} ({where})  {fit}score {m.score:.3f}  [{m.id}]")
        for reason in m.reasons:
            click.echo(f"      - {reason}")


