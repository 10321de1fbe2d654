"""The languages matchmaker speaks to people (English, Latvian, Korean), outside Flask.

The web app picks a page's language per request (:mod:`matchmaker.web.i18n`); the
reports, written by the CLI or by a background job, are given one. Both read the
same gettext catalogues: ``messages.po`` sources in ``web/translations`` (in a wheel
under ``matchmaker/site/translations``), compiled to ``.mo`` on first use when the
compiled file is missing or older than its source (set-up compiles them too). Where
the package folder is read-only they are compiled into a private temporary folder.

Stored data (profiles, reasons as the ranker words them, the JSON API) stay in
English; only what people read is translated.
"""

from __future__ import annotations

import io
import os
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader

from .errors import InvalidInput

#: code -> the language's name in itself, in the order a language switch shows them.
LANGUAGES: dict[str, str] = {"en": "English", "lv": "Latviešu", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"


class UnknownLanguageError(InvalidInput):
    """A language code matchmaker has no catalogue for."""


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> str:  # noqa: N802
    """Mark ``message`` with a ``context`` (pgettext) for extraction; see :func:`N_`."""
    return message


def check_language(code: str | None) -> str:
    """'en', 'lv' or 'ko' from a user's choice (case and a region ignored: 'ko-KR')."""
    key = (code or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    if key not in LANGUAGES:
        raise UnknownLanguageError(
            f"unknown language '{code}'; choose one of {', '.join(LANGUAGES)}"
        )
    return key


def catalogue_folder() -> Path:
    """The translations folder: in the installed package, else in the checkout."""
    package = Path(str(files("matchmaker")))
    installed, checked_out = package / "site", package.parents[1] / "web"
    for candidate in (installed / "translations", checked_out / "translations"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"matchmaker's translations are neither in the package ({package / 'site'}) nor in "
        f"a checkout ({package.parents[1] / 'web'}); reinstall the wheel"
    )


@lru_cache(maxsize=8)
def translations(language: str) -> NullTranslations:
    """The gettext catalogue of ``language`` (English: none, the source strings)."""
    language = check_language(language)
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    folder = compile_catalogues(catalogue_folder())
    return Translations.load(str(folder), [language], DOMAIN)


def template_environment(package: str, language: str) -> Environment:
    """A Jinja environment for ``package``'s ``templates`` folder, speaking ``language``.

    Reports and mission agendas are written outside Flask (CLI, background jobs), so
    they install the catalogue themselves: ``_()`` and ``{% trans %}`` (trimmed).
    """
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    gettext = translations(language)
    env.install_gettext_translations(gettext, newstyle=True)
    return env


def locale(language: str) -> Locale:
    """Babel's locale for dates and numbers in ``language``."""
    return Locale.parse(check_language(language))


# -- compiling ------------------------------------------------------------------------


def catalogue_sources(directory: Path) -> dict[str, Path]:
    """language -> its messages.po under ``directory`` (``<lang>/LC_MESSAGES/``)."""
    return {po.parents[1].name: po for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


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
