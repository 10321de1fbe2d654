"""Parsing what a browser or API client sends into core objects, and back for re-display.

Search parameters become :class:`ranking.Filters`; an edit form becomes the raw
mapping that :func:`profiles.validate_profile` checks, so the web applies
exactly the rules an import applies. Every parser collects *all* problems by
field, so a form can show each next to its input and keep what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from ..profiles import PARTNERSHIP_TYPES, ProfileError, normalise_country
from ..ranking import Filters

MAX_TOP = 100
DEFAULT_TOP = 10
_TYPES = {t.lower(): t for t in PARTNERSHIP_TYPES}
_TRUE = {"1", "true", "yes", "on"}


@dataclass
class SearchParams:
    """A search request: a company or a described need, a target country and filters."""

    company: str = ""
    q: str = ""
    country: str | None = None
    sectors: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    verified_only: bool = False
    min_employees: int | None = None
    top: int = DEFAULT_TOP
    errors: dict[str, str] = field(default_factory=dict)

    def filters(self, country: str | None = None) -> Filters:
        return Filters(
            country=country or self.country,
            sectors=list(self.sectors),
            partnership_types=list(self.types),
            verified_only=self.verified_only,
            min_employees=self.min_employees,
        )

    @property
    def filter_count(self) -> int:
        return len(self.sectors) + len(self.types) + self.verified_only + bool(self.min_employees)


def parse_search(args: MultiDict) -> SearchParams:
    """Read search parameters; problems go to ``errors`` by parameter name."""
    params = SearchParams(
        company=_one_line(args.get("company", "")),
        q=" ".join(str(args.get("q", "")).split())[:1000],
        sectors=[s.strip().lower() for s in args.getlist("sector") if s.strip()][:30],
        verified_only=str(args.get("verified_only", "")).lower() in _TRUE,
    )
    country = args.get("country", "").strip()
    if country:
        try:
            params.country = normalise_country(country)
        except ValueError as exc:
            params.errors["country"] = f"Country {exc}."
    for value in args.getlist("type"):
        canonical = _TYPES.get(" ".join(value.split()).lower())
        if canonical is None:
            params.errors["type"] = f"'{value[:40]}' is not a partnership type."
        elif canonical not in params.types:
            params.types.append(canonical)
    params.min_employees = _int_arg(args, "min_employees", 0, 10_000_000, params.errors)
    top = _int_arg(args, "top", 1, MAX_TOP, params.errors)
    params.top = top if top is not None else DEFAULT_TOP
    return params


def _one_line(value: str) -> str:
    return " ".join(str(value).split())[:200]


def _int_arg(args: MultiDict, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = str(args.get(name, "")).strip()
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError:
        errors[name] = f"{name} must be a whole number."
        return None
    if not low <= number <= high:
        errors[name] = f"{name} must be between {low} and {high}."
        return None
    return number


# -- the profile form -------------------------------------------------------

#: (field, label, kind, help) in the order the edit form shows them.
PROFILE_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("name", "Name", "text", "The common English name."),
    ("name_local", "Local name", "text", "In Latvian or Korean script, if known."),
    ("country", "Country", "country", ""),
    ("city", "City", "text", ""),
    ("sectors", "Sectors", "text", "Tags separated by ';', e.g. pharmaceuticals; generics."),
    ("description", "Description", "textarea", "One to three sentences of public facts."),
    ("offers", "Offers", "textarea", "What it can offer a partner: short phrases, one per line."),
    ("seeks", "Seeks", "textarea", "What partners it looks for: short phrases, one per line."),
    ("partnership_types", "Partnership types", "types", ""),
    # The vocabulary fields (docs/roles.md): on the form so that saving it keeps them.
    ("roles", "Roles", "text", "What it is, separated by ';', e.g. pharma-company; api-maker."),
    ("partner_roles", "Partner roles", "text", "Kinds of partner it looks for, e.g. distributor."),
    ("markets", "Markets", "text", "Where it sells or wants to go, e.g. kr; europe."),
    ("website", "Website", "url", "An http:// or https:// address."),
    ("employees", "Employees", "number", ""),
    ("founded", "Founded (year)", "number", ""),
    ("certifications", "Certifications", "text", "Separated by ';', e.g. EU-GMP; ISO 13485."),
    ("source", "Source", "textarea", "Where the facts come from."),
    ("verified", "Verified by staff", "checkbox", ""),
)
_TEXT_FIELDS = [name for name, _, kind, _ in PROFILE_FIELDS if kind not in ("types", "checkbox")]


def profile_form_values(content: Mapping[str, Any]) -> dict[str, Any]:
    """A stored profile's content as the strings (and type list) the form shows."""
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = content.get(name)
        if isinstance(value, list):
            value = "; ".join(value)
        values[name] = "" if value is None else str(value)
    values["partnership_types"] = list(content.get("partnership_types") or [])
    values["verified"] = bool(content.get("verified"))
    values["id"] = content.get("id") or ""
    return values


def form_values(form: MultiDict) -> dict[str, Any]:
    """What the user typed, kept as typed, for validation and for re-display."""
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in _TEXT_FIELDS}
    values["partnership_types"] = form.getlist("partnership_types")
    values["verified"] = str(form.get("verified", "")).lower() in _TRUE
    values["id"] = str(form.get("id", "")).strip()
    return values


def raw_profile(values: Mapping[str, Any], company_id: str | None) -> dict[str, Any]:
    """The mapping validate_profile checks; the id is the URL's for an edit."""
    raw = {name: values[name] for name in _TEXT_FIELDS}
    raw["partnership_types"] = list(values["partnership_types"])
    raw["verified"] = bool(values["verified"])
    raw["id"] = company_id if company_id is not None else values.get("id") or None
    return raw


def field_errors(exc: ProfileError) -> dict[str, list[str]]:
    """Problems by field name, each a sentence to show next to its input."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(error.field, []).append(_sentence(error.field, error.message))
    return errors


def _sentence(field_name: str, message: str) -> str:
    label = next((lbl for name, lbl, *_ in PROFILE_FIELDS if name == field_name), field_name)
    if field_name == "id":
        label = "Id"
    return f"{label} {message}."
