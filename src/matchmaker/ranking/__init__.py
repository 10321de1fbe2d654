"""Ranking: partner fit, free-text search and similar companies.

The package's public names are re-exported here, so ``from matchmaker.ranking
import PartnerRanker`` works wherever the code lives. Where each idea lives:

* :mod:`.types`: :class:`Weights` (the one place to tune), :class:`Filters`,
  :class:`Match`, :class:`QueryResult`;
* :mod:`.partner`: :class:`PartnerRanker`, fitting, stage 1 and stage 2,
  similar companies;
* :mod:`.text`: free text; :mod:`.text_queries` reads the sentence first;
* :mod:`.batch`: many companies at once, for reports;
* :mod:`.phrases`, :mod:`.lexical`, :mod:`.signals`: phrase tables, BM25 and
  TF-IDF helpers, signal arithmetic;
* :mod:`.explaining`: the reasons shown with each match.

Ranking never touches the database: it is fitted on profiles and their vectors.
"""

from typing import Any

from .explaining import Explanation
from .lexical import BM25
from .partner import LearnedScorer, PartnerRanker
from .text_queries import TextQuery, parse_text_query
from .types import Filters, Match, QueryResult, Weights

__all__ = [
    "BM25",
    "Explanation",
    "Filters",
    "LearnedScorer",
    "Match",
    "NotFittedError",
    "PartnerRanker",
    "QueryResult",
    "TextQuery",
    "Weights",
    "parse_text_query",
]


def __getattr__(name: str) -> Any:
    """``NotFittedError`` is scikit-learn's, imported when asked for: importing the
    ranker must not import scikit-learn (a cold ``matchmaker match``, issue 14)."""
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
