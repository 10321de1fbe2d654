"""Where the shared command helpers used to live; they are now in :mod:`matchmaker.cli.options`.

Kept (re-exports only) so that command modules written against the old name
still import; new code imports :mod:`matchmaker.cli.options`.
"""

from .cli.options import (  # noqa: F401
    count_of,
    db_option,
    make_filters,
    open_store,
    progress_printer,
    ranking_options,
    user_errors,
)
