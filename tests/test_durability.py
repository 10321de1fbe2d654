"""Durable data: nothing written before the model is known to work, exports that never
truncate the previous file, and (below) databases that are not fine: full, empty,
damaged or read-only. Each problem ends in one line naming the file and what to do.

Disk-full cases run the real CLI in a child process whose file-size limit
(``RLIMIT_FSIZE``) plays the full disk: writes past it fail as they would on a full
file system, while the parent keeps writing freely.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matchmaker import engine
from matchmaker.cli import cli
from matchmaker.embedding import DEFAULT_MODEL_DIR, HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.store import Store

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
