"""Single-threaded BLAS (and torch) while ranking: process-wide settings shared by callers.

One ranking call multiplies small matrices: a few hundred candidates' phrases
against a query's handful. OpenBLAS splits even those over every core, and
when another process holds a core its threads spin waiting for each other: a
900 x 384 by 384 x 6 product took 3.6 to 4.9 ms with 2 threads on a busy
machine against 0.2 ms with one, and `match` at 100k profiles spent more time
waiting than ranking (docs/benchmarks.md, "Approximate stage 1 per country").
A web server already runs one request per thread, so one BLAS thread per call
loses nothing. Batches (ranking.batch) run a thread pool of their own and also
hold torch to one thread per worker.

The settings are process-wide, so concurrent callers share one counter: the
first sets them, the last restores them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

from threadpoolctl import ThreadpoolController


class SharedSetting:
    """A process-wide setting held while any caller needs it, restored when the last leaves."""

    def __init__(self, apply: Callable[[], Callable[[], None]]):
        #: sets the setting and returns what restores it
        self._apply = apply
        self._lock = threading.Lock()
        self._users = 0
        self._restore: Callable[[], None] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._restore = self._apply()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._restore is not None:
                    self._restore()
                    self._restore = None


_CONTROLLER: ThreadpoolController | None = None


def _single_blas() -> Callable[[], None]:
    """One BLAS thread; the controller that finds the libraries is built once (0.2 ms)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas").restore_original_limits


def _single_torch() -> Callable[[], None]:
    import torch  # only batches need it; a CLI `match` never imports torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    return lambda: torch.set_num_threads(before)


_BLAS = SharedSetting(_single_blas)
_TORCH = SharedSetting(_single_torch)


def one_blas_thread() -> AbstractContextManager[None]:
    """BLAS on one thread for one ranking call (match, query, similar)."""
    return _BLAS.held()


@contextmanager
def one_thread_per_worker() -> Iterator[None]:
    """BLAS and torch on one thread each, for a batch's own thread pool."""
    with ExitStack() as stack:
        stack.enter_context(_BLAS.held())
        stack.enter_context(_TORCH.held())
        yield
