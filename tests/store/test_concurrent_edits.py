"""Optimistic versions under real concurrency, on either engine (MATCHMAKER_TEST_DB).

Several connections save the same loaded version of one profile at the same moment:
exactly one edit lands, every other is refused as stale (the web app's 409), and the
audit trail holds exactly the edit that landed.
"""

from __future__ import annotations

import dataclasses
import threading

from matchmaker.store import StaleEditError, Store

WRITERS = 6


def test_of_simultaneous_edits_of_one_version_exactly_one_lands(store, tmp_db_path):
    loaded = store.get("han-generics")
    barrier = threading.Barrier(WRITERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(number: int) -> None:
        with Store.open(tmp_db_path, migrate=False) as own:
            barrier.wait()
            try:
                own.save(
                    dataclasses.replace(loaded, city=f"City {number}"),
                    actor=f"editor-{number}",
                    expected_version=loaded.version,
                )
                outcome = f"saved {number}"
            except StaleEditError:
                outcome = "stale"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    saved = [o for o in outcomes if o.startswith("saved")]
    assert len(saved) == 1 and outcomes.count("stale") == WRITERS - 1, outcomes
    winner = saved[0].split()[1]
    now = store.get("han-generics")
    assert now.version == loaded.version + 1 and now.city == f"City {winner}"
    edits = [e for e in store.history("han-generics") if e["action"] == "edit"]
    assert [(e["actor"], e["after"]) for e in edits] == [
        (f"editor-{winner}", {"city": f"City {winner}"})
    ]
