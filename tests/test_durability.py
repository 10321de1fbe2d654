"""Durable data: nothing written before the model is known to work, exports that never
truncate the previous file, and (below) databases that are not fine: full, empty,
damaged or read-only. Each problem ends in one line naming the file and what to do.

Disk-full cases run the real CLI in a child process whose file-size limit
(``RLIMIT_FSIZE``) plays the full disk: writes past it fail as they would on a full
file system, while the parent keeps writing freely.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matchmaker import engine
from matchmaker.cli import cli
from matchmaker.embedding import DEFAULT_MODEL_DIR, HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.store import Store, StoreError, VectorRow

ROOT = Path(__file__).parents[1]
DATA = ROOT / "data" / "companies.jsonl"


def run(runner: CliRunner, *args: str, ok: bool = True, **env: str):
    result = runner.invoke(cli, [str(a) for a in args], env=env or None)
    assert "Traceback" not in result.output
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("Error: "), result.output
    return lines[-1]


def run_child(*args: str, file_size_limit: int | None = None, **env: str):
    """The real CLI in a child process, optionally on a 'disk' that fills at the limit."""

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "matchmaker", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "MATCHMAKER_MODEL": "hashing", **env},
        preexec_fn=limit,
        timeout=300,
    )


def count_companies(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM companies").fetchone()[0]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def make_database(path: Path, source: Path) -> None:
    with Store.open(path, create=True) as db:
        engine.import_profiles(db, HashingEmbedder(), parse_file(source), actor="setup")


# -- the model is checked before anything is written ------------------------------------


@pytest.fixture(params=["missing weights", "damaged weights"])
def broken_model(request, tmp_path: Path) -> Path:
    """The real model's folder without (or with a garbage) weights file."""
    folder = tmp_path / "broken-model"
    source = DEFAULT_MODEL_DIR.resolve() if DEFAULT_MODEL_DIR.exists() else None
    if source is None:
        pytest.skip("the local model folder is not set up")
    shutil.copytree(
        source, folder, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "onnx", "openvino")
    )
    if request.param == "damaged weights":
        (folder / "model.safetensors").write_bytes(b"\x00garbage" * 100)
    return folder


def test_a_broken_model_fails_the_import_before_any_row_is_written(
    runner, cli_env, mini_path, broken_model
):
    run(runner, "import", mini_path)
    result = run(runner, "import", DATA, ok=False, MATCHMAKER_MODEL=str(broken_model))
    error = one_line_error(result)
    assert error.startswith(f"Error: cannot load the model at {broken_model}")
    assert "./scripts/setup" in error
    assert count_companies(cli_env) == 10  # was 102 -> 104: rows written, then the failure


# -- export never truncates the previous file --------------------------------------------


def test_a_failed_export_leaves_the_previous_file_whole(tmp_path: Path):
    db = tmp_path / "matchmaker.db"
    make_database(db, DATA)
    out = tmp_path / "companies.jsonl"
    previous = b'{"previous": "export"}\n' * 10
    out.write_bytes(previous)
    result = run_child("export", "--out", out, "--db", db, file_size_limit=64 * 1024)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir() if "companies" in p.name) == [out.name]
    assert run_child("export", "--out", out, "--db", db).returncode == 0
    assert out.stat().st_size > 64 * 1024


# -- when the database file is not fine -------------------------------------------------


def test_a_full_disk_during_import_is_one_line_and_writes_nothing(tmp_path: Path, mini_path):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    before = logical_dump(db)
    result = run_child("import", DATA, "--db", db, file_size_limit=64 * 1024)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot use {db}: disk I/O error")
    assert "nothing was written" in line
    assert count_companies(db) == 10 and integrity(db) == "ok"
    # every row as before; the import's embedding lease is taken and dropped again, so
    # the file's change counter may move while no content does
    assert logical_dump(db) == before


def logical_dump(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


EDIT_ON_A_FULL_DISK = r"""
import json, resource, sys
from matchmaker.web import create_app

db, staging, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"TESTING": True, "DB": db, "MODEL": "hashing", "SECRET_KEY": "x" * 40,
                  "IMPORT_STAGING_DIR": staging})
client = app.test_client()
token = client.get("/api/session").get_json()["csrf_token"]
login = client.post("/api/session", json={"username": "staff", "password": "a long password"},
                    headers={"X-CSRF-Token": token})
token = login.get_json()["csrf_token"]
version = client.get("/api/companies/jeju-cosmetics").get_json()["version"]
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
response = client.patch("/api/companies/jeju-cosmetics", headers={"X-CSRF-Token": token},
                        json={"version": version, "description": "Edited. " * 500})
print(json.dumps({"status": response.status_code, "body": response.get_json()}))
"""


def test_an_edit_on_a_full_disk_is_a_clear_503_and_writes_nothing(tmp_path: Path, mini_path):
    from matchmaker.web.auth import hash_password

    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    with Store.open(db) as store:
        store.add_user("staff", hash_password("a long password"))
    before = count_audit(db)
    child = subprocess.run(
        [sys.executable, "-c", EDIT_ON_A_FULL_DISK, str(db), str(tmp_path / "staging"), "8192"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503, answer
    assert answer["body"]["error"].startswith(f"cannot use {db}: disk I/O error")
    assert "nothing was written" in answer["body"]["error"]
    assert count_audit(db) == before and integrity(db) == "ok"
    with Store.open(db) as store:
        assert not store.get("jeju-cosmetics").description.startswith("Edited.")


def count_audit(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("command", [["export"], ["stats"], ["import", "MINI"], ["match", "x"]])
def test_an_empty_file_is_not_taken_as_a_new_database(runner, tmp_path, mini_path, command):
    db = tmp_path / "matchmaker.db"
    db.write_bytes(b"")
    args = [mini_path if a == "MINI" else a for a in command]
    result = run(runner, *args, "--db", db, ok=False, MATCHMAKER_MODEL="hashing")
    assert result.stdout == ""
    assert one_line_error(result) == (
        f"Error: {db} is empty (0 bytes), so it is not a matchmaker database; restore a "
        f"backup with 'matchmaker restore BACKUP --db {db}', or delete the file to start anew"
    )
    assert db.stat().st_size == 0


def damage_the_vectors_table(path: Path) -> None:
    """Overwrite the vectors table's first page with garbage, as a failing disk might."""
    conn = sqlite3.connect(path)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'vectors'").fetchone()
    finally:
        conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root[0] - 1) * page_size)
        handle.write(bytes(range(256)) * (page_size // 256))


def test_a_damaged_database_is_refused_before_a_write_and_reads_fail_cleanly(
    runner, tmp_path, mini_path
):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    damage_the_vectors_table(db)
    before = db.read_bytes()
    env = {"MATCHMAKER_MODEL": "hashing"}
    result = run(runner, "import", DATA, "--db", db, ok=False, **env)
    assert one_line_error(result).startswith(f"Error: the database {db} is damaged (")
    assert f"nothing was written. Restore a backup with 'matchmaker restore BACKUP --db {db}'" in (
        result.stderr
    )
    assert db.read_bytes() == before
    for command in (["match", "baltic-generics"], ["serve"]):
        result = run(runner, *command, "--db", db, ok=False, **env)
        assert "is damaged" in one_line_error(result) and "matchmaker restore" in result.stderr
    assert db.read_bytes() == before


def test_the_web_app_answers_a_damaged_database_with_a_503_not_a_500(tmp_path, mini_path):
    from matchmaker.web import create_app

    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    damage_the_vectors_table(db)
    app = create_app(
        {"TESTING": True, "DB": str(db), "MODEL": "hashing", "SECRET_KEY": "x" * 40,
         "IMPORT_STAGING_DIR": str(tmp_path / "staging")}
    )
    response = app.test_client().get("/api/companies/baltic-generics/matches")
    assert response.status_code == 503
    assert "is damaged" in response.get_json()["error"]


@pytest.fixture
def read_only_copy(tmp_path: Path, mini_path: Path):
    """A database in a folder where nothing can be written, not even by root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    db = folder / "matchmaker.db"
    make_database(db, mini_path)
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", db, folder], capture_output=True)
        if made.returncode != 0:
            pytest.skip("running as root without chattr: cannot make a read-only file")
        undo = ["chattr", "-i", db, folder]
    else:
        db.chmod(0o444)
        folder.chmod(0o555)
        undo = ["chmod", "u+w", db, folder]
    try:
        yield db
    finally:
        subprocess.run(undo, check=True)


def test_read_commands_work_on_a_read_only_copy(runner, read_only_copy, mini_profiles):
    env = {"MATCHMAKER_MODEL": "hashing"}
    db = read_only_copy
    exported = run(runner, "export", "--db", db, **env).stdout
    assert len(exported.splitlines()) == len(mini_profiles)
    assert "companies: 10" in run(runner, "stats", "--db", db, **env).stdout
    assert run(runner, "match", "baltic-generics", "--db", db, **env).stdout.startswith(" 1. ")
    assert run(runner, "similar", "baltic-generics", "--db", db, **env).stdout.startswith(" 1. ")
    result = run(runner, "query", "PCR test kits", "--country", "KR", "--db", db, **env)
    assert " 1. " in result.stdout
    refused = run(runner, "import", DATA, "--db", db, ok=False, **env)
    assert str(db) in one_line_error(refused)
    assert sorted(p.name for p in db.parent.iterdir()) == ["matchmaker.db"]


# -- durability setting -----------------------------------------------------------------


def synchronous_of(store: Store) -> int:
    return store.db.execute("PRAGMA synchronous").fetchone()[0]


def test_commits_are_synced_to_disk_by_default_and_the_setting_is_checked(
    tmp_db_path, monkeypatch
):
    from matchmaker.web import create_app
    from matchmaker.web.resources import get_store

    with Store.open(tmp_db_path, create=True) as store:
        assert synchronous_of(store) == 2  # FULL (it was NORMAL: 1)
    monkeypatch.setenv("MATCHMAKER_SYNCHRONOUS", "normal")
    with Store.open(tmp_db_path) as store:
        assert synchronous_of(store) == 1
    monkeypatch.delenv("MATCHMAKER_SYNCHRONOUS")
    app = create_app({"TESTING": True, "DB": str(tmp_db_path), "SECRET_KEY": "x" * 40})
    assert app.config["SYNCHRONOUS"] == "FULL"
    with app.app_context():
        assert synchronous_of(get_store()) == 2
    monkeypatch.setenv("MATCHMAKER_SYNCHRONOUS", "sometimes")
    with pytest.raises(StoreError, match="MATCHMAKER_SYNCHRONOUS must be one of OFF, NORMAL"):
        Store.open(tmp_db_path)
    with pytest.raises(StoreError, match="MATCHMAKER_SYNCHRONOUS must be one of"):
        create_app({"TESTING": True, "DB": str(tmp_db_path), "SECRET_KEY": "x" * 40})


# -- backup and restore -----------------------------------------------------------------


def full_dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read afresh: what a backup must keep."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


@pytest.fixture
def lived_in(tmp_path: Path, mini_path: Path) -> Path:
    """A database with history: edits, a deleted profile, a staff user and a grade."""
    from matchmaker.judgements import Judgement
    from matchmaker.web.auth import hash_password

    db = tmp_path / "live" / "matchmaker.db"
    make_database(db, mini_path)
    with Store.open(db) as store:
        profile = store.get("jeju-cosmetics")
        profile.city = "Seogwipo"
        store.save(profile, "anna", expected_version=profile.version)
        store.set_deleted("vidzeme-wood", True, "anna")
        store.add_user("anna", hash_password("a long password"))
        store.add_judgement(
            Judgement("KR", "han-generics", 2, query_company="baltic-generics"), actor="anna"
        )
    return db


def test_backup_and_restore_keep_everything_export_loses(runner, lived_in, tmp_path):
    backup = tmp_path / "backups" / "monday.db"
    backup.parent.mkdir()
    before = full_dump(lived_in)
    result = run(runner, "backup", backup, "--db", lived_in)
    assert result.stdout.strip() == (
        f"Backed up {lived_in} to {backup}: 10 companies, 12 audit entries, 1 user, "
        "1 staff grade, 60 embedded fields"
    )
    assert full_dump(backup) == before and integrity(backup) == "ok"
    assert backup.stat().st_mode & 0o077 == 0  # password hashes: for the owner only
    with Store.open(lived_in) as store:  # life goes on after the backup...
        store.set_deleted("jeju-cosmetics", True, "bob")
    result = run(runner, "restore", backup, "--db", lived_in, "--yes")
    assert result.stdout.startswith(f"Restored {lived_in} from {backup}: 10 companies")
    assert full_dump(lived_in) == before  # ...and the restore brings back Monday exactly
    [kept] = [p for p in lived_in.parent.iterdir() if ".before-restore-" in p.name]
    assert kept.name in result.stdout
    with Store.open(kept) as store:
        assert store.is_deleted("jeju-cosmetics")


def test_restore_asks_first_and_a_no_changes_nothing(runner, lived_in, tmp_path):
    backup = tmp_path / "b.db"
    run(runner, "backup", backup, "--db", lived_in)
    with Store.open(lived_in) as store:
        store.set_deleted("jeju-cosmetics", True, "bob")
    before = full_dump(lived_in)
    result = runner.invoke(cli, ["restore", str(backup), "--db", str(lived_in)], input="n\n")
    assert result.exit_code == 1 and "Replace " in result.output
    assert full_dump(lived_in) == before


def not_a_database(path: Path) -> None:
    path.write_text("name,country\nAcme,LV\n" * 300)


def without_migrations(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def without_table(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE judgements")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (damage_the_vectors_table, "is damaged ("),
        (truncated, "is damaged ("),
        (not_a_database, "is not a backup: file is not a database"),
        (without_migrations, "is not a matchmaker database (no migrations table)"),
        (without_table, "lacks tables judgements; it cannot be restored"),
        (lambda path: path.write_bytes(b""), "is not a backup: the file is missing or empty"),
    ],
)
def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(
    runner, lived_in, tmp_path, spoil, message
):
    backup = tmp_path / "b.db"
    if spoil not in (not_a_database, without_migrations):
        run(runner, "backup", backup, "--db", lived_in)
    spoil(backup)
    before = lived_in.read_bytes()
    result = run(runner, "restore", backup, "--db", lived_in, "--yes", ok=False)
    error = one_line_error(result)
    assert error.startswith(f"Error: {backup} ") and message in error, error
    assert lived_in.read_bytes() == before
    assert [p.name for p in lived_in.parent.iterdir() if "before-restore" in p.name] == []


def test_a_damaged_database_is_not_backed_up(runner, tmp_path, mini_path):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    damage_the_vectors_table(db)
    backup = tmp_path / "b.db"
    result = run(runner, "backup", backup, "--db", db, ok=False)
    assert "is damaged" in one_line_error(result)
    assert [p.name for p in tmp_path.iterdir() if "b.db" in p.name] == []  # nor a temporary


@pytest.mark.parametrize("spoil", [lambda path: path.write_bytes(b""), damage_the_vectors_table])
def test_restore_replaces_an_empty_or_damaged_live_file(runner, lived_in, tmp_path, spoil):
    backup = tmp_path / "b.db"
    run(runner, "backup", backup, "--db", lived_in)
    before = full_dump(backup)
    spoil(lived_in)
    spoiled = lived_in.read_bytes()
    run(runner, "restore", backup, "--db", lived_in, "--yes")
    assert full_dump(lived_in) == before and integrity(lived_in) == "ok"
    kept = [p for p in lived_in.parent.iterdir() if "before-restore" in p.name]
    assert [p.read_bytes() for p in kept] == ([spoiled] if spoiled else [])


WRITER = r"""
import sys
from matchmaker.profiles import validate_profile
from matchmaker.store import Store

store = Store.open(sys.argv[1])
i = 0
while True:  # one company and its audit entry per transaction, until killed
    store.create(validate_profile({
        "id": f"written-{i:05d}", "name": f"Written During Backup {i} (fictional)",
        "country": "LV", "description": "Fictional company written during a backup.",
    }), actor="writer")
    if i == 0:  # after the first write: its language detector has loaded, writes are quick
        print("ready", flush=True)
    i += 1
"""


def test_a_backup_taken_while_another_process_writes_is_consistent(runner, tmp_path, mini_path):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    with Store.open(db) as store:  # some bulk, so that a backup takes a moment
        store.save_vectors("filler", [
            VectorRow(p.id, f"filler-{n}", "x", np.ones((64, 384), np.float32), ["x"] * 64)
            for p in store.list() for n in range(20)
        ])
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        counts = []
        for n in range(5):
            backup = tmp_path / f"backup-{n}.db"
            run(runner, "backup", backup, "--db", db)
            assert integrity(backup) == "ok"
            rows = full_dump(backup)
            created = [a for a in rows["audit"] if a[2] == "writer"]
            # each write is one company and its audit entry: a snapshot holds both or neither
            written = [c for c in rows["companies"] if c[0].startswith("written-")]
            assert len(written) == len(created)
            assert [c[0] for c in written] == [f"written-{i:05d}" for i in range(len(written))]
            assert dict(rows["meta"])["revision"] == str(1 + len(written))
            counts.append(len(written))
    finally:
        writer.kill()
        writer.wait()
    assert counts == sorted(counts) and counts[-1] > counts[0]  # the writer kept writing
    assert integrity(db) == "ok" and count_companies(db) >= 10 + counts[-1]


def test_the_durability_benchmark_runs_quick(tmp_path, capsys):
    sys.path.insert(0, str(ROOT))
    from benchmarks import durability

    durability.main(["--edits", "5", "--rows", "20", "--rounds", "2", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "| NORMAL |" in out and "| FULL |" in out and "| FULL / NORMAL |" in out
    assert list(tmp_path.iterdir()) == []  # its databases are removed


def test_a_disk_that_fills_while_embedding_says_the_profiles_were_saved(
    tmp_path: Path, mini_path
):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    # How much the profile rows alone need: import them into a copy and measure its log.
    rehearsal = tmp_path / "rehearsal.db"
    shutil.copy(db, rehearsal)
    with Store.open(rehearsal) as store:
        store.upsert_many(parse_file(DATA).profiles, actor="rehearsal")
        rows_need = (tmp_path / "rehearsal.db-wal").stat().st_size
    result = run_child("import", DATA, "--db", db, file_size_limit=rows_need + 64 * 1024)
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: the 102 imported profile(s) were saved, but their embeddings ")
    assert "run 'matchmaker embed'" in line and "nothing was written" not in line
    assert count_companies(db) == 10 + 102 and integrity(db) == "ok"  # rows whole
    assert run_child("embed", "--db", db).returncode == 0


def test_read_commands_embed_stale_profiles_for_the_run_and_say_so(runner, tmp_path, mini_path):
    db = tmp_path / "matchmaker.db"
    make_database(db, mini_path)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM vectors WHERE company_id = 'han-generics'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    env = {"MATCHMAKER_MODEL": "hashing"}
    result = run(runner, "match", "baltic-generics", "--json", "--db", db, **env)
    assert "han-generics" in [m["id"] for m in json.loads(result.stdout)]
    assert result.stderr.startswith("Note: 6 profile fields embedded for this run only")
    assert "run 'matchmaker embed'" in result.stderr
    assert db.read_bytes() == before
    run(runner, "embed", "--db", db, **env)
    assert run(runner, "match", "baltic-generics", "--db", db, **env).stderr == ""


def test_restore_drops_saved_fits_of_the_history_it_undid(runner, lived_in, tmp_path):
    """A fit saved after the backup holds companies the restore removed; once the restored
    database counts past that fit's revision, a restart must not bring it forward."""
    from matchmaker import fitted_state
    from matchmaker.live_index import LiveIndex

    embedder = HashingEmbedder()
    backup = tmp_path / "monday.db"
    run(runner, "backup", backup, "--db", lived_in)
    with Store.open(lived_in) as store:  # Tuesday: a company the restore will undo
        lost = store.get("riga-clinical-research")
        lost.id, lost.name = "daily-co", "Daily Co (fictional)"
        engine.save_and_embed(store, embedder, lost, actor="bob", create=True)
        saved = LiveIndex(str(lived_in)).refresh(store, embedder)  # a full fit, saved
        assert "daily-co" in saved.ranker.index_ and saved.revision == store.revision()
    run(runner, "restore", backup, "--db", lived_in, "--yes")
    with Store.open(lived_in) as store:  # Wednesday: edits take the count past Tuesday's
        baltic = store.get("baltic-generics")
        for n in range(saved.revision - store.revision() + 1):
            baltic.offers = f"tablets, batch {n}"
            baltic = engine.save_and_embed(store, embedder, baltic, actor="bob")
        assert store.revision() > saved.revision
        assert fitted_state.load_latest(lived_in, store.revision(), embedder, store) is None
        restarted = LiveIndex(str(lived_in)).refresh(store, embedder)
        assert "daily-co" not in restarted.ranker.index_
        assert sorted(restarted.ranker.index_) == [p.id for p in store.list()]
