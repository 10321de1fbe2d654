"""What every command module shares: the --db option, the ranking options, error
handling, opening the database, progress bars and counted nouns.

Declared once here so that two commands never spell the same option differently.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from .. import config
from ..errors import MatchmakerError
from ..profiles import PARTNERSHIP_TYPES, visible
from ..ranking import Filters
from ..service import Progress
from ..store import Store, database_fault
from ..store.connection import shown


def db_option(command: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        envvar="MATCHMAKER_DB",
        default=config.get("db"),
        show_default=True,
        type=click.Path(dir_okay=False),
        help="SQLite database (or set MATCHMAKER_DB).",
    )(command)


def user_errors(command: Callable) -> Callable:
    """Turn the errors a user can fix into a one-line message and exit code 1.

    Those are the domain's :class:`MatchmakerError` family, a damaged, full or locked
    database file (:func:`store.database_fault`; any other database error is ours),
    and ``OSError`` (the machine refused: a missing file, no permission, a full disk).
    Anything else is a bug and ends with its traceback, so it gets reported instead
    of being mistaken for the user's mistake.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except sqlite3.DatabaseError as exc:  # raised mid-command, e.g. by a damaged page
            error = database_fault(exc, shown(kwargs.get("db_path") or "the database"))
            if error is None:
                raise  # not the file's fault (a misspelt statement, a broken constraint): a bug
            raise click.ClickException(visible(str(error))) from None
        except (MatchmakerError, OSError) as exc:
            # ids and names in a message may come from a file: never let them drive the terminal
            raise click.ClickException(visible(str(exc))) from None

    return wrapper


@contextmanager
def open_store(db_path: str, create: bool = False, readonly: bool = False) -> Iterator[Store]:
    """The database for one command: read commands open it read-only (a read-only copy
    works); writing commands check it first (``PRAGMA quick_check``) so that nothing is
    written into a damaged file."""
    store = Store.open(db_path, create=create, readonly=readonly, check=not readonly)
    try:
        yield store
    finally:
        store.close()


def progress_printer(label: str) -> Progress | None:
    """A progress bar on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        return None
    state: dict = {}

    def report(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return report


def make_filters(sectors, partnership_types, verified_only, min_employees, country=None) -> Filters:
    canonical = {t.lower(): t for t in PARTNERSHIP_TYPES}
    return Filters(
        country=country,
        sectors=list(sectors),
        partnership_types=[canonical[t.lower()] for t in partnership_types],
        verified_only=verified_only,
        min_employees=min_employees,
    )


def count_of(number: int, singular: str, plural: str | None = None) -> str:
    """``1 query``, ``2 queries``: the noun agrees with the number."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def top_option(help_text: str) -> Callable[[Callable], Callable]:
    """--top/-k, how many results (1 to 1000): one spelling for every command that ranks."""
    return click.option(
        "--top",
        "-k",
        default=10,
        show_default=True,
        type=click.IntRange(1, 1000),
        help=help_text,
    )


def ranking_options(command: Callable) -> Callable:
    """--top, --json, the candidate filters and --db, as match, query and similar take them."""
    options = [
        top_option("Number of results."),
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
