"""One object a front end holds: :class:`Matchmaker`, the database with its embedder and ranker.

A front end parses input, calls one method here and renders what comes back.
Writes (import, save, delete, restore) embed what they changed; reads (match,
query, similar, report) answer from a ranker fitted on the data revision they
read, fitted once and kept until the data moves on. "Get a fitted ranker" is
written here and nowhere else in the CLI; :mod:`engine` keeps the steps this
object is made of (the web app's live index calls them too).

The command line and the web package import from here, never from :mod:`engine`
(tests/test_structure.py checks it): this module re-exports the two things they
need before a service exists, the :data:`Progress` callback type and
:func:`make_embedder` (a command builds the embedder before it opens the
database, so a missing model is refused before a file is created).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .embedding import Embedder
from .engine import (
    Progress,
    count_stale,
    fitted_ranker,
    import_profiles,
    make_embedder,
    save_and_embed,
)
from .engine import reembed as reembed_every_profile
from .importing import ParsedFile
from .indexing import embed_profiles
from .profiles import Profile
from .ranking import Filters, Match, PartnerRanker, QueryResult
from .store import Store, UpsertSummary

if TYPE_CHECKING:  # reports bring Jinja and Babel: imported when a report is made
    from .reports import Fitter, PreviousReport, Report, ReportSpec

__all__ = ["Matchmaker", "Progress", "make_embedder"]


class Matchmaker:
    """The service over one open :class:`Store`; the caller opens and closes the store.

    ``embedder`` defaults to the configured one (loaded on first use, since
    commands such as ``export`` never need the model). ``progress`` reports the
    embedding of stale profiles when a ranker is fitted. ``fitter`` replaces
    fitting with a ranker kept elsewhere: the web app passes its live index's,
    so a report job shares the ranker that searches use instead of fitting a
    second copy (at 100k companies, a minute of work and a gigabyte of memory).
    ``reproducible`` (CLI reports): the ranker is the saved or full fit of the revision,
    never an older fit brought forward, so every process of a report run, on any
    machine, ranks with the same one (:func:`engine.fitted_ranker`).
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None = None,
        progress: Progress | None = None,
        fitter: Fitter | None = None,
        reproducible: bool = False,
    ):
        self.store = store
        self._embedder = embedder
        self.progress = progress
        self.fitter = fitter
        self.reproducible = reproducible
        self._ranker: PartnerRanker | None = None
        self._ranker_revision: int | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder()
        return self._embedder

    @property
    def model_id(self) -> str:
        """The running model's name and version: stored vectors are kept per model id."""
        return self.embedder.model_id

    # -- the embeddings ------------------------------------------------------------------

    def stale_field_count(self) -> int:
        """Profile fields whose vector for the running model is missing or out of date."""
        return count_stale(self.store, self.embedder)

    def embed_stale(self, progress: Progress | None = None) -> int:
        """Embed the fields whose text changed since they were last embedded; how many."""
        return embed_profiles(self.store, self.embedder, progress=progress)

    def reembed(self, progress: Progress | None = None) -> tuple[int, int]:
        """Every live profile embedded with the running model, then other models' vectors
        dropped: (fields embedded, old vector rows dropped). Only vectors change."""
        return reembed_every_profile(self.store, self.embedder, progress=progress)

    def stats(self) -> dict:
        """The store's counts, with the running model and how many fields it has yet to embed."""
        figures = self.store.stats(model_id=self.model_id)
        figures["model"] = self.model_id
        figures["stale_fields"] = self.stale_field_count()
        return figures

    # -- reads -------------------------------------------------------------------------

    def ranker(self, progress: Progress | None = None) -> PartnerRanker:
        """The ranker fitted on the live profiles of the current data revision.

        Refitted only when the revision moved on (a write by anyone), so several
        reads in one process share one fit; a fit saved next to the database by
        an earlier process is loaded instead (:func:`engine.fitted_ranker`), and
        with a ``fitter`` that one is asked.
        """
        revision = self.store.revision()
        if self._ranker is None or self._ranker_revision != revision:
            progress = progress or self.progress
            if self.fitter is not None:
                self._ranker = self.fitter(self.store, progress)
            else:
                self._ranker = fitted_ranker(
                    self.store,
                    self.embedder,
                    revision,
                    progress=progress,
                    bring_forward=not self.reproducible,
                )
            self._ranker_revision = revision
        return self._ranker

    def match(self, company_id: str, top: int = 10, filters: Filters | None = None) -> list[Match]:
        """Partners for ``company_id`` in the other country (UnknownCompany if there is none)."""
        self.store.get(company_id)  # an unknown or deleted id, before the model loads
        return self.ranker().match(company_id, top=top, filters=filters)

    def query(
        self, text: str, country: str, top: int = 10, filters: Filters | None = None
    ) -> QueryResult:
        """Companies in ``country`` for a need in words, with how the text was read."""
        return self.ranker().query(text, country=country, top=top, filters=filters)

    def similar(
        self, company_id: str, top: int = 10, filters: Filters | None = None
    ) -> list[Match]:
        """Companies whose profile reads like ``company_id``'s: peers and competitors."""
        self.store.get(company_id)
        return self.ranker().similar(company_id, top=top, filters=filters)

    def report(
        self,
        spec: ReportSpec,
        previous: PreviousReport | None = None,
        progress: Progress | None = None,
    ) -> Report:
        """A batch report, ranked by this service's ranker for the revision it reads."""
        from .reports import generate

        return generate(
            self.store,
            None,
            spec,
            previous=previous,
            progress=progress,
            embed_progress=self.progress,
            fit=lambda _store, embed_progress: self.ranker(embed_progress),
        )

    # -- writes --------------------------------------------------------------------------

    def import_file(
        self,
        parsed: ParsedFile,
        actor: str,
        progress: Progress | None = None,
        overwrite: bool = False,
    ) -> UpsertSummary:
        """A validated file, written in one transaction, then what changed embedded."""
        return import_profiles(
            self.store, self.embedder, parsed, actor=actor, progress=progress, overwrite=overwrite
        )

    def save(
        self,
        profile: Profile,
        actor: str,
        expected_version: int | None = None,
        create: bool = False,
    ) -> Profile:
        """One edited (or new) profile, saved and embedded so the next search shows it."""
        return save_and_embed(
            self.store,
            self.embedder,
            profile,
            actor,
            expected_version=expected_version,
            create=create,
        )

    def delete(self, company_id: str, actor: str, expected_version: int | None = None) -> Profile:
        """Soft-delete a profile: it leaves search, its row and history stay."""
        return self.store.set_deleted(company_id, True, actor, expected_version=expected_version)

    def restore(self, company_id: str, actor: str, expected_version: int | None = None) -> Profile:
        """Bring a soft-deleted profile back into search."""
        return self.store.set_deleted(company_id, False, actor, expected_version=expected_version)
