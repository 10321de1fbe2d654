"""The interface's languages: English, Latvian and Korean, through Flask-Babel.

Which language a page is in is decided once per request, in this order:

1. ``?lang=lv`` on any page (the language switch's links), which is also kept in a
   cookie so the next pages stay in that language;
2. the cookie from an earlier switch;
3. the browser's ``Accept-Language``;
4. English.

The catalogues' sources (``messages.po``) live in ``web/translations`` (in a wheel under
``matchmaker/site/translations``). The compiled ``.mo`` files are build products, not
committed: :func:`compile_catalogues` makes them at set-up and again at app start when a
``.po`` is newer than its ``.mo``, so a fresh clone, an edited catalogue and an installed
wheel all serve translated pages. Where the package folder is read-only they are
compiled into a private temporary folder instead.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, request
from flask_babel import Babel, get_locale

from . import assets

#: code -> the language's name in itself, in the order the switch shows them.
LANGUAGES: dict[str, str] = {"en": "English", "lv": "Latviešu", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
#: The cookie that keeps a user's choice from the language switch (one year).
COOKIE = "matchmaker_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
DOMAIN = "messages"


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


def select_language() -> str:
    """The request's language: ?lang=, then the cookie, then Accept-Language, then English."""
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


# -- catalogues -------------------------------------------------------------------------


def catalogue_sources(directory: Path) -> dict[str, Path]:
    """language -> its messages.po under ``directory`` (``<lang>/LC_MESSAGES/``)."""
    found = {}
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        found[po.parents[1].name] = po
    return found


def compile_catalogues(directory: Path) -> Path:
    """The folder of compiled catalogues for ``directory``'s sources, compiling stale ones.

    Compiles beside the sources when that folder is writable (a checkout, a venv); else
    into a temporary folder of this process, so a read-only installation still works.
    Fuzzy entries are left out, as gettext would.
    """
    sources = catalogue_sources(directory)
    try:
        for po in sources.values():
            _compile_if_stale(po, po.with_suffix(".mo"))
        return directory
    except OSError:
        private = Path(tempfile.mkdtemp(prefix="matchmaker-translations-"))
        for language, po in sources.items():
            _compile_if_stale(po, private / language / "LC_MESSAGES" / f"{DOMAIN}.mo")
        return private


def _compile_if_stale(po: Path, mo: Path) -> None:
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    with po.open("rb") as source:
        catalogue = read_po(source, locale=po.parents[1].name, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    mo.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a second process starting at the same moment never
    # reads half a file.
    partial = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(compiled.getvalue())
        os.replace(partial, mo)
    finally:
        partial.unlink(missing_ok=True)
