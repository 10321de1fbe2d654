"""How prominent an organisation says it is: "largest wholesaler", "sales forces in 60 countries".

Among several companies of the right role for a query, the one that signs is
more often the large one: a Korean developer's licence goes to one of the big
in-licensers, a foreign maker enters Korea through one of its largest
wholesalers. Profiles rarely state a headcount (``employees`` is empty in every
evaluation pool), but their descriptions say it in words. This counts the kinds
of such evidence (capped), so ranking can prefer the prominent candidate of a
fitting role (signal ``prominence``, docs/ranking.md). English only for now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .profiles import Profile

#: kinds of evidence of size or reach; each counts once
CUES: tuple[str, ...] = (
    r"\b(?:largest|biggest)\b",
    r"\bleading\b|market leader|\bleader in\b",
    r"multinational|global (?:group|leader|company|pharma\w*)",
    r"\b\d{2,3} countries|worldwide|around the world",
    r"nationwide|sales forces?|sales network|subsidiaries",
    r"listed on|\bkospi\b|stock exchange",
    r"\bbillion\b",
    r"founded in 1[89]\d\d",
)
_CUES = [re.compile(c, re.IGNORECASE) for c in CUES]
CAP = 4


def prominence(profile: Profile) -> int:
    """How many kinds of size evidence the description and offers give, at most CAP."""
    text = f"{profile.description} {profile.offers}"
    return min(CAP, sum(bool(c.search(text)) for c in _CUES))


class ProminenceFit:
    """Each profile's prominence, read once; a candidate's value per query."""

    def fit(self, profiles: Sequence[Profile]) -> ProminenceFit:
        self.values_ = np.array([prominence(p) for p in profiles], dtype=float)
        return self

    def evidence(self, a: int, pool: np.ndarray) -> dict[str, np.ndarray]:
        return {"prominence": self.values_[pool]}
