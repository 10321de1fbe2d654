"""Keeping the translation catalogues in step with the code (a developer's tool).

``python -m matchmaker.web.catalogues extract`` finds every marked string (``babel.cfg``)
and merges them into ``web/translations/<lang>/LC_MESSAGES/messages.po``; a translator
then fills the new entries. ``compile`` builds the ``.mo`` files (set-up does this, and
the app does it at start when they are missing or stale). ``check`` lists what is not
translated yet; the test suite runs the same check, so an untranslated string fails it.

The keywords are declared here once, so extraction never silently misses ``_l(...)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from ..languages import DOMAIN, LANGUAGES, catalogue_sources, compile_catalogues

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "web" / "translations"
#: The languages that need a catalogue (English is the source language).
TRANSLATED = [code for code in LANGUAGES if code != "en"]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "N_": None,
    "pgettext": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
}
#: Folders never searched for strings (data, models, the virtualenv, tests).
SKIP = {"data", "models", "eval", "tests", "benchmarks", "docs", "build", "dist", "scripts"}


def extract(root: Path = ROOT) -> Catalog:
    """Every marked string of the code and templates under ``root``, as a template."""
    with (root / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog(project="matchmaker", domain=DOMAIN, charset="utf-8")
    found = extract_from_dir(
        root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
        directory_filter=_searched,
    )
    for filename, line, message, comments, context in found:
        template.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return template


def _searched(path: str) -> bool:
    name = Path(path).name
    return not name.startswith((".", "_")) and name not in SKIP


def load(language: str, directory: Path = TRANSLATIONS) -> Catalog:
    """The catalogue of ``language`` as committed."""
    with (directory / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def problems(template: Catalog, catalogue: Catalog) -> list[str]:
    """What keeps ``catalogue`` from covering ``template``: missing, empty or fuzzy entries."""
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        if entry is None:
            found.append(f"missing: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif not _filled(entry.string):
            found.append(f"untranslated: {message.id!r}")
    return found


def _filled(string: str | tuple[str, ...]) -> bool:
    if isinstance(string, tuple):
        return all(part.strip() for part in string)
    return bool(string.strip())


def update(directory: Path = TRANSLATIONS) -> None:
    """Merge the extracted strings into every language's catalogue (new ones left empty)."""
    template = extract()
    for language in TRANSLATED:
        po = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            catalogue = load(language, directory)
        else:
            catalogue = Catalog(
                locale=language,
                domain=DOMAIN,
                project="matchmaker",
                fuzzy=False,
                copyright_holder="the matchmaker authors",
                last_translator="matchmaker team",
                language_team=f"{LANGUAGES[language]} ({language})",
            )
        created = catalogue.creation_date
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = created  # no date-only changes for merges to trip on
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as out:
            # Without line numbers: editing a template does not rewrite every catalogue.
            write_po(
                out, catalogue, width=100, ignore_obsolete=True, include_lineno=False,
                sort_output=True,
            )


def main(argv: list[str]) -> int:
    """extract (= update the catalogues), compile, or check; prints what it did."""
    command = argv[0] if argv else "check"
    if command in ("extract", "update"):
        update()
        print(f"updated {', '.join(TRANSLATED)} in {TRANSLATIONS}")
    elif command == "compile":
        where = compile_catalogues(TRANSLATIONS)
        print(f"compiled {', '.join(sorted(catalogue_sources(TRANSLATIONS)))} into {where}")
    elif command == "check":
        template = extract()
        failing = {lang: problems(template, load(lang)) for lang in TRANSLATED}
        for language, found in failing.items():
            for problem in found:
                print(f"{language}: {problem}")
        return 1 if any(failing.values()) else 0
    else:
        print("usage: python -m matchmaker.web.catalogues [extract|compile|check]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
