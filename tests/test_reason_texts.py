"""Every reason the ranker gives can be shown in Latvian and Korean, its quotes intact.

The reasons are worded in English by ``ranking.explaining``; ``reason_texts`` finds
the wording again and puts its parts into the translated sentence. Walking real
results (partners, similar companies, described needs) catches a wording added to
the ranker without a translation pattern: it would show in English on a Korean page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchmaker import engine, reason_texts
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.languages import translations
from matchmaker.ranking import Filters
from matchmaker.store import Store

MINI = Path(__file__).parent / "fixtures" / "mini.jsonl"

QUOTE = re.compile(r"“[^”]*”")
NEEDS = [
    ("Korean distributor for our PCR test kits", "KR"),
    ("we make EU-GMP generic medicines; looking for hospital pharmacy distribution", "KR"),
    ("European supplier of CE-IVD reagents", "LV"),
]


@pytest.fixture(scope="module")
def reasons(tmp_path_factory) -> list[str]:
    """Every reason of every partner list, similar list and described need of the mini set."""
    embedder = HashingEmbedder()
    with Store.open(tmp_path_factory.mktemp("reasons") / "r.db", create=True) as store:
        engine.import_profiles(store, embedder, parse_file(MINI), actor="test")
        ranker = engine.build_ranker(store, embedder)
        found: list[str] = []
        for profile in store.list():
            for match in ranker.match(profile.id, top=10) + ranker.similar(profile.id, top=5):
                found.extend(match.reasons)
        for text, country in NEEDS:
            for match in ranker.query(text, country, 10, Filters(country=country)).matches:
                found.extend(match.reasons)
    return found


def test_the_ranker_gives_only_known_wordings(reasons):
    assert len(reasons) > 100
    unknown = sorted({r for r in reasons if not reason_texts.known(r)})
    assert not unknown, f"add these wordings to matchmaker/reason_texts.py: {unknown[:10]}"


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_translated_reasons_keep_the_quotes_and_change_the_words(reasons, language):
    gettext = translations(language).gettext
    for reason in set(reasons):
        translated = reason_texts.translate(reason, gettext, language)
        assert translated != reason, reason
        assert QUOTE.findall(translated) == QUOTE.findall(reason) or sorted(
            QUOTE.findall(translated)
        ) == sorted(QUOTE.findall(reason)), (reason, translated)


def test_a_figure_follows_the_language():
    gettext = translations("lv").gettext
    assert reason_texts.translate("Profiles read alike (similarity 0.83)", gettext, "lv") == (
        "Profili ir līdzīgi (līdzība 0,83)"
    )


def test_an_unknown_wording_is_shown_as_written():
    gettext = translations("ko").gettext
    assert reason_texts.translate("Something new", gettext, "ko") == "Something new"
