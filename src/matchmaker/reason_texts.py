"""The ranker's reasons in the reader's language.

The ranker words its reasons in English (``ranking.explaining``), and the CLI, the API
and the JSON reports keep them so. Pages and the other reports show them translated:
each known wording is a pattern here, its quoted phrases and figures are taken out and
put into the translated sentence, so the quotes stay the companies' own words in their
own language. A wording this table does not know is shown as the ranker wrote it; a
test walks real results to make sure every reason the ranker gives is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from babel.numbers import format_decimal

from .languages import N_, NP_
from .ranking.explaining import _COUNTRY_ADJECTIVES, _COUNTRY_NAMES, ROLE_NOUNS, _plural
from .roles import MARKETS
from .therapy import AREAS, MODALITIES

A = r"(?P<a>“[^”]*”)"  # a quoted phrase, kept as quoted
B = r"(?P<b>“[^”]*”)"
_PARTIAL = " (partial match)"

#: (pattern of the English reason, the msgid of its sentence with the pattern's groups).
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        (rf"Is {A}: meets your need {B}", N_("Is %(a)s: meets your need %(b)s")),
        (rf"Offers {A} for your need {B}", N_("Offers %(a)s for your need %(b)s")),
        (rf"Seeks {A}, which is what you are", N_("Seeks %(a)s, which is what you are")),
        (rf"Seeks {A}, which you offer: {B}", N_("Seeks %(a)s, which you offer: %(b)s")),
        (rf"Is {A}: meets {B}", N_("Is %(a)s: meets %(b)s")),
        (rf"Offers {A} for {B}", N_("Offers %(a)s for %(b)s")),
        (rf"Seeks {A}, like {B}", N_("Seeks %(a)s, like %(b)s")),
        (
            r"No clear need-to-offer match; ranked on the overall profile",
            N_("No clear need-to-offer match; ranked on the overall profile"),
        ),
        (
            r"Caution: offers and seeks much like yours \(possible competitor\)",
            N_("Caution: offers and seeks much like yours (possible competitor)"),
        ),
        (
            r"No phrase matches closely; ranked on the overall profile",
            N_("No phrase matches closely; ranked on the overall profile"),
        ),
        (
            r"Caution: offers what you offer \(possible competitor\)",
            N_("Caution: offers what you offer (possible competitor)"),
        ),
        (
            r"Caution: possible competitor, offers what you offer",
            N_("Caution: possible competitor, offers what you offer"),
        ),
        (
            r"Caution: possible competitor, offers and seeks like yours",
            N_("Caution: possible competitor, offers and seeks like yours"),
        ),
        (
            rf"Seeks {A}, somewhat like what you are",
            N_("Seeks %(a)s, somewhat like what you are"),
        ),
        (r"Shared terms: (?P<terms>.*)", N_("Shared terms: %(terms)s")),
        (r"Shared sectors: (?P<sectors>.*)", N_("Shared sectors: %(sectors)s")),
    )
]
_ALIKE = re.compile(r"Profiles read alike \(similarity (?P<value>[0-9.]+)\)")
_OPEN_TO = re.compile(r"Both open to: (?P<types>.*)")
#: The partnership types as people read them (the stored value is the English word).
PARTNERSHIP_TYPE_LABELS = {
    "distribution": N_("distribution"),
    "licensing": N_("licensing"),
    "contract manufacturing": N_("contract manufacturing"),
    "clinical trials": N_("clinical trials"),
    "R&D": N_("R&D"),
    "supply": N_("supply"),
    "investment": N_("investment"),
    "joint venture": N_("joint venture"),
    "services": N_("services"),
    "technology integration": N_("technology integration"),
    "logistics": N_("logistics"),
    "export": N_("export"),
}

#: what the ranker calls an organisation (``explaining.ROLE_NOUNS``), as a sentence's subject
ROLE_LABELS = {
    "drug developer": NP_("organisation", "drug developer"),
    "pharma company": NP_("organisation", "pharma company"),
    "API maker": NP_("organisation", "API maker"),
    "biosimilar maker": NP_("organisation", "biosimilar maker"),
    "CDMO": NP_("organisation", "CDMO"),
    "CRO": NP_("organisation", "CRO"),
    "hospital": NP_("organisation", "hospital"),
    "research institute": NP_("organisation", "research institute"),
    "distributor": NP_("organisation", "distributor"),
    "device maker": NP_("organisation", "device maker"),
    "diagnostics maker": NP_("organisation", "diagnostics maker"),
    "lab services company": NP_("organisation", "lab services company"),
    "lab supplier": NP_("organisation", "lab supplier"),
    "health IT company": NP_("organisation", "health IT company"),
    "consumer health company": NP_("organisation", "consumer health company"),
    "investor": NP_("organisation", "investor"),
    "trade agency": NP_("organisation", "trade agency"),
    "industry association": NP_("organisation", "industry association"),
    "consultancy": NP_("organisation", "consultancy"),
    "logistics company": NP_("organisation", "logistics company"),
    "company": NP_("organisation", "company"),
}
#: the plural the ranker uses when no phrase names what is sought, as the object of
#: "seeks" (Latvian accusative "izplatītājus", Korean with its object particle "유통사를",
#: which only the noun knows; so not the subject forms above)
SOUGHT_ROLE_LABELS = {
    "drug developers": NP_("sought organisations", "drug developers"),
    "pharma companies": NP_("sought organisations", "pharma companies"),
    "API makers": NP_("sought organisations", "API makers"),
    "biosimilar makers": NP_("sought organisations", "biosimilar makers"),
    "CDMOs": NP_("sought organisations", "CDMOs"),
    "CROs": NP_("sought organisations", "CROs"),
    "hospitals": NP_("sought organisations", "hospitals"),
    "research institutes": NP_("sought organisations", "research institutes"),
    "distributors": NP_("sought organisations", "distributors"),
    "device makers": NP_("sought organisations", "device makers"),
    "diagnostics makers": NP_("sought organisations", "diagnostics makers"),
    "lab services companies": NP_("sought organisations", "lab services companies"),
    "lab suppliers": NP_("sought organisations", "lab suppliers"),
    "health IT companies": NP_("sought organisations", "health IT companies"),
    "consumer health companies": NP_("sought organisations", "consumer health companies"),
    "investors": NP_("sought organisations", "investors"),
    "trade agencies": NP_("sought organisations", "trade agencies"),
    "industry associations": NP_("sought organisations", "industry associations"),
    "consultancies": NP_("sought organisations", "consultancies"),
    "logistics companies": NP_("sought organisations", "logistics companies"),
    "companies": NP_("sought organisations", "companies"),
}
#: "Korean distributor": the country's word and the organisation, in the reader's order
COUNTRY_ORGANISATION = {
    "Korean": N_("Korean %(organisation)s"),
    "Latvian": N_("Latvian %(organisation)s"),
}
#: the markets (``roles.MARKETS``) and countries (explaining's) a market reason names
MARKET_LABELS = {
    "South Korea": NP_("market", "South Korea"),
    "Latvia": NP_("market", "Latvia"),
    "the Baltic states": NP_("market", "the Baltic states"),
    "the EU / EEA": NP_("market", "the EU / EEA"),
    "Europe": NP_("market", "Europe"),
    "CIS countries": NP_("market", "CIS countries"),
    "China": NP_("market", "China"),
    "Japan": NP_("market", "Japan"),
    "Asia": NP_("market", "Asia"),
    "Southeast Asia": NP_("market", "Southeast Asia"),
    "the Middle East": NP_("market", "the Middle East"),
    "North America": NP_("market", "North America"),
    "Latin America": NP_("market", "Latin America"),
    "Africa": NP_("market", "Africa"),
    "worldwide": NP_("market", "worldwide"),
}


def _one_of(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first ("lab services company" before "company")."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# The role and market wordings, built from the ranker's own tables so a new role or
# market shows up in the tests (``explaining._role_reasons``, ``_market_reasons``).
_NOUNS = _one_of(ROLE_NOUNS.values())
_CAPITALISED = _one_of(n[0].upper() + n[1:] for n in ROLE_NOUNS.values())
_WHO = (
    rf"(?:(?P<country>{_one_of(_COUNTRY_ADJECTIVES.values())}) (?P<noun>{_NOUNS})"
    rf"|(?P<bare>{_CAPITALISED}))"
)
_WANTED = rf"(?:{A}|(?P<roles>{_one_of(_plural(n) for n in ROLE_NOUNS.values())}))"
_TYPE = _one_of(PARTNERSHIP_TYPE_LABELS)
_TYPES = rf"(?:: (?P<types>(?:{_TYPE})(?:, (?:{_TYPE}))*))?"
_FOCUS = rf"(?:{_one_of([*AREAS, *MODALITIES])})"
#: the focus reason (``explaining._focus_reasons``): vocabulary slugs, shown as on the form
_SAME_FOCUS = re.compile(rf"Same focus as yours: (?P<focus>{_FOCUS}(?:, {_FOCUS})*)")
ROLE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        (
            rf"{_WHO} that seeks {_WANTED}, which you are{_TYPES}",
            N_("%(organisation)s that seeks %(wanted)s, which you are"),
        ),
        (rf"Seeks {_WANTED}, which you are{_TYPES}", N_("Seeks %(wanted)s, which you are")),
        (rf"{_WHO}, as you asked{_TYPES}", N_("%(organisation)s, as you asked")),
        (
            rf"{_WHO}: a kind of partner you seek{_TYPES}",
            N_("%(organisation)s: a kind of partner you seek"),
        ),
        (
            rf"Sells in or targets (?P<market>{_one_of(MARKETS.values())})",
            N_("Sells in or targets %(market)s"),
        ),
        (
            rf"In a market you target: (?P<market>{_one_of(_COUNTRY_NAMES.values())})",
            N_("In a market you target: %(market)s"),
        ),
    )
]
#: a seeking sentence when the ranker names kinds of organisation, not a quoted phrase:
#: ``%(organisations)s`` is already in the object form (see SOUGHT_ROLE_LABELS)
SEEKING_ROLES = {
    "%(organisation)s that seeks %(wanted)s, which you are": N_(
        "%(organisation)s that seeks %(organisations)s, which you are"
    ),
    "Seeks %(wanted)s, which you are": N_("Seeks %(organisations)s, which you are"),
}


def known(reason: str) -> bool:
    """Whether :func:`translate` knows this wording (a test checks the ranker's)."""
    core = reason.removesuffix(_PARTIAL)
    return any(p.fullmatch(core) for p, _ in PATTERNS + ROLE_PATTERNS) or bool(
        _ALIKE.fullmatch(core) or _OPEN_TO.fullmatch(core) or _SAME_FOCUS.fullmatch(core)
    )


def translate(reason: str, gettext: Callable[[str], str] = str, language: str = "en") -> str:
    """``reason`` in the language of ``gettext``, its quotes and figures as they were."""
    partial = reason.endswith(_PARTIAL)
    core = reason.removesuffix(_PARTIAL)
    translated = _special(core, gettext, language)
    if translated is None:
        for pattern, message in PATTERNS:
            found = pattern.fullmatch(core)
            if found:
                translated = gettext(message) % found.groupdict()
                break
    if translated is None:
        return reason
    if partial:
        return gettext(N_("%(reason)s (partial match)")) % {"reason": translated}
    return translated


def type_label(value: str, gettext: Callable[[str], str] = str) -> str:
    """A stored partnership type ('contract manufacturing') as the reader's word."""
    label = PARTNERSHIP_TYPE_LABELS.get(value)
    return gettext(label) if label else value


def _special(core: str, gettext: Callable[[str], str], language: str) -> str | None:
    """The reasons whose parts are themselves localised: a figure, type names, roles."""
    for pattern, message in ROLE_PATTERNS:
        found = pattern.fullmatch(core)
        if found:
            return _role_sentence(found, message, gettext)
    alike = _ALIKE.fullmatch(core)
    if alike:
        value = format_decimal(float(alike["value"]), "0.00", locale=language)
        return gettext(N_("Profiles read alike (similarity %(value)s)")) % {"value": value}
    focus = _SAME_FOCUS.fullmatch(core)
    if focus:
        return gettext(N_("Same focus as yours: %(focus)s")) % {"focus": focus["focus"]}
    types = _OPEN_TO.fullmatch(core)
    if types:
        names = ", ".join(type_label(t, gettext) for t in types["types"].split(", "))
        return gettext(N_("Both open to: %(types)s")) % {"types": names}
    return None


def _role_sentence(found: re.Match[str], message: str, gettext: Callable[[str], str]) -> str:
    """A role or market reason: organisation, what it seeks, market and types translated."""
    parts = found.groupdict()
    values = {"a": parts.get("a")}
    if parts.get("noun") or parts.get("bare"):
        values["organisation"] = _organisation(parts, gettext)
    if parts.get("roles"):  # no phrase names them: "Seeks distributors, which you are"
        kind = str(parts["roles"])
        values["organisations"] = _label(gettext, "sought organisations", SOUGHT_ROLE_LABELS, kind)
        message = SEEKING_ROLES[message]
    elif "roles" in parts:
        values["wanted"] = parts["a"]
    if parts.get("market"):
        values["market"] = _label(gettext, "market", MARKET_LABELS, parts["market"])
    sentence = gettext(message) % values
    if parts.get("types"):
        sentence += ": " + ", ".join(type_label(t, gettext) for t in parts["types"].split(", "))
    return sentence


def _organisation(parts: dict[str, str | None], gettext: Callable[[str], str]) -> str:
    """'Korean distributor' (country word and role noun) or a bare 'Distributor'."""
    if parts.get("bare"):
        bare = str(parts["bare"])
        english = next(n for n in ROLE_NOUNS.values() if n[0].upper() + n[1:] == bare)
        noun = _label(gettext, "organisation", ROLE_LABELS, english)
        return noun[0].upper() + noun[1:]
    noun = _label(gettext, "organisation", ROLE_LABELS, str(parts["noun"]))
    template = COUNTRY_ORGANISATION.get(str(parts["country"]))
    return gettext(template) % {"organisation": noun} if template else f"{parts['country']} {noun}"


def _label(
    gettext: Callable[[str], str], context: str, labels: Mapping[str, str], english: str
) -> str:
    """The ranker's ``english`` word as the reader's, looked up with its msgctxt ``context``.

    The callers hand a plain gettext only; a catalogue keeps a msgctxt entry under
    "context\\x04msgid" (the gettext convention), so it is looked up that way. A word
    without a label or translation (English) is given back as the ranker wrote it.
    """
    if english not in labels:
        return english
    key = f"{context}\x04{labels[english]}"  # a variable: not a msgid for extraction
    translated = gettext(key)
    return english if "\x04" in translated else translated
