"""The interface's languages: English, Latvian and Korean, through Flask-Babel.

Which language a page is in is decided once per request, in this order:

1. ``?lang=lv`` on any page (the language switch's links), which is also kept in a
   cookie so the next pages stay in that language;
2. the cookie from an earlier switch;
3. the browser's ``Accept-Language``;
4. English.

The catalogues' sources (``messages.po``) live in ``web/translations`` (in a wheel under
``matchmaker/site/translations``). The compiled ``.mo`` files are build products, not
committed: :func:`matchmaker.languages.compile_catalogues` makes them at set-up and
again at app start when a ``.po`` is newer than its ``.mo``, so a fresh clone, an edited
catalogue and an installed wheel all serve translated pages.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, Response, request
from flask_babel import (
    Babel,
    LazyString,
    format_date,
    format_datetime,
    get_locale,
    get_translations,
)
from flask_babel import lazy_gettext as _l

from ..languages import DEFAULT_LANGUAGE, LANGUAGES, compile_catalogues
from ..reason_texts import type_label
from . import assets, forms, job_messages

#: The cookie that keeps a user's choice from the language switch (one year).
COOKIE = "matchmaker_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    """Compile the catalogues if needed, and choose each request's language."""
    directory = compile_catalogues(assets.locate("translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    Babel(app, locale_selector=select_language)
    # {% trans %} blocks are extracted with their whitespace folded (babel.cfg: trimmed).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(
        languages=LANGUAGES, current_language=current_language, language_links=language_links
    )
    app.jinja_env.filters.update(
        country_name=country_name,
        type_label=lambda value: type_label(value, lambda m: get_translations().ugettext(m)),
        grade_label=lambda value: _label(GRADE_LABELS, value),
        action_label=lambda value: _label(ACTION_LABELS, value),
        score_part=lambda value: _label(SCORE_PART_LABELS, value),
        state_label=lambda value: _label(STATE_LABELS, value),
        status_label=lambda value: _label(STATUS_LABELS, value),
        field_label=forms.field_label,
        row_problem=forms.row_problem,
        job_message=job_messages.translate,
        day=day,
        when=when,
    )


def select_language() -> str:
    """The request's language: ?lang=, then the cookie, then Accept-Language, then English.

    The JSON API always answers in English: its messages are for programs and the
    people who write them, and a client's browser settings must not change them.
    """
    if request.path.startswith("/api/"):
        return DEFAULT_LANGUAGE
    chosen = _known(request.args.get("lang")) or _known(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """'en', 'lv' or 'ko': the language of the page being rendered (its <html lang>)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_links() -> list[dict[str, str | bool]]:
    """The language switch: this very page (its query kept) in each language."""
    links = []
    for code, name in LANGUAGES.items():
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        args.append(("lang", code))
        links.append(
            {
                "code": code,
                "name": name,
                "href": f"{request.path}?{urlencode(args)}",
                "current": code == current_language(),
            }
        )
    return links


# -- words the code stores in English and pages show in the reader's language ----------
# Stored values (a country code, a partnership type, an audit action) stay as they are;
# only what a page shows is translated, so data and the API do not change with the page.

COUNTRY_NAMES = {"LV": _l("Latvia"), "KR": _l("South Korea")}
GRADE_LABELS = {
    "strong partner": _l("strong partner"),
    "useful": _l("useful"),
    "not a partner": _l("not a partner"),
}
ACTION_LABELS = {
    "create": _l("create"),
    "edit": _l("edit"),
    "import": _l("import"),
    "delete": _l("delete"),
    "restore": _l("restore"),
    "verify": _l("verify"),
    "unverify": _l("unverify"),
    "revert": _l("revert"),
    "merge": _l("merge"),
}
#: The ranker's signals as ``score_parts`` names them (shown under "All reasons").
SCORE_PART_LABELS = {
    "reciprocal": _l("two-way fit"),
    "lexical": _l("shared words"),
    "dense": _l("profile similarity"),
    "partnership": _l("partnership types"),
    "roles": _l("roles"),
    "market": _l("markets"),
    "focus": _l("same areas and product types"),
    "licensing": _l("one licenses out, the other in"),
    "competitor": _l("competitor"),
    "need_fit": _l("meets the need"),
    "offer_fit": _l("wants your offer"),
    "seek_fit": _l("what it seeks"),
    "role_need": _l("role sought"),
    "role_offer": _l("role offered"),
    "text_roles": _l("roles in the text"),
    "learned": _l("learned model"),
    "country": _l("country"),
    "seeks_alike": _l("seeks alike"),
    "offers_alike": _l("offers alike"),
}
STATE_LABELS = {
    "queued": _l("queued"),
    "preparing": _l("preparing"),
    "ranking": _l("ranking"),
    "writing": _l("writing"),
    "done": _l("done"),
    "failed": _l("failed"),
    "expired": _l("expired"),
}
STATUS_LABELS = {
    "new": _l("new"),
    "updated": _l("updated"),
    "restored": _l("restored"),
    "unchanged": _l("unchanged"),
}


def _label(labels: dict[str, LazyString], value: object) -> str:
    """The translated label of a stored word; an unknown word is shown as it is."""
    label = labels.get(str(value))
    return str(label) if label is not None else str(value)


def country_name(code: str) -> str:
    """'Latvia', 'Latvija' or '라트비아' for LV: the country in the page's language."""
    return _label(COUNTRY_NAMES, code)


def day(stamp: str | None) -> str:
    """A stored ISO date or timestamp as the page's language writes a date."""
    parsed = _parse_stamp(stamp)
    return format_date(parsed, "medium") if parsed else (stamp or "")


def when(stamp: str | None) -> str:
    """A stored ISO timestamp as a date and time in the page's language, marked UTC."""
    parsed = _parse_stamp(stamp)
    if parsed is None:
        return stamp or ""
    # Stored times are UTC; shown as such (not converted), with the zone named.
    return format_datetime(parsed.replace(tzinfo=None), "short", rebase=False) + " UTC"


def _parse_stamp(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def _known(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGES else None


def _remember_choice(response: Response) -> Response:
    """Keep a language chosen with ?lang= in a cookie, so the following pages use it too."""
    # The same address answers in different languages: caches must tell them apart.
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    chosen = _known(request.args.get("lang"))
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response
