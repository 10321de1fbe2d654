"""Staff logins: login and logout, revocable sessions, the login requirement.

Accounts are made only from the CLI (``matchmaker user add``); there is no
default account. What a user name and a password must be, and the scrypt hash,
are :mod:`matchmaker.accounts`, shared with the CLI.
Every failed login answers with the same message, whether the name exists,
the password is wrong or the account is disabled, so the form cannot be used
to discover user names. Failed logins back off per client address and per
account (:mod:`.limits`) instead of locking the account, so nobody can lock a
staff member out by failing on purpose.

Any state-changing request needs a logged-in staff member unless its endpoint
is one of :data:`LOGIN_ENDPOINTS`: safe by default for routes added later.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..accounts import (  # noqa: F401 (re-exported: the rules are accounts.py's)
    MIN_PASSWORD_LENGTH,
    USERNAME,
    check_username,
    hash_password,
)
from . import limits, security
from .resources import get_store

bp = Blueprint("auth", __name__)

LOGIN_ERROR = _l(
    "Wrong user name or password. After repeated failures you will have to wait a few "
    "minutes before trying again; ask another staff member if you cannot log in."
)
#: Endpoints that change state without a login: logging in itself (CSRF still applies).
LOGIN_ENDPOINTS = frozenset({"auth.login", "api.login"})
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


class LoginThrottled(Exception):
    """Too many failed logins from this client (or against this account from it)."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        minutes = max(1, -(-self.retry_after // 60))
        return ngettext(
            "Too many failed logins from your address; wait a minute and try again.",
            "Too many failed logins from your address; wait %(num)d minutes and try again.",
            minutes,
        )


def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.before_request(require_login_for_writes)


# -- passwords --------------------------------------------------------------


def authenticate(username: str, password: str) -> str | None:
    """The user name if the password is right and the account enabled, else None.

    Raises LoginThrottled, before looking at the password, while this client
    must back off (see :mod:`.limits`); a wrong answer counts as one failure.
    """
    wait = limits.login_wait(username)
    if wait is not None:
        raise LoginThrottled(wait)
    user = get_store().get_user(username) if USERNAME.match(username or "") else None
    # Hash even for an unknown name, so the answer takes as long either way.
    valid = check_password_hash(user["password_hash"] if user else _DUMMY_HASH, password or "")
    if user and valid and not user["disabled_at"]:
        return username
    limits.record_failed_login(username)
    return None


def start_session(username: str) -> str:
    """A fresh session for the user (no fixation), with a new CSRF token.

    The session records the user's current session generation; :func:`load_user`
    accepts it only while the generation is unchanged, so logout, a new password
    or disabling the account ends it even if someone kept a copy of the cookie.
    """
    user = get_store().get_user(username)
    session.clear()
    session.permanent = True
    session["user"] = username
    session["generation"] = user["session_generation"] if user else -1
    return security.rotate_csrf_token()


def end_sessions() -> None:
    """Log out here and everywhere: every cookie issued to this user stops working."""
    if g.get("user"):
        get_store().end_sessions(g.user)
    session.clear()


# -- the login requirement --------------------------------------------------


def load_user() -> None:
    """g.user: the logged-in staff member, if the session is still valid.

    Checked on every request against the database, so a session ends for good
    when its user logs out anywhere, gets a new password, or is disabled or removed.
    """
    g.user = None
    username = session.get("user")
    if not username:
        return
    if session_is_current(get_store().get_user(username), session.get("generation")):
        g.user = username
    else:
        session.clear()


def session_is_current(user: dict | None, generation: object) -> bool:
    """True if the account exists, is enabled and the session is of its current generation."""
    return bool(
        user
        and not user["disabled_at"]
        and isinstance(generation, int)
        and generation == user["session_generation"]
    )


def require_login_for_writes():
    """Every state-changing request needs a staff login, except logging in."""
    if (
        not security.is_write()
        or request.endpoint in LOGIN_ENDPOINTS
        or request.routing_exception is not None  # a 404 or 405 follows; nothing will run
    ):
        return None
    return None if g.user else login_needed()


def login_needed():
    """401 JSON for the API, else a redirect to the login page that comes back here."""
    if request.blueprint == "api" or request.path.startswith("/api/"):
        response = jsonify(error="log in as staff first (POST /api/session)")
        response.status_code = 401
        return response
    target = request.referrer if security.is_write() else request.full_path
    next_path = target.rstrip("?") if target and security.is_local_path(target) else None
    flash(gettext("Log in as staff to continue."), "info")
    return redirect(url_for("auth.login", next=next_path))


# -- views ------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_path = request.values.get("next")
    if not security.is_local_path(next_path):
        next_path = None
    if not security.is_write():
        return render_template("login.html", next=next_path, username="")
    username = request.form.get("username", "").strip()
    try:
        user = authenticate(username, request.form.get("password", ""))
    except LoginThrottled as exc:
        page = render_template("login.html", next=next_path, username=username, error=exc.message)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    if user is None:
        return render_template(
            "login.html", next=next_path, username=username, error=LOGIN_ERROR
        ), 401
    start_session(user)
    flash(gettext("Logged in as %(name)s.", name=user), "success")
    return redirect(next_path or url_for("curation.companies"))


@bp.post("/logout")
def logout():
    end_sessions()
    flash(gettext("Logged out."), "info")
    return redirect(url_for("search.index"))
