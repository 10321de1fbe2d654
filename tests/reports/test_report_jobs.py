"""Report jobs live in the database: a restart neither loses them nor leaves them running.

A restart is a new app object on the same database and reports folder, as a new
``matchmaker serve`` process would build. A job cut off mid-run is left in the
database exactly as a killed process leaves it: in a running state, with its
progress, owned by a runner id that no live process has.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from accounts import password_hash
from flask import Flask
from test_report_web import OTHER, PASSWORD, STAFF, job_id, login, start, wait

from matchmaker.reports import ReportSpec
from matchmaker.store import Store
from matchmaker.web import ConfigError, create_app, report_jobs
from matchmaker.web.report_jobs import MAX_ACTIVE_PER_USER, encode_request


def make(db: Path, tmp_path: Path, **extra) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DB": str(db),
            "MODEL": "hashing",
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
            "IMPORT_STAGING_DIR": str(tmp_path / "staging"),
            "REPORTS_DIR": str(tmp_path / "reports"),
            **extra,
        }
    )


@pytest.fixture
def users(store: Store) -> Store:
    for user in (STAFF, OTHER):
        store.add_user(user, password_hash(PASSWORD))
    return store


def cut_off_job(store: Store, state: str, starts: int) -> str:
    """A job as a killed server leaves it: running, part done, its runner gone."""
    job = "cut-off-" + state
    row = {
        "id": job,
        "owner": STAFF,
        "format": "csv",
        "request": encode_request(ReportSpec(top=2), None),
        "message": "",
        "runner": "a-process-that-is-gone",
    }
    assert store.add_report_job(row, MAX_ACTIVE_PER_USER) == 0
    store.update_report_job(job, state=state, starts=starts, done=3, total=10, message="Ranked 3")
    age(store, job)
    return job


def age(store: Store, job: str, seconds: float = 3600) -> None:
    """Make a job's row look as if its runner last wrote it ``seconds`` ago (a dead one)."""
    stamp = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")
    store.db.execute("UPDATE report_jobs SET updated_at = ? WHERE id = ?", [stamp, job])


def test_a_finished_job_and_its_file_survive_a_restart(users, tmp_db_path, tmp_path):
    before = login(make(tmp_db_path, tmp_path).test_client())
    job = job_id(start(before))
    status = wait(before, job)
    assert status["state"] == "done"
    report = before.get(status["download_url"]).data

    after = login(make(tmp_db_path, tmp_path).test_client())  # a new process, same database
    again = after.get(f"/staff/reports/status.json?job={job}").get_json()
    assert again == status
    assert after.get(status["download_url"]).data == report
    assert "Your recent reports" in after.get("/staff/reports/").get_data(as_text=True)
    colleague = login(make(tmp_db_path, tmp_path).test_client(), OTHER)
    assert colleague.get(f"/staff/reports/status.json?job={job}").status_code == 404


def test_a_queued_job_is_resumed_by_the_next_process(users, tmp_db_path, tmp_path):
    old_app = make(tmp_db_path, tmp_path)
    old_slot = old_app.extensions["matchmaker_reports"].slot
    old_slot.acquire()  # the old process is busy with another report when it stops
    try:
        job = job_id(start(login(old_app.test_client())))
        assert users.get_report_job(job)["state"] == "queued"
        old_app.extensions["matchmaker_reports"].stop()  # the old process stops...
        age(users, job)  # ...and a while later the next one starts

        new_app = make(tmp_db_path, tmp_path)
        client = login(new_app.test_client())
        status = wait(client, job)
        assert status["state"] == "done" and status["message"] == "10 companies, 30 matches."
        row = users.get_report_job(job)
        assert row["runner"] == new_app.extensions["matchmaker_reports"].runner_id
    finally:
        old_slot.release()
    time.sleep(0.2)  # the old process's thread wakes up and must leave the job alone
    assert users.get_report_job(job) == row


def test_a_job_cut_off_while_running_is_run_again(users, tmp_db_path, tmp_path):
    job = cut_off_job(users, "ranking", starts=1)
    client = login(make(tmp_db_path, tmp_path).test_client())
    status = wait(client, job)
    assert status["state"] == "done", status
    assert client.get(status["download_url"]).status_code == 200
    assert users.get_report_job(job)["starts"] == 2


def test_a_job_cut_off_twice_fails_and_says_why(users, tmp_db_path, tmp_path):
    job = cut_off_job(users, "preparing", starts=2)
    client = login(make(tmp_db_path, tmp_path).test_client())
    status = client.get(f"/staff/reports/status.json?job={job}").get_json()
    assert status["state"] == "failed"
    assert "interrupted by a server restart twice" in status["message"]
    page = client.get(f"/staff/reports/status?job={job}").get_data(as_text=True)
    assert "interrupted by a server restart twice" in page and 'role="alert"' in page
    assert client.get(f"/staff/reports/download?job={job}").status_code == 410


def test_files_are_deleted_after_the_retention_time(users, tmp_db_path, tmp_path):
    app = make(tmp_db_path, tmp_path, REPORT_RETENTION_HOURS=1 / 3600)  # one second
    client = login(app.test_client())
    job = job_id(start(client))
    assert wait(client, job)["state"] == "done"
    path = Path(users.get_report_job(job)["path"])
    assert path.is_file()
    stray = tmp_path / "reports" / "left-by-an-older-version.csv"
    stray.write_text("old")
    time.sleep(2.1)
    status = client.get(f"/staff/reports/status.json?job={job}").get_json()
    assert status["state"] == "expired"
    assert "deleted 0.000277778 hours after it was made" in status["message"]
    assert not path.exists() and not stray.exists()
    response = client.get(f"/staff/reports/download?job={job}")
    assert response.status_code == 410 and "run the report again" in response.get_data(as_text=True)


def test_a_file_lost_with_its_folder_is_reported_not_a_500(users, tmp_db_path, tmp_path):
    client = login(make(tmp_db_path, tmp_path).test_client())
    status = wait(client, job_id(start(client)))
    Path(users.get_report_job(status["id"])["path"]).unlink()  # e.g. /tmp cleared by a reboot
    response = client.get(status["download_url"])
    assert response.status_code == 410
    assert "no longer on the server" in response.get_data(as_text=True)
    assert client.get(f"/staff/reports/status.json?job={status['id']}").get_json()["state"] == (
        "expired"
    )


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_bad_retention_setting_stops_the_start(tmp_db_path, tmp_path, value):
    with pytest.raises(ConfigError, match="MATCHMAKER_REPORT_RETENTION_HOURS"):
        make(tmp_db_path, tmp_path, REPORT_RETENTION_HOURS=value)


def test_a_live_sibling_process_keeps_its_jobs_and_a_stopped_ones_are_taken_over(
    users, tmp_db_path, tmp_path, monkeypatch
):
    """Several servers on one database: one starting up must not take the jobs a live
    sibling runs (its heartbeat keeps their rows fresh), but takes over those of a
    sibling that stopped once their rows went stale (a process starting, or one whose
    heartbeat still watches, takes them then)."""
    monkeypatch.setattr(report_jobs, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(report_jobs, "STALE_AFTER_SECONDS", 2.0)
    sibling = make(tmp_db_path, tmp_path)
    sibling_runner = sibling.extensions["matchmaker_reports"]
    sibling_runner.slot.acquire()  # busy with another report: this one waits, queued
    try:
        job = job_id(start(login(sibling.test_client())))
        newcomer = make(tmp_db_path, tmp_path)
        client = login(newcomer.test_client())  # its first staff request recovers jobs
        client.get("/staff/reports/")
        time.sleep(3.5)  # longer than STALE_AFTER_SECONDS: only the heartbeat kept it fresh
        row = users.get_report_job(job)
        assert row["runner"] == sibling_runner.runner_id and row["state"] == "queued", row

        sibling_runner.stop()  # the sibling dies: nobody writes the job's row any more
        time.sleep(2.5)
        restarted = make(tmp_db_path, tmp_path)  # the next process to start takes it over
        client = login(restarted.test_client())
        status = wait(client, job, timeout=30)
        assert status["state"] == "done", status
        assert users.get_report_job(job)["runner"] == restarted.extensions[
            "matchmaker_reports"
        ].runner_id
    finally:
        sibling_runner.slot.release()
