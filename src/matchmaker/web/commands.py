"""``matchmaker serve`` and ``matchmaker user``: running the web app and making staff accounts.

``serve`` runs the app under waitress, a production WSGI server, after
loading the model and fitting the ranker so the first search is fast; the
Flask development server is used only with ``--debug``. Staff accounts exist
only if someone makes them here: there are no default accounts.
"""

from __future__ import annotations

import sys

import click

from ..cli_support import db_option, user_errors
from ..store import Store
from . import auth, create_app, resources
from . import reports as report_views


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--debug", is_flag=True, help="Flask's development server with reloading.")
@db_option
@user_errors
def serve(host: str, port: int, threads: int, debug: bool, db_path: str) -> None:
    """Serve the web app (partner search, staff curation, JSON API)."""
    Store.open(db_path, check=True).close()  # a damaged file is refused before serving
    app = create_app({"DB": db_path})
    if debug and app.config["ENV"] == "production":
        raise click.ClickException("--debug is refused when MATCHMAKER_ENV=production")
    # One torch thread per request thread: torch's default pool (one thread per core)
    # waits for every core, so on a busy 2-core machine encoding a one-line search
    # took 550 ms instead of 27 ms (15 vs 19 ms when idle; README, "Speed").
    import torch  # only here: other commands need not pay for importing it

    torch.set_num_threads(1)
    with app.app_context():
        store = resources.get_store()
        companies = store.stats()["companies"]
        click.echo(f"Loading the model and fitting the ranker on {companies} companies...")
        resources.get_snapshot()  # fitted before listening; later refits run in the background
        resources.get_embedder().encode(["warm-up"])  # the first text search is fast too
        resumed = report_views.recover_jobs()
        if resumed:
            click.echo(f"Resuming {len(resumed)} report jobs cut off by the last shutdown.")
        resources.close_store()
    url = f"http://{host}:{port}"
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    import waitress

    click.echo(f"Serving matchmaker on {url} (waitress, {threads} threads); Ctrl+C stops it.")
    waitress.serve(app, host=host, port=port, threads=threads, ident="matchmaker")


@click.group()
def user() -> None:
    """Staff accounts for the curation pages and the write API."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command(name="add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@db_option
@user_errors
def user_add(username: str, password_stdin: bool, db_path: str) -> None:
    """Create a staff account; the password is prompted for (or read with --password-stdin)."""
    auth.check_username(username)
    password_hash = auth.hash_password(_read_password(password_stdin))
    with Store.open(db_path, create=True) as store:
        store.add_user(username, password_hash)
    click.echo(f"Created staff user {username}")


@user.command(name="passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@db_option
@user_errors
def user_passwd(username: str, password_stdin: bool, db_path: str) -> None:
    """Set a staff user's password; every session of the user ends at once."""
    with Store.open(db_path) as store:
        if not store.get_user(username):
            raise click.ClickException(f"no staff user '{username}'")
        store.set_password(username, auth.hash_password(_read_password(password_stdin)))
    click.echo(f"Changed the password of {username}; their sessions have ended")


@user.command(name="disable")
@click.argument("username")
@db_option
@user_errors
def user_disable(username: str, db_path: str) -> None:
    """Stop a staff user from logging in and end every session of theirs at once."""
    with Store.open(db_path) as store:
        _require(store.set_disabled(username, True), username)
    click.echo(f"Disabled {username}; their sessions have ended ('matchmaker user enable' undoes)")


@user.command(name="enable")
@click.argument("username")
@db_option
@user_errors
def user_enable(username: str, db_path: str) -> None:
    """Let a disabled staff user log in again (old sessions stay ended)."""
    with Store.open(db_path) as store:
        _require(store.set_disabled(username, False), username)
    click.echo(f"Enabled {username}")


@user.command(name="remove")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
@user_errors
def user_remove(username: str, yes: bool, db_path: str) -> None:
    """Delete a staff account and end its sessions; its name stays in the audit history."""
    with Store.open(db_path) as store:
        _require(store.get_user(username) is not None, username)
        if not yes:
            click.confirm(f"Remove staff user {username}?", abort=True)
        _require(store.remove_user(username), username)
    click.echo(f"Removed {username}; their sessions have ended")


@user.command(name="list")
@db_option
@user_errors
def user_list(db_path: str) -> None:
    """Staff user names, one a line; a disabled account is marked."""
    with Store.open(db_path) as store:
        for name in store.list_users():
            disabled = store.get_user(name)["disabled_at"]
            click.echo(f"{name} (disabled)" if disabled else name)


def _require(found: bool, username: str) -> None:
    if not found:
        raise click.ClickException(f"no staff user '{username}'")
