"""The report's charts speak the report's language: no English word left inside the SVGs.

A real report of the mini companies, rendered as HTML in Latvian and Korean. Every
word a chart draws or shows on hover (text, tooltips, its accessible name) must be
in that language; what stays as written is data: company names, sector tags, ids,
numbers, country codes and the direction arrows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from matchmaker.reports import write_report
from matchmaker.reports.charts import FONT, heatmap_svg, histogram_svg, top_partners_svg

SVG = "{http://www.w3.org/2000/svg}"
_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def chart_words(svg: ET.Element) -> list[str]:
    """Everything a chart shows in words: its texts, tooltips and accessible name."""
    found = [svg.get("aria-label", "")]
    for element in svg.iter():
        if element.tag in (f"{SVG}text", f"{SVG}title") and element.text:
            found.append(element.text)
    return [text for text in found if text.strip()]


def data_words(report) -> list[str]:
    """Names and tags the charts quote as they are stored, longest first."""
    words = {"LV", "KR"}
    for section in report.sections:
        for profile in [section.company] + [e.match for e in section.entries]:
            words.add(profile.name)
            words.update(profile.sectors)
    return sorted(words, key=len, reverse=True)


def leftover_english(text: str, data: list[str]) -> list[str]:
    for word in data:
        text = text.replace(word, " ")
    return _LATIN_WORD.findall(text)


def charts_of(report, path, language=None) -> list[ET.Element]:
    args = (language,) if language else ()
    page = write_report(report, "html", path, *args).read_text(encoding="utf-8")
    return [ET.fromstring(block) for block in _SVG_BLOCK.findall(page)]


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_a_translated_report_has_no_english_left_in_its_charts(make_report, tmp_path, language):
    report = make_report()
    data = data_words(report)
    english = [
        word
        for svg in charts_of(report, tmp_path / "r.en.html")
        for text in chart_words(svg)
        for word in leftover_english(text, data)
    ]
    assert {"Distribution", "score", "matches", "partner"} <= set(english)  # real labels seen
    charts = charts_of(report, tmp_path / f"r.{language}.html", language)
    assert len(charts) == 3  # heatmap, histogram, partners: the mini report has all three
    shown = [text for svg in charts for text in chart_words(svg)]
    left = {word for text in shown for word in leftover_english(text, data)} & set(english)
    assert left == set(), left
    if language == "ko":
        assert any(re.search(r"[\uac00-\ud7a3]", text) for text in shown)


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_empty_charts_say_so_in_the_language(language):
    messages = [
        str(heatmap_svg(_empty_heatmap(), language=language)),
        str(histogram_svg([], None, language)),
        str(top_partners_svg([], language)),
    ]
    for message in messages:
        assert "to chart" not in message, message


def test_charts_name_the_korean_system_fonts():
    """Hangul inside an SVG is drawn from the same system fonts as the pages."""
    assert "Noto Sans CJK KR" in FONT and "Malgun Gothic" in FONT


def _empty_heatmap():
    from matchmaker.reports.summary import Heatmap

    return Heatmap(lv_sectors=[], kr_sectors=[], counts=[], pairs=0)
