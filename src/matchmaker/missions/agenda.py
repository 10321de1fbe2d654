"""What a mission plan becomes on paper: agendas, calendar files, the organisers' grid, charts.

* :func:`agenda_html`: one company's meetings as a self-contained printable page
  (inline CSS; print it or save it as PDF from the browser), with why each
  partner was chosen, read from that company's side;
* :func:`agenda_ics`: the same meetings as an iCalendar file (``icalendar``),
  times in the mission's time zone, one event per meeting;
* :func:`agendas_zip`: every participant's agenda (HTML and .ics) in one ZIP, to
  mail them out in one go;
* :func:`grid_xlsx`: the master grid for organisers (slots down, tables across)
  and a list of every meeting, with spreadsheet formulas neutralised;
* :func:`plan_charts`: the batch report's summary charts (score histogram,
  sector heatmap, most-met companies) drawn from the plan's meetings.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from babel.dates import format_skeleton, format_time
from jinja2 import Environment
from markupsafe import Markup

from .. import __version__, reason_texts
from ..formulas import neutralise
from ..languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    check_language,
    template_environment,
    translations,
)
from ..profiles import Profile
from ..ranking import Match
from ..reports import CompanyMatches, Report, ReportEntry, summarise
from ..reports.charts import COUNTRY_COLOURS, heatmap_svg, histogram_svg, top_partners_svg
from .model import Meeting, Mission, Participant, Plan


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> Environment:
    """The agenda template's environment in one language (gettext from the catalogues)."""
    env = template_environment("matchmaker.missions", language)
    gettext = translations(language)
    env.filters["reason"] = lambda value: reason_texts.translate(value, gettext.gettext, language)
    return env


def slot_label(mission: Mission, slot: int, language: str = DEFAULT_LANGUAGE) -> str:
    """A slot's day and times as ``language`` writes them ('Tue 12 May 09:20–09:40' in English)."""
    language = check_language(language)
    if language == DEFAULT_LANGUAGE:
        return mission.slot_label(slot)
    start = mission.slot_start(slot)
    end = start + timedelta(minutes=mission.slot_minutes)
    day = format_skeleton("MMMEd", start, locale=language)
    return f"{day} {format_time(start, 'HH:mm', locale=language)}–" + format_time(
        end, "HH:mm", locale=language
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
    mission: Mission,
    plan: Plan,
    company_id: str,
    people: Mapping[str, Participant],
    language: str = DEFAULT_LANGUAGE,
) -> list[AgendaRow]:
    """A company's meetings in time order, with the reasons read from its side."""
    rows = []
    for m in plan.of(company_id):
        lv_side = m.lv == company_id
        partner = participant(people, m.kr if lv_side else m.lv, language)
        reasons = m.reasons_lv if lv_side else m.reasons_kr
        when = slot_label(mission, m.slot, language)
        rows.append(AgendaRow(m.slot, when, m.table, partner, m.fit, reasons))
    return rows


def participant(
    people: Mapping[str, Participant], company_id: str, language: str = DEFAULT_LANGUAGE
) -> Participant:
    """The participant, or a stand-in for one taken out since this plan was made."""
    found = people.get(company_id)
    if found is not None:
        return found
    gone = translations(language).gettext("%(company)s (no longer taking part)")
    return Participant(company_id, gone % {"company": company_id}, "")


def agenda_html(
    mission: Mission,
    plan: Plan,
    company_id: str,
    people: Mapping[str, Participant],
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The printable agenda page of one participant, in ``language`` (the staff page's)."""
    language = check_language(language)
    return _environment(language).get_template("agenda.html").render(
        language=language,
        mission=mission,
        plan=plan,
        days=[format_skeleton("yMMMd", date.fromisoformat(d), locale=language)
              for d in mission.days],
        company=participant(people, company_id, language),
        rows=agenda_rows(mission, plan, company_id, people, language),
        colours=COUNTRY_COLOURS,
        version=__version__,
    )


def agenda_ics(
    mission: Mission,
    plan: Plan,
    company_id: str,
    people: Mapping[str, Participant],
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The participant's meetings as an iCalendar file (one VEVENT each), in ``language``."""
    from icalendar import Calendar, Event

    _ = translations(check_language(language)).gettext

    calendar = Calendar()
    calendar.add("prodid", f"-//matchmaker {__version__}//trade mission planner//EN")
    calendar.add("version", "2.0")
    company = participant(people, company_id, language).name
    calendar.add("x-wr-calname", f"{mission.name}: {company}")
    stamp = datetime.now(UTC)
    for row in agenda_rows(mission, plan, company_id, people, language):
        start = mission.slot_start(row.slot)
        event = Event()
        event.add("uid", f"mission-{mission.id}-{company_id}-{row.partner.company_id}@matchmaker")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=mission.slot_minutes))
        event.add("summary", _("Meeting: %(partner)s") % {"partner": row.partner.name})
        where = _("%(mission)s, table %(table)s") % {"mission": mission.name, "table": row.table}
        event.add("location", where)
        reasons = [reason_texts.translate(r, _, language) for r in row.reasons]
        event.add("description", "\n".join([_("Why this meeting:"), *reasons]))
        calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for the mission's zone, as RFC 5545 asks
    return calendar.to_ical()


def agendas_zip(
    mission: Mission,
    plan: Plan,
    people: Mapping[str, Participant],
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """Every current participant's agenda as ``agenda-MISSION-COMPANY.html`` and ``.ics``.

    Company ids are letters, digits, dots, dashes and underscores (profiles.py), so
    they are safe as file names inside the archive.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for company_id in sorted(c for c, p in people.items() if not p.deleted):
            stem = f"agenda-{mission.id}-{company_id}"
            html = agenda_html(mission, plan, company_id, people, language)
            archive.writestr(f"{stem}.html", html.encode("utf-8"))
            archive.writestr(f"{stem}.ics", agenda_ics(mission, plan, company_id, people, language))
    return out.getvalue()


def grid_xlsx(
    mission: Mission,
    plan: Plan,
    people: Mapping[str, Participant],
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The organisers' workbook: a Grid sheet (slot x table) and a Meetings sheet.

    Sheet names, headers and yes/no are in ``language`` (the page's, as reports are);
    names, slots and fits stay as they are.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    language = check_language(language)
    t = translations(language)
    book = Workbook()
    grid = book.active
    grid.title = t.pgettext("sheet", "Grid")
    tables = max([mission.tables, *(m.table for m in plan.meetings)])
    table_header = t.gettext("Table %(number)s")
    grid.append(
        [
            t.gettext("Slot"),
            t.gettext("Time"),
            *[table_header % {"number": n} for n in range(1, tables + 1)],
        ]
    )
    cells: dict[tuple[int, int], Meeting] = {(m.slot, m.table): m for m in plan.meetings}
    for slot in range(mission.slot_count):
        row: list = [slot, slot_label(mission, slot, language)]
        for table in range(1, tables + 1):
            meeting = cells.get((slot, table))
            row.append(
                neutralise(f"{participant(people, meeting.lv, language).name} × "
                           f"{participant(people, meeting.kr, language).name}")
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
    sheet = book.create_sheet(t.pgettext("sheet", "Meetings"))
    headers = (
        N_("Slot"), N_("Time"), N_("Table"), N_("LV company"), N_("KR company"), N_("Fit"),
        N_("By hand"), N_("Why"),
    )
    sheet.append([t.gettext(header) for header in headers])
    for m in plan.meetings:
        sheet.append(
            [
                m.slot,
                slot_label(mission, m.slot, language),
                m.table,
                neutralise(participant(people, m.lv, language).name),
                neutralise(participant(people, m.kr, language).name),
                m.fit,
                t.gettext("yes") if m.by_hand else "",
                neutralise(" | ".join(reason_texts.translate(r, t.gettext, language)
                                      for r in m.reasons_lv)),
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


def plan_charts(
    plan: Plan, profiles: Mapping[str, Profile], language: str = DEFAULT_LANGUAGE
) -> dict[str, Markup]:
    """The batch report's charts for the plan (fit histogram, sector heatmap, most met),
    with their words in ``language``."""
    summary = summarise(plan_report(plan, profiles))
    return {
        "histogram": histogram_svg(summary.score_bins, summary.strong_score, language),
        "heatmap": heatmap_svg(summary.heatmap, language=language),
        "partners": top_partners_svg(summary.top_partners, language),
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
