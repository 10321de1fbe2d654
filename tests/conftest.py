"""Fixtures shared by the whole suite: a small fictional data set, a migrated temporary
database holding it, the two embedders, databases embedded once per session with the
real model, and a click runner wired to a temporary database.

Sub-directories (tests/web, tests/reports, tests/browser) add their own conftest.py on
top of these.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from compiled_templates import create_jinja_environment
from databases import copy_database
from flask import Flask
from pg_server import drop_database, new_database, on_postgres
from scheduling import SECONDS_KEY, FileSeconds, make_scheduler, write_model_files

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder, SentenceTransformerEmbedder
from matchmaker.importing import parse_file
from matchmaker.profiles import Profile
from matchmaker.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def compile_templates_once() -> Iterator[None]:
    """Every app of the session reuses compiled templates (see tests/compiled_templates.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "create_jinja_environment", create_jinja_environment)
        yield


@pytest.fixture(autouse=True)
def no_learned_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank with the fixed weights unless a test asks for the learned model.

    Set-up trains models/partner-ranker.lgb; the suite must not depend on it.
    """
    monkeypatch.setenv("MATCHMAKER_LEARNED_MODEL", "none")


@pytest.fixture(scope="session", autouse=True)
def fit_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Saved fits where each engine keeps them by default, never in the user's cache.

    SQLite: beside the test's database file (``<database>.fitted``), whatever the
    developer's environment says. PostgreSQL: a folder of the session's own, as
    ``MATCHMAKER_FIT_DIR`` gives an app server (fit_location); each test database has
    its own sub-folder there. Session-wide, so module fixtures that fit see it too.
    """
    with pytest.MonkeyPatch.context() as patch:
        if on_postgres():
            patch.setenv("MATCHMAKER_FIT_DIR", str(tmp_path_factory.mktemp("fits")))
        else:
            patch.delenv("MATCHMAKER_FIT_DIR", raising=False)
        yield


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
def tmp_db_path(tmp_path: Path) -> Iterator[Path]:
    """Where a test database goes; the file does not exist yet.

    With MATCHMAKER_TEST_DB=postgresql, the URL of a new empty database on the
    session's throwaway PostgreSQL instead (tests/pg_server.py), dropped after.
    """
    if not on_postgres():
        yield tmp_path / "matchmaker.db"
        return
    url = new_database()
    yield url  # type: ignore[misc]  # a URL where a path goes: Store.open takes both
    drop_database(url)


# -- how two xdist workers share the files (tests/scheduling.py) --------------------------

MODEL_FILES_FOLDER = pytest.StashKey[str]()


def _model_files_folder(config: pytest.Config) -> str:
    """Where the workers list their real-model files for the controller (made once)."""
    if MODEL_FILES_FOLDER not in config.stash:
        config.stash[MODEL_FILES_FOLDER] = tempfile.mkdtemp(prefix="matchmaker-xdist-")
    return config.stash[MODEL_FILES_FOLDER]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``: one worker for the real-model files, the longest files first."""
    if config.getoption("dist") != "loadfile":
        return None
    return make_scheduler(config, log, _model_files_folder(config), _seconds_key())


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    node.workerinput["matchmaker_model_files"] = _model_files_folder(node.config)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        config.pluginmanager.register(FileSeconds(_seconds_key()), "matchmaker-file-seconds")


def _seconds_key() -> str:
    return SECONDS_KEY.format(engine="postgresql" if on_postgres() else "sqlite")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(MODEL_FILES_FOLDER, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tell the xdist controller which files use the real model; on PostgreSQL, skip the
    tests of SQLite's own file behaviour (marked ``sqlite_only``)."""
    folder = getattr(config, "workerinput", {}).get("matchmaker_model_files")
    if folder:
        write_model_files(folder, config.workerinput["workerid"], items)
    if not on_postgres():
        return
    skip = pytest.mark.skip(reason="SQLite file behaviour (MATCHMAKER_TEST_DB=postgresql)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the local folder, loaded once per test session.

    Torch runs one thread, as ``matchmaker serve`` does: on a 2-core machine shared
    with other jobs its default pool waits for every busy core (README, "How fast it
    is": 552 ms against 27 ms for one search sentence).
    """
    import torch

    torch.set_num_threads(1)
    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm-up"])
    return embedder


@pytest.fixture(scope="session")
def model_db(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Callable[[Path], Path]:
    """``model_db(source)``: a database of that import file, embedded with the real model.

    Built once per session and source (embedding data/companies.jsonl takes seconds
    even on an idle machine), then shared: read it as it is, or write to a
    ``databases.copy_database`` of it.
    """
    built: dict[Path, Path] = {}

    def database(source: Path) -> Path:
        source = Path(source).resolve()
        if source not in built:
            path = tmp_path_factory.mktemp("embedded") / f"{source.stem}.db"
            parsed = parse_file(source)
            assert parsed.ok, parsed.errors[:5]
            with Store.open(path, create=True) as db:
                engine.import_profiles(db, real_embedder, parsed, actor="fixture")
            built[source] = path
        return built[source]

    return database


@pytest.fixture(scope="session")
def shipped_db(
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: SentenceTransformerEmbedder,
    pytestconfig: pytest.Config,
) -> Path:
    """The shipped data as ``./scripts/run`` imports it, embedded with the real model.

    data/companies.jsonl first, then every data/batches/*.jsonl in name order, one
    import each. Embedding 563 profiles takes minutes on a busy machine, so the
    database is kept in pytest's cache (.pytest_cache) between sessions; each
    session imports the files again into a copy of it, which writes and re-embeds
    only what changed since, so the copy is always the data as it is now (the cache
    is keyed by the model and the set of ids, so a removed company is not kept). Read it
    as it is, or write to a ``databases.copy_database`` of it.
    """
    data = Path(__file__).resolve().parent.parent / "data"
    sources = [data / "companies.jsonl", *sorted((data / "batches").glob("*.jsonl"))]
    path = tmp_path_factory.mktemp("shipped") / "shipped.db"
    cache = getattr(pytestconfig, "cache", None)
    ids = sorted(p.id for source in sources for p in parse_file(source).profiles)
    key = hashlib.sha256("\n".join([real_embedder.model_id, *ids]).encode()).hexdigest()[:16]
    cached = cache.mkdir("shipped-db") / f"{key}.db" if cache else None  # same companies
    if cached is not None and cached.is_file():
        copy_database(cached, path)
    with Store.open(path, create=True) as db:
        for source in sources:
            parsed = parse_file(source)
            assert parsed.ok, (source, parsed.errors[:5])
            engine.import_profiles(db, real_embedder, parsed, actor="setup")
    if cached is not None:  # written whole, then renamed: a reader never sees half a file
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        os.replace(copy_database(path, partial), cached)
    return path


@pytest.fixture(scope="session")
def mini_hashing_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini profiles imported once per session (and xdist worker) with hashing.

    About 800 tests start from this database; importing and embedding it for each
    of them cost 70 ms of CPU a test, a backup-API copy of this one costs 5 ms.
    """
    path = tmp_path_factory.mktemp("mini-hashing") / "mini.db"
    with Store.open(path, create=True) as db:
        parsed = parse_file(FIXTURES / "mini.jsonl")
        engine.import_profiles(db, HashingEmbedder(), parsed, actor="fixture")
    return path


@pytest.fixture
def store(tmp_db_path: Path, mini_hashing_db: Path) -> Iterator[Store]:
    """A migrated temporary database holding the mini profiles, embedded with hashing.

    On SQLite a copy of the session's ``mini_hashing_db`` (the same rows an import
    makes); on PostgreSQL, where a file copy means nothing, the import itself.
    """
    if on_postgres():
        with Store.open(tmp_db_path, create=True) as opened:
            parsed = parse_file(FIXTURES / "mini.jsonl")
            engine.import_profiles(opened, HashingEmbedder(), parsed, actor="fixture")
            yield opened
        return
    copy_database(mini_hashing_db, tmp_db_path)
    with Store.open(tmp_db_path) as opened:
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
        if target.dialect == "postgresql":
            return _postgres_dump(target)
        return "\n".join(target.db.conn.iterdump())

    return dump


def _postgres_dump(target: Store) -> str:
    """Every row of every table, in order, as text (PostgreSQL has no ``iterdump``)."""
    tables = [
        row[0]
        for row in target.db.raw_execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY table_name"
        )
    ]
    lines = []
    for table in tables:
        rows = target.db.raw_execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
        lines.extend(f"{table}: {row!r}" for row in sorted(rows, key=repr))
    return "\n".join(lines)
