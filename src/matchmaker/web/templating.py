"""Jinja helpers: wording and markup that several templates share.

Autoescaping stays on everywhere. The one filter that returns markup,
:func:`reason_markup`, escapes every piece of text itself and only adds
``<q>`` elements around the quoted phrases of a reason.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from ..profiles import COUNTRIES, PARTNERSHIP_TYPES

_QUOTED = re.compile(r"“([^”]*)”")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["reason"] = reason_markup
    app.jinja_env.filters["country_name"] = lambda code: COUNTRIES.get(code, code)
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["value"] = display_value
    app.jinja_env.globals.update(countries=COUNTRIES, partnership_types=PARTNERSHIP_TYPES)


def reason_markup(reason: str) -> Markup:
    """'Offers “a” for your need “b”' with each quote as an escaped <q> element."""
    pieces, last = [], 0
    for found in _QUOTED.finditer(reason):
        pieces.append(escape(reason[last : found.start()]))
        pieces.append(Markup("<q>{}</q>").format(found.group(1)))
        last = found.end()
    pieces.append(escape(reason[last:]))
    return Markup("").join(pieces)


def when(stamp: str | None) -> str:
    """'2026-05-01 14:03 UTC' from a stored ISO timestamp."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


def display_value(value: object) -> str:
    """A profile value as a person reads it: lists joined, booleans as yes/no, None empty."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    return str(value) or "—"
