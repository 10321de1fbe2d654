"""The Latvian and Korean catalogues cover every string the interface shows.

The strings are extracted from the code and templates exactly as
``python -m matchmaker.web.catalogues extract`` does (babel.cfg, the same keywords),
into memory, and compared with the committed catalogues: a string added to a page
without a translation, a fuzzy guess or an empty entry fails here, naming it.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog

from matchmaker.web import catalogues

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogues.extract()


def test_extraction_finds_the_interface(template: Catalog):
    """A guard against a broken babel.cfg: the check below would then pass on nothing."""
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert len(ids) > 250
    for expected in ("Partner search", "Offers %(a)s for your need %(b)s", "Name", "Latvia"):
        assert expected in ids


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_every_string_is_translated(template: Catalog, language: str):
    problems = catalogues.problems(template, catalogues.load(language))
    assert not problems, (
        f"{len(problems)} strings lack a {language} translation; run "
        "'python -m matchmaker.web.catalogues extract' and translate them in "
        f"web/translations/{language}/LC_MESSAGES/messages.po:\n" + "\n".join(problems[:40])
    )


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_translations_keep_every_placeholder(language: str):
    """A lost or renamed %(name)s would raise KeyError or drop a value from the page."""
    wrong = []
    for message in catalogues.load(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # A plural's one-form may say "a minute" for %(num)d; no other name may go.
            if not found <= wanted or not (wanted - {"num"}) <= found:
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", catalogues.TRANSLATED)
def test_no_stale_entries_are_kept(template: Catalog, language: str):
    """Strings the code no longer has are dropped, so translators see only live ones."""
    live = {(m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    kept = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalogues.load(language)}
    assert kept - {""} <= live, sorted(kept - live)[:20]
