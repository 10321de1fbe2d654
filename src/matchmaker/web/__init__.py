"""The matchmaker web app: partner search for companies, curation for agency staff, a JSON API.

Built by :func:`create_app` the Flask-tutorial way: no module-level app, no
database opened at import time, settings layered as defaults (``config.SETTINGS``),
then ``MATCHMAKER_*`` environment variables, then the caller's test config.
Blueprints are listed once in :data:`BLUEPRINTS`, so a new audience (reports)
is one line.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask

from .. import config
from . import (
    api,
    assets,
    auth,
    curation,
    duplicates,
    errors,
    i18n,
    imports,
    limits,
    missions,
    resources,
    search,
    security,
    staff,
    templating,
)
from . import reports as report_views
from .errors import ConfigError

MIN_SECRET_KEY_LENGTH = 32

#: Every blueprint the app serves, registered in this order.
BLUEPRINTS: list[Blueprint] = [
    search.bp,
    auth.bp,
    curation.bp,
    staff.bp,
    duplicates.bp,
    api.bp,
    report_views.bp,
    missions.bp,
]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; raise ConfigError if production lacks a real secret key."""
    app = Flask(
        __name__,
        template_folder=str(assets.locate("templates")),
        static_folder=str(assets.locate("static")),
        static_url_path="/static",
    )
    app.config.from_mapping({s.name.upper(): s.default for s in config.SETTINGS})
    app.config.from_prefixed_env("MATCHMAKER")
    if test_config:
        app.config.from_mapping(test_config)
    _derive_settings(app)
    app.json = security.SafeJSONProvider(app)  # refuses JSON nested too deep, NaN, Infinity
    # JSON as the CLI prints it: fields in their declared order, Hangul and ā as themselves.
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    resources.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    try:
        limits.init_app(app)  # after auth: staff are counted by name, others by address
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    return app


def _derive_settings(app: Flask) -> None:
    """Turn the user-facing settings into Flask's own keys, checking what must be safe."""
    cfg = app.config
    cfg["ENV"] = str(cfg["ENV"] or "development").lower()
    production = cfg["ENV"] == "production"
    key = cfg.get("SECRET_KEY")
    if not key:
        if production:
            raise ConfigError(
                "MATCHMAKER_ENV=production needs MATCHMAKER_SECRET_KEY (at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters, e.g. from "
                "'python -c \"import secrets; print(secrets.token_urlsafe(48))\"')"
            )
        cfg["SECRET_KEY"] = secrets.token_urlsafe(48)
    elif production and len(str(key)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"MATCHMAKER_SECRET_KEY is too short for production: use at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters"
        )
    else:
        cfg["SECRET_KEY"] = str(key)
    try:
        upload_mb = float(cfg["UPLOAD_MAX_MB"])
    except (TypeError, ValueError):
        raise ConfigError("MATCHMAKER_UPLOAD_MAX_MB must be a number of megabytes") from None
    if upload_mb <= 0:
        raise ConfigError("MATCHMAKER_UPLOAD_MAX_MB must be positive")
    limit = int(upload_mb * 1024 * 1024)
    cfg["UPLOAD_MAX_BYTES"] = limit
    # Room for the other form fields of a multipart upload on top of the file itself.
    cfg["MAX_CONTENT_LENGTH"] = limit + 64 * 1024
    # Large text fields re-render with a field error instead of a bare 413.
    cfg["MAX_FORM_MEMORY_SIZE"] = limit
    cfg.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_NAME="matchmaker_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    cfg.setdefault("IMPORT_STAGING_DIR", str(imports.default_staging_dir()))
