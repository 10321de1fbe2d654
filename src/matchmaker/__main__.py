"""`python -m matchmaker` runs the command line, with every command registered."""

from .cli import cli

cli(prog_name="matchmaker")
