"""Which companies a report covers, and which partners qualify."""

from __future__ import annotations

import dataclasses

import pytest

from matchmaker.ranking import Filters
from matchmaker.reports import ReportError, ReportSpec, parse_since, select_companies

LV = {"baltic-generics", "riga-clinical-research", "daugava-lab-supply", "vidzeme-wood"}
KR = {
    "han-generics",
    "seoul-pharma-distribution",
    "busan-biologics",
    "incheon-diagnostics",
    "jeju-cosmetics",
    "quiet-holding",
}


def ids(profiles) -> list[str]:
    return [p.id for p in profiles]


def test_default_is_every_company_latvian_first_then_by_name(mini_profiles):
    chosen = select_companies(mini_profiles, ReportSpec())
    assert set(ids(chosen)) == LV | KR
    countries = [p.country for p in chosen]
    assert countries == sorted(countries, key=lambda c: c != "LV")
    latvian = [p.name.casefold() for p in chosen if p.country == "LV"]
    assert latvian == sorted(latvian)


@pytest.mark.parametrize(("direction", "expected"), [("lv-kr", LV), ("kr-lv", KR)])
def test_direction_selects_one_country(mini_profiles, direction, expected):
    assert set(ids(select_companies(mini_profiles, ReportSpec(direction=direction)))) == expected


def test_chosen_ids_keep_only_those(mini_profiles):
    spec = ReportSpec(company_ids=("han-generics", "baltic-generics", "han-generics"))
    assert ids(select_companies(mini_profiles, spec)) == ["baltic-generics", "han-generics"]


def test_unknown_id_is_a_clear_error(mini_profiles):
    with pytest.raises(ReportError, match="no company with id 'nope'"):
        select_companies(mini_profiles, ReportSpec(company_ids=("baltic-generics", "nope")))


def test_id_outside_the_direction_is_refused(mini_profiles):
    spec = ReportSpec(direction="lv-kr", company_ids=("han-generics",))
    with pytest.raises(ReportError, match="han-generics not in LV: outside direction lv-kr"):
        select_companies(mini_profiles, spec)


def test_sector_selects_companies_with_it(mini_profiles):
    spec = ReportSpec(sectors=("In Vitro Diagnostics",))
    assert set(ids(select_companies(mini_profiles, spec))) == {
        "incheon-diagnostics",
        "daugava-lab-supply",
    }


def test_changed_since_compares_timestamps_in_utc(mini_profiles):
    stamped = [
        dataclasses.replace(p, updated_at=f"2025-03-0{1 + i % 3}T12:00:00+00:00")
        for i, p in enumerate(mini_profiles)
    ]
    recent = {p.id for p in stamped if p.updated_at >= "2025-03-02"}
    assert 0 < len(recent) < len(stamped)
    assert set(ids(select_companies(stamped, ReportSpec(changed_since="2025-03-02")))) == recent
    # 13:00 in Riga (UTC+2) is 11:00 UTC, before the 12:00 UTC edits of that day
    riga = ReportSpec(changed_since="2025-03-03T13:00:00+02:00")
    assert set(ids(select_companies(stamped, riga))) == {
        p.id for p in stamped if p.updated_at.startswith("2025-03-03")
    }


def test_empty_selection_is_an_error(mini_profiles):
    with pytest.raises(ReportError, match="no companies match"):
        select_companies(mini_profiles, ReportSpec(sectors=("aerospace",)))


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "01/02/2025", ""])
def test_bad_dates_are_refused(value):
    with pytest.raises(ReportError, match="is not a date"):
        parse_since(value)


def test_date_without_zone_is_utc_midnight():
    assert parse_since("2025-03-01").isoformat() == "2025-03-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "lv-jp"}, "direction must be one of"),
        ({"top": 0}, "top must be between 1 and 1000"),
        ({"changed_since": "soon"}, "is not a date"),
        ({"partner_filters": Filters(country="LV")}, "partners are always in the other"),
    ],
)
def test_spec_refuses_bad_values(kwargs, message):
    with pytest.raises(ReportError, match=message):
        ReportSpec(**kwargs)


def test_partner_filters_apply_before_ranking(make_report):
    spec = ReportSpec(
        direction="lv-kr",
        top=10,
        partner_filters=Filters(partnership_types=["licensing"], sectors=["pharmaceuticals"]),
    )
    report = make_report(spec)
    partners = {e.match.id for s in report.sections for e in s.entries}
    assert partners == {"han-generics"}  # the only KR pharma company open to licensing
    assert all(len(s.entries) == 1 for s in report.sections)


def test_sector_selection_and_partner_sector_are_independent(make_report):
    spec = ReportSpec(
        sectors=("generics",), partner_filters=Filters(sectors=["distribution"]), top=3
    )
    report = make_report(spec)
    assert [s.company.id for s in report.sections] == ["baltic-generics", "han-generics"]
    for section in report.sections:
        assert all("distribution" in e.match.sectors for e in section.entries)
        assert all(e.match.country != section.company.country for e in section.entries)
