"""The interface in Latvian and Korean, in a real browser: the switch, the cookie, the glyphs.

Hangul must render from a system font (the stylesheet's font stack, no web fonts):
Chromium is asked, through the DevTools protocol, which platform fonts it actually
used for the text of a Korean results page, and every one of them must be a font
that fontconfig says covers Korean. A missing font shows up here as DejaVu or
Liberation drawing Hangul, that is, as empty boxes.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

COOKIE = "matchmaker_lang"
#: Elements whose own text (not only their children's) holds Hangul on a Korean page.
KOREAN_TEXT = "h1, .summary, .match .meta, nav[aria-label] > ul > li > a, aside h2, label"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def language_cookie(page) -> str | None:
    found = [c["value"] for c in page.context.cookies() if c["name"] == COOKIE]
    return found[0] if found else None


def test_the_switch_changes_the_language_and_the_cookie_keeps_it(page):
    page.goto("/")
    assert html_lang(page) == "en"
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Latviešu").click()
    page.wait_for_url("**/?lang=lv")
    assert html_lang(page) == "lv"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Atrodiet partnerus Latvijā un Dienvidkorejā"
    )
    assert language_cookie(page) == "lv"
    # A new page without ?lang= keeps Latvian, from the cookie.
    page.goto("/search?company=baltic-generics&country=KR")
    assert html_lang(page) == "lv"
    assert "Dienvidkoreja" in page.get_by_role("heading", level=1).inner_text()
    # The switch keeps the page and its query, and Korean replaces Latvian in the cookie.
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url("**/search?company=baltic-generics&country=KR&lang=ko")
    assert html_lang(page) == "ko"
    assert language_cookie(page) == "ko"
    assert "파트너" in page.get_by_role("heading", level=1).inner_text()
    page.goto("/login")
    assert html_lang(page) == "ko"
    assert page.get_by_role("heading", level=1).inner_text() == "직원 로그인"


def test_the_browser_language_is_the_first_choice(browser, server):
    context = browser.new_context(base_url=server, locale="ko-KR")
    try:
        page = context.new_page()
        page.goto("/")
        assert html_lang(page) == "ko"
        assert page.get_by_role("button", name="파트너 찾기").is_visible()
        assert not [c for c in context.cookies() if c["name"] == COOKIE]  # nothing chosen yet
    finally:
        context.close()


def korean_fonts() -> set[str]:
    """Font families fontconfig says cover Korean (every name of each family)."""
    listed = subprocess.run(
        ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name}


def test_a_korean_results_page_renders_every_glyph(page, tmp_path: Path):
    hangul_fonts = korean_fonts()
    if not hangul_fonts:
        pytest.fail(
            "No font on this machine covers Korean: install Debian's fonts-noto-cjk "
            "(scripts/setup does this when run as root)."
        )
    page.goto("/search?company=baltic-generics&country=KR&lang=ko")
    page.locator("li.match").first.wait_for()
    shot = tmp_path / "results-ko.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    tree = cdp.send("DOM.getDocument", {"depth": -1, "pierce": False})["root"]
    own_text = _own_texts(tree)
    selected = cdp.send(
        "DOM.querySelectorAll", {"nodeId": tree["nodeId"], "selector": KOREAN_TEXT}
    )["nodeIds"]
    checked = 0
    for node in selected:
        hangul = len(HANGUL.findall(own_text.get(node, "")))
        if not hangul:
            continue
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        drawn_by_korean_fonts = sum(
            f["glyphCount"] for f in fonts if f["familyName"] in hangul_fonts
        )
        # Every Hangul syllable was drawn by a font that has it; a missing glyph would have
        # been drawn by a Latin fallback (as an empty box) and be missing from this count.
        assert drawn_by_korean_fonts >= hangul, (own_text[node][:80], fonts)
        checked += 1
    assert checked >= 5, f"only {checked} elements with Hangul found"


def _own_texts(tree: dict) -> dict[int, str]:
    """nodeId -> the text of its direct text children (what getPlatformFontsForNode reports)."""
    found: dict[int, str] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        children = node.get("children", [])
        texts = [c.get("nodeValue", "") for c in children if c.get("nodeType") == 3]
        if texts:
            found[node["nodeId"]] = "".join(texts)
        stack.extend(children)
    return found
