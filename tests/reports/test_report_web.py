"""Reports from the web app: staff only, CSRF-protected, run in the background, downloadable.

The app serves the root ``store`` fixture's database (mini profiles, hashing
embedder). A job runs in a real thread; to see it queued, a test holds the
runner's one compute slot, exactly as a long report in progress would.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts import password_hash
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from matchmaker.store import Store
from matchmaker.web import create_app

STAFF, OTHER, PASSWORD = "staff", "colleague", "a long test password"


@pytest.fixture
def app(store: Store, tmp_db_path: Path, tmp_path: Path) -> Iterator[Flask]:
    for user in (STAFF, OTHER):
        store.add_user(user, password_hash(PASSWORD))
    yield create_app(
        {
            "TESTING": True,
            "DB": str(tmp_db_path),
            "MODEL": "hashing",
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
            "IMPORT_STAGING_DIR": str(tmp_path / "staging"),
            "REPORTS_DIR": str(tmp_path / "reports"),
        }
    )


def token(client: FlaskClient) -> str:
    return client.get("/api/session").get_json()["csrf_token"]


def login(client: FlaskClient, user: str = STAFF) -> FlaskClient:
    response = client.post(
        "/login", data={"csrf_token": token(client), "username": user, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    return login(app.test_client())


def start(client: FlaskClient, **fields):
    data = {"csrf_token": token(client), "top": "3", "format": "csv", "direction": "both"}
    data.update(fields)
    return client.post("/staff/reports/", data=data, content_type="multipart/form-data")


def job_id(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].split("job=")[1]


def wait(client: FlaskClient, job: str, timeout: float = 60) -> dict:
    """Poll the status endpoint, as the page's script does, until the job ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/staff/reports/status.json?job={job}").get_json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"report {job} did not finish: {status}")


def test_reports_are_for_staff_only(app: Flask):
    client = app.test_client()
    for url in ("/staff/reports/", "/staff/reports/status?job=x", "/staff/reports/download?job=x"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.post("/staff/reports/", data={"csrf_token": token(client), "top": "3"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_starting_a_report_needs_the_csrf_token(staff: FlaskClient, store: Store):
    response = staff.post("/staff/reports/", data={"top": "3", "format": "csv"})
    assert response.status_code == 400 and b"CSRF" in response.data
    assert store.report_jobs_of(STAFF) == []


def test_form_offers_the_cli_options(staff: FlaskClient):
    page = staff.get("/staff/reports/").get_data(as_text=True)
    for name in ("top", "format", "direction", "companies", "changed_since", "sector",
                 "partner_sector", "type", "verified_only", "min_employees", "previous",
                 "only_new", "strong_score"):  # fmt: skip
        assert f'name="{name}"' in page, name
    assert 'value="pharmaceuticals"' in page  # sectors come from the data
    assert 'enctype="multipart/form-data"' in page


def test_a_report_runs_in_the_background_and_downloads(staff: FlaskClient):
    job = job_id(start(staff, format="xlsx"))
    page = staff.get(f"/staff/reports/status?job={job}").get_data(as_text=True)
    assert "reports.js" in page and "status.json" in page
    status = wait(staff, job)
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == 10
    assert status["message"] == "10 companies, 30 matches."
    response = staff.get(status["download_url"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        "attachment; filename=partner-report-"
    )
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book["Matches"].max_row == 31
    done_page = staff.get(f"/staff/reports/status?job={job}").get_data(as_text=True)
    assert "Download partner-report-" in done_page and 'http-equiv="refresh"' not in done_page
    assert "Your recent reports" in staff.get("/staff/reports/").get_data(as_text=True)


def test_a_report_shares_the_ranker_that_searches_use(staff: FlaskClient, app: Flask):
    """One fitted ranker per data revision in the process, not one more per report."""
    live = app.extensions["matchmaker"]
    assert live.snapshot is None  # nothing searched yet
    assert wait(staff, job_id(start(staff)))["state"] == "done"
    fitted_for_report = live.snapshot
    assert fitted_for_report is not None
    assert staff.get("/api/companies/baltic-generics/matches").status_code == 200
    assert live.snapshot is fitted_for_report


def test_a_waiting_report_does_not_block_the_server(staff: FlaskClient, app: Flask):
    slot = app.extensions["matchmaker_reports"].slot
    slot.acquire()  # another report is computing
    try:
        job = job_id(start(staff))
        for _ in range(3):
            status = staff.get(f"/staff/reports/status.json?job={job}").get_json()
            assert status["state"] == "queued"
        page = staff.get(f"/staff/reports/status?job={job}").get_data(as_text=True)
        assert 'http-equiv="refresh"' in page  # no-script fallback while it runs
        assert staff.get("/search?company=baltic-generics").status_code == 200
        assert staff.get(f"/staff/reports/download?job={job}").status_code == 409
    finally:
        slot.release()
    assert wait(staff, job)["state"] == "done"


def test_a_third_report_at_once_is_refused(staff: FlaskClient, app: Flask):
    slot = app.extensions["matchmaker_reports"].slot
    slot.acquire()
    try:
        jobs = [job_id(start(staff)), job_id(start(staff))]
        response = start(staff)
        assert response.status_code == 429
        assert "2 reports in progress" in response.get_data(as_text=True)
    finally:
        slot.release()
    assert [wait(staff, j)["state"] for j in jobs] == ["done", "done"]


def test_new_since_an_uploaded_report(staff: FlaskClient):
    first = wait(staff, job_id(start(staff, top="2")))
    earlier = staff.get(first["download_url"]).data
    job = job_id(
        start(
            staff,
            top="3",
            format="json",
            only_new="1",
            previous=(io.BytesIO(earlier), "before-mission.csv"),
        )
    )
    status = wait(staff, job)
    assert status["message"] == "10 companies, 10 matches (10 new)."
    document = json.loads(staff.get(status["download_url"]).data)
    assert document["meta"]["previous_report"]["source"] == "before-mission.csv"
    ranks = [m["rank"] for c in document["companies"] for m in c["matches"]]
    assert ranks == [3] * 10 and all(m["new"] for c in document["companies"] for m in c["matches"])
    rows = list(csv.DictReader(io.StringIO(earlier.decode("utf-8-sig"))))
    assert len(rows) == 20


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"top": "many"}, "Partners per company must be a number"),
        ({"top": "0"}, "top must be between 1 and 1000"),
        ({"companies": "baltic-generics nope"}, "no company with id &#39;nope&#39;"),
        ({"changed_since": "31/12/2025"}, "is not a date"),
        ({"format": "pdf"}, "Format must be one of"),
        ({"type": "bribery"}, "Unknown partnership type"),
        ({"only_new": "1"}, "needs a previous report"),
        ({"previous": (io.BytesIO(b"hello"), "old.txt")}, "cannot tell the format"),
        ({"previous": (io.BytesIO(b"a,b\n1,2\n"), "old.csv")}, "is not a matchmaker report"),
        ({"min_employees": "-3"}, "cannot be negative"),
    ],
)
def test_bad_options_come_back_with_a_message(staff: FlaskClient, store: Store, fields, message):
    response = start(staff, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'role="alert"' in page
    assert store.report_jobs_of(STAFF) == []


def test_an_empty_selection_fails_on_the_progress_page(staff: FlaskClient):
    status = wait(staff, job_id(start(staff, changed_since="2999-01-01")))
    assert status["state"] == "failed"
    assert "no companies match this selection" in status["message"]
    assert "download_url" not in status


def test_a_job_is_only_visible_to_its_owner(app: Flask, staff: FlaskClient):
    job = job_id(start(staff))
    wait(staff, job)
    colleague = login(app.test_client(), OTHER)
    for url in ("status", "status.json", "download"):
        assert colleague.get(f"/staff/reports/{url}?job={job}").status_code == 404
    assert staff.get(f"/staff/reports/download?job={job}").status_code == 200
    assert staff.get("/staff/reports/status?job=unknown").status_code == 404
