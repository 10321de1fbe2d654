"""Where saved fits live: beside a SQLite file, in a folder of their own for PostgreSQL.

A PostgreSQL URL may carry a password; it must never become part of a path, and two
URLs that differ only in it name the same database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.fit_location import default_fit_dir, state_root

URL = "postgresql://matchmaker:s3cret@db.internal:5433/matchmaker?sslmode=require"


@pytest.fixture(autouse=True)
def no_fit_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCHMAKER_FIT_DIR", raising=False)


def test_a_sqlite_file_keeps_its_fits_beside_it():
    local = "/var/lib/matchmaker/db.sqlite"
    assert state_root(local) == Path(local + ".fitted")
    assert state_root(":memory:") is None
    assert state_root("") is None


def test_a_database_url_gets_a_folder_in_the_cache_never_named_after_its_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = state_root(URL)
    assert root is not None and root.parent == tmp_path / "cache" / "matchmaker" / "fits"
    assert root.parent == default_fit_dir()
    assert root.name.startswith("matchmaker-") and "s3cret" not in str(root)
    # the same database with another password, or the password as an option: same folder
    assert state_root(URL.replace("s3cret", "rotated")) == root
    assert state_root(URL.replace(":s3cret", "") + "&password=s3cret") == root
    assert "s3cret" not in str(state_root(URL.replace(":s3cret", "") + "&password=s3cret"))


@pytest.mark.parametrize(
    "other",
    [
        URL.replace("db.internal", "db2.internal"),
        URL.replace(":5433", ":5432"),
        URL.replace("/matchmaker?", "/matchmaker_eu?"),
        URL.replace("matchmaker:s3cret@", "reporting:s3cret@"),
    ],
    ids=["host", "port", "database", "user"],
)
def test_another_database_gets_another_folder(other: str):
    assert state_root(other) != state_root(URL)


def test_fit_dir_chooses_the_folder_for_both_engines_and_none_keeps_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("MATCHMAKER_FIT_DIR", str(tmp_path / "fits"))
    pg = state_root(URL)
    assert pg is not None and pg.parent == tmp_path / "fits"
    one, two = state_root("/srv/a/matchmaker.db"), state_root("/srv/b/matchmaker.db")
    assert one.parent == two.parent == tmp_path / "fits"
    assert one != two and one.name.startswith("matchmaker.db-")
    monkeypatch.setenv("MATCHMAKER_FIT_DIR", "none")
    assert state_root(URL) is None and state_root("/srv/a/matchmaker.db") is None


@pytest.mark.parametrize("mark", ["#", "?"])
def test_a_password_with_a_url_delimiter_is_read_as_libpq_reads_it(mark: str):
    """libpq takes ``#`` and ``?`` unencoded in a password; ``urlsplit`` cut the URL there,
    so these two databases on two hosts shared one folder, and a password's start became
    the "port" of a ValueError."""
    one = state_root(f"postgresql://app:pa{mark}ss@host-a:5432/matchmaker")
    two = state_root(f"postgresql://app:pa{mark}ss@host-b:5432/matchmaker")
    rotated = state_root(f"postgresql://app:other{mark}word@host-a:5432/matchmaker")
    assert one is not None and two is not None
    assert one != two and one == rotated
    assert one.name.startswith("matchmaker-") and "pa" not in one.name.lower()


def test_a_url_libpq_cannot_read_keeps_no_fits():
    assert state_root("postgresql://app:s3cret@host/matchmaker?no_such_option=1") is None


def test_a_user_without_a_home_folder_keeps_no_fits_unless_told_where(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Some containers run as a user with no home folder: Path.home() raises."""

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", no_home)
    assert state_root(URL) is None
    monkeypatch.setenv("MATCHMAKER_FIT_DIR", str(tmp_path))
    assert state_root(URL).parent == tmp_path
