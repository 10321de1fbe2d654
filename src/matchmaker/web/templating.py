"""Jinja helpers: wording and markup that several templates share.

Words that depend on the page's language (country names, dates) are filters of
:mod:`.i18n`. Autoescaping stays on everywhere. The one filter that returns markup,
:func:`reason_markup`, escapes every piece of text itself and only adds
``<q>`` elements around the quoted phrases of a reason.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import get_translations, gettext
from markupsafe import Markup, escape

from .. import reason_texts
from ..profiles import COUNTRIES, PARTNERSHIP_TYPES
from .i18n import current_language

_QUOTED = re.compile(r"“([^”]*)”")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["reason"] = reason_markup
    app.jinja_env.filters["value"] = display_value
    app.jinja_env.globals.update(countries=COUNTRIES, partnership_types=PARTNERSHIP_TYPES)


def reason_markup(reason: str) -> Markup:
    """'Offers “a” for your need “b”' with each quote as an escaped <q> element.

    The reason is first put into the page's language (:mod:`matchmaker.reason_texts`); the quotes
    stay the companies' own words.
    """
    reason = reason_texts.translate(reason, _translate, current_language())
    pieces, last = [], 0
    for found in _QUOTED.finditer(reason):
        pieces.append(escape(reason[last : found.start()]))
        pieces.append(Markup("<q>{}</q>").format(found.group(1)))
        last = found.end()
    pieces.append(escape(reason[last:]))
    return Markup("").join(pieces)


def _translate(message: str) -> str:
    """The page's translation of a msgid marked elsewhere (no placeholders filled)."""
    return get_translations().ugettext(message)


def display_value(value: object) -> str:
    """A profile value as a person reads it: lists joined, booleans as yes/no, None empty."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    return str(value) or "—"
