"""A report job's progress and outcome in the page's language.

A job runs in a background thread with no request (no language), and its row keeps
the message in English, so every reader of the row (another process, the log) sees
the same text. Pages and the progress poll translate it when they show it: each
wording the job writes is a pattern here, its figures are carried over. A message
this table does not know (a core error, say) is shown as written.
"""

from __future__ import annotations

import re

from flask_babel import format_decimal, get_translations

from ..languages import N_

#: Figures as the language writes them, every digit kept (0.000277778 hours, 1 000).
FIGURE = "#,##0.#########"

#: (the English message as the job words it, the msgid of its sentence).
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), message)
    for p, message in (
        (r"Waiting for another report to finish\.", N_("Waiting for another report to finish.")),
        (
            r"Resumed after a server restart; waiting for another report to finish\.",
            N_("Resumed after a server restart; waiting for another report to finish."),
        ),
        (r"Bringing embeddings up to date\.", N_("Bringing embeddings up to date.")),
        (
            r"Ranked (?P<done>\d+) of (?P<total>\d+)\.",
            N_("Ranked %(done)s of %(total)s."),
        ),
        (
            r"Embedding changed profiles: (?P<done>\d+) of (?P<total>\d+) fields\.",
            N_("Embedding changed profiles: %(done)s of %(total)s fields."),
        ),
        (r"Writing the file\.", N_("Writing the file.")),
        (
            r"(?P<companies>\d+) companies, (?P<matches>\d+) matches\.",
            N_("%(companies)s companies, %(matches)s matches."),
        ),
        (
            r"(?P<companies>\d+) companies, (?P<matches>\d+) matches \((?P<new>\d+) new\)\.",
            N_("%(companies)s companies, %(matches)s matches (%(new)s new)."),
        ),
        (
            r"The report failed; see the server log\.",
            N_("The report failed; see the server log."),
        ),
        (
            r"The file is no longer on the server \(its folder was cleared\); run the report "
            r"again\.",
            N_("The file is no longer on the server (its folder was cleared); run the report "
               "again."),
        ),
        (
            r"The file was deleted (?P<hours>[\d.]+) hours after it was made, as all reports "
            r"are; run the report again\.",
            N_("The file was deleted %(hours)s hours after it was made, as all reports are; "
               "run the report again."),
        ),
    )
]


def translate(message: str | None) -> str:
    """``message`` of a job in the page's language; figures kept, unknown text as is."""
    if not message:
        return message or ""
    for pattern, msgid in PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            values = {k: format_decimal(float(v), FIGURE) for k, v in found.groupdict().items()}
            return get_translations().ugettext(msgid) % values
    return message
