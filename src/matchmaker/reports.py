"""Batch reports: the top partners of many companies at once, reproducibly.

Before a trade mission staff send each company its best partners on the other
side. A report is that list for a *selection* of companies (all, one
direction, chosen ids, sectors, or those changed since a date), computed with
:meth:`PartnerRanker.match_many` so stage 1 runs as chunked matrix products
and memory stays bounded whatever the number of profiles.

A report carries everything needed to reproduce it (model id, data revision,
last data change, parameters, ranker settings, matchmaker version) in
:attr:`Report.meta`; only ``generated_at`` differs between two runs on the
same data. Ties in score are ordered by partner id so the order never
depends on how candidates happened to be partitioned.

"New since": given the (company, partner) pairs of an earlier report, each
match is marked new or not, and ``only_new`` keeps just the news.

This module computes; :mod:`report_formats` writes files and
:mod:`report_charts` draws the HTML charts from :func:`summarise`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import numpy as np

from . import __version__, engine
from .embedding import Embedder
from .profiles import Profile
from .ranking import Filters, Match, PartnerRanker
from .store import Store

#: --direction value -> countries whose companies get partners (in the other country).
DIRECTIONS: dict[str, tuple[str, ...]] = {"lv-kr": ("LV",), "kr-lv": ("KR",), "both": ("LV", "KR")}
DIRECTION_LABELS = {"LV": "LV → KR", "KR": "KR → LV"}
#: Companies ranked per matrix-product block; fixed so a report is reproducible bit for bit.
CHUNK = 128
#: Share of a report's matches counted as "strong" when no --strong-score is given.
STRONG_QUANTILE = 75.0
MAX_HEATMAP_SECTORS = 12
TOP_PARTNERS = 15

Progress = Callable[[int, int], None]
#: Fits (or fetches) a ranker on a store's live profiles; gets an embedding progress callback.
Fitter = Callable[[Store, Progress | None], PartnerRanker]
Pair = tuple[str, str]


class ReportError(ValueError):
    """A report request a user can fix (unknown id, empty selection, bad date...)."""


@dataclass(frozen=True)
class ReportSpec:
    """What to report: which companies, how many partners each, which partners qualify."""

    top: int = 10
    direction: str = "both"
    company_ids: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    changed_since: str | None = None
    partner_filters: Filters = field(default_factory=Filters)
    strong_score: float | None = None
    only_new: bool = False

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ReportError(
                f"direction must be one of {', '.join(DIRECTIONS)}, not '{self.direction}'"
            )
        if not 1 <= self.top <= 1000:
            raise ReportError(f"top must be between 1 and 1000, not {self.top}")
        if self.changed_since is not None:
            parse_since(self.changed_since)
        if self.partner_filters.country or self.partner_filters.exclude:
            raise ReportError("partners are always in the other country; filter them otherwise")

    def to_dict(self) -> dict[str, Any]:
        """The parameters as recorded in a report (lists, not tuples, for JSON)."""
        data = asdict(self)
        filters = data.pop("partner_filters")
        data["company_ids"] = list(self.company_ids)
        data["sectors"] = list(self.sectors)
        data["partner_filters"] = {
            "sectors": list(filters["sectors"]),
            "partnership_types": list(filters["partnership_types"]),
            "verified_only": filters["verified_only"],
            "min_employees": filters["min_employees"],
        }
        return data


@dataclass
class ReportEntry:
    """One partner of one company: its rank in the full top K, and whether it is news."""

    rank: int
    match: Match
    new: bool | None = None


@dataclass
class CompanyMatches:
    """A company of the selection and its partners, best first."""

    company: Profile
    entries: list[ReportEntry]

    @property
    def direction(self) -> str:
        return DIRECTION_LABELS[self.company.country]


@dataclass
class Report:
    meta: dict[str, Any]
    sections: list[CompanyMatches]

    @property
    def match_count(self) -> int:
        return sum(len(s.entries) for s in self.sections)

    def pairs(self) -> list[Pair]:
        """(company id, partner id) of every match, the key of the 'new since' comparison."""
        return [(s.company.id, e.match.id) for s in self.sections for e in s.entries]


@dataclass(frozen=True)
class PreviousReport:
    """What the 'new since' comparison needs from an earlier report file."""

    source: str
    pairs: frozenset[Pair]
    meta: dict[str, Any]


# -- selecting companies ---------------------------------------------------------


def parse_since(value: str) -> datetime:
    """A date (``2025-03-01``) or ISO timestamp; without a time zone it is read as UTC."""
    try:
        if len(value.strip()) == 10:
            parsed = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ReportError(f"'{value}' is not a date; use YYYY-MM-DD or an ISO timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


# -- computing -------------------------------------------------------------------


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
        ordered = sorted(matches, key=lambda m: (-m.score, m.id))
        entries = [
            ReportEntry(rank, m, None if seen is None else (company_id, m.id) not in seen)
            for rank, m in enumerate(ordered, start=1)
        ]
        if spec.only_new and seen is not None:
            entries = [e for e in entries if e.new]
        sections.append(CompanyMatches(by_id[company_id], entries))
        if progress:
            progress(done, len(companies))
    return sections


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
    companies = select_companies(ranker.profiles_, spec)
    sections = compute_sections(ranker, companies, spec, previous, progress, chunk)
    meta = {
        "title": "Partner report",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "matchmaker_version": __version__,
        "model_id": getattr(ranker.embedder, "model_id", None),
        **data,
        "parameters": spec.to_dict(),
        "ranking": {"candidates": ranker.candidates, "weights": asdict(ranker.weights_)},
        "previous_report": _previous_meta(previous),
    }
    return Report(meta=meta, sections=sections)


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
    if fit is None:
        if embedder is None:
            raise TypeError("generate() needs an embedder or a fit function")
        fit = partial(_fit_on_store, embedder=embedder)
    for _ in range(3):
        revision = store.revision()
        ranker = fit(store, embed_progress)
        data = {
            "data_revision": revision,
            "data_changed_at": store.stats()["last_change"],
            "companies_in_database": len(ranker.profiles_),
        }
        if store.revision() == revision:
            return build_report(ranker, spec, data, previous, progress)
    raise ReportError("the database kept changing while the report was prepared; try again")


def _fit_on_store(store: Store, progress: Progress | None, embedder: Embedder) -> PartnerRanker:
    return engine.build_ranker(store, embedder, progress=progress)


def _previous_meta(previous: PreviousReport | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    keys = ("generated_at", "data_revision", "model_id")
    return {"source": previous.source, **{k: previous.meta.get(k) for k in keys}}


# -- summarising (for the summary sheet and the charts) ---------------------------


@dataclass
class Heatmap:
    """Strong matches between LV sectors (rows) and KR sectors (columns)."""

    lv_sectors: list[str]
    kr_sectors: list[str]
    counts: list[list[int]]
    pairs: int  # strong LV-KR pairs counted (a pair found in both directions counts once)


@dataclass
class PartnerCount:
    id: str
    name: str
    country: str
    count: int


@dataclass
class ScoreBin:
    low: float
    high: float
    counts: dict[str, int]  # direction label -> matches


@dataclass
class ReportSummary:
    companies: int
    matches: int
    new: int | None
    by_direction: dict[str, dict[str, int]]
    without_partners: int
    strong_score: float | None
    strong_rule: str
    score_bins: list[ScoreBin]
    heatmap: Heatmap
    top_partners: list[PartnerCount]


def summarise(report: Report) -> ReportSummary:
    """The figures behind the summary sheet and the charts."""
    scores = np.array([e.match.score for s in report.sections for e in s.entries])
    strong, rule = _strong_threshold(scores, report.meta["parameters"]["strong_score"])
    new_flags = [e.new for s in report.sections for e in s.entries]
    by_direction: dict[str, dict[str, int]] = {}
    for section in report.sections:
        figures = by_direction.setdefault(section.direction, {"companies": 0, "matches": 0})
        figures["companies"] += 1
        figures["matches"] += len(section.entries)
    previous = report.meta.get("previous_report")
    return ReportSummary(
        companies=len(report.sections),
        matches=len(scores),
        new=sum(bool(f) for f in new_flags) if previous else None,
        by_direction=by_direction,
        without_partners=sum(not s.entries for s in report.sections),
        strong_score=strong,
        strong_rule=rule,
        score_bins=_score_bins(report.sections),
        heatmap=_heatmap(report.sections, strong),
        top_partners=_top_partners(report.sections),
    )


def _strong_threshold(scores: np.ndarray, fixed: float | None) -> tuple[float | None, str]:
    if fixed is not None:
        return fixed, f"score ≥ {fixed:.3f} (set for this report)"
    if not len(scores):
        return None, "no matches"
    value = float(np.percentile(scores, STRONG_QUANTILE, method="higher"))
    return value, f"score ≥ {value:.3f}, the top quarter of this report's matches"


def _score_bins(sections: Sequence[CompanyMatches], max_bins: int = 24) -> list[ScoreBin]:
    """Equal-width bins on round boundaries, at most ``max_bins``, counted per direction."""
    scored = [(s.direction, e.match.score) for s in sections for e in s.entries]
    if not scored:
        return []
    low, high = min(x for _, x in scored), max(x for _, x in scored)
    width = _bin_width(low, high, max_bins)
    start = int(np.floor(low / width))
    count = int(np.floor(high / width)) - start + 1
    bins = [
        ScoreBin(round((start + i) * width, 6), round((start + i + 1) * width, 6), {})
        for i in range(count)
    ]
    for direction, score in scored:
        index = min(int(np.floor(score / width)) - start, count - 1)
        counts = bins[index].counts
        counts[direction] = counts.get(direction, 0) + 1
    return bins


def _bin_width(low: float, high: float, max_bins: int) -> float:
    """The smallest round width (1, 2, 2.5 or 5 times a power of ten) giving <= max_bins bins.

    Scores have no fixed range (the ranker may standardise its signals), so the
    width follows the data rather than assuming [0, 1].
    """
    exponent = int(np.floor(np.log10(max(high - low, 0.01) / max_bins)))
    for power in (exponent, exponent + 1, exponent + 2):
        for mantissa in (1, 2, 2.5, 5):
            width = mantissa * 10.0**power
            if np.floor(high / width) - np.floor(low / width) + 1 <= max_bins:
                return width
    return 10.0 ** (exponent + 3)


def _heatmap(sections: Sequence[CompanyMatches], strong: float | None) -> Heatmap:
    """Count each strong LV-KR pair once in every (LV sector, KR sector) cell it belongs to."""
    pairs: dict[Pair, tuple[list[str], list[str]]] = {}
    for section in sections:
        for entry in section.entries:
            if strong is None or entry.match.score < strong:
                continue
            company, partner = section.company, entry.match
            if company.country == "LV":
                pairs[(company.id, partner.id)] = (company.sectors, partner.sectors)
            else:
                pairs[(partner.id, company.id)] = (partner.sectors, company.sectors)
    cells: Counter[tuple[str, str]] = Counter()
    lv_totals: Counter[str] = Counter()
    kr_totals: Counter[str] = Counter()
    for lv_sectors, kr_sectors in pairs.values():
        for lv in lv_sectors or ["(no sector)"]:
            for kr in kr_sectors or ["(no sector)"]:
                cells[(lv, kr)] += 1
        lv_totals.update(lv_sectors or ["(no sector)"])
        kr_totals.update(kr_sectors or ["(no sector)"])
    lv = _most_common(lv_totals, MAX_HEATMAP_SECTORS)
    kr = _most_common(kr_totals, MAX_HEATMAP_SECTORS)
    counts = [[cells[(a, b)] for b in kr] for a in lv]
    return Heatmap(lv, kr, counts, len(pairs))


def _most_common(counter: Counter[str], limit: int) -> list[str]:
    """Most frequent first, ties by name, so the chart's axes are reproducible."""
    return [k for k, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def _top_partners(sections: Iterable[CompanyMatches]) -> list[PartnerCount]:
    counts: Counter[str] = Counter()
    matches: dict[str, Match] = {}
    for section in sections:
        for entry in section.entries:
            counts[entry.match.id] += 1
            matches[entry.match.id] = entry.match
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], matches[kv[0]].name, kv[0]))
    return [
        PartnerCount(cid, matches[cid].name, matches[cid].country, n)
        for cid, n in ranked[:TOP_PARTNERS]
    ]
