"""The interface's language: ?lang= (kept in a cookie), then Accept-Language, then English.

Real requests through the real app and its compiled catalogues; the assertions read
the rendered pages (``<html lang>``, the translated navigation) and the cookie.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from flask.testing import FlaskClient

from matchmaker import languages
from matchmaker.web import assets, i18n

HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def page_language(client: FlaskClient, path: str = "/", **headers: str) -> tuple[str, str]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    found = HTML_LANG.search(text)
    assert found, text[:200]
    return found.group(1), text


def test_english_without_a_choice(client):
    language, text = page_language(client)
    assert language == "en"
    assert "Partner search" in text


def test_accept_language_picks_the_first_language_we_speak(client):
    language, text = page_language(client, **{"Accept-Language": "de-DE, ko;q=0.8, en;q=0.5"})
    assert language == "ko"
    assert "파트너 검색" in text
    language, text = page_language(client, **{"Accept-Language": "lv-LV,lv;q=0.9"})
    assert language == "lv"
    assert "Partneru meklēšana" in text


def test_the_switch_sets_a_cookie_that_later_pages_follow(client):
    language, _ = page_language(client, "/?lang=lv", **{"Accept-Language": "ko"})
    assert language == "lv"
    cookie = client.get_cookie(i18n.COOKIE)
    assert cookie is not None and cookie.value == "lv"
    assert cookie.http_only and cookie.same_site == "Lax"
    # The cookie outranks the browser's wish on the next page, without ?lang=.
    language, text = page_language(client, "/login", **{"Accept-Language": "ko"})
    assert language == "lv"
    assert "Darbinieku pieteikšanās" in text


def test_an_unknown_language_falls_back_and_sets_nothing(client):
    language, _ = page_language(client, "/?lang=xx", **{"Accept-Language": "fr"})
    assert language == "en"
    assert client.get_cookie(i18n.COOKIE) is None


def test_the_switch_links_keep_the_page_and_its_query(client):
    _, text = page_language(client, "/?company=Baltic&lang=ko")
    links = re.findall(r'<a href="([^"]+)" lang="([a-z]+)"', text)
    assert [code for _, code in links] == ["en", "lv", "ko"]
    for href, code in links:
        assert href.startswith("/?company=Baltic&amp;lang=" + code)
    assert 'lang="ko" hreflang="ko" aria-current="true"' in text


def test_pages_vary_by_language_for_caches(client):
    response = client.get("/")
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_catalogues_compile_when_missing_and_where_they_cannot_be_written(tmp_path: Path):
    """A fresh clone has no .mo files; where they cannot be written, a private folder."""
    sources = tmp_path / "translations"
    shutil.copytree(assets.locate("translations"), sources, ignore=shutil.ignore_patterns("*.mo"))
    assert languages.compile_catalogues(sources) == sources
    assert (sources / "lv" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    # A stale .mo that cannot be replaced (here a folder in its place: the test runs as
    # root, for whom read-only modes stop nothing).
    mo = sources / "ko" / "LC_MESSAGES" / "messages.mo"
    mo.unlink()
    mo.mkdir()
    os.utime(mo, (0, 0))
    where = languages.compile_catalogues(sources)
    assert where != sources
    assert (where / "ko" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    assert (where / "lv" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0


def test_report_job_messages_are_shown_in_the_page_language(app):
    from matchmaker.web import job_messages

    with app.test_request_context("/?lang=ko"):
        assert job_messages.translate("Ranked 3 of 10.") == "10곳 중 3곳 순위 산출 완료."
        assert job_messages.translate("10 companies, 20 matches (4 new).") == (
            "기업 10곳, 매칭 20건(신규 4건)."
        )
        assert job_messages.translate("Something else.") == "Something else."
    with app.test_request_context("/?lang=lv"):
        assert job_messages.translate("Writing the file.") == "Rakstām failu."


def test_core_errors_are_translated_on_pages_and_english_in_the_api(client):
    english = client.get("/companies/no-such-company").get_data(as_text=True)
    assert "no-such-company" in english  # the store's own, specific message
    korean = client.get("/companies/no-such-company?lang=ko")
    assert korean.status_code == 404
    assert "이 주소에는 페이지가 없습니다" in korean.get_data(as_text=True)
    api = client.get("/api/companies/no-such-company", headers={"Accept-Language": "ko"})
    assert api.status_code == 404 and "no-such-company" in api.get_json()["error"]
