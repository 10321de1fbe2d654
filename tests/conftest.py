"""Fixtures shared by the whole suite: a small fictional data set, a migrated temporary
database holding it, the two embedders, and a click runner wired to that database.

Sub-directories (tests/web, tests/reports) add their own conftest.py on top of these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder, SentenceTransformerEmbedder
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def no_learned_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank with the fixed weights unless a test asks for the learned model.

    Set-up trains models/partner-ranker.lgb; the suite must not depend on it.
    """
    monkeypatch.setenv("MATCHMAKER_LEARNED_MODEL", "none")


@pytest.fixture
def mini_path() -> Path:
    """Ten fictional companies (LV and KR) with known partners and competitors."""
    return FIXTURES / "mini.jsonl"


@pytest.fixture
def mini_profiles(mini_path: Path) -> list[Profile]:
    parsed = parse_file(mini_path)
    assert parsed.ok, parsed.errors
    return parsed.profiles


@pytest.fixture
def tmp_db_path(tmp_path: Path) -> Path:
    """Where a test database goes; the file does not exist yet."""
    return tmp_path / "matchmaker.db"


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the local folder, loaded once per test session."""
    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm-up"])
    return embedder


@pytest.fixture
def store(tmp_db_path: Path, mini_path: Path, hashing_embedder: HashingEmbedder) -> Iterator[Store]:
    """A migrated temporary database holding the mini profiles, embedded with hashing."""
    with Store.open(tmp_db_path, create=True) as opened:
        engine.import_profiles(opened, hashing_embedder, parse_file(mini_path), actor="fixture")
        yield opened


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_db_path: Path) -> Path:
    """CLI commands use the temporary database and the fast hashing embedder."""
    monkeypatch.setenv("MATCHMAKER_DB", str(tmp_db_path))
    monkeypatch.setenv("MATCHMAKER_MODEL", "hashing")
    return tmp_db_path


@pytest.fixture(scope="session")
def db_dump() -> Callable[[Store], str]:
    """The whole database as SQL text: compare before and after to prove nothing changed."""

    def dump(target: Store) -> str:
        return "\n".join(target.db.conn.iterdump())

    return dump
