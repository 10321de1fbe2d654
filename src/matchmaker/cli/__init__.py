"""The ``matchmaker`` command line: a thin layer over the core modules.

One module per command group: :mod:`.data` (import, export, backup, restore,
judgements, embed, stats), :mod:`.search` (match, query, similar),
:mod:`.evaluate` (eval, train), :mod:`.report` and :mod:`.report_runs` (report,
report-worker), :mod:`.server` (serve), :mod:`.users` (user), :mod:`.missions`
(mission), :mod:`.duplicates`, :mod:`.database` (migrate) and :mod:`.models`
(reembed). Their shared options, error handling and helpers are in
:mod:`.options`. User mistakes (unknown id, missing database or model, bad
file) end with a one-line ``Error: ...`` and a non-zero exit, never a traceback.

Commands are imported when they run, not all at start: ``serve`` pulls in Flask,
``mission`` the CP-SAT solver, ``eval`` scikit-learn, and a cold ``matchmaker
match`` must answer in half a second (issue 14), so it imports only what
matching needs. ``matchmaker --help`` still lists (and so imports) them all.
"""

from __future__ import annotations

import importlib

import click

#: command name -> "module:attribute" under matchmaker.cli; declared once, as data
COMMANDS = {
    "import": "data:import_cmd",
    "export": "data:export",
    "backup": "data:backup",
    "restore": "data:restore",
    "judgements": "data:judgements",
    "match": "search:match",
    "query": "search:query",
    "similar": "search:similar",
    "embed": "data:embed",
    "stats": "data:stats",
    "eval": "evaluate:eval_cmd",
    "train": "evaluate:train",
    "report": "report:report",
    "serve": "server:serve",
    "user": "users:user",
    "mission": "missions:mission",
    "duplicates": "duplicates:duplicates",
    "reembed": "models:reembed",
    "migrate": "database:migrate",
    "report-worker": "report_runs:report_worker",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is used.

    The pattern of click's documentation ("Lazily loading subcommands"): the
    group knows the names, and :meth:`get_command` imports the one asked for.
    """

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="matchmaker")
def cli() -> None:
    """Find partner companies across Latvia and South Korea."""
