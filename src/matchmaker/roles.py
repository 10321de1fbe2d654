"""Organisation roles and markets: what a partner *is*, and where it sells.

A partner is not the most similar company: a Latvian generic maker entering
Korea needs a Korean *distributor* or *licensee*, not another generic maker.
Text similarity cannot tell those apart (docs/ranking.md, signal ceiling), so
profiles carry three structured fields from one controlled vocabulary:

* ``roles``: what the organisation is (``distributor``, ``cro``, ...);
* ``partner_roles``: what kinds of partner it looks for;
* ``markets``: the regions where it sells today or wants to go.

:data:`COMPATIBLE` says which roles do business with each other (a distributor
with a manufacturer entering its market, a CRO with a trial sponsor, a CDMO
with a developer without plants, a licensee with a licensor, an investor with
a company raising money). When a profile states no ``partner_roles``, the
roles compatible with its own stand in. The vocabulary is documented in
docs/roles.md; :mod:`matchmaker.role_inference` reads the fields from text
when an import does not give them.
"""

from __future__ import annotations

from collections.abc import Iterable

#: slug -> short English label (the vocabulary; docs/roles.md explains each)
ROLES: dict[str, str] = {
    "drug-developer": "drug developer / biotech",
    "pharma-company": "pharmaceutical company (finished medicines)",
    "api-maker": "API / intermediates maker",
    "biosimilar-maker": "biosimilar maker",
    "cdmo": "CDMO / CMO",
    "cro": "CRO",
    "hospital": "hospital / clinical site",
    "research-institute": "research institute / university",
    "distributor": "importer / distributor / wholesaler",
    "device-maker": "medical device maker",
    "diagnostics-maker": "diagnostics maker",
    "lab-services": "laboratory services",
    "lab-supplier": "lab instruments and reagents",
    "health-it": "health software / AI",
    "consumer-health": "consumer health / cosmetics",
    "investor": "investor / fund",
    "trade-agency": "trade or investment agency",
    "industry-association": "industry association / chamber",
    "consultancy": "regulatory / market-access consultancy",
    "logistics": "logistics / transport",
    "other-industry": "outside life sciences",
}

#: slug -> label of the regions a profile's ``markets`` may name
MARKETS: dict[str, str] = {
    "kr": "South Korea",
    "lv": "Latvia",
    "baltics": "the Baltic states",
    "eu": "the EU / EEA",
    "europe": "Europe",
    "cis": "CIS countries",
    "china": "China",
    "japan": "Japan",
    "asia": "Asia",
    "southeast-asia": "Southeast Asia",
    "middle-east": "the Middle East",
    "north-america": "North America",
    "latin-america": "Latin America",
    "africa": "Africa",
    "global": "worldwide",
}

#: European countries whose organisations appear in evaluation pools (EU, EEA, UK, CH)
EUROPEAN_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR"}
    | {"HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO"}
    | {"SE", "SI", "SK"}
)
_EU_AND_EEA = EUROPEAN_COUNTRIES - {"CH", "GB"}

#: which countries each market covers
_MARKET_COUNTRIES: dict[str, frozenset[str]] = {
    "kr": frozenset({"KR"}),
    "lv": frozenset({"LV"}),
    "baltics": frozenset({"LV", "LT", "EE"}),
    "eu": _EU_AND_EEA,
    "europe": EUROPEAN_COUNTRIES,
    "asia": frozenset({"KR", "CN", "JP"}),
    "global": EUROPEAN_COUNTRIES | {"KR"},
}

#: pairs of roles that do business with each other (symmetric)
_PAIRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "distributor",
        (
            "pharma-company",
            "drug-developer",
            "biosimilar-maker",
            "api-maker",
            "device-maker",
            "diagnostics-maker",
            "lab-supplier",
            "consumer-health",
            "logistics",
        ),
    ),
    (
        "pharma-company",
        (
            "drug-developer",
            "pharma-company",
            "api-maker",
            "biosimilar-maker",
            "cdmo",
            "cro",
            "hospital",
            "research-institute",
            "consultancy",
        ),
    ),
    ("drug-developer", ("cdmo", "cro", "hospital", "research-institute", "investor")),
    ("biosimilar-maker", ("cdmo", "cro", "hospital")),
    ("cro", ("cro", "hospital", "device-maker", "diagnostics-maker", "lab-services")),
    ("cdmo", ("consumer-health",)),
    ("hospital", ("device-maker", "diagnostics-maker", "health-it", "hospital")),
    ("research-institute", ("research-institute", "hospital", "lab-supplier", "investor")),
    ("investor", ("device-maker", "diagnostics-maker", "health-it", "investor")),
    ("lab-services", ("diagnostics-maker", "lab-supplier")),
    ("trade-agency", ("trade-agency", "industry-association", "investor")),
    ("industry-association", ("industry-association",)),
    ("consultancy", ("drug-developer", "device-maker", "diagnostics-maker")),
    ("logistics", ("logistics",)),
)


def _compatibility() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {role: set() for role in ROLES}
    for role, partners in _PAIRS:
        for partner in partners:
            table[role].add(partner)
            table[partner].add(role)
    return {role: frozenset(partners) for role, partners in table.items()}


#: role -> the roles it does business with
COMPATIBLE: dict[str, frozenset[str]] = _compatibility()


def check_roles(values: Iterable[str]) -> list[str]:
    """The values as vocabulary slugs, in order, without repeats; ValueError names a stranger."""
    return check_vocabulary(values, ROLES, "role")


def check_markets(values: Iterable[str]) -> list[str]:
    """The values as market slugs, in order, without repeats; ValueError names a stranger."""
    return check_vocabulary(values, MARKETS, "market")


def check_vocabulary(values: Iterable[str], vocabulary: dict[str, str], kind: str) -> list[str]:
    """``values`` as slugs of ``vocabulary``, in order, without repeats (every tag list)."""
    clean: list[str] = []
    for value in values:
        slug = value.strip().lower().replace(" ", "-").replace("_", "-")
        if slug not in vocabulary:
            raise ValueError(f"unknown {kind} {value!r} (one of: {', '.join(vocabulary)})")
        if slug not in clean:
            clean.append(slug)
    return clean


def default_partner_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles a company of these roles usually does business with."""
    wanted: set[str] = set()
    for role in roles:
        wanted |= COMPATIBLE.get(role, frozenset())
    return frozenset(wanted)


def market_covers(markets: Iterable[str], country: str) -> bool:
    """Whether any of ``markets`` includes ``country`` (an ISO code such as KR or DE)."""
    return any(country in _MARKET_COUNTRIES.get(m, frozenset()) for m in markets)


def region_countries(region: str) -> frozenset[str]:
    """Countries of a target region used by filters: a country code, or EU for Europe."""
    if region == "EU":
        return EUROPEAN_COUNTRIES
    return frozenset({region})
