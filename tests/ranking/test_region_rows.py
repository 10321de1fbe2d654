"""The region mask of a fit is worked out once per fit and region (ranking.region_rows).

It must equal the comparison it replaces, never be written through, follow an
incremental update (a new, longer array) and be dropped with its array.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from matchmaker.ranking import region_rows as module
from matchmaker.ranking.region_rows import region_rows
from matchmaker.roles import EUROPEAN_COUNTRIES


def test_the_mask_equals_the_comparison_and_is_kept():
    countries = np.array(["LV", "KR", "DE", "KR", "US", "LV"])
    kr = region_rows(countries, "KR")
    assert kr.tolist() == [False, True, False, True, False, False]
    assert region_rows(countries, "KR") is kr  # the second call computes nothing
    eu = region_rows(countries, "EU")
    assert eu.tolist() == [c in EUROPEAN_COUNTRIES for c in countries]
    with pytest.raises(ValueError):
        kr[0] = True  # callers combine it into a mask of their own


def test_a_grown_array_gets_its_own_mask_and_a_dead_one_is_forgotten():
    countries = np.array(["LV", "KR"])
    assert region_rows(countries, "LV").tolist() == [True, False]
    grown = np.append(countries, "LV")  # what an incremental update hands the new ranker
    assert region_rows(grown, "LV").tolist() == [True, False, True]
    key = (id(countries), "LV")
    assert key in module._FOUND
    del countries
    gc.collect()
    assert key not in module._FOUND
