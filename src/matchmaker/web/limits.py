"""Rate limits on the expensive public routes, and back-off for failed logins.

Built on ``limits`` (the library under Flask-Limiter): a moving window per key,
in the storage named by ``MATCHMAKER_RATE_LIMIT_STORAGE`` (``memory://`` for one
process; ``redis://host:6379`` or ``memcached://host:11211`` so that several
processes share their counts).

Request limits (:data:`GROUPS`): searches, the type-ahead and the API each
have a limit per anonymous client address, and one limit per staff member
for each group, so staff are neither slowed by the public nor able to be.
A request over its limit gets 429 with ``Retry-After``.

Logins back off instead of locking (a hard lock after N failures let anyone
lock out any staff member by typing their name wrongly):

* a client address with ``LOGIN_CLIENT_LIMIT`` failures in the window is
  refused (429) until its oldest failure leaves the window, whatever account
  it tries;
* an account with ``LOGIN_ACCOUNT_LIMIT`` failures in the window (from any
  address) accepts attempts only from addresses that have not failed in
  that window. The attacker's clients are refused; the real user, logging
  in from a client that has not failed, still gets in.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix


@dataclass(frozen=True)
class Group:
    """Routes that share one rate limit, and the setting holding its anonymous limit."""

    name: str
    setting: str
    endpoints: frozenset[str] | None  # None: every endpoint of `blueprint` not in another group
    blueprint: str | None = None


GROUPS: tuple[Group, ...] = (
    Group("search", "RATE_LIMIT_SEARCH", frozenset({"search.results", "search.company"})),
    Group("suggest", "RATE_LIMIT_SUGGEST", frozenset({"api.suggest"})),
    Group("api", "RATE_LIMIT_API", None, blueprint="api"),
)


#: Seconds a 429 without a window of its own asks the client to wait.
DEFAULT_RETRY_AFTER = 30
#: Cheap endpoints inside a limited blueprint: the CSRF token an API client needs
#: to log in, and the API's description.
UNLIMITED = frozenset({"api.session_info", "api.openapi"})


class RateLimited(Exception):
    """Too many requests from one client (or staff member); retry after some seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _State:
    limiter: MovingWindowRateLimiter
    anonymous: dict[str, RateLimitItem]
    staff: RateLimitItem
    login_client: RateLimitItem
    login_account: RateLimitItem


def init_app(app: Flask) -> None:
    """Parse the limits (a ValueError names a bad setting) and check every request."""
    cfg = app.config
    try:
        storage = storage_from_string(str(cfg["RATE_LIMIT_STORAGE"]))
    except ConfigurationError as exc:
        raise ValueError(f"MATCHMAKER_RATE_LIMIT_STORAGE: {exc}") from None
    app.extensions["matchmaker_limits"] = _State(
        limiter=MovingWindowRateLimiter(storage),
        anonymous={group.name: _parse(cfg, group.setting) for group in GROUPS},
        staff=_parse(cfg, "RATE_LIMIT_STAFF"),
        login_client=_parse(cfg, "LOGIN_CLIENT_LIMIT"),
        login_account=_parse(cfg, "LOGIN_ACCOUNT_LIMIT"),
    )
    proxies = _proxies(cfg.get("PROXIES"))
    if proxies:
        # Behind N reverse proxies the client is the Nth address from the right in
        # X-Forwarded-For; without this every client would share the proxy's limits.
        # The forwarded scheme, host and port make the links the app writes (the
        # API's Link: rel="next") point at the address clients use, not the app's own.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.before_request(check_request_limit)
    app.after_request(add_retry_after)


def _parse(cfg, name: str) -> RateLimitItem:
    try:
        return parse(str(cfg[name]))
    except ValueError:
        raise ValueError(
            f"MATCHMAKER_{name} must be a rate such as '30 per minute' or '10 per 15 minutes', "
            f"not {cfg[name]!r}"
        ) from None


def _proxies(value: object) -> int:
    try:
        count = int(str(value or 0))
    except ValueError:
        raise ValueError("MATCHMAKER_PROXIES must be a whole number of reverse proxies") from None
    if count < 0:
        raise ValueError("MATCHMAKER_PROXIES cannot be negative")
    return count


def _state() -> _State:
    return current_app.extensions["matchmaker_limits"]


def client_address() -> str:
    return request.remote_addr or "unknown"


def group_of(endpoint: str | None) -> Group | None:
    """The rate-limit group of an endpoint, or None for an unlimited one."""
    if not endpoint or endpoint in UNLIMITED:
        return None
    for group in GROUPS:
        if group.endpoints is not None and endpoint in group.endpoints:
            return group
    for group in GROUPS:
        if group.endpoints is None and endpoint.startswith(f"{group.blueprint}."):
            return group
    return None


def check_request_limit() -> None:
    """Count this request against its group's limit; raise RateLimited once it is spent.

    Runs after the user is loaded (``g.user``): staff are counted by name, everyone
    else by client address. Every method counts, HEAD included (it runs the search).
    """
    group = group_of(request.endpoint)
    if group is None or request.routing_exception is not None:
        return
    state = _state()
    user = g.get("user")
    item = state.staff if user else state.anonymous[group.name]
    key = f"staff:{user}" if user else f"client:{client_address()}"
    if not state.limiter.hit(item, group.name, key):
        raise RateLimited(
            gettext(
                "Too many requests (%(amount)s per %(window)s for %(what)s). Wait a moment "
                "and try again.",
                amount=item.amount,
                window=_window_text(item),
                what=_GROUP_TEXT[group.name],
            ),
            _retry_after(state.limiter, item, group.name, key),
        )


def add_retry_after(response):
    """Every 429 says when to come back, including ones from views (too many reports)."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(DEFAULT_RETRY_AFTER)
    return response


_GROUP_TEXT = {
    "search": _l("searches"),
    "suggest": _l("name suggestions"),
    "api": _l("the API"),
}


# -- logins -------------------------------------------------------------------------


def login_wait(username: str) -> int | None:
    """Seconds this client must wait before trying to log in as `username`, or None."""
    state, client = _state(), client_address()
    client_key, account_key = ("login-client", client), ("login-account", _account(username))
    if not state.limiter.test(state.login_client, *client_key):
        return _retry_after(state.limiter, state.login_client, *client_key)
    if not state.limiter.test(state.login_account, *account_key) and _has_failed(client):
        return min(
            _retry_after(state.limiter, state.login_account, *account_key),
            _retry_after(state.limiter, state.login_client, *client_key),
        )
    return None


def record_failed_login(username: str) -> None:
    """Count a failed login against the client address and against the account."""
    state = _state()
    state.limiter.hit(state.login_client, "login-client", client_address())
    state.limiter.hit(state.login_account, "login-account", _account(username))


def _has_failed(client: str) -> bool:
    state = _state()
    stats = state.limiter.get_window_stats(state.login_client, "login-client", client)
    return stats.remaining < state.login_client.amount


def _account(username: str) -> str:
    return (username or "").strip().casefold()[:64] or "-"


# -- helpers ------------------------------------------------------------------------


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, *keys: str) -> int:
    """Whole seconds until the window has room again (at least 1)."""
    reset = limiter.get_window_stats(item, *keys).reset_time
    return max(1, math.ceil(reset - time.time()))


def _window_text(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return ngettext("minute", "%(num)d minutes", minutes)
    return ngettext("second", "%(num)d seconds", seconds)
