"""Whole pages in Latvian and Korean: no interface English left on them.

The catalogue test proves every *marked* string is translated; this one finds strings
that were never marked. Each page is rendered in the language, the companies' own
data (names, cities, sectors, profile texts, quoted phrases, ids) is taken away, and
any English word still visible is interface text that escaped gettext.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient

from matchmaker.web import catalogues

MINI = Path(__file__).parents[1] / "fixtures" / "mini.jsonl"
#: Words that are the same in every language here: formats, codes, names of things.
ALLOWED = {
    "matchmaker", "CSV", "JSON", "XLSX", "HTML", "Excel", "API", "PCR", "UTC", "jsonl",
    "json", "csv", "id", "ID", "LV", "KR", "EU", "GMP", "ISO", "http", "https", "Grindeks",
    "Olainfarm", "Latviešu", "English", "CSRF", "MB", "IVD", "CE", "pharma", "company",
    "maker", "api", "distributor", "europe", "kr", "pharmaceuticals", "generics", "grindeks",
    "olainfarm", "hashing", "NaN", "Infinity", "true", "false", "Latvia", "Latvija",
    "South", "Korea", "report", "staff",
}
#: Elements whose content is data or code, not interface text.
SKIPPED = {"q", "code", "script", "style", "textarea", "option"}
WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{3,}")  # Latin words, Latvian letters included


class VisibleText(HTMLParser):
    """The page's text nodes, outside data/code elements, plus titles and placeholders."""

    def __init__(self) -> None:
        super().__init__()
        self.skipping = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label") and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.found.append(data)


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def data_words() -> set[str]:
    """Every word of the mini companies' own data, which pages show as written."""
    found: set[str] = {"fictional", "test", "fixture"}
    for line in MINI.read_text(encoding="utf-8").splitlines():
        for value in json.loads(line).values():
            for item in value if isinstance(value, list) else [value]:
                found |= words(str(item))
    return found


def translation_words(language: str) -> set[str]:
    """The Latin-script words the language's catalogue itself uses (all of Latvian)."""
    found: set[str] = set()
    for message in catalogues.load(language):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            found |= words(re.sub(r"%\(\w+\)[sd]|<[^>]+>", " ", string))
    return found


def english_left(client: FlaskClient, path: str, language: str) -> list[str]:
    client.set_cookie("matchmaker_lang", language)
    response = client.get(path)
    assert response.status_code < 500, path
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in page, path
    parser = VisibleText()
    parser.feed(page)
    typed = words(" ".join(v for _, v in parse_qsl(urlsplit(path).query)))  # the user's own
    known = {w.lower() for w in ALLOWED} | data_words() | translation_words(language) | typed
    return [text.strip() for text in parser.found if words(text) - known]


PUBLIC = [
    "/",
    "/search?company=baltic-generics&country=KR",
    "/search?q=Korean+distributor+for+our+PCR+kits&country=KR",
    "/search?company=nobody-at-all",
    "/search?country=XX&min_employees=abc",
    "/companies/baltic-generics",
    "/login",
    "/no-such-page",
    "/companies/no-such-company",
]
STAFF_PAGES = [
    "/staff/",
    "/staff/?show=deleted",
    "/staff/companies/new",
    "/staff/companies/baltic-generics/edit",
    "/staff/companies/baltic-generics/history",
    "/staff/import",
    "/staff/reports/",
    "/companies/baltic-generics",
    "/search?company=baltic-generics&country=KR",
]


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_public_pages_have_no_interface_english(client: FlaskClient, language: str):
    left = {path: english_left(client, path, language) for path in PUBLIC}
    assert not any(left.values()), {p: t for p, t in left.items() if t}


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_staff_pages_have_no_interface_english(staff_client: FlaskClient, language: str):
    staff_client.get("/")  # shows the login's message, made in the login's language
    left = {path: english_left(staff_client, path, language) for path in STAFF_PAGES}
    assert not any(left.values()), {p: t for p, t in left.items() if t}
