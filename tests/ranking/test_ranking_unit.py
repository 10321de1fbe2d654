"""Ranking structure: fitting, filters, batch == single, signs of the score parts.

Ranking *quality* is measured elsewhere (evaluation, end-to-end with the real
model); these tests use the hashing embedder and check the contract.
"""

from __future__ import annotations

import dataclasses

import pytest

from matchmaker import engine
from matchmaker.ranking import Filters, NotFittedError, PartnerRanker, Weights, parse_text_query
from matchmaker.ranking.approximate import APPROXIMATE_FROM


@pytest.fixture
def ranker(store, hashing_embedder) -> PartnerRanker:
    return engine.build_ranker(store, hashing_embedder)


@pytest.fixture
def varied(mini_profiles, hashing_embedder) -> PartnerRanker:
    """The mini set with sizes and verification, fitted in memory."""
    sizes = {"seoul-pharma-distribution": 250, "han-generics": 40, "incheon-diagnostics": 120}
    profiles = [
        dataclasses.replace(
            p, employees=sizes.get(p.id), verified=p.id in {"han-generics", "jeju-cosmetics"}
        )
        for p in mini_profiles
    ]
    return engine.fit_in_memory(profiles, hashing_embedder)


def ids(matches) -> list[str]:
    return [m.id for m in matches]


# -- fitting ----------------------------------------------------------------------------


def test_the_constructor_only_stores_parameters(hashing_embedder):
    weights = Weights(competitor=0.5)
    ranker = PartnerRanker(embedder=hashing_embedder, weights=weights, candidates=7)
    assert vars(ranker) == {
        "embedder": hashing_embedder,
        "weights": weights,
        "candidates": 7,
        "learned": None,
        "approximate_from": APPROXIMATE_FROM,
    }


def test_ranking_before_fit_raises(hashing_embedder):
    ranker = PartnerRanker(embedder=hashing_embedder)
    for call in (
        lambda: ranker.match("baltic-generics"),
        lambda: ranker.query("PCR kits", country="KR"),
        lambda: ranker.similar("baltic-generics"),
        lambda: list(ranker.match_many(["baltic-generics"])),
    ):
        with pytest.raises(NotFittedError, match="fit"):
            call()


def test_free_text_needs_an_embedder(store):
    vectors = engine.load_vectors(store, "hashing-v1")
    ranker = PartnerRanker().fit(store.list(), vectors)
    assert ranker.match("baltic-generics")  # partner ranking works from stored vectors
    with pytest.raises(NotFittedError, match="embedder"):
        ranker.query("PCR kits", country="KR")


def test_a_query_returns_its_reading_with_the_matches(ranker):
    """Front ends show the reading from the result: the text is parsed once, by the ranker."""
    found = ranker.query("Korean distributor for our PCR kits", country="KR", top=3)
    assert found.reading == parse_text_query("Korean distributor for our PCR kits")
    assert found.reading.needs == ["Korean distributor"] and found.reading.offers == ["PCR kits"]
    assert [m.country for m in found.matches] == ["KR"] * 3


def test_an_unknown_id_raises_key_error(ranker):
    for call in (ranker.match, ranker.similar):
        with pytest.raises(KeyError, match="no company with id 'nope'"):
            call("nope")


def test_fitting_from_the_store_or_in_memory_gives_the_same_ranking(
    ranker, mini_profiles, hashing_embedder
):
    in_memory = engine.fit_in_memory(mini_profiles, hashing_embedder)
    for profile in mini_profiles:
        assert [(m.id, m.score) for m in in_memory.match(profile.id)] == [
            (m.id, m.score) for m in ranker.match(profile.id)
        ]


# -- filters -----------------------------------------------------------------------------


def test_match_looks_in_the_other_country_and_never_returns_the_query(ranker, mini_profiles):
    countries = {p.id: p.country for p in mini_profiles}
    for profile in mini_profiles:
        results = ranker.match(profile.id, top=20)
        other = [p.id for p in mini_profiles if p.country != profile.country]
        assert sorted(ids(results)) == sorted(other)
        assert {countries[m.id] for m in results} == {"KR" if profile.country == "LV" else "LV"}


def test_an_explicit_country_overrides_the_default(ranker):
    results = ranker.match("baltic-generics", top=20, filters=Filters(country="LV"))
    assert sorted(ids(results)) == ["daugava-lab-supply", "riga-clinical-research", "vidzeme-wood"]


def test_top_k_returns_k_whenever_k_companies_pass(ranker):
    assert len(ranker.match("baltic-generics", top=3)) == 3
    assert len(ranker.match("baltic-generics", top=100)) == 6
    assert len(ranker.query("PCR kits", country="LV", top=2).matches) == 2
    assert len(ranker.similar("baltic-generics", top=4)) == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(sectors=["Pharmaceuticals"]), {"han-generics", "seoul-pharma-distribution"}),
        (Filters(partnership_types=["licensing"]), {"han-generics", "busan-biologics"}),
        (Filters(verified_only=True), {"han-generics", "jeju-cosmetics"}),
        (Filters(min_employees=100), {"seoul-pharma-distribution", "incheon-diagnostics"}),
        (
            Filters(exclude=["han-generics", "jeju-cosmetics", "quiet-holding"]),
            {"seoul-pharma-distribution", "busan-biologics", "incheon-diagnostics"},
        ),
        (Filters(sectors=["cosmetics"], partnership_types=["licensing"]), set()),
    ],
)
def test_filters_apply_before_ranking(varied, filters, expected):
    assert set(ids(varied.match("baltic-generics", top=10, filters=filters))) == expected
    for mode in (
        lambda: varied.query("medicines", country="KR", top=10, filters=filters).matches,
        lambda: varied.similar(
            "baltic-generics", top=10, filters=dataclasses.replace(filters, country="KR")
        ),
    ):
        assert set(ids(mode())) == expected


def test_similar_spans_both_countries_unless_filtered(ranker):
    results = ranker.similar("baltic-generics", top=20)
    assert len(results) == 9 and "baltic-generics" not in ids(results)
    assert {m.country for m in results} == {"LV", "KR"}
    assert {
        m.country for m in ranker.similar("baltic-generics", filters=Filters(country="LV"))
    } == {"LV"}


# -- batch equals single -----------------------------------------------------------------------


@pytest.mark.parametrize("candidates", [300, 3, 1])
@pytest.mark.parametrize(
    "filters", [None, Filters(partnership_types=["distribution"]), Filters(country="KR")]
)
def test_match_many_gives_the_same_results_as_match(store, hashing_embedder, candidates, filters):
    ranker = engine.build_ranker(store, hashing_embedder)
    ranker.candidates = candidates
    all_ids = [p.id for p in store.list()]
    batch = dict(ranker.match_many(all_ids, top=5, filters=filters, chunk=4))
    assert list(batch) == all_ids
    for company_id in all_ids:
        single = ranker.match(company_id, top=5, filters=filters)
        assert [m.to_dict() for m in batch[company_id]] == [m.to_dict() for m in single]


def test_match_many_reuses_kept_candidates_across_calls(store, hashing_embedder):
    """A report worker keeps stage 1's candidate matrices from chunk to chunk: same results,
    gathered once per filters, and refused for another ranker."""
    from matchmaker.ranking.batch import CandidateCache

    ranker = engine.build_ranker(store, hashing_embedder)
    ranker.candidates = 3  # fewer than the other country has: stage 1's products run
    all_ids = [p.id for p in store.list()]
    kept = CandidateCache(ranker)
    halves = [all_ids[: len(all_ids) // 2], all_ids[len(all_ids) // 2 :]]
    for filters in (None, Filters(partnership_types=["distribution"])):
        fresh = dict(ranker.match_many(all_ids, top=5, filters=filters, chunk=4))
        reused = {}
        for half in halves:
            reused.update(ranker.match_many(half, top=5, filters=filters, chunk=4, kept=kept))
        assert {k: [m.to_dict() for m in v] for k, v in reused.items()} == {
            k: [m.to_dict() for m in v] for k, v in fresh.items()
        }
    gathered = kept.for_filters(Filters())
    assert set(gathered) == {"LV", "KR"}
    assert kept.for_filters(Filters()) is gathered  # the second call found them
    other = engine.build_ranker(store, hashing_embedder)
    with pytest.raises(ValueError, match="ranker it was made for"):
        list(other.match_many(all_ids[:1], kept=kept))


def test_match_many_restores_thread_settings_even_when_stopped_early(store, hashing_embedder):
    """Batches run with one BLAS/torch thread per worker; the process settings come back."""
    import torch
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    ranker = engine.build_ranker(store, hashing_embedder)
    all_ids = [p.id for p in store.list()]
    before = (torch.get_num_threads(), blas_threads())
    batch = ranker.match_many(all_ids, top=3, chunk=2, workers=2)
    next(batch)
    assert torch.get_num_threads() == 1 and set(blas_threads()) <= {1}
    batch.close()
    assert (torch.get_num_threads(), blas_threads()) == before


# -- score parts --------------------------------------------------------------------------------


def test_match_to_dict_is_asdict(ranker):
    """Match.to_dict is written out for speed; it must stay dataclasses.asdict, key order
    included (a report's stored rows are its JSON), and copy what it holds."""
    for m in ranker.match("baltic-generics", top=5):
        filled = dataclasses.replace(m, name_local="Baltijas", city="Rīga", verified=True)
        as_dict = filled.to_dict()
        assert list(as_dict.items()) == list(dataclasses.asdict(filled).items())
        assert list(as_dict) == [f.name for f in dataclasses.fields(filled)]
        assert as_dict["reasons"] is not filled.reasons
        assert as_dict["score_parts"] is not filled.score_parts


def test_score_is_the_sum_of_its_parts(ranker):
    for company_id in ("baltic-generics", "han-generics", "incheon-diagnostics"):
        for m in ranker.match(company_id, top=10):
            assert {"reciprocal", "competitor"} <= set(m.score_parts)
            assert m.score == pytest.approx(sum(m.score_parts.values()), abs=1e-3)


def test_the_competitor_penalty_pushes_the_look_alike_down(store, hashing_embedder):
    """han-generics offers and seeks what baltic-generics does: the penalty's sign must
    put it lowest, below zero, and scale with the competitor weight."""
    weight = Weights().competitor
    rankings = {
        factor: {
            m.id: m
            for m in engine.build_ranker(
                store, hashing_embedder, weights=Weights(competitor=factor * weight)
            ).match("baltic-generics", top=10)
        }
        for factor in (0, 1, 2)
    }
    assert all(m.score_parts["competitor"] == 0 for m in rankings[0].values())
    part = rankings[1]["han-generics"].score_parts["competitor"]
    assert part < 0
    assert part == min(m.score_parts["competitor"] for m in rankings[1].values())
    assert rankings[2]["han-generics"].score_parts["competitor"] == pytest.approx(
        2 * part, abs=1e-3
    )
    assert rankings[0]["han-generics"].score - rankings[1]["han-generics"].score == pytest.approx(
        -part, abs=1e-3
    )


def test_results_carry_what_the_front_ends_render(ranker):
    match = ranker.match("baltic-generics", top=1)[0]
    data = match.to_dict()
    assert set(data) == {
        "id",
        "name",
        "country",
        "score",
        "reasons",
        "score_parts",
        "name_local",
        "city",
        "sectors",
        "verified",
        "reasons_all",
        "fit",
    }
    assert data["reasons"] and all(isinstance(r, str) for r in data["reasons"])
    assert set(data["reasons"]) <= set(data["reasons_all"]) | {data["reasons"][-1]}
    assert data["fit"] in {"strong", "good", "possible"}
