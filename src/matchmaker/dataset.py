"""The curated data files in ``data/``: loading them, finding duplicates, measuring coverage.

The shipped set (``data/companies.jsonl``) and the curation batches (``data/batches/*.jsonl``)
are written by different helper sessions at different times. Nothing in the import path
stops two batches from describing the same organisation under two spellings, or a curator
from pasting one profile's wording into another, so the checks here run over every file
together (``tests/test_data.py``), and the coverage table in ``docs/data.md`` is computed
from the same records (``data/coverage.py``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import names
from .roles import ROLES

#: Host prefixes and path segments that name a language or device version of the same site.
_HOST_PREFIXES = ("www.", "m.", "eng.", "en.", "english.", "kor.", "lv.")
_LANGUAGE_SEGMENTS = {"en", "eng", "english", "lv", "ko", "kr", "kor", "ru"} | {
    "index.html",
    "index.php",
}
#: Description sentences that state provenance in a fixed editorial formula, recurring by design
#: (data/README.md: the seed article is the source of three clinical-trial links).
EDITORIAL_SENTENCE_PREFIXES = ("per the seed article",)
#: A sentence of description is compared only from this many words on: short stock phrases
#: ("It is listed on KOSDAQ.") may honestly recur in two profiles.
MIN_SENTENCE_WORDS = 6
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'(])")
_HTTPS_PAGE = re.compile(r"https://\S+")


@dataclass(frozen=True)
class Record:
    """One line of a data file, with where it came from (for messages that point at it)."""

    data: dict[str, Any]
    path: Path
    line: int

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line} ({self.id})"


def data_files(root: Path) -> list[Path]:
    """The shipped set first, then every batch in name order (the order scripts/run imports)."""
    return [root / "data" / "companies.jsonl", *sorted((root / "data" / "batches").glob("*.jsonl"))]


def load_records(paths: Iterable[Path]) -> list[Record]:
    """Every non-blank line of the given JSONL files; a line that is not JSON raises."""
    records = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    records.append(Record(json.loads(line), path, number))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name}:{number}: not JSON ({exc})") from exc
    return records


def website_domain(url: str | None) -> str | None:
    """The host of a website without 'www.' and language or mobile prefixes."""
    if not url:
        return None
    host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host[len(prefix) :], True
    return host or None


def website_key(url: str | None) -> str | None:
    """Domain plus the first meaningful path segment: what one organisation's site is.

    A university institute at 'lu.lv/en/mbi/' is a unit of its own; the university at
    'www.lu.lv' and a copy of it at 'lu.lv/en/' are the same site.
    """
    domain = website_domain(url)
    if not domain:
        return None
    path = urlsplit(url if "//" in url else "//" + url).path.lower()
    segments = [s for s in path.split("/") if s and s not in _LANGUAGE_SEGMENTS]
    return f"{domain}/{segments[0]}" if segments else domain


def description_sentences(text: str) -> list[str]:
    """Sentences of a description long enough to be compared, normalised for spacing and case."""
    sentences = []
    for raw in _SENTENCE_SPLIT.split(unicodedata.normalize("NFKC", text or "")):
        sentence = " ".join(raw.split()).strip().rstrip(".;").lower()
        if len(sentence.split()) >= MIN_SENTENCE_WORDS and not sentence.startswith(
            EDITORIAL_SENTENCE_PREFIXES
        ):
            sentences.append(sentence)
    return sentences


def https_pages(source: str | None) -> list[str]:
    """The https addresses a ``source`` string names."""
    return _HTTPS_PAGE.findall(source or "")


@dataclass(frozen=True)
class Clash:
    """Records that share something that should be theirs alone."""

    kind: str
    value: str
    records: tuple[Record, ...]

    def __str__(self) -> str:
        where = ", ".join(r.where for r in self.records)
        return f"same {self.kind} {self.value!r}: {where}"


def _clashes(kind: str, keyed: Iterable[tuple[str | None, Record]]) -> list[Clash]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for key, record in keyed:
        if key:
            groups[key].append(record)
    return [Clash(kind, key, tuple(rs)) for key, rs in sorted(groups.items()) if len(rs) > 1]


def duplicate_ids(records: Sequence[Record]) -> list[Clash]:
    return _clashes("id", ((r.id, r) for r in records))


def duplicate_organisations(records: Sequence[Record]) -> list[Clash]:
    """Records that look like one organisation: same normalised name, local name or domain.

    A subsidiary with a name of its own ('Samsung Biologics', 'Samsung Bioepis') does not
    clash, nor does a unit with its own section of the parent's site (website_key); two
    records pointing at the same site do.
    """
    return [
        *_clashes("name", ((names.normalised(r.data.get("name", "")), r) for r in records)),
        *_clashes(
            "name_local", ((names.normalised(r.data.get("name_local") or ""), r) for r in records)
        ),
        *_clashes("website", ((website_key(r.data.get("website")), r) for r in records)),
    ]


def shared_sentences(records: Sequence[Record]) -> list[Clash]:
    """Description sentences that appear in more than one record (a copied profile)."""
    keyed = []
    for record in records:
        for sentence in set(description_sentences(record.data.get("description", ""))):
            keyed.append((sentence, record))
    return _clashes("description sentence", keyed)


# --- coverage -----------------------------------------------------------------------------

#: Sector groups of docs/data.md, by the organisation's first (most important) role.
SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "pharma & biotech": ("pharma-company", "drug-developer", "api-maker", "biosimilar-maker"),
    "CDMO & CRO": ("cdmo", "cro"),
    "medtech & diagnostics": ("device-maker", "diagnostics-maker", "lab-supplier"),
    "health IT": ("health-it",),
    "hospitals, labs & research": ("hospital", "research-institute", "lab-services"),
    "distribution & logistics": ("distributor", "logistics"),
    "investors, agencies & associations": (
        "investor",
        "trade-agency",
        "industry-association",
        "consultancy",
    ),
    "consumer health": ("consumer-health",),
    "other industry": ("other-industry",),
}
_GROUP_OF_ROLE = {role: group for group, roles in SECTOR_GROUPS.items() for role in roles}
UNGROUPED = "no role given"
COUNTRIES = ("KR", "LV")


@dataclass(frozen=True)
class Target:
    """One 'done when' figure of issue 16: KR or LV organisations holding any of ``roles``."""

    label: str
    country: str
    minimum: int
    roles: tuple[str, ...] = ()

    def count(self, records: Sequence[Record]) -> int:
        return sum(
            1
            for r in records
            if r.data.get("country") == self.country
            and (not self.roles or set(self.roles) & set(r.data.get("roles") or ()))
        )


TARGETS = (
    Target("Korean organisations", "KR", 400),
    Target("Latvian organisations", "LV", 150),
    Target("Korean importers, distributors or wholesalers", "KR", 30, ("distributor",)),
    Target("Korean CROs or CDMOs", "KR", 20, ("cro", "cdmo")),
    Target("Korean device or diagnostics makers", "KR", 40, ("device-maker", "diagnostics-maker")),
)


def sector_group(record: Record) -> str:
    roles = record.data.get("roles") or []
    return _GROUP_OF_ROLE.get(roles[0], UNGROUPED) if roles else UNGROUPED


@dataclass
class Coverage:
    """Counts behind docs/data.md."""

    files: list[tuple[str, Counter]] = field(default_factory=list)
    groups: dict[str, Counter] = field(default_factory=dict)
    roles: dict[str, Counter] = field(default_factory=dict)
    totals: Counter = field(default_factory=Counter)
    targets: list[tuple[Target, int]] = field(default_factory=list)


def coverage(records: Sequence[Record], root: Path | None = None) -> Coverage:
    """Count records by file, country x sector group, country x role, and against TARGETS."""
    result = Coverage()
    by_file: dict[Path, Counter] = defaultdict(Counter)
    groups: dict[str, Counter] = defaultdict(Counter)
    roles: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        country = record.data.get("country", "?")
        by_file[record.path][country] += 1
        result.totals[country] += 1
        groups[sector_group(record)][country] += 1
        for role in record.data.get("roles") or ():
            roles[role][country] += 1
    for path, counts in by_file.items():
        name = str(path.relative_to(root)) if root else path.name
        result.files.append((name, counts))
    order = [*SECTOR_GROUPS, UNGROUPED]
    result.groups = {g: groups[g] for g in order if g in groups}
    result.roles = {r: roles[r] for r in ROLES if r in roles}
    result.targets = [(t, t.count(records)) for t in TARGETS]
    return result


def _row(cells: Iterable[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(title: str, rows: dict[str, Counter] | list[tuple[str, Counter]]) -> list[str]:
    items = rows.items() if isinstance(rows, dict) else rows
    lines = [_row([title, *COUNTRIES, "total"]), _row(["---", *(["---:"] * 3)])]
    for name, counts in items:
        lines.append(_row([name, *(counts[c] for c in COUNTRIES), sum(counts.values())]))
    return lines


def render_markdown(cov: Coverage) -> str:
    """docs/data.md: generated, so that the table never drifts from the data."""
    lines = [
        "# Data coverage",
        "",
        "<!-- Generated by data/coverage.py from data/companies.jsonl and data/batches/*.jsonl;"
        " do not edit by hand. A test fails when this file is out of date. -->",
        "",
        "Organisations in the data files, by country. How the files are curated and checked:"
        " [data/README.md](../data/README.md).",
        "",
        "## Targets of issue 16",
        "",
        _row(["target", "count", "minimum", "status"]),
        _row(["---", "---:", "---:", "---"]),
    ]
    for target, count in cov.targets:
        status = "met" if count >= target.minimum else "not met"
        lines.append(_row([target.label, count, target.minimum, status]))
    lines += [
        "",
        "Importers, CROs, CDMOs and makers are counted by `roles` (any position),"
        " so one organisation can count towards two targets.",
        "",
        "## Per file",
        "",
        *_table("file", cov.files),
        _row(["**all files**", *(cov.totals[c] for c in COUNTRIES), sum(cov.totals.values())]),
        "",
        "## Country × sector group",
        "",
        "Each organisation counts once, in the group of its first (most important) role.",
        "",
        *_table("sector group", cov.groups),
        "",
        "## Country × role",
        "",
        "Each organisation counts once for every role it holds (up to three).",
        "",
        *_table("role", cov.roles),
        "",
    ]
    return "\n".join(lines)
