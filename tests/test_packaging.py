"""The wheel serves the app: built, installed into a fresh virtualenv outside the
repository, and asked for pages and API calls over real HTTP.

The virtualenv gets only the wheel (``--no-deps``); its dependencies (Flask, torch,
...) come from the test run's own site-packages through a ``.pth`` line placed
after the wheel's, so nothing is downloaded and the checkout's source can never
stand in for the installed package (PYTHONPATH is removed, and the check below
proves where ``matchmaker`` was imported from). The hashing embedder keeps it fast:
what is tested is the packaging, not the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from serving import clean_env, serving

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini.jsonl"


def run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the fresh virtualenv, the environment to run it in), the wheel installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    env = clean_env(MATCHMAKER_MODEL="hashing")
    env.pop("PYTHONPATH", None)  # the installed wheel, never the checkout's source
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", ROOT,
        cwd=work, env=env)
    (wheel,) = (work / "dist").glob("matchmaker-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work, env=env)
    python = venv / "bin" / "python"
    run(*pip, "--python", python, "install", "--no-deps", "-q", wheel, cwd=work, env=env)
    own_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        cwd=work, env=env).strip())
    (own_site / "zz_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, env


@pytest.fixture(scope="module")
def database(installed) -> Path:
    """The mini companies, imported by the installed ``matchmaker`` (hashing embedder)."""
    venv, env = installed
    db = venv.parent / "wheel.db"
    run(venv / "bin" / "matchmaker", "import", MINI, "--db", db, cwd=venv.parent, env=env)
    return db


# Loads matchmaker.web.assets by file, not by package: importing matchmaker.web would
# import Flask, scikit-learn and the rest, only to print four paths.
WHERE = """
import importlib.util, matchmaker, pathlib
origin = pathlib.Path(matchmaker.__file__).parent / "web" / "assets.py"
spec = importlib.util.spec_from_file_location("assets", origin)
assets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assets)
print(matchmaker.__file__, *(assets.locate(name) for name in assets.LOCATIONS), sep="\\n")
"""


def test_the_installed_package_and_its_web_files_come_from_the_wheel(installed):
    venv, env = installed
    where = run(venv / "bin" / "python", "-c", WHERE, cwd=venv.parent, env=env).split()
    assert len(where) == 5  # the package, templates, static, translations, openapi.yaml
    assert all(Path(p).is_relative_to(venv) for p in where), where


def test_the_wheel_serves_pages_and_the_api(installed, database):
    venv, env = installed
    matchmaker = venv / "bin" / "matchmaker"
    with serving([str(matchmaker)], database, env, cwd=venv.parent) as url:
        page = fetch(url + "/")
        assert "<form" in page and 'href="/static/style.css' in page
        assert "body" in fetch(url + "/static/style.css")
        assert fetch(url + "/api/openapi.yaml").startswith("openapi:")
        assert len(json.loads(fetch(url + "/api/companies"))) == 10
        found = json.loads(fetch(url + "/api/search?q=PCR+kits+for+laboratories&country=KR"))
        assert found and {m["country"] for m in found} == {"KR"}
        assert "Read as" in fetch(url + "/search?q=PCR+kits+for+laboratories&country=KR")
        # The catalogues travel in the wheel (compiled there at start, or at build).
        korean = fetch(url + "/?lang=ko")
        assert '<html lang="ko">' in korean and "파트너 검색" in korean


def test_the_wheel_writes_an_html_report_from_its_packaged_template(installed, database):
    venv, env = installed
    out = venv.parent / "report.html"
    matchmaker = venv / "bin" / "matchmaker"
    run(matchmaker, "report", "--top", "2", "--out", out, "--db", database,
        cwd=venv.parent, env=env)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8")
