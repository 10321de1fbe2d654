"""Summarising a report: the figures behind the summary sheet and the charts.

Counts per direction, the "strong match" threshold, score bins, the sector
heatmap and the most frequent partners, computed once from a :class:`Report`
and drawn by :mod:`.charts` or written by :mod:`.formats`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..ranking import Match
from .model import CompanyMatches, Pair, Report

#: Share of a report's matches counted as "strong" when no --strong-score is given.
STRONG_QUANTILE = 75.0
MAX_HEATMAP_SECTORS = 12
TOP_PARTNERS = 15


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
