"""A Korean and a Latvian user describe a need on the start page, in their own language.

The session's server runs all-MiniLM-L6-v2, an English-only model, over the
fictional mini companies (all written in English): whatever finds the right
partner here comes from reading Korean and Latvian words (Kiwi, the Latvian
stemmer, the domain lexicon's concepts, the role words), which is the point.
The browser asks for the page in the user's language (``Accept-Language``), so
the "Read as" line comes back in it.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def localised(browser, server):
    """A page factory: a fresh context whose browser speaks the given locale."""
    contexts = []

    def make(locale: str):
        context = browser.new_context(base_url=server, locale=locale)
        # The server loads Kiwi and the language detector on its first Korean or Latvian
        # text: seconds on an idle machine, much more on a busy one.
        context.set_default_timeout(120_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def describe(page, label: str, need: str, country: str, button: str) -> list[str]:
    """Type the need on the start page, choose the country, search; the result names."""
    page.goto("/")
    page.get_by_label(label).fill(need)
    page.locator(f"#t-country-{country}").check()
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url("**/search?**")
    page.locator("li.match").first.wait_for()
    return page.locator("li.match h3").all_inner_texts()


def test_a_korean_need_for_a_european_generics_distributor_finds_latvian_drug_partners(localised):
    page = localised("ko-KR")
    need = "유럽 제네릭 의약품 수입 유통 파트너를 찾습니다"
    names = describe(page, "무엇을 찾고 계십니까?", need, "LV", "검색")
    assert page.evaluate("document.documentElement.lang") == "ko"
    top_two = " ".join(names[:2])
    # the Latvian generics maker and the Latvian distributor, not plywood or a CRO
    assert "Baltic Generics" in top_two and "Daugava Lab Supply" in top_two, names
    read_as = page.locator(".read-as").inner_text()
    assert read_as.startswith("해석 결과: 필요한 것"), read_as
    assert "유럽 제네릭 의약품 수입 유통 파트너" in read_as


def test_a_latvian_need_for_a_korean_distributor_of_our_generics(localised):
    page = localised("lv-LV")
    names = describe(
        page,
        "Ko jūs meklējat?",
        "Meklējam izplatītāju Korejā mūsu ģenēriskajām sirds un asinsvadu zālēm",
        "KR",
        "Meklēt",
    )
    assert page.evaluate("document.documentElement.lang") == "lv"
    assert "Seoul Pharma Distribution" in names[0], names
    # the Korean maker of the same generics is a competitor, not the first partner
    assert "Han Generics" not in names[0]
    read_as = page.locator(".read-as").inner_text()
    assert read_as.startswith("Sapratām tā: jums vajag"), read_as
    assert "jūs piedāvājat" in read_as and "ģenēriskajām sirds un asinsvadu zālēm" in read_as


def test_a_latvian_need_for_biosimilar_developers_needing_trials_finds_the_korean_developer(
    localised,
):
    page = localised("lv-LV")
    names = describe(
        page,
        "Ko jūs meklējat?",
        "Meklējam biolīdzīgo zāļu izstrādātājus Korejā, kam vajag klīniskos pētījumus Eiropā",
        "KR",
        "Meklēt",
    )
    assert "Busan Biologics" in names[0], names
