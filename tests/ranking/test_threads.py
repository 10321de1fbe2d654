"""BLAS runs on one thread during a ranking call, and the setting comes back afterwards."""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_info

from matchmaker.ranking.threads import SharedSetting, one_blas_thread


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_one_blas_thread_inside_and_restored_after():
    before = _blas_threads()
    with one_blas_thread():
        assert _blas_threads() == {1}
        with one_blas_thread():  # nested (a batch calling match): still one, no early restore
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert _blas_threads() == before


def test_the_last_of_concurrent_callers_restores():
    calls: list[str] = []
    setting = SharedSetting(lambda: calls.append("set") or (lambda: calls.append("restore")))
    first_in, release = threading.Event(), threading.Event()

    def hold() -> None:
        with setting.held():
            first_in.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    first_in.wait(5)
    with setting.held():
        assert calls == ["set"]  # the second caller does not set it again
    assert calls == ["set"]  # nor restore it while the first still holds it
    release.set()
    worker.join(5)
    assert calls == ["set", "restore"]
