"""What a mission plan becomes on paper: agendas, calendar files, the organisers' grid, charts.

* :func:`agenda_html`: one company's meetings as a self-contained printable page
  (inline CSS; print it or save it as PDF from the browser), with why each
  partner was chosen, read from that company's side;
* :func:`agenda_ics`: the same meetings as an iCalendar file (``icalendar``),
  times in the mission's time zone, one event per meeting;
* :func:`grid_xlsx`: the master grid for organisers (slots down, tables across)
  and a list of every meeting, with spreadsheet formulas neutralised;
* :func:`plan_charts`: the batch report's summary charts (score histogram,
  sector heatmap, most-met companies) drawn from the plan's meetings.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from .. import __version__
from ..formulas import neutralise
from ..profiles import Profile
from ..ranking import Match
from ..reports import CompanyMatches, Report, ReportEntry, summarise
from ..reports.charts import COUNTRY_COLOURS, heatmap_svg, histogram_svg, top_partners_svg
from .model import Meeting, Mission, Participant, Plan

_ENV = Environment(
    loader=PackageLoader("matchmaker.missions", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class AgendaRow:
    """One line of a company's agenda: when, where, with whom, why."""

    slot: int
    when: str
    table: int
    partner: Participant
    fit: float
    reasons: list[str]


def agenda_rows(
    mission: Mission, plan: Plan, company_id: str, people: Mapping[str, Participant]
) -> list[AgendaRow]:
    """A company's meetings in time order, with the reasons read from its side."""
    rows = []
    for m in plan.of(company_id):
        lv_side = m.lv == company_id
        partner = participant(people, m.kr if lv_side else m.lv)
        reasons = m.reasons_lv if lv_side else m.reasons_kr
        rows.append(AgendaRow(m.slot, mission.slot_label(m.slot), m.table, partner, m.fit, reasons))
    return rows


def participant(people: Mapping[str, Participant], company_id: str) -> Participant:
    """The participant, or a stand-in for one taken out since this plan was made."""
    found = people.get(company_id)
    if found is not None:
        return found
    return Participant(company_id, f"{company_id} (no longer taking part)", "")


def agenda_html(
    mission: Mission, plan: Plan, company_id: str, people: Mapping[str, Participant]
) -> str:
    """The printable agenda page of one participant."""
    return _ENV.get_template("agenda.html").render(
        mission=mission,
        plan=plan,
        company=participant(people, company_id),
        rows=agenda_rows(mission, plan, company_id, people),
        colours=COUNTRY_COLOURS,
        version=__version__,
    )


def agenda_ics(
    mission: Mission, plan: Plan, company_id: str, people: Mapping[str, Participant]
) -> bytes:
    """The participant's meetings as an iCalendar file (one VEVENT each)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", f"-//matchmaker {__version__}//trade mission planner//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{mission.name}: {participant(people, company_id).name}")
    stamp = datetime.now(UTC)
    for row in agenda_rows(mission, plan, company_id, people):
        start = mission.slot_start(row.slot)
        event = Event()
        event.add("uid", f"mission-{mission.id}-{company_id}-{row.partner.company_id}@matchmaker")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=mission.slot_minutes))
        event.add("summary", f"Meeting: {row.partner.name}")
        event.add("location", f"{mission.name}, table {row.table}")
        event.add("description", "\n".join(["Why this meeting:", *row.reasons]))
        calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for the mission's zone, as RFC 5545 asks
    return calendar.to_ical()


def grid_xlsx(mission: Mission, plan: Plan, people: Mapping[str, Participant]) -> bytes:
    """The organisers' workbook: a Grid sheet (slot x table) and a Meetings sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    grid = book.active
    grid.title = "Grid"
    tables = max([mission.tables, *(m.table for m in plan.meetings)])
    grid.append(["Slot", "Time", *[f"Table {t}" for t in range(1, tables + 1)]])
    cells: dict[tuple[int, int], Meeting] = {(m.slot, m.table): m for m in plan.meetings}
    for slot in range(mission.slot_count):
        row: list = [slot, mission.slot_label(slot)]
        for table in range(1, tables + 1):
            meeting = cells.get((slot, table))
            row.append(
                neutralise(f"{participant(people, meeting.lv).name} × "
                           f"{participant(people, meeting.kr).name}")
                if meeting
                else None
            )
        grid.append(row)
    grid.freeze_panes = "C2"
    grid.column_dimensions["B"].width = 24
    for index in range(3, tables + 3):
        grid.column_dimensions[get_column_letter(index)].width = 30
    for cell in grid[1]:
        cell.font = Font(bold=True)
    sheet = book.create_sheet("Meetings")
    sheet.append(["Slot", "Time", "Table", "LV company", "KR company", "Fit", "By hand", "Why"])
    for m in plan.meetings:
        sheet.append(
            [
                m.slot,
                mission.slot_label(m.slot),
                m.table,
                neutralise(participant(people, m.lv).name),
                neutralise(participant(people, m.kr).name),
                m.fit,
                "yes" if m.by_hand else "",
                neutralise(" | ".join(m.reasons_lv)),
            ]
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (6, 24, 7, 34, 34, 8, 8, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plan_report(plan: Plan, profiles: Mapping[str, Profile]) -> Report:
    """The plan as a batch report (every company with its meetings), for the summary charts."""
    sections = []
    for company_id, profile in profiles.items():
        entries = []
        for rank, m in enumerate(plan.of(company_id), start=1):
            other = profiles.get(m.kr if m.lv == company_id else m.lv)
            if other is not None:
                entries.append(ReportEntry(rank, _as_match(other, m)))
        sections.append(CompanyMatches(profile, entries))
    meta = {"title": "Mission plan", "parameters": {"strong_score": None}}
    return Report(meta=meta, sections=sections)


def plan_charts(plan: Plan, profiles: Mapping[str, Profile]) -> dict[str, Markup]:
    """The batch report's charts for the plan: fit histogram, sector heatmap, most met."""
    summary = summarise(plan_report(plan, profiles))
    return {
        "histogram": histogram_svg(summary.score_bins, summary.strong_score),
        "heatmap": heatmap_svg(summary.heatmap),
        "partners": top_partners_svg(summary.top_partners),
    }


def _as_match(partner: Profile, meeting: Meeting) -> Match:
    return Match(
        id=partner.id,
        name=partner.name,
        country=partner.country,
        score=meeting.fit,
        reasons=[],
        score_parts={},
        sectors=list(partner.sectors),
    )
