"""``matchmaker migrate``: bring a database's schema up to date, and say what was done.

Every writing command and the web app migrate on opening anyway; this is the step a
deployment runs once, before starting several app processes on a new or upgraded
database (README, "Deploy for many users"), so none of them starts on a half-made
schema and the operator sees which migrations ran.
"""

from __future__ import annotations

import click

from ..store import MIGRATIONS, Store
from .options import db_option, user_errors


@click.command()
@db_option
@user_errors
def migrate(db_path: str) -> None:
    """Create or upgrade the database's tables (SQLite file or postgresql:// URL)."""
    with Store.open(db_path, create=True, check=True, migrate=False) as store:
        applied = store.migrate()
        database = store.path
    latest = max(version for version, _ in MIGRATIONS)
    if applied:
        done = ", ".join(str(version) for version in applied)
        click.echo(f"Migrated {database} to version {latest} (applied {done})")
    else:
        click.echo(f"{database} is up to date (version {latest}); nothing to do")
