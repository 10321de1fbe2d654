"""``matchmaker user``: staff accounts. There are no default accounts: staff exist only
if someone makes them here.
"""

from __future__ import annotations

import sys

import click

from .. import accounts
from ..store import Store
from .options import db_option, user_errors


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
    accounts.check_username(username)
    password_hash = accounts.hash_password(_read_password(password_stdin))
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
        store.set_password(username, accounts.hash_password(_read_password(password_stdin)))
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
