"""What browser tests share besides fixtures: the staff account of the session's server."""

from __future__ import annotations

STAFF, PASSWORD = "ilze", "browser-test-password"


def log_in(page) -> None:
    """Log in as the session server's staff account and land on the staff start page."""
    page.goto("/login")
    page.get_by_label("User name").fill(STAFF)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")
