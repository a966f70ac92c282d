"""The indexed articles as front ends see them: one façade over the index on disk.

`Collection` reads the live generation (reopened when `CURRENT` names a new one, so an upload or `cli.py ingest` in
another process is picked up), lists its articles, looks documents up, adds and deletes articles, and loads the model
and the index ahead of the first question. The UI and the CLI go through it (and `QAPipeline`, which searches its
generation), so that they import nothing from `index/`.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from weakref import WeakKeyDictionary

from index.build import IngestReport, delete_articles, open_store, update_index
from index.embedders import Embedder, make_embedder
from index.search import Retriever
from index.stores import Store, live_version
from qa.scoring import folded_titles
from schema import Document
from settings import Settings

__all__ = ["Collection", "IndexedArticle", "IngestReport"]


@dataclass(frozen=True)
class IndexedArticle:
    """One article of the listing: its metadata ("" when unknown) and how many chunks it was cut into."""
    id: str
    title: str
    source: str
    author: str
    date: str
    url: str
    chunks: int

    def as_dict(self) -> dict:
        return asdict(self)


class Collection:
    """The index at `settings.index_dir`, or, given `store`, that store as it is (never reopened: a benchmark's
    store held in memory)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, store: Store | None = None):
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embed_model, settings.embed_precision, settings.device)
        self._fixed = store is not None
        # BM25 and the look-ups of a given store are left to build at first use, so a benchmark can time them
        self._retriever = self._retriever_over(store) if self._fixed else None
        self._generation = None  # the CURRENT generation self._retriever was opened at
        self._reopening = threading.Lock()
        self._folded_titles: WeakKeyDictionary[Retriever, tuple[int, str]] = WeakKeyDictionary()

    @property
    def generation(self) -> str | None:
        """The name of the live generation on disk (Milvus: its revision); None while nothing is indexed."""
        return live_version(self.settings)

    def has_index(self) -> bool:
        return self._fixed or self.generation is not None

    @property
    def retriever(self) -> Retriever:
        """The index as it is on disk: reopened when CURRENT names another generation; otherwise the one already
        open, at the cost of reading CURRENT. Raises UserError when there is no index or it is damaged."""
        if self._fixed:
            return self._retriever
        generation = self.generation
        with self._reopening:
            if self._retriever is None or generation != self._generation:
                retriever = self._retriever_over(open_store(self.settings, self.embedder))
                retriever.prepare()  # BM25 and look-ups ready before questions share them, never built twice
                self._retriever, self._generation = retriever, generation
            return self._retriever

    def _retriever_over(self, store: Store) -> Retriever:
        return Retriever(store, self.embedder, with_title=self.settings.embed_title)

    def documents(self) -> dict[str, Document]:
        """The indexed documents by id, with their text (for rendering quotes and whole articles)."""
        return self.retriever.store.documents

    @property
    def count(self) -> int:
        """How many chunks are indexed."""
        return self.retriever.store.count

    def articles(self) -> list[IndexedArticle]:
        """The indexed articles with their metadata and chunk counts, for listings."""
        store = self.retriever.store
        counts = store.chunk_counts()
        return [IndexedArticle(id=d.id, title=d.title, source=d.source, author=d.metadata.get("author", ""),
                               date=d.metadata.get("date", ""), url=d.metadata.get("url", ""), chunks=counts.get(d.id, 0))
                for d in store.documents.values()]

    def add(self, sources: list[str], *, prune: bool = False, rebuild: bool = False,
            progress: bool = False, ray: str | None = None) -> IngestReport:
        """Ingest files, folders or URLs; the next look-up reads the new generation (CURRENT changed). `ray`: embed
        on Ray Data ("local" or a cluster's address), see index/ray_embed.py."""
        return update_index(sources, self.settings, self.embedder, prune=prune, rebuild=rebuild, progress=progress,
                            ray=ray)

    def delete(self, doc_ids: set[str]) -> list[str]:
        """Take these articles out (the others stay as they were); the ids that were indexed, sorted."""
        return delete_articles(doc_ids, self.settings, self.embedder)

    def load_model(self) -> None:
        """Load the embedding model now, not during the first question."""
        self.embedder.embed_query("warm up")

    def open(self) -> None:
        """Open the live generation now, not during the first question (UserError when there is none)."""
        self.titles(self.retriever)  # opens it, and folds its titles ahead

    def titles(self, retriever: Retriever) -> str:
        """The titles of that index version as scoring.folded_titles gives them, folded once per version (and
        size); an old version's are let go with it."""
        documents = retriever.store.documents
        cached = self._folded_titles.get(retriever)
        if cached is None or cached[0] != len(documents):
            cached = (len(documents), folded_titles(doc.title for doc in documents.values()))
            self._folded_titles[retriever] = cached  # questions racing here compute the same text
        return cached[1]

    def warm_up(self) -> None:
        """Load the model and open the index, so the first question pays for neither."""
        self.load_model()
        self.open()
