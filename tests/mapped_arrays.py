"""Whether an array's memory is a mapped file: a loaded fit reads pages, it does not copy."""

from __future__ import annotations

import mmap

import numpy as np


def memory_mapped(array) -> bool:
    """True when ``array`` or an array it views is backed by a memory map.

    A loaded fit hands out plain ndarray views of np.memmap arrays (fitted_state),
    so the check walks the chain of bases instead of asking for the subclass.
    """
    while array is not None:
        if isinstance(array, np.memmap | mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False
