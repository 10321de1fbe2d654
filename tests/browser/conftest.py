"""One real server and one Chromium for every browser test of the session.

``matchmaker serve`` (waitress, the real all-MiniLM-L6-v2 model) runs as a
subprocess on a free local port over a database built with ``matchmaker
import`` from the fictional mini companies, with one staff account made by
``matchmaker user add``. Starting it loads the model and fits the ranker, so it
is done once per session, not once per test module. Debian's Chromium is driven
through Playwright, which never downloads a browser of its own; each test gets a
fresh browser context (its own cookies), so tests do not see each other's logins.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import PASSWORD, STAFF
from databases import copy_database
from serving import clean_env, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).parents[2]
MATCHMAKER = [str(Path(sys.executable).parent / "matchmaker")]
MINI = ROOT / "tests" / "fixtures" / "mini.jsonl"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives Chromium against a server with the real model."""
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.model)


def run(*args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [*MATCHMAKER, *args], input=stdin, text=True, check=True, cwd=ROOT, env=clean_env()
    )


def add_staff_account(db: Path) -> None:
    """``matchmaker user add STAFF --password-stdin``, through click's test runner."""
    from click.testing import CliRunner

    from matchmaker.cli import cli

    args = ["user", "add", STAFF, "--password-stdin", "--db", str(db)]
    result = CliRunner().invoke(cli, args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, model_db) -> Iterator[str]:
    """The base URL of `matchmaker serve` on the mini companies, with a staff account.

    The database is a copy of the session's mini set embedded with the real model
    (the server only loads the model and fits); the account is made with
    ``matchmaker user add``, as an administrator would.
    """
    db = copy_database(model_db(MINI), tmp_path_factory.mktemp("browser") / "matchmaker.db")
    add_staff_account(db)
    # the model the session's databases are embedded with (another one is refused)
    env = clean_env(MATCHMAKER_MODEL="all-MiniLM-L6-v2")
    with serving(MATCHMAKER, db, env, cwd=ROOT) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
            ".ci/run and scripts/test do this. Browser tests never download a browser."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context; fails the test on a script error, a CSP block or a broken asset.

    A page answered with 4xx on purpose (a form with errors) is not a failure; a stylesheet,
    script or icon that does not load is.
    """
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []
