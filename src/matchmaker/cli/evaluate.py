"""Commands that measure and learn: ``eval`` (figures against baselines) and ``train``.

The one command module that calls :mod:`engine` rather than :class:`service.Matchmaker`
(tests/test_structure.py names it as the exception): it ranks the labelled sets' own
profile files, fitted in memory (:func:`engine.fit_in_memory`), never the database a
service stands on, so there is no store to hold, no revision to cache by and nothing
to embed into the vectors table.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import config, engine
from ..importing import parse_file
from ..model_comparison import CANDIDATE_MODELS
from .options import user_errors

#: the labelled sets `matchmaker eval` measures by default, strongest ground truth first
EVAL_SETS = (
    ("real deals (eval/deals)", "eval/deals/judgements.jsonl", "eval/deals/profiles.jsonl"),
    ("judged set A", "eval/partner_judgements.jsonl", "data/companies.jsonl"),
    ("judged set B, blind", "eval/partner_judgements_b.jsonl", "data/companies.jsonl"),
)
#: measured by `matchmaker eval` but never trained or tuned on (eval/deals batch c); its
#: pool is the real-deals pool plus the batch's own profiles, so the tuned set keeps its pool
HELD_OUT_SETS = (
    (
        "deals batch c, held out",
        "eval/deals/judgements_c.jsonl",
        ("eval/deals/profiles.jsonl", "eval/deals/profiles_c.jsonl"),
    ),
)


@click.command(name="eval")
@click.option(
    "--judgements",
    type=click.Path(exists=True, dir_okay=False),
    help="One labelled set to measure instead of the default ones (see eval/README.md).",
)
@click.option(
    "--profiles",
    default=("data/companies.jsonl",),
    show_default=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Candidate pool of --judgements (any import file; repeat to pool several files).",
)
@click.option(
    "--peers",
    default="../shared/benchmarks/sp500-peers/companies.jsonl",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="sp500-peers file for the similar-companies measurement (skipped if absent).",
)
@click.option("--per-query", is_flag=True, help="Also print nDCG@5 of each query.")
@click.option(
    "--infer-fields",
    is_flag=True,
    help="Strip roles, partner roles, markets, areas and product types from every profile "
    "and read them from text, as for imports that lack them (the hidden-set case).",
)
@click.option(
    "--models",
    default=",".join(CANDIDATE_MODELS),
    show_default=True,
    help="Embedding models compared on English and translated sets ('none': skip).",
)
@user_errors
def eval_cmd(
    judgements: str | None,
    profiles: tuple[str, ...],
    peers: str,
    per_query: bool,
    infer_fields: bool,
    models: str,
) -> None:
    """Measure partner ranking and similar companies against keyword and semantic baselines.

    Without --judgements: real deals, both judged sets, the held-out deals of batch c,
    then --models in EN and KO/LV.
    """
    from .. import evaluation, model_comparison

    sets = [("labelled set", judgements, profiles)] if judgements else [*EVAL_SETS, *HELD_OUT_SETS]
    embedder = engine.make_embedder()
    for title, judged, pool in sets:
        _eval_partner_set(evaluation, embedder, title, judged, pool, per_query, infer_fields)
    if Path(peers).is_file():
        companies = evaluation.load_peers(peers)
        click.echo(f"\nSimilar companies: sp500-peers, {len(companies)} companies")
        click.echo(f"{'system':<28} {'nDCG@10':>8} {'P@10':>7}")
        for s in evaluation.evaluate_similar(companies, embedder):
            click.echo(f"{s.system:<28} {s.ndcg10:>8.3f} {s.p10:>7.3f}")
    else:
        click.echo(f"\n(similar companies not measured: {peers} not found)")
    if not judgements and models != "none":
        model_comparison.report(models.split(","), engine.make_embedder, click.echo)


@click.command()
@click.option(
    "--out",
    default=lambda: config.get("learned_model"),
    show_default="models/partner-ranker.lgb (MATCHMAKER_LEARNED_MODEL)",
    type=click.Path(dir_okay=False),
    help="Where to write the model; its record goes beside it (.json).",
)
@user_errors
def train(out: str) -> None:
    """Learn partner ranking from outcomes (real deals, both judged sets), cross-validated.

    Company queries are split into five folds by query; each fold is scored by a
    model that never saw it, next to the fixed weights. The model is saved with
    what data and commit it came from, and is used by search only if it beats
    the fixed weights held out on every set.
    """
    from .. import training

    embedder = engine.make_embedder()
    report = training.train(EVAL_SETS, embedder, out)
    click.echo(f"nDCG@5 of company queries ({embedder.model_id}); held out = 5-fold by company")
    click.echo(f"{'set':<24} {'fixed':>7} {'learned, held out':>18} {'learned, in-sample':>19}")
    for name, row in report.items():
        click.echo(
            f"{name:<24} {row['fixed']:>7.3f} {row['learned']:>18.3f} {row['in_sample']:>19.3f}"
        )
    used = all(r["learned"] > r["fixed"] for r in report.values())
    click.echo(f"Wrote {out}: " + ("used by search" if used else "not used (fixed weights win)"))


def _eval_partner_set(
    evaluation,
    embedder,
    title: str,
    judged: str,
    pools: str | tuple[str, ...],
    per_query: bool,
    infer: bool = False,
):
    """Print one labelled set's scores for matchmaker and both baselines, from one fit."""
    pools = (pools,) if isinstance(pools, str) else tuple(pools)
    profiles = []
    for path in pools:
        parsed = parse_file(path, any_european=True)
        if not parsed.ok:
            raise click.ClickException(f"{path}: {parsed.errors[0]}")
        profiles.extend(parsed.profiles)
    pool = " + ".join(pools)
    if infer:
        profiles = evaluation.without_vocabulary_fields(profiles)
        title += ", structured fields read from text"
    queries = evaluation.load_judgements(judged)
    for warning in evaluation.check_pool(queries, profiles):
        click.echo(f"Warning: {warning}", err=True)
    ranker = engine.fit_in_memory(profiles, embedder)
    run = evaluation.PartnerEvaluation(profiles, ranker, embedder)
    run.learned = engine.learned_model(embedder.model_id)
    click.echo(
        f"Partner fit, {title}: {judged}, {len(queries)} queries over "
        f"{len(profiles)} profiles in {pool} ({embedder.model_id})"
    )
    click.echo(
        f"{'system':<28} {'nDCG@5':>7} {'nDCG@10':>8} {'MRR':>7} {'P@5':>6} {'comp@5':>8}"
        f" {'recall@5':>8}"
    )
    for scores in run.run(queries):
        click.echo(scores.row())
    if per_query:
        for q in queries:
            mine = evaluation.ndcg_at(run.rank_matchmaker(q), q.gains, 5)
            dense = evaluation.ndcg_at(run.rank_dense(q), q.gains, 5)
            bm25 = evaluation.ndcg_at(run.rank_bm25(q), q.gains, 5)
            click.echo(
                f"  {q.qid:<5} {q.company or q.text!s:<50.50} "
                f"mm {mine:.2f}  dense {dense:.2f}  bm25 {bm25:.2f}"
            )
    click.echo("")
