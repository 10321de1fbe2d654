"""Building a report: select the companies, rank their partners in batches, record how.

Partners come from :meth:`PartnerRanker.match_many`, so stage 1 runs as
chunked matrix products and memory stays bounded whatever the number of
profiles. A report carries everything needed to reproduce it (model id, data
revision, last data change, parameters, ranker settings, matchmaker version)
in :attr:`Report.meta`; only ``generated_at`` differs between two runs on the
same data. Ties in score are ordered by partner id so the order never depends
on how candidates happened to be partitioned.

"New since": given the (company, partner) pairs of an earlier report, each
match is marked new or not, and ``only_new`` keeps just the news.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from .. import __version__, engine
from ..embedding import Embedder
from ..engine import Progress
from ..profiles import Profile
from ..ranking import Match, PartnerRanker
from ..store import Store
from .model import (
    DIRECTIONS,
    CompanyMatches,
    PreviousReport,
    Report,
    ReportEntry,
    ReportError,
    ReportSpec,
    parse_since,
)

#: Companies ranked per matrix-product block; fixed so a report is reproducible bit for bit.
CHUNK = 128
#: Fits (or fetches) a ranker on a store's live profiles; gets an embedding progress callback.
Fitter = Callable[[Store, Progress | None], PartnerRanker]


def select_companies(profiles: Sequence[Profile], spec: ReportSpec) -> list[Profile]:
    """The companies a report covers, LV first, then by name (what a reader scans for)."""
    countries = DIRECTIONS[spec.direction]
    by_id = {p.id: p for p in profiles}
    if spec.company_ids:
        check_company_ids({p.id: p.country for p in profiles}, spec)
        chosen = [by_id[cid] for cid in dict.fromkeys(spec.company_ids)]
    else:
        chosen = [p for p in profiles if p.country in countries]
    if spec.sectors:
        wanted = {s.strip().lower() for s in spec.sectors}
        chosen = [p for p in chosen if wanted & set(p.sectors)]
    if spec.changed_since:
        since = parse_since(spec.changed_since)
        chosen = [p for p in chosen if p.updated_at and _timestamp(p.updated_at) >= since]
    if not chosen:
        raise ReportError("no companies match this selection; widen it")
    return sorted(chosen, key=lambda p: (p.country != "LV", p.name.casefold(), p.id))


def check_company_ids(countries: Mapping[str, str], spec: ReportSpec) -> None:
    """Refuse chosen ids that do not exist (``countries``: id -> country) or face the other way."""
    unknown = [cid for cid in spec.company_ids if cid not in countries]
    if unknown:
        raise ReportError(f"no company with id {', '.join(repr(c) for c in unknown)}")
    allowed = DIRECTIONS[spec.direction]
    outside = [cid for cid in spec.company_ids if countries[cid] not in allowed]
    if outside:
        raise ReportError(
            f"{', '.join(outside)} not in {'/'.join(allowed)}: outside direction {spec.direction}"
        )


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def compute_sections(
    ranker: PartnerRanker,
    companies: Sequence[Profile],
    spec: ReportSpec,
    previous: PreviousReport | None = None,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> list[CompanyMatches]:
    """Top partners of every company, via match_many; ties ordered by partner id."""
    by_id = {p.id: p for p in companies}
    seen = previous.pairs if previous else None
    sections = []
    results = ranker.match_many(
        [p.id for p in companies], top=spec.top, filters=spec.partner_filters, chunk=chunk
    )
    for done, (company_id, matches) in enumerate(results, start=1):
        sections.append(section_of(by_id[company_id], matches, spec, seen))
        if progress:
            progress(done, len(companies))
    return sections


def section_of(
    company: Profile, matches: Sequence[Match], spec: ReportSpec, seen: frozenset | None
) -> CompanyMatches:
    """One company's part of the report: ranked, ties by partner id, news marked.

    Shared by the one-process report and the chunked runs' assembly (reports.runs),
    so both give the same rows from the same matches.
    """
    ordered = sorted(matches, key=lambda m: (-m.score, m.id))
    entries = [
        ReportEntry(rank, m, None if seen is None else (company.id, m.id) not in seen)
        for rank, m in enumerate(ordered, start=1)
    ]
    if spec.only_new and seen is not None:
        entries = [e for e in entries if e.new]
    return CompanyMatches(company, entries)


def build_report(
    ranker: PartnerRanker,
    spec: ReportSpec,
    data: dict[str, Any],
    previous: PreviousReport | None = None,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> Report:
    """A report over an already fitted ranker; ``data`` describes the data it was fitted on."""
    if spec.only_new and previous is None:
        raise ReportError("only_new needs a previous report to compare with")
    companies = select_companies(ranker.live_profiles(), spec)
    sections = compute_sections(ranker, companies, spec, previous, progress, chunk)
    return Report(meta=report_meta(ranker, spec, data, previous), sections=sections)


def report_meta(
    ranker: PartnerRanker,
    spec: ReportSpec,
    data: dict[str, Any],
    previous: PreviousReport | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """How a report was made (its ``meta``); the key order is the order in the files."""
    return {
        "title": "Partner report",
        "generated_at": generated_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "matchmaker_version": __version__,
        "model_id": getattr(ranker.embedder, "model_id", None),
        **data,
        "parameters": spec.to_dict(),
        "ranking": {"candidates": ranker.candidates, "weights": asdict(ranker.weights_)},
        "previous_report": previous_meta(previous),
    }


def generate(
    store: Store,
    embedder: Embedder | None,
    spec: ReportSpec,
    previous: PreviousReport | None = None,
    progress: Progress | None = None,
    embed_progress: Progress | None = None,
    fit: Fitter | None = None,
) -> Report:
    """Fit a ranker on the store (embedding stale profiles first) and build the report.

    The data revision is read before and after fitting; if someone wrote to the
    database meanwhile the fit is repeated, so the recorded revision is the one
    the report was really computed on. ``fit`` replaces the fitting step (then
    ``embedder`` may be None), e.g. with the web app's cached ranker for the
    current revision: one 100k ranker in memory instead of two.
    """
    spec = follow_merges(store, spec)
    if fit is None:
        if embedder is None:
            raise TypeError("generate() needs an embedder or a fit function")
        fit = partial(_fit_on_store, embedder=embedder)
    ranker, data = fit_steadily(store, fit, embed_progress)
    return build_report(ranker, spec, data, previous, progress)


def fit_steadily(
    store: Store, fit: Fitter, embed_progress: Progress | None = None
) -> tuple[PartnerRanker, dict[str, Any]]:
    """A ranker and the data it was fitted on, refitted if someone wrote meanwhile."""
    for _ in range(3):
        revision = store.revision()
        ranker = fit(store, embed_progress)
        data = {
            "data_revision": revision,
            "data_changed_at": store.stats()["last_change"],
            "companies_in_database": len(ranker.live_profiles()),
        }
        if store.revision() == revision:
            return ranker, data
    raise ReportError("the database kept changing while the report was prepared; try again")


def follow_merges(store: Store, spec: ReportSpec) -> ReportSpec:
    """Chosen ids of merged duplicates stand for the kept profile (docs/duplicates.md)."""
    if not spec.company_ids:
        return spec
    ids = tuple(store.merged_into(cid) or cid for cid in spec.company_ids)
    return spec if ids == spec.company_ids else replace(spec, company_ids=ids)


def _fit_on_store(store: Store, progress: Progress | None, embedder: Embedder) -> PartnerRanker:
    return engine.build_ranker(store, embedder, progress=progress)


def previous_meta(previous: PreviousReport | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    keys = ("generated_at", "data_revision", "model_id")
    return {"source": previous.source, **{k: previous.meta.get(k) for k in keys}}
