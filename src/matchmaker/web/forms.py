"""Parsing what a browser or API client sends into core objects, and back for re-display.

Search parameters become :class:`ranking.Filters`; an edit form becomes the raw
mapping that :func:`profiles.validate_profile` checks, so the web applies
exactly the rules an import applies. Every parser collects *all* problems by
field, so a form can show each next to its input and keep what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString, format_number, get_locale, gettext
from flask_babel import lazy_gettext as _l
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
            params.errors["country"] = field_sentence("country", str(exc))
    for value in args.getlist("type"):
        canonical = _TYPES.get(" ".join(value.split()).lower())
        if canonical is None:
            params.errors["type"] = gettext(
                "“%(value)s” is not a partnership type.", value=value[:40]
            )
        elif canonical not in params.types:
            params.types.append(canonical)
    params.min_employees = _int_arg(args, "min_employees", 0, 10_000_000, params.errors)
    top = _int_arg(args, "top", 1, MAX_TOP, params.errors)
    params.top = top if top is not None else DEFAULT_TOP
    return params


def _one_line(value: str) -> str:
    return " ".join(str(value).split())[:200]


#: The search form's number fields, named as the form labels them.
SEARCH_NUMBER_LABELS = {"min_employees": _l("Minimum employees"), "top": _l("Results")}


def _int_arg(args: MultiDict, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = str(args.get(name, "")).strip()
    if not raw:
        return None
    label = SEARCH_NUMBER_LABELS.get(name, name)
    try:
        number = int(raw)
    except ValueError:
        errors[name] = gettext("%(field)s must be a whole number.", field=label)
        return None
    if not low <= number <= high:
        errors[name] = gettext(
            "%(field)s must be between %(low)s and %(high)s.",
            field=label,
            low=format_number(low),
            high=format_number(high),
        )
        return None
    return number


# -- the profile form -------------------------------------------------------

#: (field, label, kind, help) in the order the edit form shows them.
#: Labels and help are translated when a page shows them (lazy_gettext).
PROFILE_FIELDS: tuple[tuple[str, LazyString, str, LazyString | str], ...] = (
    ("name", _l("Name"), "text", _l("The common English name.")),
    ("name_local", _l("Local name"), "text", _l("In Latvian or Korean script, if known.")),
    ("country", _l("Country"), "country", ""),
    ("city", _l("City"), "text", ""),
    (
        "sectors",
        _l("Sectors"),
        "text",
        _l("Tags separated by ';', e.g. pharmaceuticals; generics."),
    ),
    (
        "description",
        _l("Description"),
        "textarea",
        _l("One to three sentences of public facts."),
    ),
    (
        "offers",
        _l("Offers"),
        "textarea",
        _l("What it can offer a partner: short phrases, one per line."),
    ),
    (
        "seeks",
        _l("Seeks"),
        "textarea",
        _l("What partners it looks for: short phrases, one per line."),
    ),
    ("partnership_types", _l("Partnership types"), "types", ""),
    # The vocabulary fields (docs/roles.md): on the form so that saving it keeps them.
    (
        "roles",
        _l("Roles"),
        "text",
        _l("What it is, separated by ';', e.g. pharma-company; api-maker."),
    ),
    (
        "partner_roles",
        _l("Partner roles"),
        "text",
        _l("Kinds of partner it looks for, e.g. distributor."),
    ),
    ("markets", _l("Markets"), "text", _l("Where it sells or wants to go, e.g. kr; europe.")),
    (
        "therapeutic_areas",
        _l("Therapeutic areas"),
        "text",
        _l("Disease areas it works in or wants, e.g. oncology; ophthalmology."),
    ),
    (
        "modalities",
        _l("Product types"),
        "text",
        _l("Kinds of product it makes, sells or wants, e.g. generics; biologics."),
    ),
    ("website", _l("Website"), "url", _l("An http:// or https:// address.")),
    ("employees", _l("Employees"), "number", ""),
    ("founded", _l("Founded (year)"), "number", ""),
    (
        "certifications",
        _l("Certifications"),
        "text",
        _l("Separated by ';', e.g. EU-GMP; ISO 13485."),
    ),
    ("source", _l("Source"), "textarea", _l("Where the facts come from.")),
    ("verified", _l("Verified by staff"), "checkbox", ""),
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
        errors.setdefault(error.field, []).append(field_sentence(error.field, error.message))
    return errors


def field_sentence(field_name: str, message: str) -> str:
    """The core's problem with a field ('is required') as a whole sentence to show.

    :mod:`matchmaker.profiles` words its problems in English for imports, the CLI and
    the API; a known wording is translated here as one sentence with the field's
    label, an unknown one is shown as 'Label message.'.
    """
    label = field_label(field_name)
    for pattern, sentence in FIELD_PROBLEMS:
        found = pattern.fullmatch(message)
        if found:
            return str(sentence) % {"field": label, **found.groupdict()}
    return f"{label} {message}."


def row_problem(message: str, field_name: str | None) -> str:
    """An import row's problem: as the core words it in English, else translated."""
    if get_locale() is None or get_locale().language == "en" or not field_name:
        return message
    sentence = field_sentence(field_name, message)
    return message if sentence == f"{field_label(field_name)} {message}." else sentence


def field_label(name: str) -> str:
    """A profile field's label in the page's language ('city' -> 'City', 'Pilsēta')."""
    if name == "id":
        return gettext("Id")
    for field_name, label, *_ in PROFILE_FIELDS:
        if field_name == name:
            return str(label)
    return name


#: The wordings of profiles.validate_profile's problems, as sentences with the field.
FIELD_PROBLEMS: list[tuple[re.Pattern[str], LazyString]] = [
    (re.compile(p), s)
    for p, s in (
        (r"is required", _l("%(field)s is required.")),
        (r"must be text", _l("%(field)s must be text.")),
        (
            r"is NaN or Infinity, which is not a value; give text or leave it out",
            _l("%(field)s is NaN or Infinity, which is not a value; give text or leave it out."),
        ),
        (
            r"contains control, bidirectional-override or invalid characters",
            _l("%(field)s contains control, bidirectional-override or invalid characters."),
        ),
        (
            r"is (?P<length>\d+) characters long; the limit is (?P<limit>\d+)",
            _l("%(field)s is %(length)s characters long; the limit is %(limit)s."),
        ),
        (
            r"may contain only letters, digits, '\.', '_' and '-' \(no spaces\)",
            _l("%(field)s may contain only letters, digits, '.', '_' and '-' (no spaces)."),
        ),
        (
            r"must be a list or a ';'-separated text",
            _l("%(field)s must be a list or a ';'-separated text."),
        ),
        (r"every item must be text", _l("%(field)s: every item must be text.")),
        (
            r"item '(?P<item>.*)' contains ';', which separates items",
            _l("%(field)s: the item “%(item)s” contains ';', which separates items."),
        ),
        (
            r"item '(?P<item>.*)…' is longer than (?P<limit>\d+) characters",
            _l("%(field)s: the item “%(item)s…” is longer than %(limit)s characters."),
        ),
        (
            r"has (?P<count>\d+) items; the limit is (?P<limit>\d+)",
            _l("%(field)s has %(count)s items; the limit is %(limit)s."),
        ),
        (
            r"'(?P<item>.*)' is not a partnership type; allowed: (?P<allowed>.*)",
            _l("%(field)s: “%(item)s” is not a partnership type; allowed: %(allowed)s."),
        ),
        (
            r"must be an http:// or https:// address",
            _l("%(field)s must be an http:// or https:// address."),
        ),
        (r"must be a whole number", _l("%(field)s must be a whole number.")),
        (
            r"must be between (?P<low>-?\d+) and (?P<high>-?\d+)",
            _l("%(field)s must be between %(low)s and %(high)s."),
        ),
        (r"must be true or false", _l("%(field)s must be true or false.")),
        (
            r"must be LV or KR \(Latvia, Latvija, South Korea, Korea, 대한민국 are accepted\)",
            _l(
                "%(field)s must be LV or KR (Latvia, Latvija, South Korea, Korea, 대한민국 "
                "are accepted)."
            ),
        ),
        (r"unknown field", _l("%(field)s is not a known field.")),
    )
]
