"""What a report is: its request (:class:`ReportSpec`), its rows, and an earlier report.

Plain data shared by building (:mod:`.build`), summarising (:mod:`.summary`)
and the file formats (:mod:`.formats`), so none of them imports another's
internals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ..errors import InvalidInput
from ..profiles import Profile
from ..ranking import Filters, Match

#: --direction value -> countries whose companies get partners (in the other country).
DIRECTIONS: dict[str, tuple[str, ...]] = {"lv-kr": ("LV",), "kr-lv": ("KR",), "both": ("LV", "KR")}
DIRECTION_LABELS = {"LV": "LV → KR", "KR": "KR → LV"}
Pair = tuple[str, str]


class ReportError(InvalidInput):
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
