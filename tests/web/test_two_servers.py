"""Two app servers on one database: an edit saved through one ranks in the other within a second.

Issue 14: several ``matchmaker serve`` processes behind a load balancer share
one database. The edit is made through server A's API (as staff make it:
written, embedded), and server B, which never heard of it, shows it in its next
ranking: B's request reads the data revision, asks the database what changed
since its snapshot and applies that one company incrementally, no refit
(live_index.py). The time from A's answer to B's first ranking with the edit
is measured; benchmarks/edit_visible.py gives the figures at scale.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from serving import clean_env, serving
from web_helpers import PASSWORD, STAFF

from matchmaker.store import Store
from matchmaker.web.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
#: Generous: about 0.05-0.3 s here; a loaded machine (8 sessions on 2 cores) is slower.
VISIBLE_WITHIN = 5.0


class Client:
    """A logged-in API client: a cookie jar and the session's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = self.call("GET", "/api/session")["csrf_token"]
        login = {"username": STAFF, "password": PASSWORD}
        self.token = self.call("POST", "/api/session", login)["csrf_token"]

    def call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("X-CSRF-Token", self.token)
        with self.opener.open(request, timeout=30) as response:
            return json.load(response)


def partner_names(base: str, company_id: str) -> set[str]:
    url = f"{base}/api/companies/{company_id}/matches?top=20"
    with urllib.request.urlopen(url, timeout=30) as response:
        return {m["name"] for m in json.load(response)}


def test_an_edit_through_one_server_ranks_in_the_other_within_a_second(
    store: Store, tmp_db_path: Path
):
    store.add_user(STAFF, hash_password(PASSWORD))
    command = [sys.executable, "-m", "matchmaker"]
    env = clean_env(MATCHMAKER_MODEL="hashing", MATCHMAKER_VECTOR_INDEX="none")
    new_name = "Baltic Eye Care (fictional)"
    with serving(command, tmp_db_path, env, ROOT) as first, serving(
        command, tmp_db_path, env, ROOT
    ) as second:
        assert new_name not in partner_names(second, "han-generics")  # B has its snapshot
        writer = Client(first)
        version = writer.call("GET", "/api/companies/baltic-generics")["version"]
        edit = {"name": new_name, "version": version}
        writer.call("PATCH", "/api/companies/baltic-generics", edit)
        saved = time.monotonic()
        assert new_name in partner_names(first, "han-generics")  # the writer's own server
        visible_after = None
        while time.monotonic() - saved < 30:
            if new_name in partner_names(second, "han-generics"):
                visible_after = time.monotonic() - saved
                break
            time.sleep(0.02)
    print(f"edit through server A visible in server B after {visible_after} s")
    assert visible_after is not None and visible_after < VISIBLE_WITHIN, visible_after
