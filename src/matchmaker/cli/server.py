"""``matchmaker serve``: the web app under waitress, with the model loaded and the ranker fitted.

The first search is fast because ``serve`` loads the model and fits the ranker
before it listens; the Flask development server is used only with ``--debug``.
"""

from __future__ import annotations

import time

import click

from ..fit_location import state_root
from ..store import Store, is_postgres_url
from ..web import create_app, resources
from ..web import reports as report_views
from .options import db_option, user_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--debug", is_flag=True, help="Flask's development server with reloading.")
@db_option
@user_errors
def serve(host: str, port: int, threads: int, debug: bool, db_path: str) -> None:
    """Serve the web app (partner search, staff curation, JSON API)."""
    if is_postgres_url(db_path):
        from ..store import postgres

        # one connection per request thread, and two for the refit and report workers
        postgres.reserve_connections(threads + 2)
    Store.open(db_path, check=True).close()  # a damaged file is refused before serving
    app = create_app({"DB": db_path})
    if debug and app.config["ENV"] == "production":
        raise click.ClickException("--debug is refused when MATCHMAKER_ENV=production")
    # One torch thread per request thread: torch's default pool (one thread per core)
    # waits for every core, so on a busy 2-core machine encoding a one-line search
    # took 550 ms instead of 27 ms (15 vs 19 ms when idle; README, "Speed").
    import torch  # only here: other commands need not pay for importing it

    torch.set_num_threads(1)
    with app.app_context():
        store = resources.get_store()
        companies = store.stats()["companies"]
        click.echo(f"Preparing the ranker for {companies} companies...")
        saved_before = _saved_fits(db_path)
        started = time.perf_counter()
        resources.get_snapshot()  # ready before listening; later refits run in the background
        click.echo(_how_ranker_started(db_path, saved_before, time.perf_counter() - started))
        resources.get_embedder().encode(["warm-up"])  # the first text search is fast too
        resumed = report_views.recover_jobs()
        if resumed:
            click.echo(f"Resuming {len(resumed)} report jobs cut off by the last shutdown.")
        resources.close_store()
    url = f"http://{host}:{port}"
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    import waitress

    click.echo(f"Serving matchmaker on {url} (waitress, {threads} threads); Ctrl+C stops it.")
    waitress.serve(app, host=host, port=port, threads=threads, ident="matchmaker")


def _saved_fits(db_path: str) -> set[str] | None:
    """The names of this database's saved fits (None: fits are not kept)."""
    root = state_root(db_path)
    if root is None:
        return None
    try:
        return {p.name for p in root.iterdir() if p.name.startswith("r")}
    except OSError:
        return set()


def _how_ranker_started(db_path: str, before: set[str] | None, seconds: float) -> str:
    """Whether the ranker was loaded or fitted, and where its fits are kept: an operator
    needs to know that a restart will load it (seconds) rather than fit (hours at 1M)."""
    after = _saved_fits(db_path)
    if after is None:
        return f"Ranker fitted in {seconds:.1f} s (not saved: MATCHMAKER_FIT_DIR=none)."
    root = state_root(db_path)
    if after - (before or set()):
        return f"Ranker fitted in {seconds:.1f} s and saved in {root} for restarts."
    if before:
        return f"Ranker loaded in {seconds:.1f} s from the saved fit in {root}."
    return (
        f"Ranker fitted in {seconds:.1f} s, but it could not be saved in {root}: "
        "every restart will fit again (is the folder writable?)."
    )
