"""The approximate stage 1 finds what the exact scan finds, and filters still hold.

Synthetic profiles (benchmarks/synthetic.py) with the hashing embedder: enough
companies that stage 1 has to choose (20 times ``candidates``), few enough to fit
in seconds (two fits of 1,200 take 12 s of CPU; 3,000 took 26 s). Thresholds are
lowered so that the index serves at this size; at the shipped sizes it never does
(test_small_sets_stay_exact).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import synthetic  # noqa: E402
from matchmaker.embedding import HashingEmbedder  # noqa: E402
from matchmaker.ranking import Filters, PartnerRanker  # noqa: E402
from matchmaker.ranking.approximate import APPROXIMATE_FROM  # noqa: E402

SIZE = 1200
CANDIDATES = 60


@pytest.fixture(scope="module")
def fitted():
    """(approximate ranker, exact ranker) over the same synthetic profiles and vectors."""
    embedder = HashingEmbedder()
    profiles = synthetic.make_profiles(SIZE, seed=5)
    vectors = synthetic.make_vectors(profiles, embedder, sample=50)
    approximate = PartnerRanker(embedder, candidates=CANDIDATES, approximate_from=0)
    approximate.fit(profiles, vectors)
    approximate.first_stage_.exact_below = 0
    exact = PartnerRanker(embedder, candidates=CANDIDATES, approximate_from=10**9)
    exact.fit(profiles, vectors)
    return approximate, exact


def _ids(matches) -> list[str]:
    return [m.id for m in matches]


def test_small_sets_stay_exact(fitted):
    _, exact = fitted
    assert exact.first_stage_ is None
    assert APPROXIMATE_FROM > 1000  # the shipped data (about 100 companies) is ranked exactly


def test_top_ten_matches_exact_stage_one_for_most_queries(fitted):
    approximate, exact = fitted
    queries = [p.id for p in approximate.profiles_[:40]]
    same = sum(_ids(approximate.match(q)) == _ids(exact.match(q)) for q in queries)
    # Stage 2 standardises every signal over the pool, so one different candidate among
    # these 60 can reorder a close top 10: 39 of 40 here at 1,200 companies (35-37 at
    # 3,000, where fitting the two rankers took 26 s of CPU; the graph is built by several
    # threads). A broken index gives next to none; the 95 % target is measured at
    # 300 candidates and up to a million companies in benchmarks/scale.py --approximate.
    assert same >= 0.8 * len(queries)


def test_free_text_uses_the_index_and_agrees_with_exact(fitted):
    approximate, exact = fitted
    texts = ["GMP contract manufacturing", "distributor for diagnostics", "clinical trial sites"]
    same = 0
    for text in texts:
        a = approximate.query(text, country="KR").matches
        b = exact.query(text, country="KR").matches
        assert {m.country for m in a} == {"KR"}
        same += _ids(a) == _ids(b)
    assert same >= 2


def test_filters_apply_before_ranking(fitted):
    approximate, exact = fitted
    query = approximate.profiles_[0]
    filters = Filters(min_employees=100)
    found = approximate.match(query.id, top=10, filters=filters)
    passing = [p for p in approximate.profiles_ if p.country != query.country]
    passing = [p for p in passing if (p.employees or 0) >= 100]
    assert len(found) == min(10, len(passing))
    assert all(approximate.profiles_[approximate.index_[m.id]].employees >= 100 for m in found)
    # approximate, not exact: the index is built by several threads, so a 10th place can
    # differ between builds (it did once in a full run); most of the list must agree
    exact_ids = _ids(exact.match(query.id, top=10, filters=filters))
    assert len(set(_ids(found)) & set(exact_ids)) >= 8


def test_a_selective_filter_is_scanned_exactly(fitted):
    """Few eligible companies: the exact scan of them, so all K come back."""
    approximate, exact = fitted
    approximate.first_stage_.exact_below = 500
    try:
        query = approximate.profiles_[1]
        filters = Filters(min_employees=400)
        mask = approximate._mask(
            Filters(country="LV" if query.country == "KR" else "KR", min_employees=400)
        )
        assert 0 < mask.sum() < 500
        assert approximate.first_stage_.search(np.zeros(1), 10, mask) is None
        found = approximate.match(query.id, top=10, filters=filters)
        assert _ids(found) == _ids(exact.match(query.id, top=10, filters=filters))
    finally:
        approximate.first_stage_.exact_below = 0


def test_one_index_per_country_holds_only_that_country(fitted):
    approximate, _ = fitted
    parts = approximate.first_stage_.parts
    assert set(parts) == set(approximate.countries_)
    for country, part in parts.items():
        assert (approximate.countries_[part.rows] == country).all()
    assert sum(len(part.rows) for part in parts.values()) == len(approximate.profiles_)


def test_a_country_search_asks_only_for_what_is_wanted(fitted):
    """Every found company passes the filter, and no more are fetched than the pool asks."""
    approximate, _ = fitted
    query = approximate.profiles_[2]
    mask = approximate._mask(Filters(country="LV" if query.country == "KR" else "KR"))
    found = approximate._approximate(2, mask)
    assert mask[found].all()
    want = approximate.candidates * 4  # OVERFETCH
    assert want <= len(found) <= want + 1  # the one country's index, at its asked depth


def test_a_company_without_needs_is_searched_by_topic():
    """No seeks: every need fit sits at the floor, so stage 1 orders by the profile alone."""
    from matchmaker.ranking.approximate import partner_query

    seeks, offers, profile = np.zeros(4), np.ones(4) / 2, np.arange(4.0)
    query = partner_query(seeks, offers, profile)
    assert not query[:8].any() and (query[8:] == profile).all()
    both = partner_query(np.ones(4), offers, profile)
    assert both[:8].any()


def test_saved_and_loaded_index_finds_the_same(fitted, tmp_path):
    from matchmaker.ranking.approximate import FirstStage

    approximate, _ = fitted
    stage = approximate.first_stage_
    countries = stage.save(tmp_path / "first_stage")
    loaded = FirstStage.load(tmp_path / "first_stage", stage.size, countries)
    loaded.exact_below = 0
    query = approximate.profiles_[3]
    mask = approximate._mask(Filters(country="LV" if query.country == "KR" else "KR"))
    vector = np.concatenate(
        [approximate.seek_vecs_[3], approximate.offer_vecs_[3], approximate.profile_vecs_[3]]
    )
    assert list(loaded.search(vector, 100, mask)) == list(stage.search(vector, 100, mask))


def _stage_of(ranker):
    from matchmaker.ranking.approximate import FirstStage

    return FirstStage.build(
        ranker.offer_vecs_, ranker.seek_vecs_, ranker.profile_vecs_, ranker.countries_
    )


def test_a_projection_is_never_kept_unmeasured(fitted):
    """600 companies a country: too few to measure recall on, so the full vectors, searched
    at the default breadth."""
    from matchmaker.ranking.approximate import EXPANSION

    approximate, _ = fitted
    assert approximate.first_stage_.projection is None
    assert approximate.first_stage_.expansion == EXPANSION


def test_a_projection_is_kept_only_when_it_finds_the_exact_candidates(fitted, monkeypatch):
    from matchmaker.ranking import approximate as module
    from matchmaker.ranking import projection

    ranker, _ = fitted
    monkeypatch.setattr(projection, "CALIBRATION_FETCH", 100)  # measurable at 600 a country
    monkeypatch.setattr(projection, "CALIBRATION_POOL", 25)
    monkeypatch.setattr(module, "REQUIRED_RECALL", 1.01)  # no index can: the full vectors,
    stage = _stage_of(ranker)
    assert stage.projection is None
    assert stage.expansion == module.BREADTHS[-1]  # searched as widely as the check tried
    monkeypatch.setattr(module, "REQUIRED_RECALL", 0.0)  # any: the narrowest width and breadth
    stage = _stage_of(ranker)
    assert stage.projection is not None and stage.projection.width == projection.WIDTHS[0]
    assert {part.index.ndim for part in stage.parts.values()} == {projection.WIDTHS[0]}
    assert stage.expansion == module.BREADTHS[0]


def test_the_breadth_is_the_narrowest_that_finds_the_exact_candidates(monkeypatch):
    """The full index alone (no projection tried) over random vectors, which a graph
    search finds harder than real ones: recall grows with the breadth, and the breadth
    kept is the first of BREADTHS whose recall reaches the bar, whatever the bar."""
    from matchmaker.ranking import approximate as module
    from matchmaker.ranking import projection

    monkeypatch.setattr(projection, "CALIBRATION_FETCH", 100)
    monkeypatch.setattr(projection, "CALIBRATION_POOL", 25)
    monkeypatch.setattr(module, "WIDTHS", ())
    monkeypatch.setattr(module, "BREADTHS", (1.0, 2.0, 4.0))
    rng = np.random.default_rng(7)
    offers, seeks, profiles = (_unit(rng, 8000, 16) for _ in range(3))
    countries = np.array(["KR", "LV"] * 4000)
    stage = module.FirstStage.build(offers, seeks, profiles, countries)

    def full(rows):
        return np.hstack([offers[rows], seeks[rows], profiles[rows]])

    groups = {country: part.rows for country, part in stage.parts.items()}
    samples = module._calibration(full, seeks, offers, profiles, countries, groups)
    found = {
        breadth: min(
            projection.recall(stage._searcher(stage.parts[c], breadth), s.queries, s.exact)
            for c, s in samples.items()
        )
        for breadth in module.BREADTHS
    }
    # 0.974 / 0.998 / 0.999 when written; the index is built on several threads, so its
    # graph (and the recall at 2 and 4, one hit apart) varies from run to run: 2 and 4
    # tied in 2 of 8 runs. Only the wide gap is asserted.
    assert found[1.0] < found[4.0]
    for bar in found.values():
        monkeypatch.setattr(module, "REQUIRED_RECALL", bar)
        assert stage.narrowest_breadth(samples) == next(b for b, r in found.items() if r >= bar)
    monkeypatch.setattr(module, "REQUIRED_RECALL", max(found.values()) + 1e-9)
    assert stage.narrowest_breadth(samples) is None


def _unit(rng, rows: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_projected_index_is_saved_and_searched_like_the_full_one(fitted, monkeypatch, tmp_path):
    from matchmaker.ranking import approximate as module
    from matchmaker.ranking import projection
    from matchmaker.ranking.approximate import FirstStage

    ranker, _ = fitted
    monkeypatch.setattr(projection, "CALIBRATION_FETCH", 100)
    monkeypatch.setattr(projection, "CALIBRATION_POOL", 25)
    monkeypatch.setattr(module, "REQUIRED_RECALL", 0.0)
    stage = _stage_of(ranker)
    stage.exact_below = 0
    countries = stage.save(tmp_path / "first_stage")
    loaded = FirstStage.load(tmp_path / "first_stage", stage.size, countries)
    loaded.exact_below = 0
    assert np.array_equal(loaded.projection.matrix, stage.projection.matrix)
    assert loaded.expansion == stage.expansion
    settings = tmp_path / "first_stage" / module.SETTINGS_FILE
    for damaged in ('{"breadth": 4}', "[4]", '{"expansion": "wide"}', "{"):
        settings.write_text(damaged)
        with pytest.raises(ValueError, match="search breadth"):  # the caller fits again
            FirstStage.load(tmp_path / "first_stage", stage.size, countries)
    settings.unlink()  # a fit saved before the breadth was chosen
    assert FirstStage.load(tmp_path / "first_stage", stage.size, countries).expansion == 2.0
    query = ranker.profiles_[4]
    mask = ranker._mask(Filters(country="LV" if query.country == "KR" else "KR"))
    vector = np.concatenate([ranker.seek_vecs_[4], ranker.offer_vecs_[4], ranker.profile_vecs_[4]])
    found = loaded.search(vector, 100, mask)
    assert list(found) == list(stage.search(vector, 100, mask))
    assert mask[found].all() and len(found) >= 100


def _random_stage(rows: int = 6000, dim: int = 16):
    """A one-country stage over random unit vectors (no ranker needed), always searched."""
    from matchmaker.ranking.approximate import FirstStage

    rng = np.random.default_rng(7)

    def unit(n: int) -> np.ndarray:
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    stage = FirstStage.build(unit(rows), unit(rows), unit(rows), np.array(["KR"] * rows))
    stage.exact_below = 0
    return stage, rng.standard_normal(3 * dim).astype(np.float32)


def test_concurrent_searches_keep_their_own_breadth():
    """usearch keeps the search breadth on the index, shared by every web thread: a narrow
    search in one thread must not narrow a wide one running in another."""
    import threading

    stage, query = _random_stage()
    mask = np.ones(stage.size, dtype=bool)
    wide = stage.search(query, 300, mask)
    part = stage.parts["KR"]
    part.index.expansion_search = 64  # what a narrow search leaves behind
    assert not np.array_equal(np.sort(part.index.search(query, 300).keys), wide)  # it matters
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    stop = threading.Event()

    def narrow() -> None:
        while not stop.is_set():
            stage.search(query, 10, mask)

    other = threading.Thread(target=narrow)
    other.start()
    try:
        differed = sum(
            not np.array_equal(stage.search(query, 300, mask), wide) for _ in range(1000)
        )
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(interval)
    assert differed == 0  # 6 of 300, then 15 of 1,000, when each search simply set it


def test_a_search_deeper_than_the_largest_is_never_started(monkeypatch):
    """Few passing rows in a large country ask for a fetch deeper than LARGEST_SEARCH from
    the start: the exact scan, not a search through most of the graph."""
    from matchmaker.ranking import approximate as module

    stage, query = _random_stage()
    mask = np.zeros(stage.size, dtype=bool)
    mask[::20] = True  # 300 of 6,000 pass: a fetch of 100 needs 2,000 from the index
    monkeypatch.setattr(module, "LARGEST_SEARCH", 1000)
    assert stage.search(query, 100, mask) is None
    monkeypatch.setattr(module, "LARGEST_SEARCH", 40_000)
    found = stage.search(query, 100, mask)
    assert found is not None and mask[found].all() and len(found) >= 100


def test_searches_at_one_breadth_run_together_and_another_waits():
    """Nearly every search agrees on the breadth: those run side by side (usearch releases
    the GIL); one at another breadth waits until they are done, then sets its own."""
    import threading

    stage, _ = _random_stage(rows=200)
    part = stage.parts["KR"]
    release = threading.Event()

    def search_at(breadth: int, entered: threading.Event, hold: threading.Event | None) -> None:
        with part.breadth.set_to(breadth):
            entered.set()
            if hold is not None:
                hold.wait(5)

    def started(breadth: int, hold: threading.Event | None = None) -> threading.Event:
        entered = threading.Event()
        threading.Thread(target=search_at, args=(breadth, entered, hold), daemon=True).start()
        return entered

    assert started(300, release).wait(5)  # a search in flight at 300
    assert started(300).wait(5)  # another at 300 starts at once
    narrow = started(64)
    assert not narrow.wait(0.3)  # one at 64 waits: it would change the running search
    assert part.index.expansion_search == 300
    release.set()
    assert narrow.wait(5) and part.index.expansion_search == 64
