"""The load test's HTTP clients: readers, writers, and what every request recorded.

Kept apart from ``load_test.py`` (set-up, servers, report) so each stays small.
Each client keeps one keep-alive connection per app process and sends its
requests to the processes in turn, as a round-robin balancer would; a login
made through one process is honoured by the other (they share
``MATCHMAKER_SECRET_KEY``), as behind a real balancer.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

#: How many times a writer tries again after a 409 on a genuinely concurrent edit.
MAX_RETRIES = 5
#: How often a writer asks the other process whether its edit shows there.
VISIBILITY_POLL_S = 0.05


@dataclass
class Sample:
    """One request: what it was, where it went, how long it took, and whether it failed."""

    kind: str
    server: int
    started: float
    seconds: float
    status: int
    error: str = ""  # empty when the answer was the expected one


@dataclass
class Conflict:
    """A 409 a writer got: genuine only if another writer made the version after ``sent``."""

    writer: str
    company_id: str
    sent: int
    sample: Sample


@dataclass
class Visibility:
    """How long after an edit's answer the *other* process showed it (None: not in time)."""

    server: int
    seconds: float | None


@dataclass
class Record:
    """Everything the clients saw, shared by all their threads."""

    samples: list[Sample] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    visibility: list[Visibility] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: company id -> {city value: version that wrote it}, to tell our edit (or a later one)
    #: from an older value when the other process is polled.
    cities: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, sample: Sample) -> Sample:
        with self.lock:
            self.samples.append(sample)
        return sample

    def wrote_city(self, company_id: str, city: str, version: int) -> None:
        with self.lock:
            self.cities.setdefault(company_id, {})[city] = version

    def city_version(self, company_id: str, city: str | None) -> int | None:
        with self.lock:
            return self.cities.get(company_id, {}).get(city or "")


class Client:
    """One user agent: a keep-alive connection per app process and one cookie jar."""

    def __init__(self, ports: list[int], record: Record, timeout: float = 120):
        self.ports, self.record, self.timeout = ports, record, timeout
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.turn = 0

    def next_server(self) -> int:
        self.turn += 1
        return self.turn % len(self.ports)

    def call(
        self,
        kind: str,
        server: int,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "",
        expect: tuple[int, ...] = (200,),
        cookies: dict[str, str] | None = None,
    ) -> tuple[Sample, bytes]:
        """Send one request and record it; a status outside ``expect`` is an error."""
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        if content_type:
            headers["Content-Type"] = content_type
        jar = self.cookies if cookies is None else cookies
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        started = time.monotonic()
        try:
            connection = self._connection(server)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            if cookies is None:
                self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        except (OSError, http.client.HTTPException) as exc:
            self._drop(server)
            status, payload = 0, f"{type(exc).__name__}: {exc}".encode()
        seconds = time.monotonic() - started
        error = "" if status in expect else _describe(status, payload)
        return self.record.add(Sample(kind, server, started, seconds, status, error)), payload

    def json(self, kind: str, server: int, method: str, path: str, data=None, expect=(200,)):
        body = None if data is None else json.dumps(data).encode()
        sample, payload = self.call(
            kind, server, method, path, body, "application/json" if body else "", expect
        )
        try:
            return sample, json.loads(payload) if sample.status in (200, 201, 409) else None
        except ValueError:
            sample.error = sample.error or "the answer was not JSON"
            return sample, None

    def login(self, username: str, password: str) -> None:
        """A staff session (and its CSRF token) through process 0, valid on every process."""
        _, session = self.json("login", 0, "GET", "/api/session")
        self.csrf = (session or {}).get("csrf_token", "")
        sample, answer = self.json(
            "login", 0, "POST", "/api/session", {"username": username, "password": password}
        )
        if sample.error or not answer:
            raise RuntimeError(f"could not log in as {username}: {sample.error}")
        self.csrf = answer["csrf_token"]

    def close(self) -> None:
        for server in list(self.connections):
            self._drop(server)

    def _connection(self, server: int) -> http.client.HTTPConnection:
        if server not in self.connections:
            self.connections[server] = http.client.HTTPConnection(
                "127.0.0.1", self.ports[server], timeout=self.timeout
            )
        return self.connections[server]

    def _drop(self, server: int) -> None:
        connection = self.connections.pop(server, None)
        if connection is not None:
            connection.close()

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value


def _describe(status: int, payload: bytes) -> str:
    if status == 0:
        return "connection error: " + payload.decode(errors="replace")[:200]
    return f"HTTP {status}: " + payload.decode(errors="replace")[:200].replace("\n", " ")


# -- readers ------------------------------------------------------------------------------


def reader_urls(companies: list[dict]) -> dict[str, list[str]]:
    """The pages readers fetch, by kind, from the loaded companies."""
    urls: dict[str, list[str]] = {k: [] for k in READ_WEIGHTS}
    for company in companies:
        cid, other = quote(company["id"]), "KR" if company["country"] == "LV" else "LV"
        urls["api match"].append(f"/api/companies/{cid}/matches?top=10")
        urls["results page"].append(f"/search?company={cid}")
        urls["company page"].append(f"/companies/{cid}")
        if company.get("seeks"):
            need = company["seeks"].split(";")[0][:120]
            urls["text search"].append("/search?" + urlencode({"q": need, "country": other}))
        urls["staff list"].append("/staff/?" + urlencode({"q": company["name"][:4]}))
    urls["staff list"] += [f"/staff/?page={n}" for n in (1, 2, 3)]
    urls["staff list"] += ["/staff/?country=KR&sort=updated", "/staff/?verified=no"]
    return urls


#: Share of each kind among reader requests (free-text search encodes with the model).
READ_WEIGHTS = {
    "api match": 30,
    "results page": 20,
    "company page": 20,
    "text search": 10,
    "staff list": 20,
}


def read_until(
    client: Client, urls: dict[str, list[str]], staff: dict[str, str], stop, seed: int
) -> None:
    """One reader: request after request, alternating processes, until ``stop`` is set."""
    rng = random.Random(seed)
    kinds, weights = list(READ_WEIGHTS), list(READ_WEIGHTS.values())
    try:
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            cookies = staff if kind == "staff list" else None
            client.call(kind, client.next_server(), "GET", rng.choice(urls[kind]), cookies=cookies)
    except Exception as exc:  # a reader that died is an error of the run, not less load
        error = f"{type(exc).__name__}: {exc}"
        client.record.add(Sample("reader crashed", 0, time.monotonic(), 0.0, 0, error))
        raise
    finally:
        client.close()


# -- writers --------------------------------------------------------------------------------


@dataclass
class Writer:
    """A staff member editing cities (API, optimistic version) and toggling verification."""

    name: str
    client: Client
    companies: list[dict]
    visible_within: float
    stop: threading.Event
    seed: int
    edits: int = 0

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # a writer that died is an error of the run, not a hang
            self.client.record.add(
                Sample(
                    "writer crashed", 0, time.monotonic(), 0.0, 0, f"{type(exc).__name__}: {exc}"
                )
            )
            raise

    def _loop(self) -> None:
        rng = random.Random(self.seed)
        while not self.stop.is_set():
            company = rng.choice(self.companies)
            server = self.client.next_server()
            if rng.random() < 0.7:
                self.edit_city(company, server)
            else:
                self.toggle_verified(company, server)
        self.client.close()

    def edit_city(self, company: dict, server: int) -> None:
        cid = quote(company["id"])
        for _ in range(MAX_RETRIES):
            current = self._current(company, server)
            if current is None:
                return
            self.edits += 1
            city = f"{company.get('city') or 'City'} ({self.name} #{self.edits})"
            body = {"version": current["version"], "city": city}
            sample, saved = self.client.json(
                "api edit", server, "PATCH", f"/api/companies/{cid}", body, expect=(200,)
            )
            if sample.status == 409:
                self._conflict(company, current["version"], sample)
                continue
            if saved and not sample.error:
                self.client.record.wrote_city(company["id"], city, saved["version"])
                self._check_visible(company, saved["version"], 1 - server, sample)
            return

    def toggle_verified(self, company: dict, server: int) -> None:
        cid = quote(company["id"])
        for _ in range(MAX_RETRIES):
            current = self._current(company, server)
            if current is None:
                return
            form = {
                "csrf_token": self.client.csrf,
                "version": current["version"],
                "verified": "0" if current["verified"] else "1",
            }
            sample, _ = self.client.call(
                "staff verify",
                server,
                "POST",
                f"/staff/companies/{cid}/verify",
                urlencode(form).encode(),
                "application/x-www-form-urlencoded",
                expect=(302, 303),
            )
            if sample.status == 409:
                self._conflict(company, current["version"], sample)
                continue
            return

    def _current(self, company: dict, server: int) -> dict | None:
        sample, current = self.client.json(
            "api company", server, "GET", f"/api/companies/{quote(company['id'])}"
        )
        return None if sample.error else current

    def _conflict(self, company: dict, sent: int, sample: Sample) -> None:
        """A 409: judged genuine or not once the run is over, from the audit trail."""
        sample.error = ""
        with self.client.record.lock:
            self.client.record.conflicts.append(Conflict(self.name, company["id"], sent, sample))

    def _check_visible(self, company: dict, version: int, other: int, edit: Sample) -> None:
        """Poll the other process's type-ahead (its ranking snapshot) until the edit shows."""
        answered = edit.started + edit.seconds
        path = "/api/suggest?" + urlencode({"q": company["name"]})
        record = self.client.record
        while time.monotonic() - answered < self.visible_within:
            sample, entries = self.client.json("visibility check", other, "GET", path)
            entry = next((e for e in entries or [] if e["id"] == company["id"]), None)
            if sample.error:
                break
            if entry is None:
                sample.error = "the edited company was missing from the type-ahead"
                break
            shown = record.city_version(company["id"], entry["city"])
            if shown is not None and shown >= version:
                with record.lock:
                    record.visibility.append(Visibility(other, time.monotonic() - answered))
                return
            time.sleep(VISIBILITY_POLL_S)
        with record.lock:
            record.visibility.append(Visibility(other, None))
