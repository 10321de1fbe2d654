"""``matchmaker serve``: the web app under waitress, with the model loaded and the ranker fitted.

The first search is fast because ``serve`` loads the model and fits the ranker
before it listens; the Flask development server is used only with ``--debug``.
"""

from __future__ import annotations

import click

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
        click.echo(f"Loading the model and fitting the ranker on {companies} companies...")
        resources.get_snapshot()  # fitted before listening; later refits run in the background
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
