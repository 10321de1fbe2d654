"""Import and export: all-or-nothing imports, exact error rows, upserts, round trips.

Untrusted files get a clear error list or a correct import; never an exception,
never a partial write. Hypothesis feeds random and malformed rows through the
same path a user's upload takes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from matchmaker import engine, formulas
from matchmaker.embedding import HashingEmbedder
from matchmaker.importing import (
    ParsedFile,
    detect_format,
    export_profiles,
    parse_bytes,
    parse_file,
)
from matchmaker.indexing import embed_profiles
from matchmaker.profiles import LIST_FIELDS, Profile
from matchmaker.store import ImportConflictError, Store
from matchmaker.texts import FIELDS

FIXTURES = Path(__file__).parent / "fixtures"
COUNTRY_MESSAGE = "must be LV or KR (Latvia, Latvija, South Korea, Korea, 대한민국 are accepted)"
TYPE_MESSAGE = (
    "'franchise' is not a partnership type; allowed: distribution, licensing, contract "
    "manufacturing, clinical trials, R&D, supply, investment, joint venture, services, "
    "technology integration, logistics, export"
)
ERROR_LINE = re.compile(r"^(file: .+|row [1-9]\d*(, field .+)?: .+)$", re.DOTALL)


def bad_rows_errors(first_bad: int, second_bad: int) -> list[str]:
    return [
        f"row {first_bad}, field country: {COUNTRY_MESSAGE}",
        f"row {first_bad}, field website: must be an http:// or https:// address",
        f"row {second_bad}, field partnership_types: {TYPE_MESSAGE}",
        f"row {second_bad}, field employees: must be a whole number",
        f"row {second_bad}, field id: may contain only letters, digits, '.', '_' and '-' "
        "(no spaces)",
    ]


def export_text(store: Store, fmt: str = "jsonl") -> str:
    out = io.StringIO()
    export_profiles(store.list(include_deleted=True), fmt, out)
    return out.getvalue()


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def company(name: str, **fields) -> dict:
    return {
        "name": f"{name} (fictional)",
        "country": "LV",
        "description": f"Fictional company {name}.",
        "offers": "tablets",
        "source": "test fixture (fictional)",
        **fields,
    }


# -- all-or-nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows"),
    [("bad_rows.jsonl", (2, 4)), ("bad_rows.json", (2, 4)), ("bad_rows.csv", (3, 5))],
)
def test_every_bad_row_is_reported_with_its_row_and_field(name, rows):
    parsed = parse_file(FIXTURES / name)
    assert [str(e) for e in parsed.errors] == bad_rows_errors(*rows)
    assert not parsed.ok


@pytest.mark.parametrize("name", ["bad_rows.jsonl", "bad_rows.json", "bad_rows.csv"])
def test_a_file_with_errors_writes_nothing(store, hashing_embedder, db_dump, name):
    before = db_dump(store)
    exported = export_text(store)
    with pytest.raises(ValueError, match="refusing"):
        engine.import_profiles(store, hashing_embedder, parse_file(FIXTURES / name), actor="test")
    assert export_text(store) == exported
    assert db_dump(store) == before


def test_duplicate_ids_in_one_file_are_errors():
    data = jsonl(
        company("Alpha", id="alpha"),
        company("Beta"),
        company("Alpha Again", id="alpha"),
        company("Beta"),  # same generated id as row 2
    )
    parsed = parse_bytes(data, "jsonl")
    assert [str(e) for e in parsed.errors] == [
        "row 3, field id: 'alpha' already appears in row 1",
        "row 4, field id: 'beta-fictional-lv' already appears in row 2",
    ]


# -- encodings ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_byte_order_mark_is_ignored(fmt):
    record = company("Bom", id="bom-co")
    if fmt == "jsonl":
        data = jsonl(record)
    elif fmt == "json":
        data = json.dumps([record]).encode()
    else:
        data = b"id,name,country,description\nbom-co,Bom (fictional),LV,Fictional.\n"
    parsed = parse_bytes(b"\xef\xbb\xbf" + data, fmt)
    assert parsed.ok, parsed.errors
    assert [p.id for p in parsed.profiles] == ["bom-co"]


def test_hangul_and_latvian_diacritics_are_read_exactly():
    parsed = parse_file(FIXTURES / "unicode.csv")
    assert parsed.ok, parsed.errors
    assert parsed.rows == [2, 3, 5]  # row 3 holds a cell spanning two lines
    riga, hanbit, kekava = parsed.profiles
    assert (riga.id, riga.name, riga.city, riga.country) == (
        "rigas-zalu-fabrika",
        "Rīgas Zāļu Fabrika (fictional)",
        "Rīga",
        "LV",
    )
    assert riga.sectors == ["pharmaceuticals", "generics"]
    assert riga.partnership_types == ["distribution", "licensing"]
    assert (riga.employees, riga.founded, riga.verified) == (1200, 1992, True)
    assert hanbit.id == "hanbit-diagnostics-fictional-kr"
    assert (hanbit.country, hanbit.city, hanbit.name_local) == ("KR", "서울", "한빛 진단 (가상)")
    assert hanbit.description.endswith("\n가상의 한국 진단 회사입니다.")
    assert hanbit.offer_phrases == ["rapid antigen tests", "신속 진단 키트"]
    assert kekava.website == "http://example.com/ķekava"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_unicode_round_trips_through_the_database_and_export(tmp_db_path, hashing_embedder, fmt):
    parsed = parse_file(FIXTURES / "unicode.csv")
    with Store.open(tmp_db_path, create=True) as db:
        engine.import_profiles(db, hashing_embedder, parsed, actor="test")
        exported = export_text(db, fmt)
    assert "Rīgas Zāļu Fabrika" in exported and "한빛 진단" in exported
    again = parse_bytes(exported.encode(), fmt)
    assert again.ok, again.errors
    assert by_id(again.profiles) == by_id(parsed.profiles)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "Rīga".encode("cp1257"),
            "file: byte 0xEE on line 1, column 2 is not UTF-8 text; save the file as UTF-8",
        ),
        (
            "name".encode("utf-16"),
            "file: byte 0xFF on line 1, column 1 is not UTF-8 text; save the file as UTF-8",
        ),
        (b"name,country\x00\nA,LV\n", "file: contains NUL bytes; is it a binary file?"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "file: byte 0x89 on line 1, column 1 is not UTF-8 text; save the file as UTF-8",
        ),
        (b"", "file: has no company rows"),
        (b"\n\n   \n", "file: has no company rows"),
    ],
)
def test_unreadable_files_give_one_file_level_error(fmt, data, message):
    if fmt == "json" and data.strip() == b"":
        lines = len(data.split(b"\n"))
        message = f"file: is not valid JSON: Expecting value at line {lines}"
    if "UTF-8" in message and (fmt == "jsonl" or (fmt == "csv" and b"\n" in data)):
        # a JSON line is a row, and so is a CSV header with rows under it: it can be named
        message = message.replace("file:", "row 1:")
    parsed = parse_bytes(data, fmt)
    assert [str(e) for e in parsed.errors] == [message]
    assert parsed.profiles == []


def test_invalid_utf8_is_reported_by_line_row_and_field_not_byte_offset():
    riga = "Rīga".encode("cp1257")
    csv_data = (
        b"id,name,country,description,city\n"
        b'a,A,LV,"two\nlines",Riga\n'
        b"b,B,LV,d," + riga + b"\n"
    )
    assert [str(e) for e in parse_bytes(csv_data, "csv").errors] == [
        "row 4, field city: byte 0xEE on line 4, column 11 is not UTF-8 text; "
        "save the file as UTF-8"
    ]
    jsonl_data = jsonl(company("A", id="a")) + b'{"name": "' + riga + b'"}\n'
    assert [str(e) for e in parse_bytes(jsonl_data, "jsonl").errors] == [
        "row 2, field name: byte 0xEE on line 2, column 12 is not UTF-8 text; "
        "save the file as UTF-8"
    ]
    json_data = b'[\n{"name": "A"},\n{"city": "' + riga + b'"}]'
    assert [str(e) for e in parse_bytes(json_data, "json").errors] == [
        "row 2, field city: byte 0xEE on line 3, column 12 is not UTF-8 text; "
        "save the file as UTF-8"
    ]


@pytest.mark.parametrize(
    ("fmt", "data", "message"),
    [
        (
            "csv",
            "\ufeff\ufeffid,name,country,description\na,A,LV,d\n",
            "row 1: column 1 ('\\ufeffid') holds a byte order mark (U+FEFF), as when two files "
            "are joined; remove it",
        ),
        (
            "jsonl",
            '{"name": "A", "country": "LV", "description": "d"}\n\ufeff{"name": "B"}\n',
            "row 2, field (json): starts with a second byte order mark (U+FEFF), as when two "
            "files are joined; remove it",
        ),
        (
            "json",
            '\ufeff\ufeff[{"name": "A", "country": "LV", "description": "d"}]',
            "file: starts with a second byte order mark (U+FEFF), as when two files are "
            "joined; remove it",
        ),
        (
            "json",
            '[{"\ufeffname": "A", "country": "LV", "description": "d"}]',
            "row 1, field \\ufeffname: unknown field: its name contains a byte order mark "
            "(U+FEFF), as when two files are joined; remove it",
        ),
    ],
)
def test_a_second_byte_order_mark_is_named(fmt, data, message):
    parsed = parse_bytes(data.encode(), fmt)
    assert message in [str(e) for e in parsed.errors]
    assert not parsed.ok


@pytest.mark.parametrize(
    "data",
    [
        # the reproduction: row b vanished into a's description ("1 new")
        b'id,name,country,description\na,A,LV,"open\nb,B,LV,x\n',
        b'id,name,country,description\na,A,LV,"open\nb,B,LV,x',
        b'id,name,country,description\na,A,LV,"open ""quoted"" \nb,B,LV,x\n\n\n',
        b'id,name,country,description\r\na,A,LV,"open\r\nb,B,LV,x\r\n',
    ],
)
@pytest.mark.parametrize("opening_line", [2, 4])
def test_an_unclosed_csv_quote_refuses_the_file_and_names_its_line(data, opening_line):
    if opening_line == 4:  # after a closed multi-line cell, which must not confuse the count
        header, rest = data.split(b"\n", 1) if b"\r\n" not in data else data.split(b"\r\n", 1)
        end = b"\r\n" if b"\r\n" in data else b"\n"
        data = header + end + b'c,C,LV,"closed' + end + b'cell"' + end + rest
    parsed = parse_bytes(data, "csv")
    assert [str(e) for e in parsed.errors] == [
        f'row {opening_line}: a quote (") opened on line {opening_line} is never closed, so '
        "every line after it would be read into one cell; close it, or double a quote inside "
        'a cell ("")'
    ]
    assert parsed.profiles == []


def test_closed_csv_quotes_and_quotes_inside_cells_still_import():
    data = (
        b"id,name,country,description\n"
        b'a,A,LV,"multi\nline, with ""quotes"""\n'
        b'b,B,LV,say "hi" here\n'
        b'c,C,LV,"ends quoted"\n'
    )
    parsed = parse_bytes(data, "csv")
    assert parsed.ok, parsed.errors
    assert [p.description for p in parsed.profiles] == [
        'multi\nline, with "quotes"',
        'say "hi" here',
        "ends quoted",
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused_with_field_and_row(fmt, constant):
    good = '{"name": "A", "country": "LV", "description": "d"}'
    bad = f'{{"name": {constant}, "country": "LV", "description": "d", "sectors": [{constant}]}}'
    data = f"[{good},\n{bad}]" if fmt == "json" else f"{good}\n{bad}\n"
    parsed = parse_bytes(data.encode(), fmt)
    message = "is NaN or Infinity, which is not a value; give text or leave it out"
    assert [str(e) for e in parsed.errors] == [
        f"row 2, field name: {message}",
        f"row 2, field sectors: {message}",
    ]


def test_control_characters_and_surrogates_in_field_names_are_escaped():
    data = b'{"\\ud800": 1, "\\u001b]0;owned\\u0007\\u001b[2J": 2, "name": "A", "country": "LV"}\n'
    parsed = parse_bytes(data, "jsonl")
    fields = [e.field for e in parsed.errors]
    assert fields == ["\\ud800", "\\x1b]0;owned\\x07\\x1b[2J", "description"]
    for error in parsed.errors:
        str(error).encode("utf-8")  # a lone surrogate could not even be encoded
        assert str(error).isprintable()


def test_an_escaped_nul_inside_json_is_a_field_error_not_a_file_error():
    parsed = parse_bytes(jsonl(company("Nul", id="nul", description="a\u0000b")), "jsonl")
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "description")]


# -- format-specific reading -------------------------------------------------------------


def test_jsonl_rows_are_line_numbers_and_bad_json_is_reported_per_line():
    data = (
        jsonl(company("A", id="a")) + b"\n" + b'{"name": "broken"\n' + jsonl(company("B", id="b"))
    )
    parsed = parse_bytes(data, "jsonl")
    assert [str(e) for e in parsed.errors] == [
        "row 3, field (json): not valid JSON: Expecting ',' delimiter at column 18"
    ]
    assert parsed.rows == [1, 4]


def test_jsonl_with_windows_line_endings():
    data = jsonl(company("A", id="a"), company("B", id="b")).replace(b"\n", b"\r\n")
    parsed = parse_bytes(data, "jsonl")
    assert parsed.ok and parsed.rows == [1, 2]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_unicode_line_separators_inside_jsonl_values_do_not_split_rows(separator):
    record = company("Sep", id="sep", description=f"first{separator}second")
    parsed = parse_bytes(jsonl(record, company("Next", id="next")), "jsonl")
    assert parsed.ok, parsed.errors
    assert parsed.rows == [1, 2]
    assert parsed.profiles[0].description == f"first{separator}second"


def test_json_accepts_a_list_or_a_companies_object_and_rejects_other_shapes():
    records = [company("A", id="a"), company("B", id="b")]
    assert parse_bytes(json.dumps(records).encode(), "json").ok
    assert parse_bytes(json.dumps({"companies": records}).encode(), "json").ok
    for data, message in [
        (b'{"name": "x"}', "file: must hold a JSON list of company objects"),
        (b"[1, 2", "file: is not valid JSON: Expecting ',' delimiter at line 1"),
    ]:
        assert [str(e) for e in parse_bytes(data, "json").errors] == [message]
    parsed = parse_bytes(json.dumps([records[0], "text", None]).encode(), "json")
    assert [str(e) for e in parsed.errors] == [
        "row 2, field (row): must be an object with named fields",
        "row 3, field (row): must be an object with named fields",
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,  # nesting deeper than the JSON parser's recursion limit
        b'{"employees": ' + b"9" * 5000 + b"}",  # an integer beyond Python's digit limit
        b"[" + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]",
    ],
)
def test_hostile_json_gives_an_error_not_an_exception(fmt, data):
    parsed = parse_bytes(data, fmt)
    assert not parsed.ok
    assert all(ERROR_LINE.match(str(e)) for e in parsed.errors)


def test_csv_rows_are_spreadsheet_rows_even_after_multi_line_cells():
    text = (
        "id,name,country,description\n"
        'a,A (fictional),LV,"two\nlines"\n'
        "b,B (fictional),Mars,Fictional.\n"
        "\n"
        "c,C (fictional),KR,Fictional.,extra\n"
        "d,D (fictional),KR\n"
    )
    parsed = parse_bytes(text.encode(), "csv")
    assert [str(e) for e in parsed.errors] == [
        f"row 4, field country: {COUNTRY_MESSAGE}",
        "row 6, field (csv): has 5 cells but the header has 4",
        "row 7, field description: is required",
    ]


def test_csv_unknown_columns_are_reported_on_every_row():
    text = "id,name,country,description,revenue\na,A (fictional),LV,Fictional.,\n"
    parsed = parse_bytes(text.encode(), "csv")
    assert [str(e) for e in parsed.errors] == ["row 2, field revenue: unknown field"]


def test_a_csv_with_a_repeated_column_is_refused_not_half_read():
    text = "id,name,country,description,name\na,A (fictional),LV,Fictional.,B (fictional)\n"
    parsed = parse_bytes(text.encode(), "csv")
    assert not parsed.profiles
    assert [str(e) for e in parsed.errors] == [
        "row 1: column 'name' appears twice in the header (columns 2 and 5); keep one"
    ]


def test_a_csv_header_only_file_has_no_rows():
    parsed = parse_bytes(b"id,name,country,description\n", "csv")
    assert [str(e) for e in parsed.errors] == ["file: has no company rows"]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.jsonl", "jsonl"), ("A.JSONL", "jsonl"), ("a.ndjson", "jsonl"), ("x/y.csv", "csv")],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_detect_format_rejects_other_files():
    with pytest.raises(ValueError, match=r"unsupported file type '\.xlsx'"):
        detect_format("companies.xlsx")


# -- upsert ---------------------------------------------------------------------------


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting the texts it is asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if list(texts) != ["model check"]:  # the check before writing embeds no profile
            self.encoded.extend(texts)
        return super().encode(texts)


def test_reimporting_the_same_file_changes_nothing(store, mini_path, db_dump):
    before = db_dump(store)
    embedder = CountingEmbedder()
    summary = engine.import_profiles(store, embedder, parse_file(mini_path), actor="again")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 10)
    assert summary.changed_ids == [] and embedder.encoded == []
    assert db_dump(store) == before


def test_changing_one_profile_bumps_its_version_audits_and_reembeds_only_its_changed_fields(
    store, mini_path, tmp_path
):
    model = HashingEmbedder.model_id
    versions = {p.id: p.version for p in store.list()}
    hashes = store.vector_hashes(model)
    audit_count = len(store.history(limit=10_000))
    records = [json.loads(line) for line in mini_path.read_text().splitlines()]
    old_offers = records[0]["offers"]
    records[0]["offers"] = "sterile injectables; oncology generics"
    changed_file = tmp_path / "changed.jsonl"
    changed_file.write_bytes(jsonl(*records))

    embedder = CountingEmbedder()
    summary = engine.import_profiles(store, embedder, parse_file(changed_file), actor="editor")

    assert summary.changed_ids == ["baltic-generics"] and summary.unchanged == 9
    new_versions = {p.id: p.version for p in store.list()}
    assert new_versions.pop("baltic-generics") == versions.pop("baltic-generics") + 1
    assert new_versions == versions
    history = store.history(limit=10_000)
    assert len(history) == audit_count + 1
    entry = history[0]
    assert (entry["company_id"], entry["actor"], entry["action"]) == (
        "baltic-generics",
        "editor",
        "import",
    )
    assert entry["changed"] == ["offers"]
    assert entry["before"] == {"offers": old_offers}
    assert entry["after"] == {"offers": "sterile injectables; oncology generics"}

    new_hashes = store.vector_hashes(model)
    changed_keys = {key for key in hashes if hashes[key] != new_hashes[key]}
    assert changed_keys == {
        ("baltic-generics", "profile"),
        ("baltic-generics", "offers"),
        ("baltic-generics", "offer_phrases"),
    }
    assert len(embedder.encoded) == 1 + 1 + 2  # whole profile, offers field, two phrases
    phrases = store.load_vectors(model, "offer_phrases")["baltic-generics"]
    assert phrases.texts == FIELDS["offer_phrases"](store.get("baltic-generics"))
    assert phrases.vectors.shape == (2, embedder.dim)


def test_every_stored_field_has_vectors_after_an_import(store):
    model = HashingEmbedder.model_id
    hashes = store.vector_hashes(model)
    assert set(hashes) == {(p.id, f) for p in store.list() for f in FIELDS}
    assert embed_profiles(store, HashingEmbedder()) == 0


# -- export and import round trip ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_export_is_identical_apart_from_timestamps(
    store, hashing_embedder, tmp_path, fmt
):
    engine.import_profiles(
        store, hashing_embedder, parse_file(FIXTURES / "unicode.csv"), actor="test"
    )
    first = export_text(store, fmt)
    with Store.open(tmp_path / "fresh.db", create=True) as fresh:
        parsed = parse_bytes(first.encode(), fmt)
        assert parsed.ok, parsed.errors
        summary = engine.import_profiles(fresh, hashing_embedder, parsed, actor="test")
        assert summary.created == 13
        second = export_text(fresh, fmt)
    assert without_timestamps(first, fmt) == without_timestamps(second, fmt)
    assert by_id(parse_bytes(second.encode(), fmt).profiles) == by_id(store.list())


def without_timestamps(text: str, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        assert row.pop("created_at") and row.pop("updated_at")
    return rows


def by_id(profiles: list[Profile]) -> dict[str, dict]:
    return {p.id: p.content() for p in profiles}


# -- hypothesis: untrusted rows ----------------------------------------------------------

#: Characters real files carry that must import cleanly: Hangul, Latvian diacritics,
#: quotes, separators, newlines, right-to-left and left-to-right marks, line separators.
SAFE = list("aZ09 -;,.&()\"'\\\t\n한국어진단ĀāČčĒēĢģĪīĶķĻļŅņŠšŪūŽž«»\u200f\u200e\u2028")
#: ...plus what must be refused: controls, BOM mid-text, bidi overrides, NEL, surrogates.
ODD = [*SAFE, "\r", "\ufeff", "\u202e", "\u2066", "\x00", "\x1b", "\x85", "\ud800"]
safe_text = st.text(alphabet=st.sampled_from(SAFE), max_size=40)
odd_text = st.text(alphabet=st.sampled_from(ODD) | st.characters(codec="utf-8"), max_size=30)
tag = st.text(alphabet=st.sampled_from([c for c in SAFE if c != ";"]), min_size=1, max_size=20)
special = st.sampled_from(
    [
        "LV",
        "Latvija",
        "대한민국",
        "R&D; clinical trials",
        "javascript:alert(1)",
        "http://:80",
        "1 200",
        "x" * 5001,
        "한" * 2001,
        "Rīga " * 30,
    ]
)
any_value = st.one_of(
    st.none(),
    odd_text,
    special,
    st.integers(-10, 10**8),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(odd_text | special, max_size=4),
)
plausible_fields = {
    "name_local": safe_text,
    "city": safe_text,
    "sectors": st.lists(tag, max_size=4),
    "offers": safe_text,
    "seeks": safe_text,
    "partnership_types": st.lists(
        st.sampled_from(["distribution", "R&D", "Clinical Trials", "export", "joint venture"]),
        max_size=3,
    ),
    "website": st.sampled_from(["https://example.lv", "http://example.kr/경로", None]),
    "employees": st.integers(0, 100_000) | st.none(),
    "founded": st.integers(1900, 2020) | st.none(),
    "certifications": st.lists(tag, max_size=3),
    "source": st.just("test fixture (fictional)"),
    "verified": st.booleans(),
}
plausible_row = st.fixed_dictionaries(
    {
        "id": st.none() | st.sampled_from(["a", "b", "c", "x-1", "Y.2"]),
        "name": tag.map(lambda t: f"Co {t} (fictional)"),
        "country": st.sampled_from(["LV", "KR", "Latvia", "Latvija", "Korea", "대한민국"]),
        "description": safe_text.map(lambda t: f"Fictional {t}"),
    },
    optional=plausible_fields,
)
wild_row = st.fixed_dictionaries(
    {
        "id": st.one_of(st.none(), st.sampled_from(["a", "b", "bad id"]), odd_text),
        "name": st.one_of(st.sampled_from(["Alfa (fictional)", "한빛"]), odd_text),
        "country": st.one_of(st.sampled_from(["LV", "KR", "Latvia", "대한민국"]), any_value),
        "description": st.one_of(st.just("Fictional test company."), odd_text),
    },
    optional={name: any_value for name in (*plausible_fields, "unknown", "created_at", "version")},
)
#: Whole files of plausible rows (which should mostly import), or a mix with wild rows.
files = st.one_of(
    st.lists(plausible_row, min_size=1, max_size=5),
    st.lists(plausible_row | wild_row, min_size=1, max_size=5),
)


def serialise(rows: list[dict], fmt: str) -> bytes:
    """Write rows as a user's tool might, keeping unencodable characters as raw bytes."""
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    elif fmt == "json":
        text = json.dumps(rows, ensure_ascii=False)
    else:
        header = list(dict.fromkeys(k for r in rows for k in r)) or ["id"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for r in rows:
            writer.writerow([csv_cell(r.get(k)) for k in header])
        text = out.getvalue()
    return text.encode("utf-8", errors="surrogatepass")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


damage = st.one_of(
    st.none(),
    st.none(),
    st.tuples(st.just("prefix"), st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"\n\n"])),
    st.tuples(st.just("cut"), st.integers(0, 400)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.binary(min_size=1, max_size=4)),
)


def apply_damage(data: bytes, how) -> bytes:
    if how is None:
        return data
    if how[0] == "prefix":
        return how[1] + data
    if how[0] == "cut":
        return data[: how[1]]
    return data[: how[1]] + how[2] + data[how[1] :]


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    with Store.open(tmp_path_factory.mktemp("fuzz") / "fuzz.db", create=True) as db:
        yield db


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    rows=files,
    fmt=st.sampled_from(["jsonl", "json", "csv"]),
    how=damage,
)
def test_untrusted_rows_give_a_clear_error_list_or_a_correct_import(
    fuzz_store, db_dump, rows, fmt, how
):
    data = apply_damage(serialise(rows, fmt), how)
    parsed = parse_bytes(data, fmt)
    assert_clear(parsed)
    before = db_dump(fuzz_store)
    event("imported" if parsed.ok else "rejected")
    if not parsed.ok:
        with pytest.raises(ValueError):
            engine.import_profiles(fuzz_store, HashingEmbedder(), parsed, actor="fuzz")
        assert db_dump(fuzz_store) == before
        return
    try:
        engine.import_profiles(fuzz_store, HashingEmbedder(), parsed, actor="fuzz")
    except ImportConflictError:  # a row's "version" says it predates a stored edit
        event("conflict")
        assert db_dump(fuzz_store) == before
        return
    for profile in parsed.profiles:
        assert fuzz_store.get(profile.id).content() == profile.content()
    export_fmt = "csv" if fmt == "csv" else "jsonl"
    out = io.StringIO()
    export_profiles(parsed.profiles, export_fmt, out)
    again = parse_bytes(out.getvalue().encode(), export_fmt)
    assert again.ok and by_id(again.profiles) == by_id(parsed.profiles)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), fmt=st.sampled_from(["jsonl", "json", "csv"]))
def test_arbitrary_bytes_never_raise(data, fmt):
    assert_clear(parse_bytes(data, fmt))


def assert_clear(parsed: ParsedFile) -> None:
    """Either profiles and no errors, or one-line-per-problem errors users can act on."""
    for error in parsed.errors:
        assert ERROR_LINE.match(str(error)), str(error)
    if parsed.ok:
        assert parsed.profiles and len(parsed.rows) == len(parsed.profiles)
        for profile in parsed.profiles:
            for name in LIST_FIELDS:
                assert len(set(getattr(profile, name))) == len(getattr(profile, name))


def test_csv_export_neutralises_formulas_and_imports_them_back(store, hashing_embedder):
    hostile = {
        "id": "formula-test-lv",
        "name": '=HYPERLINK("http://x") (fictional)',
        "country": "LV",
        "description": "-2 is not a formula here; neither is '=quoted.",
        "offers": "@SUM(A1); +49 30 phone line",
        "seeks": "'=already quoted",
        "source": "test fixture (fictional)",
    }
    engine.import_profiles(
        store,
        hashing_embedder,
        parse_bytes((json.dumps(hostile) + "\n").encode(), "jsonl"),
        actor="test",
    )
    text = export_text(store, "csv")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["id"] == "formula-test-lv")
    assert row["name"].startswith("'=") and row["offers"].startswith("'@")
    assert row["seeks"] == "''=already quoted"
    assert row["description"].startswith("'-")
    back = {p.id: p for p in parse_bytes(text.encode(), "csv").profiles}["formula-test-lv"]
    assert back.content() == store.get("formula-test-lv").content()


@pytest.mark.parametrize("value", ["=1", "'=1", "''-x", "a=b", "'plain", "", "-", "'"])
def test_restore_undoes_neutralise_exactly(value):
    assert formulas.restore(formulas.neutralise(value)) == value


# -- importing an older export ------------------------------------------------------------


def test_an_older_export_does_not_silently_revert_newer_edits(runner, cli_env, mini_path, tmp_path):
    from click.testing import Result

    from matchmaker.cli import cli

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, [str(a) for a in args])
        assert "Traceback" not in result.output
        assert (result.exit_code == 0) is ok, result.output
        return result

    invoke("import", mini_path)
    old_export = tmp_path / "monday.csv"
    invoke("export", "--format", "csv", "--out", old_export)
    with Store.open(cli_env) as store:  # Tuesday: someone corrects a city
        profile = store.get("jeju-cosmetics")
        profile.city = "Seogwipo"
        store.save(profile, "anna", expected_version=profile.version)
        before = "\n".join(store.db.conn.iterdump())
    for args in ([], ["--dry-run"]):
        result = invoke("import", old_export, *args, ok=False)
        lines = result.stderr.strip().splitlines()
        row = 1 + sorted(p.id for p in parse_file(mini_path).profiles).index("jeju-cosmetics") + 1
        assert lines[0] == (
            f"row {row}: jeju-cosmetics was edited after this file was exported (version 2 "
            "now, 1 in the file); importing it would undo that edit"
        )
        assert lines[-1].startswith("Error: 1 profile(s) were edited after this file was exported")
        assert "--overwrite" in lines[-1]
    with Store.open(cli_env) as store:
        assert "\n".join(store.db.conn.iterdump()) == before
        assert store.get("jeju-cosmetics").city == "Seogwipo"
    invoke("import", old_export, "--overwrite")
    with Store.open(cli_env) as store:
        assert store.get("jeju-cosmetics").city != "Seogwipo"


def test_export_files_without_versions_are_compared_by_date(store, hashing_embedder):
    old = export_text(store)  # as older exports were: no version, only updated_at
    rows = [json.loads(line) for line in old.splitlines()]
    for row in rows:
        del row["version"]
    profile = store.get("han-generics")
    profile.seeks = "a new need"
    store.save(profile, "anna", expected_version=profile.version)
    store.db.execute(  # the edit happened a second after the export, at the least
        "UPDATE companies SET updated_at = '2999-01-01T00:00:00+00:00' WHERE id = 'han-generics'"
    )
    parsed = parse_bytes("".join(json.dumps(r) + "\n" for r in rows).encode(), "jsonl")
    with pytest.raises(ImportConflictError) as caught:
        engine.import_profiles(store, hashing_embedder, parsed, actor="test")
    [conflict] = caught.value.conflicts
    [exported_at] = [r["updated_at"] for r in rows if r["id"] == "han-generics"]
    assert str(conflict) == (
        "han-generics was edited after this file was exported (changed "
        f"2999-01-01T00:00:00+00:00, the file is from {exported_at}); importing it "
        "would undo that edit"
    )
    assert store.get("han-generics").seeks == "a new need"


def test_reimporting_the_latest_export_has_no_conflicts(store, hashing_embedder):
    profile = store.get("han-generics")
    profile.seeks = "a new need"
    store.save(profile, "anna", expected_version=profile.version)
    parsed = parse_bytes(export_text(store).encode(), "jsonl")
    assert store.find_conflicts(parsed.profiles, parsed.exported) == []
    summary = engine.import_profiles(store, hashing_embedder, parsed, actor="test")
    assert summary.unchanged == 10


@pytest.mark.parametrize("version", ["two", -1, 0, True, [1]])
def test_a_version_that_an_export_cannot_have_written_is_an_error(version):
    row = company("A", id="a", version=version)
    parsed = parse_bytes(jsonl(row), "jsonl")
    assert [str(e) for e in parsed.errors] == [
        "row 1, field version: must be the whole number an export wrote (1 or more)"
    ]
