"""``matchmaker user`` and ``matchmaker serve`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash

from matchmaker.cli import cli
from matchmaker.store import Store


def test_no_accounts_exist_until_someone_makes_one(store: Store):
    assert store.list_users() == []


def test_user_add_reads_the_password_from_stdin_and_hashes_it(
    runner: CliRunner, cli_env: Path, store: Store
):
    result = runner.invoke(
        cli, ["user", "add", "ilze", "--password-stdin"], input="pa55word-long\n"
    )
    assert result.exit_code == 0, result.output
    user = store.get_user("ilze")
    assert user["password_hash"].startswith("scrypt:")
    assert check_password_hash(user["password_hash"], "pa55word-long")
    assert "pa55word-long" not in result.output
    assert runner.invoke(cli, ["user", "list"]).output.split() == ["ilze"]


def test_user_add_prompts_twice_when_not_given_stdin(runner: CliRunner, cli_env: Path, store):
    result = runner.invoke(
        cli, ["user", "add", "jisoo"], input="a-good-password\na-good-password\n"
    )
    assert result.exit_code == 0, result.output
    assert store.get_user("jisoo")


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["user", "add", "ilze"], "short", "at least 12 characters"),
        (["user", "add", "bad name"], "a-good-password", "a user name is"),
        (["user", "passwd", "nobody"], "a-good-password", "no staff user"),
    ],
)
def test_user_commands_explain_mistakes(
    runner: CliRunner, cli_env: Path, store: Store, args, password, message
):
    result = runner.invoke(cli, [*args, "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert store.list_users() == []


def test_duplicate_user_is_refused(runner: CliRunner, cli_env: Path, store: Store):
    for expected in (0, 1):
        result = runner.invoke(cli, ["user", "add", "ilze", "--password-stdin"], input="x" * 12)
        assert result.exit_code == expected
    assert "already exists" in result.output


def test_passwd_changes_the_password(runner: CliRunner, cli_env: Path, store: Store):
    runner.invoke(cli, ["user", "add", "ilze", "--password-stdin"], input="x" * 12)
    generation = store.get_user("ilze")["session_generation"]
    result = runner.invoke(cli, ["user", "passwd", "ilze", "--password-stdin"], input="y" * 12)
    assert result.exit_code == 0, result.output
    user = store.get_user("ilze")
    assert check_password_hash(user["password_hash"], "y" * 12)
    assert user["session_generation"] == generation + 1  # every session ended


def test_serve_refuses_production_without_a_secret_key(
    runner: CliRunner, cli_env: Path, store: Store, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    result = runner.invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "needs MATCHMAKER_SECRET_KEY" in result.output


def test_serve_refuses_a_missing_database(runner: CliRunner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_MODEL", "hashing")
    result = runner.invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no database at" in result.output and "matchmaker import" in result.output


def test_serve_and_user_are_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for command in ("matchmaker serve", "matchmaker user add"):
        assert command in readme
