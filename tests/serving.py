"""Running ``matchmaker serve`` as a real process for tests that talk HTTP to it.

Shared by the browser tests (tests/browser/conftest.py) and the wheel test
(tests/test_packaging.py): a free local port, an environment without the
caller's MATCHMAKER_* settings, and a server that is stopped however the test ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pg_server import on_postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without MATCHMAKER_* settings, offline, plus ``extra``.

    On PostgreSQL the test's own fit folder is kept (conftest's ``fit_folder`` sets
    MATCHMAKER_FIT_DIR for each test): without it a server on a database URL saves its
    fits in the user's cache folder (fit_location), and the suite would fill it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    if on_postgres() and os.environ.get("MATCHMAKER_FIT_DIR"):
        env["MATCHMAKER_FIT_DIR"] = os.environ["MATCHMAKER_FIT_DIR"]
    return env | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"} | extra


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"matchmaker serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"matchmaker serve did not answer at {url} within {timeout} s")


@contextmanager
def serving(
    command: Sequence[str], db: Path | str, env: Mapping[str, str], cwd: Path | str
) -> Iterator[str]:
    """``command serve`` on ``db`` at a free port; yields the base URL, stops the server after."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--db", str(db)],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
