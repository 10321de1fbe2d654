"""Storage of trade missions: every SQL statement of the meeting planner lives here.

Beside :mod:`store` rather than inside it (store.py is long): a
:class:`MissionStore` works on an open :class:`Store`, its connection and its
write transactions (``BEGIN IMMEDIATE``), so a mission change and the checks it
depends on commit together or not at all. Each plan is kept as a numbered
version (never overwritten), and a new version must name the one it was made
from, so two staff adjusting the same plan cannot overwrite each other.
"""

from __future__ import annotations

import json
from typing import Any

from .missions.model import Meeting, Mission, MissionError, Participant, Plan, Wish
from .store import ConflictError, NotFoundError, Store, now

_SETTINGS = (
    "days",
    "day_start",
    "slot_minutes",
    "slots_per_day",
    "tables",
    "cap",
    "good_fit",
    "timezone",
)


class StalePlanError(ConflictError):
    """The plan changed since the editor loaded it; nothing was written."""


class MissionStore:
    """Missions, participants, wishes and plan versions in the matchmaker database."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db

    # -- missions -----------------------------------------------------------------

    def create(self, mission: Mission, actor: str) -> Mission:
        _check_good_fit(mission.good_fit)
        settings = {k: v for k, v in mission.to_dict().items() if k in _SETTINGS}
        stamp = now()
        with self.store._immediate():
            mission_id = self.db["missions"].insert(
                {
                    "name": mission.name.strip(),
                    "settings": json.dumps(settings),
                    "created_by": actor,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            ).last_pk
            self._log(mission_id, actor, "create", settings | {"name": mission.name})
        return self.get(mission_id)

    def get(self, mission_id: int) -> Mission:
        rows = list(self.db.query("SELECT * FROM missions WHERE id = ?", [mission_id]))
        if not rows:
            raise NotFoundError(f"no mission with id {mission_id}")
        return _mission(rows[0])

    def all(self) -> list[Mission]:
        return [_mission(r) for r in self.db.query("SELECT * FROM missions ORDER BY id DESC")]

    # -- participants ---------------------------------------------------------------

    def add_participant(
        self,
        mission_id: int,
        company_id: str,
        actor: str,
        cap: int | None = None,
        unavailable: frozenset[int] = frozenset(),
    ) -> Participant:
        mission = self.get(mission_id)
        _check_cap(cap, mission)
        with self.store._immediate():
            company = self._company(company_id)
            if self._participant_row(mission_id, company_id):
                raise MissionError(f"{company['name']} already takes part in this mission")
            self.db["mission_participants"].insert(
                {
                    "mission_id": mission_id,
                    "company_id": company_id,
                    "cap": cap,
                    "unavailable": json.dumps(sorted(unavailable)),
                }
            )
            self._log(mission_id, actor, "add participant", {"company_id": company_id})
        return self.participant(mission_id, company_id)

    def update_participant(
        self,
        mission_id: int,
        company_id: str,
        actor: str,
        cap: int | None,
        unavailable: frozenset[int],
    ) -> Participant:
        """Set a participant's cap (None: the mission's) and the slots it cannot meet in."""
        _check_cap(cap, self.get(mission_id))
        with self.store._immediate():
            if not self._participant_row(mission_id, company_id):
                raise NotFoundError(f"'{company_id}' does not take part in mission {mission_id}")
            self.db.execute(
                "UPDATE mission_participants SET cap = ?, unavailable = ? "
                "WHERE mission_id = ? AND company_id = ?",
                [cap, json.dumps(sorted(unavailable)), mission_id, company_id],
            )
            detail = {"company_id": company_id, "cap": cap, "unavailable": sorted(unavailable)}
            self._log(mission_id, actor, "update participant", detail)
        return self.participant(mission_id, company_id)

    def remove_participant(self, mission_id: int, company_id: str, actor: str) -> None:
        """Take a company out, with its wishes (its meetings leave at the next plan)."""
        with self.store._immediate():
            if not self._participant_row(mission_id, company_id):
                raise NotFoundError(f"'{company_id}' does not take part in mission {mission_id}")
            self.db.execute(
                "DELETE FROM mission_wishes WHERE mission_id = ? AND (lv = ? OR kr = ?)",
                [mission_id, company_id, company_id],
            )
            self.db.execute(
                "DELETE FROM mission_participants WHERE mission_id = ? AND company_id = ?",
                [mission_id, company_id],
            )
            self._log(mission_id, actor, "remove participant", {"company_id": company_id})

    def participants(self, mission_id: int) -> list[Participant]:
        """The participants, LV first, then by name."""
        rows = self.db.query(
            "SELECT p.company_id, p.cap, p.unavailable, c.name, c.country, c.deleted_at "
            "FROM mission_participants p JOIN companies c ON c.id = p.company_id "
            "WHERE p.mission_id = ? ORDER BY c.country != 'LV', c.name COLLATE NOCASE, c.id",
            [mission_id],
        )
        return [_participant(r) for r in rows]

    def participant(self, mission_id: int, company_id: str) -> Participant:
        for p in self.participants(mission_id):
            if p.company_id == company_id:
                return p
        raise NotFoundError(f"'{company_id}' does not take part in mission {mission_id}")

    # -- wishes -------------------------------------------------------------------

    def set_wish(self, mission_id: int, a: str, b: str, kind: str, actor: str) -> Wish:
        """Record that two participants must (or must never) meet; replaces an earlier wish."""
        with self.store._immediate():
            lv, kr = self._lv_kr(mission_id, a, b)
            wish = Wish(lv, kr, kind)
            self.db.execute(
                "INSERT OR REPLACE INTO mission_wishes (mission_id, lv, kr, kind) "
                "VALUES (?, ?, ?, ?)",
                [mission_id, lv, kr, kind],
            )
            self._log(mission_id, actor, "set wish", {"lv": lv, "kr": kr, "kind": kind})
        return wish

    def remove_wish(self, mission_id: int, a: str, b: str, actor: str) -> None:
        with self.store._immediate():
            lv, kr = self._lv_kr(mission_id, a, b)
            cursor = self.db.execute(
                "DELETE FROM mission_wishes WHERE mission_id = ? AND lv = ? AND kr = ?",
                [mission_id, lv, kr],
            )
            if cursor.rowcount != 1:
                raise NotFoundError(f"no wish for {lv} and {kr} in mission {mission_id}")
            self._log(mission_id, actor, "remove wish", {"lv": lv, "kr": kr})

    def wishes(self, mission_id: int) -> list[Wish]:
        rows = self.db.execute(
            "SELECT lv, kr, kind FROM mission_wishes WHERE mission_id = ? ORDER BY lv, kr",
            [mission_id],
        ).fetchall()
        return [Wish(*row) for row in rows]

    # -- plans ----------------------------------------------------------------------

    def save_plan(
        self,
        mission_id: int,
        meetings: list[Meeting],
        actor: str,
        action: str,
        expected_version: int,
        note: str = "",
        stats: dict[str, Any] | None = None,
    ) -> Plan:
        """Add the next plan version; refused if the latest is not ``expected_version``.

        ``expected_version`` is 0 for a mission without a plan yet.
        """
        self.get(mission_id)
        with self.store._immediate():
            latest = self._latest_version(mission_id)
            if latest != expected_version:
                raise StalePlanError(
                    f"the plan changed meanwhile (now version {latest}, you had version "
                    f"{expected_version}); nothing was written. Reload and try again"
                )
            self.db["mission_plans"].insert(
                {
                    "mission_id": mission_id,
                    "version": latest + 1,
                    "actor": actor,
                    "action": action,
                    "note": note,
                    "at": now(),
                    "meetings": json.dumps([m.to_dict() for m in meetings], ensure_ascii=False),
                    "stats": json.dumps(stats or {}, ensure_ascii=False),
                }
            )
        plan = self.plan(mission_id, latest + 1)
        assert plan is not None
        return plan

    def plan(self, mission_id: int, version: int | None = None) -> Plan | None:
        """A plan version (default: the latest), or None before the first plan."""
        if version is None:
            version = self._latest_version(mission_id)
        rows = list(
            self.db.query(
                "SELECT * FROM mission_plans WHERE mission_id = ? AND version = ?",
                [mission_id, version],
            )
        )
        return _plan(rows[0]) if rows else None

    def plan_history(self, mission_id: int) -> list[dict[str, Any]]:
        """Every plan version, newest first: who made it, how, and its size and total fit."""
        history = []
        for row in self.db.query(
            "SELECT * FROM mission_plans WHERE mission_id = ? ORDER BY version DESC", [mission_id]
        ):
            plan = _plan(row)
            history.append(
                {
                    "version": plan.version,
                    "actor": plan.actor,
                    "action": plan.action,
                    "note": plan.note,
                    "at": plan.at,
                    "meetings": len(plan.meetings),
                    "total_fit": plan.total_fit,
                }
            )
        return history

    def log(self, mission_id: int, limit: int = 200) -> list[dict[str, Any]]:
        """The mission's audit log (participants, wishes, settings), newest first."""
        rows = self.db.query(
            "SELECT * FROM mission_log WHERE mission_id = ? ORDER BY id DESC LIMIT ?",
            [mission_id, limit],
        )
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]

    # -- helpers --------------------------------------------------------------------

    def _latest_version(self, mission_id: int) -> int:
        row = self.db.execute(
            "SELECT MAX(version) FROM mission_plans WHERE mission_id = ?", [mission_id]
        ).fetchone()
        return int(row[0] or 0)

    def _company(self, company_id: str) -> dict[str, Any]:
        rows = list(self.db.query("SELECT * FROM companies WHERE id = ?", [company_id]))
        if not rows or rows[0]["deleted_at"]:
            raise NotFoundError(f"no company with id '{company_id}'")
        return rows[0]

    def _participant_row(self, mission_id: int, company_id: str) -> bool:
        return bool(
            self.db.execute(
                "SELECT 1 FROM mission_participants WHERE mission_id = ? AND company_id = ?",
                [mission_id, company_id],
            ).fetchone()
        )

    def _lv_kr(self, mission_id: int, a: str, b: str) -> tuple[str, str]:
        """The two participants as (LV id, KR id); refuses non-participants and one country."""
        countries = {}
        for cid in (a, b):
            row = self.db.execute(
                "SELECT c.country FROM mission_participants p JOIN companies c "
                "ON c.id = p.company_id WHERE p.mission_id = ? AND p.company_id = ?",
                [mission_id, cid],
            ).fetchone()
            if row is None:
                raise MissionError(f"'{cid}' does not take part in this mission")
            countries[cid] = row[0]
        if countries[a] == countries[b]:
            raise MissionError(
                "meetings are between a Latvian and a Korean company; "
                f"'{a}' and '{b}' are both {countries[a]}"
            )
        return (a, b) if countries[a] == "LV" else (b, a)

    def _log(self, mission_id: int, actor: str, action: str, detail: dict[str, Any]) -> None:
        self.db["mission_log"].insert(
            {
                "mission_id": mission_id,
                "actor": actor,
                "action": action,
                "at": now(),
                "detail": json.dumps(detail, ensure_ascii=False),
            }
        )


def _check_good_fit(good_fit: float) -> None:
    """A fit is between 0 and 1 (missions.fit): 7 would make no meeting good, NaN is not
    JSON. Checked when a mission is made, not when one is read: missions made before the
    fit had this scale keep loading."""
    if not 0 <= good_fit <= 1:  # also False for NaN
        raise MissionError(f"a good fit is between 0 and 1 (0.5: a 'good fit'), not {good_fit}")


def _check_cap(cap: int | None, mission: Mission) -> None:
    if cap is not None and not 0 <= cap <= mission.slot_count:
        raise MissionError(f"a cap is between 0 and the {mission.slot_count} slots, not {cap}")


def _mission(row: dict[str, Any]) -> Mission:
    settings = json.loads(row["settings"])
    settings["days"] = tuple(settings["days"])
    return Mission(
        name=row["name"],
        id=row["id"],
        version=row["version"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        **settings,
    )


def _participant(row: dict[str, Any]) -> Participant:
    return Participant(
        company_id=row["company_id"],
        name=row["name"],
        country=row["country"],
        cap=row["cap"],
        unavailable=frozenset(json.loads(row["unavailable"])),
        deleted=bool(row["deleted_at"]),
    )


def _plan(row: dict[str, Any]) -> Plan:
    return Plan(
        mission_id=row["mission_id"],
        version=row["version"],
        meetings=[Meeting.from_dict(m) for m in json.loads(row["meetings"])],
        actor=row["actor"],
        action=row["action"],
        at=row["at"],
        note=row["note"],
        stats=json.loads(row["stats"]),
    )
