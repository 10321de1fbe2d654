"""Company profiles: the schema, validation and normalisation.

Everything that enters matchmaker (an import file, a web form, an API call)
passes through :func:`validate_profile`, which either returns a clean
:class:`Profile` or raises :class:`ProfileError` listing *every* problem
with the field it belongs to, so a user can fix a row in one pass.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidInput, InvalidProfile
from .roles import EUROPEAN_COUNTRIES, check_markets, check_roles
from .therapy import check_areas, check_modalities

COUNTRIES = {"LV": "Latvia", "KR": "South Korea"}

COUNTRY_ALIASES = {
    "lv": "LV",
    "lva": "LV",
    "latvia": "LV",
    "latvija": "LV",
    "republic of latvia": "LV",
    "kr": "KR",
    "kor": "KR",
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea, republic of": "KR",
    "대한민국": "KR",
    "한국": "KR",
}

PARTNERSHIP_TYPES = (
    "distribution",
    "licensing",
    "contract manufacturing",
    "clinical trials",
    "R&D",
    "supply",
    "investment",
    "joint venture",
    "services",
    "technology integration",
    "logistics",
    "export",
)
_PARTNERSHIP_LOOKUP = {p.lower(): p for p in PARTNERSHIP_TYPES}

#: Fields a user may supply, in the order exports write them.
INPUT_FIELDS = (
    "id",
    "name",
    "name_local",
    "country",
    "city",
    "sectors",
    "description",
    "offers",
    "seeks",
    "partnership_types",
    "roles",
    "partner_roles",
    "markets",
    "therapeutic_areas",
    "modalities",
    "website",
    "employees",
    "founded",
    "certifications",
    "source",
    "verified",
)
#: Fields the store maintains; accepted on input (so exports re-import) but ignored.
MANAGED_FIELDS = ("created_at", "updated_at", "version", "incomplete", "languages")
LIST_FIELDS = (
    "sectors",
    "partnership_types",
    "roles",
    "partner_roles",
    "markets",
    "therapeutic_areas",
    "modalities",
    "certifications",
)
#: Structured fields from the controlled vocabularies in roles.py and therapy.py
#: (docs/roles.md, docs/therapy.md): staff curate them, imports never clear them.
VOCABULARY_FIELDS = ("roles", "partner_roles", "markets", "therapeutic_areas", "modalities")
REQUIRED_FIELDS = ("name", "country", "description")

MAX_LENGTHS = {
    "id": 100,
    "name": 200,
    "name_local": 200,
    "city": 100,
    "description": 5000,
    "offers": 2000,
    "seeks": 2000,
    "website": 500,
    "source": 2000,
}
MAX_LIST_ITEMS = 30
MAX_LIST_ITEM_LENGTH = 100

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# C0 and C1 controls (except tab and newlines), bidi overrides/isolates, lone surrogates
# (JSON can spell them as \ud800 escapes, but SQLite cannot store them as UTF-8).
_FORBIDDEN_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# Characters a terminal or a page would not show as themselves: controls (ESC starts the
# sequences that retitle or clear a terminal), format characters (BOM, bidi, zero width),
# line separators, surrogates, private use and unassigned code points.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
BOM = "\ufeff"
_PHRASE_SPLIT = re.compile(r"[;\n•]+")
# A sentence ends at "." or ";" before a word that is not lower case: a capital in
# English or Latvian (Ā, Š), or any Hangul, which has no case (first_sentence).
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[^\W\d_])")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}


@dataclass
class Profile:
    """One company or organisation, as stored and ranked."""

    id: str
    name: str
    country: str
    description: str
    name_local: str | None = None
    city: str | None = None
    sectors: list[str] = field(default_factory=list)
    offers: str = ""
    seeks: str = ""
    partnership_types: list[str] = field(default_factory=list)
    #: what the organisation is, what partners it wants, where it sells (roles.py)
    roles: list[str] = field(default_factory=list)
    partner_roles: list[str] = field(default_factory=list)
    markets: list[str] = field(default_factory=list)
    #: disease areas and product types it works in or wants (therapy.py)
    therapeutic_areas: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    website: str | None = None
    employees: int | None = None
    founded: int | None = None
    certifications: list[str] = field(default_factory=list)
    source: str | None = None
    verified: bool = False
    created_at: str | None = None
    updated_at: str | None = None
    version: int = 0
    #: detected language ('en', 'lv', 'ko') of description, offers and seeks, kept by the
    #: store whenever the text changes (text_languages.py); empty until the profile is stored
    languages: dict[str, str] = field(default_factory=dict)

    @property
    def incomplete(self) -> bool:
        """A profile with neither offers nor seeks cannot be matched reciprocally."""
        return not (self.offers.strip() or self.seeks.strip())

    @property
    def offer_phrases(self) -> list[str]:
        return split_phrases(self.offers)

    @property
    def seek_phrases(self) -> list[str]:
        return split_phrases(self.seeks)

    @property
    def identity(self) -> str:
        """What the organisation *is*, in its own words: the description's first sentence.

        Needs often name a kind of organisation ("European research institute
        partners", "Korean distributor") while offers list products and services,
        so ranking lets this sentence meet a need as an offer phrase does.
        """
        return first_sentence(self.description)

    def content(self) -> dict[str, Any]:
        """The user-editable fields only: what an edit or import can change."""
        data = asdict(self)
        return {name: data[name] for name in INPUT_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        data = self.content()
        data.update(
            created_at=self.created_at,
            updated_at=self.updated_at,
            version=self.version,
            incomplete=self.incomplete,
            languages=dict(self.languages),
        )
        return data


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"field {self.field}: {self.message}"


class ProfileError(InvalidProfile):
    """Raised with every problem found in one profile."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def visible(text: str) -> str:
    """``text`` with every invisible or terminal-controlling character spelled as an escape.

    Field names and values from a file reach error messages; printed raw, an ESC
    sequence would retitle or clear the user's terminal, a BOM would be invisible,
    and a lone surrogate cannot even be encoded as UTF-8 (a JSON answer would fail).
    Tabs and spaces stay, everything else in these categories becomes ``\\x1b``,
    ``\\ufeff``, ``\\ud800``...
    """
    if text.isprintable():
        return text
    return "".join(
        _escape(char) if unicodedata.category(char) in _INVISIBLE_CATEGORIES else char
        for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\t":
        return char
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def unknown_field_error(key: Any) -> FieldError:
    """An unknown field, named so that the user can see it (and see a stray BOM in it)."""
    name = visible(str(key))
    if BOM in str(key):
        return FieldError(
            name,
            "unknown field: its name contains a byte order mark (U+FEFF), as when two files "
            "are joined; remove it",
        )
    return FieldError(name, "unknown field")


def split_phrases(text: str) -> list[str]:
    """Split an offers/seeks field into short phrases ('a; b; c' or one per line)."""
    return [p.strip(" .,\t") for p in _PHRASE_SPLIT.split(text or "") if p.strip(" .,\t")]


def first_sentence(text: str) -> str:
    """Text up to the first '.' or ';' followed by a word not in lower case, 20 characters in.

    The minimum length keeps abbreviations ("Dr. Smith", "JSC Grindeks") whole.
    "Not lower case" rather than "capitalised": Korean has no capitals, and
    Latvian ones (Ā, Š) are outside A-Z, yet both start sentences.
    """
    text = (text or "").strip()
    for end in _SENTENCE_END.finditer(text):
        if end.start() >= 20 and not text[end.end()].islower():
            return text[: end.start()]
    return text


def slugify(text: str) -> str:
    """ASCII slug: 'Paula Stradiņa slimnīca' -> 'paula-stradina-slimnica'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def make_id(name: str, country: str) -> str:
    """A stable id from name and country; names without Latin letters get a hash."""
    base = slugify(name) or "company-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{base[:80]}-{country.lower()}"


def normalise_country(value: Any, any_european: bool = False) -> str:
    """Map 'Latvia', 'Latvija', 'Republic of Korea', '대한민국'... to LV or KR.

    ``any_european`` also accepts the ISO code of any EU/EEA country, the UK and
    Switzerland: evaluation pools of real deals hold partners from all of Europe,
    while the product's database holds Latvian and Korean organisations only.
    """
    key = " ".join(unicodedata.normalize("NFC", str(value or "")).split()).lower()
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    if any_european and key.upper() in EUROPEAN_COUNTRIES:
        return key.upper()
    raise InvalidInput(
        "must be LV or KR (Latvia, Latvija, South Korea, Korea, 대한민국 are accepted)"
    )


def validate_profile(raw: Mapping[str, Any], any_european: bool = False) -> Profile:
    """Check and normalise one input record; raise ProfileError listing all problems.

    ``any_european`` accepts European countries besides LV (see normalise_country).
    """
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise ProfileError([FieldError("(row)", "must be an object with named fields")])
    for key in raw:
        if key not in INPUT_FIELDS and key not in MANAGED_FIELDS:
            errors.append(unknown_field_error(key))

    clean: dict[str, Any] = {}
    for name in INPUT_FIELDS:
        if name == "id":
            continue
        try:
            if name == "country":
                clean[name] = _parse_country(raw.get(name), any_european)
            else:
                clean[name] = _PARSERS[name](raw.get(name))
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    for name in REQUIRED_FIELDS:
        if name not in [e.field for e in errors] and not clean.get(name):
            errors.append(FieldError(name, "is required"))
    try:
        given_id = _parse_id(raw.get("id"))
    except ValueError as exc:
        errors.append(FieldError("id", str(exc)))
        given_id = None
    if errors:
        raise ProfileError(errors)
    clean["id"] = given_id or make_id(clean["name"], clean["country"])
    return Profile(**clean)


def _text(value: Any, name: str, required: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be text")
    if isinstance(value, float) and not math.isfinite(value):
        # JSON files may spell NaN and Infinity; stored, they became the text "nan"/"inf"
        raise ValueError("is NaN or Infinity, which is not a value; give text or leave it out")
    text = unicodedata.normalize("NFC", str(value)).lstrip("\ufeff").strip()
    if _FORBIDDEN_CHARS.search(text):
        raise ValueError("contains control, bidirectional-override or invalid characters")
    limit = MAX_LENGTHS.get(name)
    if limit and len(text) > limit:
        raise ValueError(f"is {len(text)} characters long; the limit is {limit}")
    return text


def _optional_text(name: str):
    def parse(value: Any) -> str | None:
        return _text(value, name) or None

    return parse


def _parse_id(value: Any) -> str | None:
    text = _text(value, "id")
    if not text:
        return None
    if not _ID_PATTERN.match(text):
        raise ValueError("may contain only letters, digits, '.', '_' and '-' (no spaces)")
    return text


def _parse_country(value: Any, any_european: bool = False) -> str:
    text = _text(value, "country")
    return normalise_country(text, any_european) if text else ""


def _parse_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(";")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValueError("must be a list or a ';'-separated text")
    cleaned = []
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ValueError("every item must be text")
        text = _text(item, "")
        if ";" in text:
            raise ValueError(f"item '{text[:30]}' contains ';', which separates items")
        if len(text) > MAX_LIST_ITEM_LENGTH:
            raise ValueError(
                f"item '{text[:30]}…' is longer than {MAX_LIST_ITEM_LENGTH} characters"
            )
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_LIST_ITEMS:
        raise ValueError(f"has {len(cleaned)} items; the limit is {MAX_LIST_ITEMS}")
    return cleaned


def _parse_sectors(value: Any) -> list[str]:
    return list(dict.fromkeys(s.lower() for s in _parse_list(value)))


def _parse_partnership_types(value: Any) -> list[str]:
    result = []
    for item in _parse_list(value):
        canonical = _PARTNERSHIP_LOOKUP.get(" ".join(item.split()).lower())
        if canonical is None:
            allowed = ", ".join(PARTNERSHIP_TYPES)
            raise ValueError(f"'{item}' is not a partnership type; allowed: {allowed}")
        if canonical not in result:
            result.append(canonical)
    return result


def _parse_website(value: Any) -> str | None:
    text = _text(value, "website")
    if not text:
        return None
    try:
        parts = urlsplit(text)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        ok = False
    # urlsplit silently drops tabs and newlines, so whitespace is checked on the text itself
    if not ok or any(c.isspace() for c in text):
        raise ValueError("must be an http:// or https:// address")
    return text


def _parse_int(low: int, high: int):
    def parse(value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            number = int(str(value).strip().replace(",", "").replace(" ", ""))
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false")


_PARSERS = {
    "name": lambda v: _text(v, "name"),
    "name_local": _optional_text("name_local"),
    "country": _parse_country,
    "city": _optional_text("city"),
    "sectors": _parse_sectors,
    "description": lambda v: _text(v, "description"),
    "offers": lambda v: _text(v, "offers"),
    "seeks": lambda v: _text(v, "seeks"),
    "partnership_types": _parse_partnership_types,
    "roles": lambda v: check_roles(_parse_list(v)),
    "partner_roles": lambda v: check_roles(_parse_list(v)),
    "markets": lambda v: check_markets(_parse_list(v)),
    "therapeutic_areas": lambda v: check_areas(_parse_list(v)),
    "modalities": lambda v: check_modalities(_parse_list(v)),
    "website": _parse_website,
    "employees": _parse_int(0, 10_000_000),
    "founded": _parse_int(1500, date.today().year),
    "certifications": _parse_list,
    "source": _optional_text("source"),
    "verified": _parse_bool,
}
