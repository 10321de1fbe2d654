"""Schema validation: every rule, with the bad values users actually send.

A profile either comes back clean and normalised, or ProfileError lists every
problem with its field, so a user fixes a row in one pass.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date

import pytest

from matchmaker.profiles import (
    MAX_LENGTHS,
    MAX_LIST_ITEM_LENGTH,
    MAX_LIST_ITEMS,
    PARTNERSHIP_TYPES,
    Profile,
    ProfileError,
    first_sentence,
    make_id,
    split_phrases,
    validate_profile,
)

BASE = {
    "name": "Acme Pharma (fictional)",
    "country": "LV",
    "description": "Fictional Latvian maker of tablets.",
    "offers": "tablet manufacturing",
    "source": "test fixture (fictional)",
}


def valid(**changes) -> Profile:
    return validate_profile({**BASE, **changes})


def errors_of(**changes) -> dict[str, str]:
    """field -> message for a record that must be rejected."""
    with pytest.raises(ProfileError) as info:
        validate_profile({**BASE, **changes})
    return {e.field: e.message for e in info.value.errors}


def test_a_minimal_profile_is_accepted_and_normalised():
    profile = valid(name="  Acme Pharma (fictional) ", sectors=None, website="")
    assert profile.name == "Acme Pharma (fictional)"
    assert profile.id == "acme-pharma-fictional-lv"
    assert (
        profile.sectors == [] and profile.partnership_types == [] and profile.certifications == []
    )
    assert profile.website is None and profile.employees is None and profile.verified is False
    assert profile.version == 0 and profile.created_at is None


# -- required fields ------------------------------------------------------------


@pytest.mark.parametrize("name", ["name", "country", "description"])
@pytest.mark.parametrize("value", [None, "", "   ", "\ufeff"])
def test_required_fields_must_be_present_and_non_blank(name, value):
    assert errors_of(**{name: value}) == {name: "is required"}


def test_missing_required_fields_are_all_reported_at_once():
    with pytest.raises(ProfileError) as info:
        validate_profile({"offers": "x", "employees": "many", "website": "ftp://x.lv"})
    fields = [e.field for e in info.value.errors]
    assert sorted(fields) == ["country", "description", "employees", "name", "website"]
    assert "field employees: must be a whole number" in str(info.value)


def test_a_row_that_is_not_an_object_is_rejected():
    for raw in (["a", "b"], "name", 5, None):
        with pytest.raises(ProfileError) as info:
            validate_profile(raw)
        assert [e.field for e in info.value.errors] == ["(row)"]


# -- country --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("LV", "LV"),
        ("lv", "LV"),
        (" Latvia ", "LV"),
        ("Latvija", "LV"),
        ("LATVIJA", "LV"),
        ("KR", "KR"),
        ("South Korea", "KR"),
        ("south   korea", "KR"),
        ("Korea", "KR"),
        ("Republic of Korea", "KR"),
        ("대한민국", "KR"),
        (unicodedata.normalize("NFD", "대한민국"), "KR"),  # decomposed Hangul, as macOS may save it
    ],
)
def test_country_aliases_are_normalised(given, expected):
    assert valid(country=given).country == expected


@pytest.mark.parametrize(
    "given", ["Lithuania", "EE", "Japan", "North Korea", "L V", "Korea Latvia", 5, "LV\x00"]
)
def test_other_countries_are_rejected_with_the_allowed_list(given):
    message = errors_of(country=given)["country"]
    if given == "LV\x00":
        assert "control" in message
        return
    for allowed in ("LV", "KR", "Latvia", "Latvija", "South Korea", "Korea", "대한민국"):
        assert allowed in message


@pytest.mark.parametrize("given", [True, ["LV"], {"code": "LV"}])
def test_a_country_that_is_not_text_is_rejected(given):
    assert errors_of(country=given) == {"country": "must be text"}


# -- list fields ----------------------------------------------------------------


def test_sectors_are_trimmed_lower_cased_and_deduplicated():
    profile = valid(sectors=[" Pharmaceuticals ", "pharmaceuticals", "BioTech", "", "biotech "])
    assert profile.sectors == ["pharmaceuticals", "biotech"]
    assert valid(sectors="Generics ;  API; generics;;").sectors == ["generics", "api"]


def test_list_fields_reject_bad_items():
    assert "';'" in errors_of(sectors=["a;b"])["sectors"]
    assert "text" in errors_of(sectors=[{"x": 1}])["sectors"]
    assert "text" in errors_of(certifications=[True])["certifications"]
    assert "list" in errors_of(sectors={"a": 1})["sectors"]
    long_item = "x" * (MAX_LIST_ITEM_LENGTH + 1)
    assert str(MAX_LIST_ITEM_LENGTH) in errors_of(sectors=[long_item])["sectors"]
    too_many = [f"tag {i}" for i in range(MAX_LIST_ITEMS + 1)]
    assert str(MAX_LIST_ITEMS) in errors_of(certifications=too_many)["certifications"]
    assert len(valid(certifications=too_many[:-1]).certifications) == MAX_LIST_ITEMS


def test_partnership_types_are_case_insensitive_and_canonical():
    profile = valid(partnership_types="Distribution; r&d;  CLINICAL   TRIALS ; distribution")
    assert profile.partnership_types == ["distribution", "R&D", "clinical trials"]
    assert valid(partnership_types=list(PARTNERSHIP_TYPES)).partnership_types == list(
        PARTNERSHIP_TYPES
    )


def test_an_unknown_partnership_type_is_rejected_with_the_allowed_list():
    message = errors_of(partnership_types=["distribution", "franchise"])["partnership_types"]
    assert "'franchise'" in message
    for allowed in PARTNERSHIP_TYPES:
        assert allowed in message


# -- website ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://example.lv", "http://example.com/path?q=1", "HTTPS://EXAMPLE.KR/한국"]
)
def test_http_and_https_websites_are_kept_as_given(url):
    assert valid(website=url).website == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript://example.com/%0aalert(1)",
        "ftp://example.lv",
        "data:text/html,<script>alert(1)</script>",
        "example.lv",
        "//example.lv",
        "http://",
        "https:///path-only",
        "http://:80",
        "http://@",
        "http://exa mple.lv",
        "https://example.lv\njavascript:alert(1)",
        "https://exa\tmple.lv",
        "http://[::1",
    ],
)
def test_websites_other_than_http_with_a_host_are_rejected(url):
    assert errors_of(website=url) == {"website": "must be an http:// or https:// address"}


# -- numbers and booleans -----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0, 0), ("1 200", 1200), ("1,200", 1200), (12.0, 12), (" 45 ", 45), ("", None), (None, None)],
)
def test_employees_accept_whole_numbers(given, expected):
    assert valid(employees=given).employees == expected


@pytest.mark.parametrize("given", ["many", "12.5", 12.5, True, "1e3", [3], float("nan")])
def test_employees_reject_non_integers(given):
    assert errors_of(employees=given) == {"employees": "must be a whole number"}


@pytest.mark.parametrize(
    ("name", "bad", "edge"),
    [
        ("employees", -1, 10_000_000),
        ("employees", 10_000_001, 0),
        ("founded", 1499, 1500),
        ("founded", date.today().year + 1, date.today().year),
    ],
)
def test_integers_outside_their_range_are_rejected(name, bad, edge):
    assert "must be between" in errors_of(**{name: bad})[name]
    assert getattr(valid(**{name: edge}), name) == edge


@pytest.mark.parametrize("given", [True, "true", "Yes", " y ", "1", 1, "T"])
def test_verified_true_values(given):
    assert valid(verified=given).verified is True


@pytest.mark.parametrize("given", [False, "false", "No", "0", 0, "", None, "n"])
def test_verified_false_values(given):
    assert valid(verified=given).verified is False


@pytest.mark.parametrize("given", ["maybe", 2, "verified", 1.5])
def test_verified_rejects_anything_else(given):
    assert errors_of(verified=given) == {"verified": "must be true or false"}


# -- ids ------------------------------------------------------------------------------


def test_a_given_id_is_kept_exactly():
    assert valid(id="Acme.Pharma_2-x").id == "Acme.Pharma_2-x"
    assert valid(id=" acme ").id == "acme"
    assert valid(id=42).id == "42"


def test_an_id_is_generated_from_name_and_country():
    assert valid(id=None).id == "acme-pharma-fictional-lv"
    assert valid(id="", country="Korea").id == "acme-pharma-fictional-kr"
    assert valid(name="Rīgas Zāļu Fabrika (fictional)").id == "rigas-zalu-fabrika-fictional-lv"
    hangul = valid(name="한빛 제약", country="KR").id
    assert hangul == "company-" + hashlib.sha1("한빛 제약".encode()).hexdigest()[:8] + "-kr"
    assert valid(name="한빛 제약", country="KR").id == hangul  # stable across runs


def test_generated_ids_from_very_long_names_stay_valid():
    profile = valid(name="Long Name " * 20)
    assert len(profile.id) <= 84
    assert validate_profile({**BASE, "id": profile.id}).id == profile.id


@pytest.mark.parametrize(
    "bad_id",
    ["has space", "-leading-dash", ".hidden", "ä-umlaut", "a/b", "a;b", "<script>", "x" * 101],
)
def test_invalid_ids_are_rejected(bad_id):
    assert "id" in errors_of(id=bad_id)


def test_make_id_is_the_documented_slug():
    assert make_id("Acme Pharma", "LV") == "acme-pharma-lv"
    assert make_id("Paula Stradiņa slimnīca", "LV") == "paula-stradina-slimnica-lv"


# -- text safety --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "\x00",  # NUL
        "\x07",  # bell
        "\x1b[31m",  # ANSI escape
        "\x7f",  # DEL
        "\x9b31m",  # C1 CSI: an escape sequence on some terminals
        "\x85",  # C1 next-line
        "\u202e",  # right-to-left override
        "\u202a",  # left-to-right embedding
        "\u2066",  # left-to-right isolate
        "\u2069",  # pop directional isolate
        "\ud800",  # lone surrogate: valid in JSON escapes, unstorable as UTF-8
    ],
)
@pytest.mark.parametrize("field", ["name", "description", "offers", "city", "sectors"])
def test_control_bidi_and_invalid_characters_are_rejected(field, bad):
    value = f"Acme{bad}Pharma"
    message = errors_of(**{field: [value] if field == "sectors" else value})[field]
    assert "character" in message


def test_ordinary_text_survives_unchanged():
    text = "Fictional Latvian šķīdumi ļoti labi\nLine two\twith a tab; 한국어 설명; مرحبا \u200f"
    profile = valid(description=text, offers=text, name_local="한빛 제약 Ķekava")
    assert profile.description == text and profile.offers == text
    assert profile.name_local == "한빛 제약 Ķekava"


def test_text_is_nfc_normalised_and_a_leading_bom_dropped():
    profile = valid(city=unicodedata.normalize("NFD", "Rīga"), name="\ufeffAcme (fictional)")
    assert profile.city == "Rīga" and len(profile.city) == 4
    assert profile.name == "Acme (fictional)"


@pytest.mark.parametrize("field", sorted(MAX_LENGTHS))
def test_length_limits(field):
    limit = MAX_LENGTHS[field]
    if field == "id":
        at_limit, over = "a" * limit, "a" * (limit + 1)
    elif field == "website":
        at_limit = "https://example.lv/" + "p" * (limit - 19)
        over = at_limit + "p"
    else:
        at_limit, over = "é" * limit, "é" * (limit + 1)
    assert len(at_limit) == limit
    assert getattr(valid(**{field: at_limit}), field) == at_limit
    message = errors_of(**{field: over})[field]
    assert f"is {limit + 1} characters long; the limit is {limit}" == message


@pytest.mark.parametrize("field", ["name", "description", "offers", "city"])
@pytest.mark.parametrize("bad", [["a"], {"a": 1}, True])
def test_text_fields_reject_non_text(field, bad):
    assert errors_of(**{field: bad}) == {field: "must be text"}


# -- unknown and managed fields ---------------------------------------------------------


def test_unknown_fields_are_rejected_by_name():
    errors = errors_of(revenue="1M", Name="typo")
    assert errors == {"revenue": "unknown field", "Name": "unknown field"}


def test_managed_fields_are_accepted_but_ignored():
    profile = valid(version=99, created_at="2000-01-01", updated_at="2000-01-02", incomplete=True)
    assert profile.version == 0 and profile.created_at is None and profile.updated_at is None
    assert profile.incomplete is False


# -- the incomplete flag and phrases -------------------------------------------------------


@pytest.mark.parametrize(
    ("offers", "seeks", "incomplete"),
    [("", "", True), ("   ", None, True), ("tablets", "", False), ("", "distributor", False)],
)
def test_a_profile_with_neither_offers_nor_seeks_is_flagged_incomplete(offers, seeks, incomplete):
    profile = valid(offers=offers, seeks=seeks)
    assert profile.incomplete is incomplete
    assert profile.to_dict()["incomplete"] is incomplete


def test_offers_split_into_short_phrases():
    assert split_phrases("a; b.\nc • d;;  ") == ["a", "b", "c", "d"]
    assert valid(offers="tablets; capsules").offer_phrases == ["tablets", "capsules"]


@pytest.mark.parametrize(
    ("description", "identity"),
    [
        ("Research institute in Riga. It runs courses.", "Research institute in Riga."),
        (
            "Maker of diagnostic kits; it exports. Founded 1990.",
            "Maker of diagnostic kits; it exports.",
        ),
        ("No full stop at all", "No full stop at all"),
        ("Dr. Smith's genomics laboratory. Second.", "Dr. Smith's genomics laboratory."),
        ("", ""),
    ],
)
def test_identity_is_the_first_sentence_of_the_description(description, identity):
    assert first_sentence(description) == identity
