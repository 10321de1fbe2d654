"""How ``pytest -n 2 --dist loadfile`` shares the test files between its two workers.

pytest-xdist's own ``loadfile`` sends whole files, biggest test count first. Two things
made that slow here (docs/testing.md):

* the files that use the real model (``real_embedder``, and through it ``model_db``,
  ``shipped_db`` and the browser tests' ``server``) were spread over both workers, so
  each worker loaded the model, embedded the shipped data and started the browser
  server: the session fixtures meant to be built once were built twice;
* a file with many cheap tests (one per data record) went first and a file with one
  slow test (the flagship search over the shipped data) went last, so one worker
  finished minutes before the other.

``SharedModelScheduling`` keeps xdist's file scope, puts every file that uses the real
model into one work unit (so one worker builds those fixtures once), sends that unit
first and then the other files longest first, by the seconds they took in the last run
(kept in pytest's cache; the test count stands in for a file it has not seen). xdist's
``loadgroup`` was meant for the grouping but does nothing with pytest 9 (its group mark
goes to an attribute pytest 9 no longer reads), and the controller does not collect, so
the workers tell it which files use the model through small files in a shared folder.
The order only affects the wall time, never which tests run or what they see.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

#: the work unit of every file whose tests use the real model
SHARED_MODEL = "real-model files"
#: fixtures that load the real model; a test using one (even indirectly) joins the unit
MODEL_FIXTURES = frozenset({"real_embedder"})
#: the cache key of the seconds each test file took in the last run, per storage engine
SECONDS_KEY = "matchmaker/file-seconds/{engine}"
#: what an unseen test costs until a run has measured its file
SECONDS_PER_UNSEEN_TEST = 0.2


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def write_model_files(folder: str, worker: str, items: Iterable[pytest.Item]) -> None:
    """A worker's list of the files whose tests use the real model, for the controller."""
    files = sorted({file_of(i.nodeid) for i in items if MODEL_FIXTURES & set(i.fixturenames)})
    target = Path(folder) / f"{worker}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(files), encoding="utf-8")
    os.replace(partial, target)  # the controller never reads half a list


def read_model_files(folder: str) -> set[str]:
    return {f for path in Path(folder).glob("*.json") for f in json.loads(path.read_text())}


def make_scheduler(config: pytest.Config, log, folder: str, seconds_key: str):
    """The scheduler, built when xdist asks (its import only works with xdist installed)."""
    from xdist.scheduler import LoadFileScheduling

    class SharedModelScheduling(LoadFileScheduling):
        model_files: set[str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.model_files is None:  # every worker has collected by the first call
                self.model_files = read_model_files(folder)
            path = file_of(nodeid)
            return SHARED_MODEL if path in self.model_files else path

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "ordered", False):
                self.ordered = True
                units = sorted(self.workqueue.items(), key=self._cost, reverse=True)
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

        def _cost(self, unit: tuple[str, dict[str, bool]]) -> tuple[bool, float]:
            scope, tests = unit
            cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
            seconds = cache.get(seconds_key, {}) if cache else {}
            by_file: dict[str, int] = {}
            for nodeid in tests:
                by_file[file_of(nodeid)] = by_file.get(file_of(nodeid), 0) + 1
            cost = sum(
                seconds.get(path, count * SECONDS_PER_UNSEEN_TEST)
                for path, count in by_file.items()
            )
            return scope == SHARED_MODEL, cost

    return SharedModelScheduling(config, log)


class FileSeconds:
    """A plugin that adds up the seconds each test file takes and keeps them in the cache.

    Registered on the controller (or the one process without xdist), which sees every
    worker's reports. Only files that ran are updated, so a run of a few files keeps the
    others' figures.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path = file_of(report.nodeid)
        self.seconds[path] = self.seconds.get(path, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(session.config, "cache", None)  # None with -p no:cacheprovider
        if cache is None or not self.seconds:
            return
        known = cache.get(self.key, {})
        known.update({path: round(s, 2) for path, s in self.seconds.items()})
        cache.set(self.key, known)
