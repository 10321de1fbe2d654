"""The ``matchmaker`` command line: a thin layer over the core modules.

One module per command group: :mod:`.data` (import, export, backup, restore,
judgements, embed, stats), :mod:`.search` (match, query, similar),
:mod:`.evaluate` (eval, train), :mod:`.report` and :mod:`.report_runs` (report,
report-worker), :mod:`.server` (serve), :mod:`.users` (user), :mod:`.missions`
(mission), :mod:`.duplicates`, :mod:`.database` (migrate) and :mod:`.models`
(reembed). Their shared options, error handling and helpers are in
:mod:`.options`. User mistakes (unknown id, missing database or model, bad
file) end with a one-line ``Error: ...`` and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import click

from .data import backup, embed, export, import_cmd, judgements, restore, stats
from .database import migrate
from .duplicates import duplicates
from .evaluate import eval_cmd, train
from .missions import mission
from .models import reembed
from .report import report
from .report_runs import report_worker
from .search import match, query, similar
from .server import serve
from .users import user


@click.group()
@click.version_option(package_name="matchmaker")
def cli() -> None:
    """Find partner companies across Latvia and South Korea."""


for _command in (import_cmd, export, backup, restore, judgements, match, query, similar):
    cli.add_command(_command)
for _command in (embed, stats, eval_cmd, train, report, serve, user, mission, duplicates, reembed):
    cli.add_command(_command)
cli.add_command(migrate)
cli.add_command(report_worker)
