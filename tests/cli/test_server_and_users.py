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


def test_serve_says_whether_it_loaded_or_fitted_the_ranker_and_where(tmp_path: Path, monkeypatch):
    """An operator must know that a restart loads the fit (seconds) or fits (hours at 1M)."""
    from matchmaker.cli.server import _how_ranker_started, _saved_fits

    monkeypatch.delenv("MATCHMAKER_FIT_DIR", raising=False)
    db = str(tmp_path / "agency.db")
    assert _saved_fits(db) == set()  # no folder yet
    nothing_saved = _how_ranker_started(db, set(), 2.0)
    assert "could not be saved" in nothing_saved and "agency.db.fitted" in nothing_saved
    (tmp_path / "agency.db.fitted" / "r3-0123456789abcdef").mkdir(parents=True)
    fitted = _how_ranker_started(db, set(), 2.0)
    assert fitted.startswith("Ranker fitted in 2.0 s and saved in") and "agency.db.fitted" in fitted
    loaded = _how_ranker_started(db, {"r3-0123456789abcdef"}, 0.4)
    assert loaded.startswith("Ranker loaded in 0.4 s from the saved fit in")
    monkeypatch.setenv("MATCHMAKER_FIT_DIR", "none")
    assert _saved_fits(db) is None
    assert "not saved" in _how_ranker_started(db, None, 2.0)


def test_the_deploy_recipe_is_shell_and_makes_one_secret_key_for_every_process():
    """A key made inline on the serve line differs per machine and per restart: logins
    made through one app process fail on the next, and every restart logs everyone out."""
    import re
    import subprocess

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Deploy for many users", 1)[1]
    recipe = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    assert subprocess.run(["bash", "-n"], input=recipe, text=True).returncode == 0
    serve = recipe[recipe.index("MATCHMAKER_ENV=production") :]
    assert "token_urlsafe" not in serve and "MATCHMAKER_SECRET_KEY=" in serve
    assert recipe.count("token_urlsafe") == 1
