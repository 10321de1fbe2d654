"""``matchmaker duplicates``: likely duplicate profiles in the database, with their evidence.

Registered on the main group in :mod:`cli` with one ``add_command`` line; the
detection itself is :mod:`matchmaker.duplicates`.
"""

from __future__ import annotations

import json

import click

from ..duplicates import check_import, describe, find_in_store
from ..embedding import ModelNotFoundError
from ..profiles import visible
from ..service import Matchmaker
from .options import db_option, open_store, user_errors


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: pairs with score and evidence.")
@db_option
@user_errors
def duplicates(as_json: bool, db_path: str) -> None:
    """Pairs of profiles that look like one organisation, most likely first.

    Evidence: names across Latin, Latvian and Hangul spellings (legal forms
    removed, Hangul romanised), the website, and the stored profile vectors.
    Merge them on the staff page /staff/duplicates.
    """
    with open_store(db_path, readonly=True) as store:
        pairs = find_in_store(store, running_model_id(Matchmaker(store)))
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in pairs], ensure_ascii=False, indent=2))
        return
    if not pairs:
        click.echo("No likely duplicates.")
        return
    click.echo(f"{len(pairs)} likely duplicate pair(s):")
    for pair in pairs:
        click.echo(visible(f"  {describe(pair)}"))


def running_model_id(service: Matchmaker) -> str | None:
    """The model whose stored vectors are compared, or None when it is not installed:
    names and websites still find duplicates without it."""
    try:
        return service.model_id
    except ModelNotFoundError:
        return None


def warn_about_duplicates(store, profiles) -> None:
    """After an import (or its dry run): name the rows that look like another profile."""
    pairs = check_import(store, profiles)
    if not pairs:
        return
    click.echo(
        f"Warning: {len(pairs)} imported row(s) look like another profile (check and merge "
        "them on /staff/duplicates, or see 'matchmaker duplicates'):",
        err=True,
    )
    for pair in pairs[:20]:
        click.echo(visible(f"  {describe(pair)}"), err=True)
