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
from collections.abc import Callable

from babel.numbers import format_decimal

from .languages import N_

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


def known(reason: str) -> bool:
    """Whether :func:`translate` knows this wording (a test checks the ranker's)."""
    core = reason.removesuffix(_PARTIAL)
    return any(p.fullmatch(core) for p, _ in PATTERNS) or bool(
        _ALIKE.fullmatch(core) or _OPEN_TO.fullmatch(core)
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
    """The two reasons whose parts are themselves localised: a figure, type names."""
    alike = _ALIKE.fullmatch(core)
    if alike:
        value = format_decimal(float(alike["value"]), "0.00", locale=language)
        return gettext(N_("Profiles read alike (similarity %(value)s)")) % {"value": value}
    types = _OPEN_TO.fullmatch(core)
    if types:
        names = ", ".join(type_label(t, gettext) for t in types["types"].split(", "))
        return gettext(N_("Both open to: %(types)s")) % {"types": names}
    return None
