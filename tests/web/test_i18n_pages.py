"""Whole pages in Latvian and Korean: no interface English left on them.

The catalogue test proves every *marked* string is translated; this one finds strings
that were never marked. Each page is rendered in the language, the companies' own
data (names, cities, sectors, profile texts, quoted phrases, ids) is taken away, and
any English word still visible is interface text that escaped gettext.
"""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from babel.dates import format_date, format_skeleton
from flask.testing import FlaskClient
from web_helpers import post_form

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


def calendar_words(language: str) -> set[str]:
    """The words Babel writes dates with in ``language`` (Latvian months and weekdays)."""
    found: set[str] = set()
    for month in range(1, 13):
        for weekday in range(7):
            moment = date(2026, month, 1 + weekday)
            for form in ("medium", "long", "full"):
                found |= words(format_date(moment, form, locale=language))
            found |= words(format_skeleton("MMMEd", moment, locale=language))
    return found


#: The summary charts' SVG (titles, axis words) is the reports' and stays English for now.
CHARTS = re.compile(r"<svg\b.*?</svg>", re.S)


def english_left(
    client: FlaskClient, path: str, language: str, skip_charts: bool = False
) -> list[str]:
    client.set_cookie("matchmaker_lang", language)
    response = client.get(path)
    assert response.status_code < 500, path
    page = response.get_data(as_text=True)
    if skip_charts:
        page = CHARTS.sub("", page)
    assert f'<html lang="{language}">' in page, path
    parser = VisibleText()
    parser.feed(page)
    typed = words(" ".join(v for _, v in parse_qsl(urlsplit(path).query)))  # the user's own
    known = {w.lower() for w in ALLOWED} | data_words() | translation_words(language) | typed
    known |= calendar_words(language)
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
    "/staff/?q=baltic&country=LV&verified=no&sort=changed&size=1",
    "/staff/?country=XX&role=nobody&verified=maybe&sort=odd&page=x&changed_since=soon",
    "/staff/export",
    "/staff/export?country=KR",
    "/staff/users",
    "/staff/missions/",
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


def planned_mission(client: FlaskClient) -> int:
    """A mission with participants, a wish, a solver's plan and a hand change after it."""
    form = {"name": "Seoul 2026", "days": "2026-05-12..2026-05-13", "slots_per_day": "4",
            "tables": "2", "cap": "3"}
    created = post_form(client, "/staff/missions/create", form)
    assert created.status_code == 303
    mission = int(created.headers["Location"].rsplit("id=", 1)[1])
    for company in ("baltic-generics", "daugava-lab-supply", "han-generics", "busan-biologics"):
        post_form(client, "/staff/missions/participants", {"mission": mission, "company": company})
    post_form(client, "/staff/missions/wishes", {"mission": mission, "first": "baltic-generics",
                                                  "second": "busan-biologics", "kind": "must"})
    assert post_form(client, "/staff/missions/plan", {"mission": mission}).status_code == 303
    move = {"mission": mission, "action": "move", "lv": "baltic-generics",
            "kr": "busan-biologics", "slot": "7", "version": "1"}
    assert post_form(client, "/staff/missions/change", move).status_code == 303
    return mission


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_mission_pages_have_no_interface_english(staff_client: FlaskClient, language: str):
    staff_client.get("/")  # shows the login's message, made in the login's language
    staff_client.set_cookie("matchmaker_lang", language)  # the planning's flashes are in it
    mission = planned_mission(staff_client)
    pages = [
        "/staff/missions/",
        f"/staff/missions/view?id={mission}",
        f"/staff/missions/view?id={mission}&q=riga",
        f"/staff/missions/view?id={mission}&q=nothing-like-it",
        f"/staff/missions/agenda?id={mission}&company=baltic-generics&format=html",
        f"/staff/missions/agenda?id={mission}&company=han-generics&format=html",
        "/staff/missions/view?id=999",
        f"/staff/missions/agenda?id={mission}&company=nobody&format=html",
    ]
    left = {path: english_left(staff_client, path, language, skip_charts=True) for path in pages}
    assert not any(left.values()), {p: t for p, t in left.items() if t}


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_mission_refusals_are_in_the_page_language(staff_client: FlaskClient, language: str):
    """A form error made by the web layer (not a number) comes back translated."""
    staff_client.set_cookie("matchmaker_lang", language)
    form = {"name": "X", "days": "2026-05-12", "tables": "many"}
    response = post_form(staff_client, "/staff/missions/create", form)
    assert response.status_code == 400
    expected = {"lv": "Laukam “Galdi” jābūt veselam skaitlim, nevis “many”.",
                "ko": "테이블 수 항목은 “many”이(가) 아닌 정수여야 합니다."}[language]
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_mission_downloads_are_in_the_page_language(staff_client: FlaskClient, language: str):
    """The calendar's events and the grid's sheets and headers follow the page's language."""
    import io

    from icalendar import Calendar
    from openpyxl import load_workbook

    mission = planned_mission(staff_client)
    staff_client.set_cookie("matchmaker_lang", language)
    ics = staff_client.get(
        f"/staff/missions/agenda?id={mission}&company=baltic-generics&format=ics"
    )
    events = list(Calendar.from_ical(ics.data).walk("VEVENT"))
    meeting, why = {"lv": ("Tikšanās: ", "Kāpēc šī tikšanās:"),
                    "ko": ("미팅: ", "이 미팅을 제안한 이유:")}[language]
    assert events and all(str(e["summary"]).startswith(meeting) for e in events)
    assert all(str(e["description"]).startswith(why) for e in events)
    grid = load_workbook(io.BytesIO(staff_client.get(f"/staff/missions/grid?id={mission}").data))
    sheets, header = {"lv": (["Režģis", "Tikšanās"], ["Laika logs", "Laiks", "1. galds"]),
                      "ko": (["그리드", "미팅"], ["시간대", "시간", "1번 테이블"])}[language]
    assert grid.sheetnames == sheets
    assert [c.value for c in grid[sheets[0]][1]][:3] == header
    assert not words(" ".join(str(c.value) for c in grid[sheets[1]][1])) - translation_words(
        language
    ) - {w.lower() for w in ALLOWED}
