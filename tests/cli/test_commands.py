"""The command line, through click's CliRunner, as a user would type it.

Every user mistake ends in a one-line ``Error: ...`` and a non-zero exit code,
never a traceback; --json prints nothing but a JSON list on stdout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import Result
from pg_server import WriteLockHolder, untouched

from matchmaker import config
from matchmaker.cli import cli
from matchmaker.importing import parse_bytes
from matchmaker.judgements import Judgement
from matchmaker.store import Store
from matchmaker.store import connection as store_module

FIXTURES = Path(__file__).parents[1] / "fixtures"
README = Path(__file__).parents[2] / "README.md"
MATCH_KEYS = {"id", "name", "country", "score", "reasons", "score_parts"}


def run(runner, *args: str, ok: bool = True, **env) -> Result:
    result = runner.invoke(cli, [str(a) for a in args], env=env or None)
    assert "Traceback" not in result.output
    if ok:
        assert result.exit_code == 0, result.output
        assert result.exception is None
    else:
        assert result.exit_code != 0, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def one_line_error(result: Result) -> str:
    """The last stderr line, which must be the one-line 'Error: ...' message."""
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("Error: "), result.output
    return lines[-1]


@pytest.fixture
def imported(runner, cli_env, mini_path) -> Path:
    """cli_env with the mini profiles imported through the CLI."""
    run(runner, "import", mini_path)
    return cli_env


# -- import -------------------------------------------------------------------------


def test_import_creates_the_database_and_reimport_changes_nothing(runner, cli_env, mini_path):
    result = run(runner, "import", mini_path)
    assert result.stdout.strip() == f"Imported {mini_path}: 10 new, 0 updated, 0 unchanged"
    result = run(runner, "import", mini_path, "--actor", "anna")
    assert result.stdout.strip().endswith("0 new, 0 updated, 10 unchanged")
    with Store.open(cli_env) as db:
        assert len(db.list()) == 10
        assert {e["actor"] for e in db.history()} == {"cli"}


@pytest.mark.parametrize(
    ("name", "rows"),
    [("bad_rows.jsonl", (2, 4)), ("bad_rows.json", (2, 4)), ("bad_rows.csv", (3, 5))],
)
def test_import_with_errors_lists_them_all_and_writes_nothing(
    runner, imported, db_dump, name, rows
):
    with Store.open(imported) as db:
        before = db_dump(db)
    path = FIXTURES / name
    result = run(runner, "import", path, "--actor", "anna", ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        f"row {rows[0]}, field country",
        f"row {rows[0]}, field website",
        f"row {rows[1]}, field partnership_types",
        f"row {rows[1]}, field employees",
        f"row {rows[1]}, field id",
    ]
    assert lines[-1] == f"Error: 5 error(s) in {path}; nothing was imported"
    assert result.stdout == ""
    with Store.open(imported) as db:
        assert db_dump(db) == before


def test_import_with_errors_does_not_create_a_database(runner, cli_env):
    run(runner, "import", FIXTURES / "bad_rows.jsonl", ok=False)
    assert untouched(cli_env)


def test_dry_run_validates_and_writes_nothing(runner, cli_env, mini_path, db_dump):
    result = run(runner, "import", "--dry-run", mini_path)
    assert result.stdout.strip() == "10 profiles are valid; nothing was written (dry run)"
    assert untouched(cli_env)
    run(runner, "import", FIXTURES / "unicode.csv")
    with Store.open(cli_env) as db:
        before = db_dump(db)
    run(runner, "import", "--dry-run", mini_path)
    run(runner, "import", "--dry-run", FIXTURES / "bad_rows.csv", ok=False)
    with Store.open(cli_env) as db:
        assert db_dump(db) == before


def test_import_reads_the_format_option_and_refuses_unknown_file_types(
    runner, cli_env, mini_path, tmp_path
):
    renamed = tmp_path / "companies.txt"
    renamed.write_bytes(mini_path.read_bytes())
    error = one_line_error(run(runner, "import", renamed, ok=False))
    assert error == "Error: unsupported file type '.txt'; use .jsonl, .json or .csv"
    assert untouched(cli_env)
    run(runner, "import", renamed, "--format", "jsonl")
    with Store.open(cli_env) as db:
        assert len(db.list()) == 10


def test_terminal_escape_sequences_in_a_file_are_printed_escaped(runner, cli_env, tmp_path):
    # the audit's reproduction: under a pty these retitled the window and cleared the screen
    title, clear = "\x1b]0;owned\x07", "\x1b[2J\x1b[H"
    path = tmp_path / "escapes.csv"
    path.write_text(f"id,name,country,description,{title}{clear}\na,A,LV,d,x\n")
    result = run(runner, "import", path, ok=False)
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert result.stderr.splitlines()[0] == (
        "row 2, field \\x1b]0;owned\\x07\\x1b[2J\\x1b[H: unknown field"
    )
    assert untouched(cli_env)


def test_import_of_a_binary_file_is_a_file_error(runner, cli_env, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run(runner, "import", path, ok=False)
    assert result.stderr.splitlines()[0] == (
        "row 1: byte 0x89 on line 1, column 1 is not UTF-8 text; save the file as UTF-8"
    )


# -- export ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_writes_what_import_reads(runner, imported, mini_profiles, fmt):
    result = run(runner, "export", "--format", fmt)
    parsed = parse_bytes(result.stdout.encode(), fmt)
    assert parsed.ok
    assert [p.content() for p in parsed.profiles] == [
        p.content() for p in sorted(mini_profiles, key=lambda p: p.id)
    ]


def test_export_to_a_file_and_by_country(runner, imported, tmp_path):
    out = tmp_path / "lv.jsonl"
    result = run(runner, "export", "--country", "LV", "--out", out)
    assert result.stdout == "" and result.stderr.strip() == f"Exported 4 profiles to {out}"
    countries = {json.loads(line)["country"] for line in out.read_text().splitlines()}
    assert countries == {"LV"}
    assert run(runner, "export", "--country", "Latvia", ok=False).exit_code == 2


# -- match, query, similar -------------------------------------------------------------


def json_list(result: Result) -> list[dict]:
    data = json.loads(result.stdout)  # stdout holds the JSON list and nothing else
    assert isinstance(data, list)
    for item in data:
        assert set(item) >= MATCH_KEYS
        assert isinstance(item["score"], float) and isinstance(item["reasons"], list)
        assert item["reasons"] and all(isinstance(r, str) and r for r in item["reasons"])
        assert isinstance(item["score_parts"], dict)
    scores = [item["score"] for item in data]
    assert scores == sorted(scores, reverse=True)
    return data


@pytest.mark.parametrize(
    ("company", "other"), [("baltic-generics", "KR"), ("busan-biologics", "LV")]
)
def test_match_json_lists_partners_in_the_other_country(runner, imported, company, other):
    results = json_list(run(runner, "match", company, "--json"))
    assert results and {r["country"] for r in results} == {other}
    assert company not in {r["id"] for r in results}
    assert len(json_list(run(runner, "match", company, "--json", "--top", "2"))) == 2


def test_match_filters(runner, imported):
    by_type = json_list(run(runner, "match", "baltic-generics", "--json", "--type", "LICENSING"))
    assert {r["id"] for r in by_type} == {"han-generics", "busan-biologics"}
    by_sector = json_list(
        run(runner, "match", "baltic-generics", "--json", "--sector", "In Vitro Diagnostics")
    )
    assert [r["id"] for r in by_sector] == ["incheon-diagnostics"]
    assert json_list(run(runner, "match", "baltic-generics", "--json", "--verified-only")) == []
    plain = run(runner, "match", "baltic-generics", "--verified-only")
    assert "No companies pass these filters" in plain.stdout


def test_match_text_output_shows_rank_name_and_reasons(runner, imported):
    out = run(runner, "match", "baltic-generics", "--top", "3").stdout
    head = r" 1\. .+ \(.+, KR\)  (?:strong|good|possible) fit, score \d\.\d{3}  \[[a-z-]+\]"
    assert re.match(head + r"\n      - .+", out)
    assert out.count("score ") == 3


def test_query_json(runner, imported):
    results = json_list(
        run(runner, "query", "real-time PCR test kits", "--country", "korea", "--json")
    )
    assert {r["country"] for r in results} == {"KR"}
    assert "incheon-diagnostics" in [r["id"] for r in results[:3]]


def test_query_text_output_says_how_the_sentence_was_read(runner, imported):
    out = run(runner, "query", "Korean distributor for our PCR kits", "--country", "KR").stdout
    assert out.startswith("Read as: you need “Korean distributor”; you offer “PCR kits”\n")
    alone = run(runner, "query", "hospital logistics", "--country", "KR", "--top", "1").stdout
    assert alone.startswith("Read as: you need “hospital logistics” (say what you offer too")
    assert " 1. " in alone
    offered = run(runner, "query", "We make PCR kits", "--country", "KR", "--top", "1").stdout
    assert offered.startswith("Read as: you offer “PCR kits” (no need stated")


def test_judgements_writes_staff_grades_as_a_set_eval_reads(runner, imported, tmp_path):
    with Store.open(imported) as store:
        store.add_judgement(
            Judgement("KR", "seoul-pharma-distribution", 2, "baltic-generics"), "ann"
        )
        store.add_judgement(Judgement("KR", "han-generics", 0, "baltic-generics"), "ann")
    result = run(runner, "judgements")
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["query"] == {"company": "baltic-generics"}
    assert record["judgements"] == {"seoul-pharma-distribution": 2}
    assert result.stderr.strip() == "1 query, 1 partner grade"
    assert record["qid"] == json.loads(run(runner, "judgements").stdout)["qid"]  # stable
    out = tmp_path / "staff.jsonl"
    run(runner, "judgements", "--out", out)
    measured = run(runner, "eval", "--judgements", out, "--profiles", FIXTURES / "mini.jsonl")
    row = next(line for line in measured.stdout.splitlines() if line.startswith("matchmaker"))
    ndcg5 = float(row.split()[3])
    assert 0 < ndcg5 <= 1  # the one graded partner is found among the three KR companies


def test_eval_infer_fields_measures_the_profiles_without_their_curated_fields(
    runner, imported, tmp_path
):
    """The hidden sets' profiles state no roles or markets: eval can rank them that way."""
    judged = tmp_path / "set.jsonl"
    record = {"qid": "q1", "query": {"company": "baltic-generics"}, "target_country": "KR",
              "judgements": {"seoul-pharma-distribution": 2}}
    judged.write_text(json.dumps(record) + "\n", encoding="utf-8")
    args = ["eval", "--judgements", judged, "--profiles", FIXTURES / "mini.jsonl"]
    curated = run(runner, *args, "--models", "none").stdout
    inferred = run(runner, *args, "--models", "none", "--infer-fields").stdout
    assert "structured fields read from text" in inferred
    assert "structured fields read from text" not in curated
    for out in (curated, inferred):
        row = next(line for line in out.splitlines() if line.startswith("matchmaker"))
        assert 0 < float(row.split()[3]) <= 1


def test_similar_json(runner, imported):
    results = json_list(run(runner, "similar", "baltic-generics", "--json"))
    ids = [r["id"] for r in results]
    assert "baltic-generics" not in ids and len(ids) == 9
    latvian = json_list(run(runner, "similar", "baltic-generics", "--json", "--country", "LV"))
    assert {r["country"] for r in latvian} == {"LV"} and len(latvian) == 3


# -- embed and stats ---------------------------------------------------------------------


def test_embed_embeds_only_what_changed(runner, imported):
    assert run(runner, "embed").stdout.strip() == "Embedded 0 stale field(s) with hashing-v1"
    with Store.open(imported) as db:
        profile = db.get("jeju-cosmetics")
        profile.seeks = "Korean pharmacy chains"
        db.save(profile, actor="test")
    assert run(runner, "embed").stdout.strip() == "Embedded 3 stale field(s) with hashing-v1"


def test_stats_json(runner, imported):
    figures = json.loads(run(runner, "stats", "--json").stdout)
    assert figures["companies"] == 10 and figures["by_country"] == {"KR": 6, "LV": 4}
    assert figures["model"] == "hashing-v1" and figures["stale_fields"] == 0
    assert "companies: 10" in run(runner, "stats").stdout


# -- user mistakes ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["match", "similar"])
def test_an_unknown_id_is_a_one_line_error(runner, imported, command):
    result = run(runner, command, "no-such-company", "--json", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert one_line_error(result) == "Error: no company with id 'no-such-company'"


@pytest.mark.parametrize(
    "args",
    [
        ("match", "baltic-generics"),
        ("query", "PCR kits", "--country", "KR"),
        ("similar", "baltic-generics"),
        ("export",),
        ("embed",),
        ("stats",),
    ],
)
@pytest.mark.sqlite_only
def test_a_missing_database_is_a_one_line_error_and_is_not_created(runner, cli_env, args):
    result = run(runner, *args, ok=False)
    assert one_line_error(result).startswith(f"Error: no database at {cli_env}")
    assert not cli_env.exists()


def test_a_file_that_is_not_a_database_is_a_one_line_error(runner, cli_env, tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 100)
    for args in (("stats",), ("match", "x"), ("import", FIXTURES / "unicode.csv")):
        result = run(runner, *args, "--db", notes, ok=False)
        assert one_line_error(result).startswith(f"Error: cannot open the database at {notes}")
    assert notes.read_text() == "not a database\n" * 100


def test_a_database_locked_by_another_writer_is_a_one_line_error(
    runner, imported, monkeypatch, db_dump
):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)  # instead of waiting 5 s
    holder = WriteLockHolder(imported)
    try:
        with Store.open(imported) as db:
            before = db_dump(db)
        result = run(runner, "import", FIXTURES / "unicode.csv", ok=False)
        assert "the database is busy with another write" in one_line_error(result)
    finally:
        holder.rollback()
        holder.close()
    with Store.open(imported) as db:
        assert db_dump(db) == before


@pytest.mark.parametrize(
    "args",
    [
        ("match", "baltic-generics"),
        ("query", "PCR kits", "--country", "KR"),
        ("similar", "baltic-generics"),
        ("embed",),
        ("stats",),
    ],
)
def test_a_missing_model_is_a_one_line_error(runner, imported, args):
    result = run(runner, *args, ok=False, MATCHMAKER_MODEL="/nonexistent")
    assert one_line_error(result).startswith(
        "Error: no sentence-transformers model at /nonexistent"
    )


def test_import_with_a_missing_model_writes_nothing(runner, cli_env, mini_path):
    result = run(runner, "import", mini_path, ok=False, MATCHMAKER_MODEL="/nonexistent")
    assert "Error: no sentence-transformers model at /nonexistent" in one_line_error(result)
    assert untouched(cli_env)


@pytest.mark.parametrize("country", ["Mars", "EE", "Lithuania"])
def test_a_bad_query_country_is_a_one_line_error(runner, imported, country):
    result = run(runner, "query", "PCR kits", "--country", country, ok=False)
    assert one_line_error(result).startswith("Error: must be LV or KR")


@pytest.mark.parametrize(
    "args",
    [
        ("similar", "baltic-generics", "--country", "EE"),
        ("match", "baltic-generics", "--type", "franchise"),
        ("match", "baltic-generics", "--top", "0"),
        ("query", "   ", "--country", "KR"),
    ],
)
def test_bad_options_are_usage_errors(runner, imported, args):
    result = run(runner, *args, ok=False)
    assert result.exit_code == 2 and "Error:" in result.stderr


# -- documentation -----------------------------------------------------------------------------


def test_every_command_and_setting_is_documented():
    docs = "\n".join(p.read_text() for p in [README, *sorted(README.parent.glob("docs/*.md"))])
    commands = cli.list_commands(None)
    missing = [f"matchmaker {name}" for name in commands if f"matchmaker {name}" not in docs]
    missing += [s.env for s in config.SETTINGS if f"`{s.env}`" not in docs]
    assert missing == [], "not documented in README.md or docs/*.md"
