"""What the rest of the code needs from an index store, said once, and which store the settings choose.

Two stores keep the same records: `FaissStore` (index/store.py, the default: a folder of atomic generations) and
`MilvusStore` (index/milvus_store.py, `RAGQA_STORE=milvus`: a Milvus Lite file or a Milvus server). A store finds
candidates (dense, BM25) among the chunks it is asked about and hands back their vectors and records; ranking
(fusion, MMR), evidence and citations are the client's (index/search.py, qa/), so both stores answer alike.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Hashable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from schema import Chunk, Document

if TYPE_CHECKING:
    from index.store import UnitRows
    from settings import Settings

ChunkKey = Hashable  # how a store names a chunk between its own calls: FAISS a position, Milvus the chunk id
Entry = tuple[Document, str, list[Chunk], np.ndarray, list[str]]  # document, content hash, chunks, vectors, keys


class LexicalSearch(Protocol):
    """BM25 over a store's chunks (stop words dropped, words stemmed as index/lexical.py does)."""

    def top(self, query: str, k: int, doc_ids: set[str] | None) -> list[tuple[ChunkKey, float]]:
        """The k best chunks, best first, among the articles `doc_ids` (None: all); chunks scoring 0 may be left
        out (Milvus leaves them out, FAISS fills the k with them)."""

    def scores_of(self, query: str, keys: Sequence[ChunkKey]) -> np.ndarray:
        """The score of each of these chunks (0 where no query word is in it)."""

    def holds(self, word: str) -> bool:
        """Whether any chunk holds the word."""


class Store(Protocol):
    config: dict  # model, dimension, chunking, titles: what reading it with other settings would get wrong
    bm25_saved: bool  # False: an older FAISS generation without its BM25 index, which an ingest saves again

    @property
    def documents(self) -> Mapping[str, Document]: ...

    @property
    def doc_hashes(self) -> Mapping[str, str]:
        """Each document's content hash (index/build.py content_hash): an unchanged article is skipped."""

    @property
    def count(self) -> int:
        """How many chunks are stored."""

    # editing: an ingest's changes, kept by `save`
    def add(self, entries: list[Entry], units: dict[str, "UnitRows"] | None = None) -> None:
        """Add or replace documents with their chunks, chunk vectors and embed keys; `units` holds the unit rows
        (ingest/units.py) of the documents that have them, by document id."""

    def delete(self, doc_ids: set[str]) -> None: ...

    def stored_vectors(self, keys: set[str]) -> dict[str, np.ndarray]:
        """The stored vectors (chunks' and units') of these embed keys, so ingest embeds only unseen texts."""

    def save(self, folder) -> None:
        """Make the edits the live index readers open (FAISS: a new generation in `folder`)."""

    # reading
    def chunk(self, chunk_id: str) -> Chunk: ...

    def chunks_of(self, keys: Sequence[ChunkKey]) -> list[Chunk]: ...

    def chunk_counts(self) -> Mapping[str, int]:
        """How many chunks each document has."""

    def vectors_of(self, keys: Sequence[ChunkKey]) -> np.ndarray: ...

    def dense_top(self, query_vector: np.ndarray, k: int,
                  doc_ids: set[str] | None) -> list[tuple[ChunkKey, float]]:
        """The k chunks nearest the query (cosine), best first, among the articles `doc_ids` (None: all)."""

    def lexical_search(self, with_title: bool) -> LexicalSearch:
        """BM25 over the chunks as embedded with or without their titles."""

    def unit_vectors_of(self, wanted: list[tuple[str, str]]) -> list[np.ndarray | None]:
        """The stored vector of each (chunk id, unit text), None where there is none."""

    def best_unit_scores(self, keys: Sequence[ChunkKey], query_vector: np.ndarray) -> np.ndarray:
        """Per chunk, the best cosine of its stored unit (sentence) vectors to the query; NaN for a chunk that has
        none (a generation saved before units were)."""

    def prepare_search(self, with_title: bool) -> None:
        """Build what searching needs now, so concurrent questions never build it twice."""


def open_store(settings: "Settings", config: dict) -> Store:
    """The live index the settings name (UserError when there is none or it was built otherwise)."""
    if settings.store == "milvus":
        from index.milvus_store import MilvusStore

        return MilvusStore.open(settings, config)
    from index.store import FaissStore

    return FaissStore.load(settings.index_dir, config)


def new_store(settings: "Settings", config: dict) -> Store:
    """An empty index the settings name, to build (--rebuild): FAISS keeps the old generation until the new one is
    saved; Milvus drops its collections at once."""
    if settings.store == "milvus":
        from index.milvus_store import MilvusStore

        return MilvusStore.create(settings, config)
    from index.store import FaissStore

    return FaissStore(config)


def live_version(settings: "Settings") -> str | None:
    """What names the live index, changing with every save (FAISS: its generation); None when there is none."""
    if settings.store == "milvus":
        from index.milvus_store import live_revision

        return live_revision(settings)
    from index.store import current_generation

    return current_generation(settings.index_dir)


@contextmanager
def writing(settings: "Settings") -> Iterator[None]:
    """One writer at a time: a flock on the FAISS folder; Milvus serialises each write itself (one ingest at a
    time is still the rule: see the README)."""
    if settings.store == "milvus":
        yield
        return
    from index.store import writer_lock

    with writer_lock(settings.index_dir):
        yield
