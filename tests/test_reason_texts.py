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
from matchmaker.ranking import Filters, explaining
from matchmaker.roles import MARKETS
from matchmaker.store import Store
from matchmaker.web import catalogues

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


ROLE_REASONS = {
    "Korean distributor that seeks “European generic medicines to import”, which you are: "
    "distribution, export": {
        "lv": "Korejas izplatītājs, kas meklē “European generic medicines to import” — tieši "
        "tādi esat jūs: izplatīšana, eksports",
        "ko": "“European generic medicines to import”을(를) 찾는 한국 유통사 — 바로 귀사에 "
        "해당합니다: 유통, 수출",
    },
    "Korean pharma company that seeks distributors, which you are": {
        "lv": "Korejas farmācijas uzņēmums, kas meklē izplatītājus — tieši tādi esat jūs",
        "ko": "유통사를 찾는 한국 제약사 — 바로 귀사에 해당합니다",
    },
    "Seeks hospitals, which you are": {
        "lv": "Meklē slimnīcas — tieši tādi esat jūs",
        "ko": "병원을 찾음 — 바로 귀사에 해당합니다",
    },
    "Korean distributor, as you asked": {
        "lv": "Korejas izplatītājs, kā jūs lūdzāt",
        "ko": "요청하신 한국 유통사",
    },
    "Latvian CRO: a kind of partner you seek: clinical trials": {
        "lv": "Latvijas CRO: jūsu meklētais partnera veids: klīniskie pētījumi",
        "ko": "라트비아 CRO: 귀사가 찾는 파트너 유형: 임상시험",
    },
    "API maker: a kind of partner you seek": {
        "lv": "API ražotājs: jūsu meklētais partnera veids",
        "ko": "원료의약품 제조사: 귀사가 찾는 파트너 유형",
    },
    "In a market you target: South Korea": {
        "lv": "Jūsu mērķa tirgū: Dienvidkoreja",
        "ko": "귀사의 목표 시장: 대한민국",
    },
    "Sells in or targets the EU / EEA": {
        "lv": "Pārdod vai plāno pārdot: ES / EEZ",
        "ko": "판매 중이거나 진출하려는 시장: EU/EEA",
    },
    "Caution: possible competitor, offers what you offer": {
        "lv": "Uzmanību: iespējams konkurents, piedāvā to pašu, ko jūs",
        "ko": "주의: 경쟁사일 수 있음, 귀사와 같은 것을 제공합니다",
    },
}


@pytest.mark.parametrize("language", ["lv", "ko"])
@pytest.mark.parametrize("reason", sorted(ROLE_REASONS))
def test_role_market_and_caution_reasons_read_naturally(reason, language):
    """The organisation, the kinds sought, the market and the types are translated parts."""
    gettext = translations(language).gettext
    assert reason_texts.known(reason)
    assert reason_texts.translate(reason, gettext, language) == ROLE_REASONS[reason][language]
    assert reason_texts.translate(reason) == reason  # English: as the ranker wrote it


def test_the_labels_cover_the_rankers_tables():
    """A role or market added to the ranker needs its word here (and in the catalogues)."""
    nouns = set(explaining.ROLE_NOUNS.values())
    assert set(reason_texts.ROLE_LABELS) == nouns
    assert set(reason_texts.SOUGHT_ROLE_LABELS) == {explaining._plural(n) for n in nouns}
    assert set(reason_texts.COUNTRY_ORGANISATION) == set(explaining._COUNTRY_ADJECTIVES.values())
    markets = set(MARKETS.values()) | set(explaining._COUNTRY_NAMES.values())
    assert set(reason_texts.MARKET_LABELS) == markets


@pytest.mark.parametrize("language", ["lv", "ko"])
def test_every_role_and_market_is_translated_in_every_wording(language):
    """Each role noun (alone, after a country, sought in the plural) and each market."""
    gettext = translations(language).gettext
    catalogue = catalogues.load(language)
    for context, labels in (
        ("organisation", reason_texts.ROLE_LABELS),
        ("sought organisations", reason_texts.SOUGHT_ROLE_LABELS),
        ("market", reason_texts.MARKET_LABELS),
    ):
        for message in labels.values():
            entry = catalogue.get(message, context=context)
            assert entry is not None and entry.string, (context, message)
    sought = "sought organisations"
    for noun in explaining.ROLE_NOUNS.values():
        plural = explaining._plural(noun)
        capital = noun[0].upper() + noun[1:]
        for reason, context, part in (
            (f"Latvian {noun}, as you asked", "organisation", noun),
            (f"{capital}: a kind of partner you seek: R&D", "organisation", noun),
            (f"Korean {noun} that seeks {plural}, which you are: supply", sought, plural),
            (f"Seeks {plural}, which you are", sought, plural),
        ):
            translated = reason_texts.translate(reason, gettext, language)
            assert reason_texts.known(reason) and translated != reason, reason
            word = catalogue.get(part, context=context).string
            assert word[1:] in translated, (reason, word, translated)  # first letter may be upper
    for market in MARKETS.values():
        reason = f"Sells in or targets {market}"
        translated = reason_texts.translate(reason, gettext, language)
        assert reason_texts.known(reason) and not re.search(rf"\b{market}\b", translated)
