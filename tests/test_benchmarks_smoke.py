"""The scale benchmark and its synthetic data work end to end (tiny sizes, hashing embedder).

No timing is asserted: a benchmark must never fail the suite on a slow machine.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import live_import, scale, signal_ceiling, synthetic  # noqa: E402
from matchmaker.engine import make_embedder  # noqa: E402
from matchmaker.profiles import validate_profile  # noqa: E402
from matchmaker.ranking import PartnerRanker  # noqa: E402
from matchmaker.texts import FIELDS  # noqa: E402


@pytest.fixture(scope="module")
def embedder():
    return make_embedder("hashing")


def test_profiles_are_marked_synthetic_and_valid():
    profiles = synthetic.make_profiles(200, seed=3)
    assert {p.country for p in profiles} == {"LV", "KR"}
    assert len({p.id for p in profiles}) == 200
    for p in profiles:
        assert p.name.startswith("Synthetic ")
        assert p.id.startswith("syn-")
        assert p.source == "synthetic benchmark data"
        assert validate_profile(p.content()) == p
    assert sum(bool(p.offer_phrases and p.seek_phrases) for p in profiles) > 150


def test_smaller_runs_are_prefixes_of_larger_ones():
    assert synthetic.make_profiles(30, seed=7) == synthetic.make_profiles(60, seed=7)[:30]
    assert synthetic.make_profiles(30, seed=7) != synthetic.make_profiles(30, seed=8)


def test_vectors_have_the_shape_fit_takes(embedder):
    profiles = synthetic.make_profiles(80)
    vectors = synthetic.make_vectors(profiles, embedder, sample=20)
    assert set(vectors) == set(FIELDS)
    for p in profiles:
        assert vectors["profile"][p.id].shape == (1, 256)
        assert len(vectors["offer_phrases"].get(p.id, ())) == len(p.offer_phrases)
        assert len(vectors["seek_phrases"].get(p.id, ())) == len(p.seek_phrases)
        assert (p.id in vectors["seeks"]) == bool(p.seek_phrases)
    norms = np.linalg.norm(np.vstack([m for m in vectors["offers"].values()]), axis=1)
    assert np.allclose(norms, 1, atol=1e-4)
    ranker = PartnerRanker(embedder=embedder).fit(profiles, vectors)
    assert len(ranker.match(profiles[0].id, top=3)) == 3


def test_sample_profiles_are_encoded_exactly(embedder):
    profiles = synthetic.make_profiles(40)
    vectors = synthetic.make_vectors(profiles, embedder, sample=10)
    text = FIELDS["profile"](profiles[3])
    assert np.allclose(vectors["profile"][profiles[3].id], embedder.encode(text))
    fidelity = synthetic.composition_fidelity(profiles[:10], vectors, embedder)
    assert set(fidelity) == {"profile", "offers", "seeks"}
    assert all(((c > 0) & (c <= 1 + 1e-5)).all() for c in fidelity.values())


def test_scale_script_runs_quick(capsys):
    scale.main(
        ["--quick", "--model", "hashing", "--sizes", "40,90", "--queries", "3", "--sample", "15"]
    )
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert "profiles/s" in out
    assert "15 of 90 profiles encoded field by field" in out
    for operation in ("match", "query"):
        for size in ("40", "90"):
            assert f"| {operation} | {size} | 3 |" in out
    assert "| 90 |" in out


def _first_queries(tmp_path: Path, count: int) -> list[str]:
    """The first queries of both labelled sets, as files the ceiling benchmark reads."""
    paths = []
    for name in ("partner_judgements.jsonl", "partner_judgements_b.jsonl"):
        lines = (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines()[:count]
        (tmp_path / name).write_text("\n".join(lines), encoding="utf-8")
        paths.append(str(tmp_path / name))
    return paths


def _row(output: str, label: str) -> list[float]:
    line = next(line for line in output.splitlines() if line.startswith(f"| {label}"))
    return [float(cell) for cell in line.strip("| \n").split(" | ")[-2:]]


def test_signal_ceiling_never_reports_best_weights_below_the_shipped_ones(tmp_path, capsys):
    first, second = _first_queries(tmp_path, 6)
    signal_ceiling.main(
        [
            "--first",
            first,
            "--second",
            second,
            "--profiles",
            str(ROOT / "data" / "companies.jsonl"),
            "--model",
            "hashing",
        ]
    )
    output = capsys.readouterr().out
    shipped = _row(output, "shipped weights")
    assert _row(output, "best weights on set A")[0] >= shipped[0]
    assert _row(output, "best weights on set B")[1] >= shipped[1]
    assert 0 <= _row(output, "held-out nDCG@5")[0] <= 1
    assert "judged by set A" in output


def test_signal_ceiling_refuses_sets_of_different_queries(tmp_path):
    first, _ = _first_queries(tmp_path, 6)
    shorter = tmp_path / "shorter.jsonl"
    shorter.write_text("\n".join(Path(first).read_text().splitlines()[:3]), encoding="utf-8")
    with pytest.raises(SystemExit, match="same queries"):
        signal_ceiling.main(
            [
                "--first",
                first,
                "--second",
                str(shorter),
                "--model",
                "hashing",
                "--profiles",
                str(ROOT / "data" / "companies.jsonl"),
            ]
        )


def test_live_import_measures_both_phases_over_http(capsys):
    """A real server and a real import in child processes; tiny sizes, hashing embedder."""
    live_import.main(
        ["--model", "hashing", "--new", "30", "--readers", "3", "--idle-seconds", "1",
         "--edit-after", "0.5"]  # fmt: skip
    )
    out = capsys.readouterr().out
    assert "import: exit 0, " in out and "30 new" in out
    rows = [line for line in out.splitlines() if line.startswith(("| idle |", "| during import |"))]
    assert len(rows) == 2
    assert all(row.rstrip(" |").endswith("| 0") for row in rows), rows  # no failed search
    assert "p95 during import / idle p95:" in out
    assert "- after the swap: the edit request took" in out
    assert "ms; shown by the next search" in out


def test_edit_visible_times_a_refit_and_edits_in_two_live_indexes(capsys):
    from benchmarks import edit_visible

    [result] = edit_visible.main(["--sizes", "150", "--edits", "2"])
    assert result["size"] == 150 and result["full"] > 0 and result["loaded"] > 0
    assert len(result["here"]) == len(result["there"]) == 2  # each edit seen by both
    assert "| 150 |" in capsys.readouterr().out


def test_staff_list_benchmark_runs_and_measures_the_baseline():
    from benchmarks import staff_list

    rows = staff_list.main(["--sizes", "120", "--repeat", "1", "--baseline-repeat", "1"])
    labels = [row[1] for row in rows]
    assert labels[0] == "first page" and labels[-1].startswith("OLD")
    assert len(rows) == len(staff_list.REQUESTS) + 1
    assert all(float(row[3].replace(",", "")) > 0 for row in rows)


def test_api_paging_benchmark_compares_offset_cursor_and_the_old_code(capsys):
    """Both deep pages and the old code's are checked to be the same companies inside."""
    from benchmarks import api_paging

    rows = api_paging.main(["--size", "300", "--page", "10", "--repeat", "1"])
    kinds = [(row[0], row[2]) for row in rows]
    assert len(rows) == 5 * len(api_paging.LISTINGS)
    assert ("country=LV", "page 1") in kinds and ("all", "OLD offset 230") in kinds
    assert all(row[7] == "10" for row in rows if row[0] == "all")  # full pages
    out = capsys.readouterr().out
    assert "by cursor (Link headers)" in out and "OLD: by offset" in out
    assert "USING INDEX companies_live_country" in out


def test_name_lookup_benchmark_agrees_with_the_old_directory(tmp_path):
    from benchmarks import name_lookup

    rows = name_lookup.main(
        ["--sizes", "150", "--repeat", "3", "--upsert-sample", "20", "--tmp", str(tmp_path)]
    )
    verdicts = {row[1]: row[8] for row in rows}
    assert "suggest: Hangul name's first 1" in verdicts and "sectors" in verdicts
    assert [kind for kind, verdict in verdicts.items() if verdict.startswith("DIFFER")] == []
    assert verdicts["resolve: an id"] == "same 3/3"


def test_duplicates_benchmark_measures_the_labelled_pairs_without_the_model(capsys):
    from benchmarks import duplicates

    assert duplicates.main(["--names-only"]) == 0  # names and websites alone meet the targets
    out = capsys.readouterr().out
    assert "157 labelled pairs: 76 duplicates, 81 others" in out
    assert "threshold 0.86: precision" in out
    assert re.search(r"find among \d{3} curated records", out)  # every data file's records


def test_saved_fit_benchmark_serves_a_saved_fit(tmp_path, embedder, monkeypatch, capsys):
    from benchmarks import saved_fit
    from matchmaker import fitted_state

    monkeypatch.setattr(fitted_state, "MAPPED_BYTES", 0)  # mapped, as at scale
    profiles = synthetic.make_profiles(120, seed=5)
    vectors = synthetic.make_vectors(profiles, embedder, sample=10)
    folder = tmp_path / "r1-fit"
    folder.mkdir()
    fitted_state._write(PartnerRanker(embedder=embedder).fit(profiles, vectors), folder)
    saved_fit.main([str(folder), "--queries", "12", "--model", "hashing", "--edits", "1"])
    out = capsys.readouterr().out
    assert "120 profiles" in out
    assert re.search(r"match top 10 identical to exact stage 1: \d+/12", out)
    assert "edit 1: encode" in out
