"""Fixtures for report tests, on top of the root ones (``store`` holds the mini profiles).

``hostile_store`` adds a Korean company whose fields are built to attack
spreadsheets (formulas) and the HTML page (script tags), and two Korean
companies with identical text so their scores tie exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from matchmaker import engine
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import parse_file
from matchmaker.profiles import validate_profile
from matchmaker.ranking import PartnerRanker
from matchmaker.reports import PreviousReport, Report, ReportSpec, generate
from matchmaker.store import Store

HOSTILE = {
    "id": "evil-kr",
    "name": '=HYPERLINK("http://attacker.example","click")',
    "name_local": "</script><img src=x onerror=alert(1)>",
    "country": "KR",
    "city": "@SUM(A1:A9)",
    "sectors": ["-pharma", "pharmaceuticals"],
    "description": "<script>alert('x')</script> Korean distributor of cardiovascular medicines.",
    "offers": "+cmd|' /C calc'!A0; nationwide pharmacy distribution of cardiovascular medicines",
    "seeks": "EU-GMP cardiovascular generic medicines to import",
    "partnership_types": ["distribution"],
}

#: Two Korean companies with the same text: every score against them ties exactly.
TWIN_TEXT = {
    "country": "KR",
    "city": "Daegu",
    "sectors": ["in vitro diagnostics"],
    "description": "Fictional Korean distributor of diagnostic reagents to hospital labs.",
    "offers": "hospital laboratory distribution in Korea; MFDS IVD registration",
    "seeks": "European PCR test kits; CE-IVD reagents",
    "partnership_types": ["distribution"],
}
TWINS = ("twin-b-kr", "twin-a-kr")  # inserted b first, so id order differs from insertion


@pytest.fixture
def hostile() -> dict:
    return dict(HOSTILE)


@pytest.fixture
def twins() -> tuple[str, ...]:
    return TWINS


@pytest.fixture
def ranker(store: Store, hashing_embedder: HashingEmbedder) -> PartnerRanker:
    return engine.build_ranker(store, hashing_embedder)


@pytest.fixture
def make_report(store: Store, hashing_embedder: HashingEmbedder) -> Callable[..., Report]:
    """Generate a report on the mini store: make_report(spec=..., previous=...)."""

    def make(spec: ReportSpec | None = None, previous: PreviousReport | None = None) -> Report:
        return generate(store, hashing_embedder, spec or ReportSpec(), previous=previous)

    return make


@pytest.fixture
def hostile_store(
    tmp_path: Path, mini_path: Path, hashing_embedder: HashingEmbedder
) -> Iterator[Store]:
    """The mini profiles plus the hostile company and the twins, embedded with hashing."""
    with Store.open(tmp_path / "hostile.db", create=True) as opened:
        engine.import_profiles(opened, hashing_embedder, parse_file(mini_path), actor="fixture")
        extra = [validate_profile(HOSTILE)] + [
            validate_profile({**TWIN_TEXT, "id": twin, "name": "Twin Diagnostics (fictional)"})
            for twin in TWINS
        ]
        opened.upsert_many(extra, actor="fixture")
        engine.build_ranker(opened, hashing_embedder)  # embeds the new profiles
        yield opened


@pytest.fixture
def hostile_report(hostile_store: Store, hashing_embedder: HashingEmbedder) -> Report:
    return generate(hostile_store, hashing_embedder, ReportSpec(top=6))
