"""Which rows of a fit lie in a region: worked out once per fit and region, not per call.

Every ``match`` keeps only candidates of the other country. Comparing every
row's country code (``np.isin`` over a string array) took about 1 ms a call at
100,000 companies and about 10 ms at a million (issue 14), for an answer that
never changes: a fit's ``countries_`` is never written in place (an incremental
update appends to a new array, ranking.incremental). So the answer is kept for
as long as that array lives, and dropped with it.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from ..roles import region_countries

#: (id of a countries_ array, region) -> its rows in the region, read-only.
_FOUND: dict[tuple[int, str], np.ndarray] = {}
#: ids of arrays whose entries are dropped when the array is collected.
_WATCHED: set[int] = set()
_LOCK = threading.Lock()


def region_rows(countries: np.ndarray, region: str) -> np.ndarray:
    """A read-only boolean row mask: True where ``countries`` lies in ``region``.

    ``region`` is a country code, or EU for every European country
    (roles.region_countries). Callers combine it into a mask of their own.
    """
    key = (id(countries), region)
    found = _FOUND.get(key)
    if found is not None and len(found) == len(countries):
        return found
    found = np.isin(countries, list(region_countries(region)))
    found.flags.writeable = False
    with _LOCK:
        if key[0] not in _WATCHED:
            weakref.finalize(countries, _forget, key[0])
            _WATCHED.add(key[0])
        _FOUND[key] = found
    return found


def _forget(array_id: int) -> None:
    """Drop what was kept for an array that no longer exists (its id may be reused)."""
    with _LOCK:
        _WATCHED.discard(array_id)
        for key in [k for k in _FOUND if k[0] == array_id]:
            del _FOUND[key]
