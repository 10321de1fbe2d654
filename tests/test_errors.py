"""The error family: what a user can fix is a MatchmakerError and a one-line message;
anything else is a bug and shows as one (a traceback, not a polite sentence)."""

from __future__ import annotations

import sqlite3

import pytest

from matchmaker import errors
from matchmaker.cli import cli
from matchmaker.embedding import ModelNotFoundError
from matchmaker.judgements import JudgementInputError
from matchmaker.profiles import ProfileError
from matchmaker.reports import ReportError
from matchmaker.store import (
    BusyError,
    DatabaseFileError,
    NotFoundError,
    StaleEditError,
    Store,
    StoreError,
    database_fault,
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (StoreError, errors.MatchmakerError),
        (NotFoundError, errors.NotFound),
        (BusyError, errors.Busy),
        (StaleEditError, errors.StaleVersion),
        (DatabaseFileError, errors.Unavailable),
        (ModelNotFoundError, errors.Unavailable),
        (ProfileError, errors.InvalidProfile),
        (ReportError, errors.InvalidInput),
        (JudgementInputError, errors.InvalidInput),
    ],
)
def test_the_older_names_belong_to_the_family(old, new):
    assert issubclass(old, new) and issubclass(old, errors.MatchmakerError)


def test_an_unknown_company_is_named_plainly_and_is_still_a_key_error(store: Store):
    with pytest.raises(errors.UnknownCompany) as raised:
        store.get("nope")
    assert str(raised.value) == "no company with id 'nope'"  # not "\"no company...\""
    assert raised.value.company_id == "nope"
    assert isinstance(raised.value, KeyError) and isinstance(raised.value, NotFoundError)


def test_the_ranker_raises_unknown_company(store: Store, hashing_embedder):
    from matchmaker import engine

    ranker = engine.build_ranker(store, hashing_embedder)
    with pytest.raises(errors.UnknownCompany, match="no company with id 'nope'"):
        ranker.match("nope")


def test_a_user_mistake_is_one_line(runner, cli_env, store):
    result = runner.invoke(cli, ["similar", "nope", "--json"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no company with id 'nope'"


@pytest.mark.parametrize("bug", [KeyError("id"), ValueError("bad state"), TypeError("no")])
def test_a_bug_is_not_dressed_up_as_a_user_mistake(runner, cli_env, store, monkeypatch, bug):
    """A KeyError or ValueError from a bug used to print 'Error: ...' as if the user erred."""

    def broken(*_args, **_kwargs):
        raise bug

    monkeypatch.setattr("matchmaker.cli.data.export_profiles", broken)
    result = runner.invoke(cli, ["export"])
    assert result.exception is bug  # click's runner caught the traceback a terminal would show
    assert "Error:" not in result.output


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (sqlite3.DatabaseError("database disk image is malformed"), DatabaseFileError),
        (sqlite3.DatabaseError("file is not a database"), DatabaseFileError),
        (sqlite3.OperationalError("database or disk is full"), DatabaseFileError),
        (sqlite3.OperationalError("database is locked"), BusyError),
        (sqlite3.OperationalError("unable to open database file"), DatabaseFileError),
        (sqlite3.OperationalError("no such column: nme"), None),
        (sqlite3.OperationalError('near "SELEC": syntax error'), None),
        (sqlite3.IntegrityError("UNIQUE constraint failed: companies.id"), None),
        (sqlite3.ProgrammingError("Cannot operate on a closed database."), None),
    ],
)
def test_only_faults_of_the_database_file_are_the_user_s_to_fix(error, kind):
    found = database_fault(error, "x.db")
    assert (found is None) if kind is None else isinstance(found, kind)


@pytest.mark.parametrize(
    "bug",
    [sqlite3.OperationalError("no such column: nme"), sqlite3.ProgrammingError("closed")],
)
def test_a_database_bug_is_not_dressed_up_as_a_damaged_file(
    runner, cli_env, store, monkeypatch, bug
):
    """It used to print 'cannot read the database ... restore a backup' for any of these."""

    def broken(*_args, **_kwargs):
        raise bug

    monkeypatch.setattr("matchmaker.cli.data.export_profiles", broken)
    result = runner.invoke(cli, ["export"])
    assert result.exception is bug
    assert "Error:" not in result.output


def test_a_damaged_file_met_mid_command_is_still_one_line(runner, cli_env, store, monkeypatch):
    def damaged(*_args, **_kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr("matchmaker.cli.data.export_profiles", damaged)
    result = runner.invoke(cli, ["export"])
    assert result.exit_code == 1
    assert "is damaged" in result.stderr and "matchmaker restore" in result.stderr
