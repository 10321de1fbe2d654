"""Reading a free-text need as a small profile: what the user needs, and what they offer.

"Korean distributor for our PCR kits" names a need (a distributor) *and* an
offer (PCR kits). Treated as one blob, it matches the Korean PCR-kit makers
best: the user's competitors. Split, it can be ranked like a profile: the
candidate should offer a distributor's services and want PCR kits, and a
candidate that offers PCR kits itself is a competitor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .profiles import split_phrases

_END = r"(?=\s+(?:and|but|so)\s+(?:we\s+)?(?:need|seek|want|look|are\s+looking)\b|[,;.]|$)"
_OWN_OFFER = [
    re.compile(
        r"\b(?:for|of|with|selling|distributing|to\s+sell|to\s+distribute)?\s*"
        r"\b(?:our|my)\s+(?P<offer>.+?)" + _END,
        re.IGNORECASE,
    ),
    re.compile(
        r"\bwe\s+(?:make|produce|offer|manufacture|sell|develop|provide|have|supply)\s+"
        r"(?P<offer>.+?)" + _END,
        re.IGNORECASE,
    ),
]
_NEED_VERBS = re.compile(
    r"^\s*(?:(?:and|but|so)\s+)?(?:we\s+)?(?:need|seek|want|are\s+looking\s+for|look\s+for|"
    r"looking\s+for)\s+(?:an?\s+)?",
    re.IGNORECASE,
)

_LEADING_JOIN = re.compile(r"^\s*(?:and|but|also|or|plus)\s+(?:also\s+)?(?:an?\s+)?", re.IGNORECASE)


@dataclass
class TextQuery:
    text: str
    needs: list[str]
    offers: list[str] = field(default_factory=list)


def parse_text_query(text: str) -> TextQuery:
    """Split a sentence into needs and the user's own offers ('our X', 'we make X')."""
    offers: list[str] = []
    remainder = text
    for pattern in _OWN_OFFER:
        for found in list(pattern.finditer(remainder)):
            offer = found.group("offer").strip(" ,;.")
            if offer:
                offers.append(offer)
        remainder = pattern.sub(" ", remainder)
    needs = []
    for part in split_phrases(remainder.replace(",", ";")):
        need = _NEED_VERBS.sub("", _LEADING_JOIN.sub("", part)).strip(" ,;.")
        if len(need) >= 3:
            needs.append(need)
    if not needs:
        needs = [text.strip()]
    return TextQuery(text=text, needs=needs, offers=list(dict.fromkeys(offers)))
