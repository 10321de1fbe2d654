"""``matchmaker reembed``: move the database's vectors to the running embedding model.

After the model changes (issue 11 made multilingual-e5-small the default), the
stored vectors belong to the old one and ranking refuses to mix them
(:func:`engine.check_vector_model`). One command re-embeds every company and
drops the old vectors; profiles, audit and revisions are not touched.
"""

from __future__ import annotations

import click

from ..service import Matchmaker, make_embedder
from .options import db_option, open_store, progress_printer, user_errors


@click.command()
@db_option
@user_errors
def reembed(db_path: str) -> None:
    """Re-embed every company with the running model (MATCHMAKER_MODEL); only vectors change.

    Run it after changing the model. Interrupted, it keeps what it finished; run
    it again to go on. Vectors of other models are dropped once all are done.
    """
    embedder = make_embedder()  # a missing model is named before the database
    with open_store(db_path) as store:
        done, dropped = Matchmaker(store, embedder).reembed(progress=progress_printer("Embedding"))
    click.echo(
        f"Embedded {done} field(s) with {embedder.model_id}; "
        f"dropped {dropped} vector row(s) of other models"
    )
