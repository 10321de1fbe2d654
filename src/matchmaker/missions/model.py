"""What a trade mission is: days cut into slots, tables, participants, wishes, meetings.

Plain data with the arithmetic of slots (index -> day and time) and the checks
of a mission's settings, shared by the solver, the store and the front ends.
A slot is numbered from 0 across the whole mission: slot ``s`` is on day
``s // slots_per_day`` at ``day_start + (s % slots_per_day) * slot_minutes``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidInput

MAX_DAYS = 14
MAX_SLOTS_PER_DAY = 48
WISH_KINDS = ("must", "never")


class MissionError(InvalidInput):
    """A mission request a user can fix: a bad setting, an unknown company, a broken rule."""


@dataclass(frozen=True)
class Mission:
    """A mission's settings; ``cap`` is the default number of meetings per company."""

    name: str
    days: tuple[str, ...]
    day_start: str = "09:00"
    slot_minutes: int = 20
    slots_per_day: int = 24
    tables: int = 20
    cap: int = 8
    #: a meeting counts as "good" at this fit or above (every company should get one)
    good_fit: float = 0.5
    timezone: str = "Europe/Riga"
    id: int | None = None
    version: int = 1
    created_by: str = ""
    created_at: str = ""

    def __post_init__(self) -> None:
        check_mission(self)

    @property
    def slot_count(self) -> int:
        return len(self.days) * self.slots_per_day

    def slot_start(self, slot: int) -> datetime:
        """When slot ``slot`` begins, in the mission's time zone."""
        day, offset = divmod(slot, self.slots_per_day)
        start = datetime.combine(
            date.fromisoformat(self.days[day]),
            time.fromisoformat(self.day_start),
            tzinfo=ZoneInfo(self.timezone),
        )
        return start + timedelta(minutes=offset * self.slot_minutes)

    def slot_label(self, slot: int) -> str:
        """'Tue 12 May 09:20–09:40', as agendas and the grid print it."""
        start = self.slot_start(slot)
        end = start + timedelta(minutes=self.slot_minutes)
        return f"{start:%a %d %b %H:%M}–{end:%H:%M}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["days"] = list(self.days)
        return data


def check_mission(mission: Mission) -> None:
    """Refuse settings that cannot make a schedule, with the reason."""
    if not mission.name.strip():
        raise MissionError("a mission needs a name")
    if not 1 <= len(mission.days) <= MAX_DAYS:
        raise MissionError(f"a mission lasts 1 to {MAX_DAYS} days, not {len(mission.days)}")
    for day in mission.days:
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            raise MissionError(f"'{day}' is not a date; use YYYY-MM-DD") from None
    if len(set(mission.days)) != len(mission.days):
        raise MissionError("a day is listed twice")
    try:
        start = time.fromisoformat(mission.day_start)
    except (TypeError, ValueError):
        raise MissionError(f"'{mission.day_start}' is not a time of day; use HH:MM") from None
    if not 5 <= mission.slot_minutes <= 240:
        raise MissionError(f"a slot lasts 5 to 240 minutes, not {mission.slot_minutes}")
    if not 1 <= mission.slots_per_day <= MAX_SLOTS_PER_DAY:
        raise MissionError(
            f"a day has 1 to {MAX_SLOTS_PER_DAY} slots, not {mission.slots_per_day}"
        )
    minutes = start.hour * 60 + start.minute + mission.slots_per_day * mission.slot_minutes
    if minutes > 24 * 60:
        raise MissionError("the day's slots run past midnight; start earlier or use fewer slots")
    if not 1 <= mission.tables <= 1000:
        raise MissionError(f"tables must be between 1 and 1000, not {mission.tables}")
    if not 1 <= mission.cap <= mission.slot_count:
        raise MissionError(
            f"meetings per company must be between 1 and the {mission.slot_count} slots, "
            f"not {mission.cap}"
        )
    try:
        ZoneInfo(mission.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MissionError(f"'{mission.timezone}' is not a time zone (e.g. Europe/Riga)") from None


@dataclass(frozen=True)
class Participant:
    """A company taking part; ``cap`` None means the mission's default."""

    company_id: str
    name: str
    country: str
    cap: int | None = None
    unavailable: frozenset[int] = frozenset()
    deleted: bool = False

    def cap_in(self, mission: Mission) -> int:
        return mission.cap if self.cap is None else self.cap

    def free(self, mission: Mission) -> list[int]:
        return [s for s in range(mission.slot_count) if s not in self.unavailable]


@dataclass(frozen=True)
class Wish:
    """Two participants must meet, or must never meet; ``lv`` and ``kr`` are company ids."""

    lv: str
    kr: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in WISH_KINDS:
            raise MissionError(f"a wish is 'must' or 'never', not '{self.kind}'")


@dataclass
class Meeting:
    """One meeting of a plan: who (LV, KR), when (slot), where (table), and why."""

    slot: int
    table: int
    lv: str
    kr: str
    fit: float = 0.0
    #: why the KR company fits the LV one (read from the LV side), and the reverse
    reasons_lv: list[str] = field(default_factory=list)
    reasons_kr: list[str] = field(default_factory=list)
    by_hand: bool = False
    #: each side's partner score on the results page's scale (None in plans made before)
    lv_score: float | None = None
    kr_score: float | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return (self.lv, self.kr)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Meeting:
        return cls(**data)


@dataclass
class Plan:
    """One version of a mission's schedule, with who made it and how."""

    mission_id: int
    version: int
    meetings: list[Meeting]
    actor: str
    action: str
    at: str = ""
    note: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    def of(self, company_id: str) -> list[Meeting]:
        """A company's meetings, in time order."""
        return sorted(
            (m for m in self.meetings if company_id in m.pair), key=lambda m: (m.slot, m.table)
        )

    @property
    def total_fit(self) -> float:
        return round(sum(m.fit for m in self.meetings), 4)


def parse_days(text: str) -> tuple[str, ...]:
    """'2026-05-12, 2026-05-13' or '2026-05-12..2026-05-14' -> ISO dates, checked."""
    text = text.strip()
    if ".." in text:
        first, _, last = text.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
        except ValueError:
            raise MissionError(
                f"'{text}' is not a range of dates (YYYY-MM-DD..YYYY-MM-DD)"
            ) from None
        if end < start or (end - start).days >= MAX_DAYS:
            raise MissionError(f"'{text}' must run forwards and last at most {MAX_DAYS} days")
        return tuple((start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1))
    days = tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())
    if not days:
        raise MissionError("give the mission's days, e.g. 2026-05-12,2026-05-13")
    return days


def parse_slots(text: str, mission: Mission) -> frozenset[int]:
    """Slots from '0-5, 12, 30-47', '2026-05-13' (a whole day), '13:00-15:00' (every day)
    or '2026-05-13 13:00-15:00': companies give their availability as times, the
    forms and the CLI take either. A slot counts if any of it overlaps the time range."""
    slots: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = " ".join(part.split())
        if not part:
            continue
        if _SLOT_NUMBERS.fullmatch(part):
            slots.update(_numbered(part, mission))
        elif found := _DAY_AND_TIMES.fullmatch(part):
            slots.update(_timed(part, found, mission))
        else:
            raise MissionError(
                f"'{part}' is not a slot number or range such as 3-7, a day such as "
                f"{mission.days[0]}, or a time range such as 13:00-15:00"
            )
    return frozenset(slots)


_SLOT_NUMBERS = re.compile(r"\d+(?: ?- ?\d+)?")
_DAY_AND_TIMES = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})?(?: ?(?P<start>\d{1,2}:\d{2}) ?- ?(?P<end>\d{1,2}:\d{2}))?"
)


def _numbered(part: str, mission: Mission) -> range:
    first, _, last = part.replace(" ", "").partition("-")
    low, high = int(first), int(last or first)
    if not 0 <= low <= high < mission.slot_count:
        raise MissionError(
            f"slot range '{part}' is outside 0-{mission.slot_count - 1} for this mission"
        )
    return range(low, high + 1)


def _timed(part: str, found: re.Match, mission: Mission) -> list[int]:
    """The slots of a day and/or a time range (at least one of the two is given)."""
    if not found["day"] and not found["start"]:
        raise MissionError(f"'{part}' names neither a day nor a time range")
    days = list(range(len(mission.days)))
    if found["day"]:
        if found["day"] not in mission.days:
            raise MissionError(
                f"'{found['day']}' is not a day of this mission ({', '.join(mission.days)})"
            )
        days = [mission.days.index(found["day"])]
    low, high = 0, 24 * 60
    if found["start"]:
        low, high = _minutes(found["start"], part), _minutes(found["end"], part)
        if high <= low:
            raise MissionError(f"'{part}': the time range must end after it starts")
    first = _minutes(mission.day_start, part)
    slots = [
        day * mission.slots_per_day + offset
        for day in days
        for offset in range(mission.slots_per_day)
        if first + offset * mission.slot_minutes < high
        and first + (offset + 1) * mission.slot_minutes > low
    ]
    if not slots:
        last = first + mission.slots_per_day * mission.slot_minutes
        raise MissionError(
            f"'{part}' covers no slot: meetings run {mission.day_start}–"
            f"{last // 60:02d}:{last % 60:02d}"
        )
    return slots


def _minutes(clock: str, part: str) -> int:
    try:
        moment = time.fromisoformat(clock.zfill(5))
    except ValueError:
        raise MissionError(f"'{part}': {clock} is not a time of day (HH:MM)") from None
    return moment.hour * 60 + moment.minute


def format_slots(slots: frozenset[int] | set[int]) -> str:
    """The inverse of :func:`parse_slots`: runs of slots as ranges."""
    ordered, runs = sorted(slots), []
    for s in ordered:
        if runs and runs[-1][1] == s - 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
