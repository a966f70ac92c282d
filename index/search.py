"""Retrieval over a store (index/stores.py: the FAISS folder or Milvus): dense, BM25, their fusion, MMR diversity,
and metadata filters (article, author, date). Fusion and MMR are done here, so every store ranks alike."""
from __future__ import annotations

import numpy as np

from index.embedders import Embedder
from index.lexical import spelled_as_held
from index.stores import ChunkKey, LexicalSearch, Store
from schema import Hit
from settings import RETRIEVERS, choice_problem

CANDIDATES = 100  # per retriever, before fusion
DENSE_WEIGHT = 0.6  # in hybrid: weight of the normalised dense score against BM25's; best on SciFact's train split
# Of the dense weight, this much goes to the chunk's best sentence (unit) vector: a question matches one sentence of a
# 200-token passage better than the whole. Measured (docs/benchmarks.md): SQuAD recall@5 0.954 → 0.962, MRR@10
# +0.023; SciFact nDCG@10 the same.
UNIT_WEIGHT = 0.2
RRF_K = 60
MMR_LAMBDA = 0.7  # in mmr: weight of relevance against similarity to the passages already chosen
MMR_POOL = 4  # in mmr: re-rank this many times k of the hybrid ranking


class Retriever:
    """Searches any store (index/stores.py): the store finds candidates (dense, BM25) among the chunks it is
    asked about; fusion, MMR and filters resolved to article ids are done here, the same for every store."""

    def __init__(self, store: Store, embedder: Embedder, with_title: bool = True):
        self.store = store
        self.embedder = embedder
        self.with_title = with_title

    def search(self, query: str, k: int, method: str = "hybrid", doc_ids: set[str] | None = None, *,
               author: str | None = None, since: str | None = None, until: str | None = None,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """The k best chunks; `doc_ids`, `author` (case-insensitive part of the name) and the ISO dates `since` and
        `until` (inclusive, on the article's date) keep only the articles that match them all. `query_vector` is
        the query's embedding when the caller has it already."""
        if why := choice_problem(method, RETRIEVERS):  # settings and front ends offer these only: a caller's mistake
            raise ValueError(f"retriever {method!r} {why}")
        allowed = matching_documents(self.store.documents, doc_ids, author, since, until)
        if self.store.count == 0 or (allowed is not None and not allowed):
            return []
        pool = max(CANDIDATES, k)
        lexical = self.lexical  # one per search: it may keep the query's scores between its calls
        words = spelled_as_held(query, lexical.holds)  # what BM25 reads: "colour" as "color" where articles write that
        if method == "bm25":
            scored = lexical.top(words, pool, allowed)
        else:
            if query_vector is None:  # once per search: it is most of the search's time
                query_vector = self.embedder.embed_query(query)
            if method == "dense":
                scored = self.store.dense_top(query_vector, pool, allowed)
            elif method == "mmr":
                scored = self._diverse(self._fuse(words, query_vector, pool, allowed, "hybrid", lexical)[: MMR_POOL * k],
                                       k)
            else:
                scored = self._fuse(words, query_vector, pool, allowed, method, lexical)
        chunks = self.store.chunks_of([key for key, _ in scored[:k]])
        return [Hit(chunk=chunk, score=float(score), rank=rank)
                for rank, (chunk, (_, score)) in enumerate(zip(chunks, scored[:k]), 1)]

    def _fuse(self, words: str, query_vector: np.ndarray, pool: int, allowed: set[str] | None, method: str,
              lexical: LexicalSearch) -> list[tuple[ChunkKey, float]]:
        """Dense and BM25 candidates fused; `words` is the query as BM25 reads it."""
        dense = self.store.dense_top(query_vector, pool, allowed)
        top_lexical = lexical.top(words, pool, allowed)
        if method == "rrf":
            fused: dict = {}
            for ranking in (dense, top_lexical):
                for rank, (key, _) in enumerate(ranking, 1):
                    fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
            return sorted(fused.items(), key=lambda item: -item[1])
        candidates = np.array(sorted({key for key, _ in dense} | {key for key, _ in top_lexical}))
        if not len(candidates):
            return []
        dense_scores = self.store.vectors_of(candidates) @ query_vector
        unit_scores = self.store.best_unit_scores(candidates, query_vector)
        unit_scores = np.where(np.isnan(unit_scores), dense_scores, unit_scores)  # no units stored: the chunk's own
        lexical_scores = lexical.scores_of(words, candidates)
        fused_scores = ((DENSE_WEIGHT - UNIT_WEIGHT) * _minmax(dense_scores) + UNIT_WEIGHT * _minmax(unit_scores)
                        + (1 - DENSE_WEIGHT) * _minmax(lexical_scores))
        order = np.argsort(-fused_scores, kind="stable")
        return [(candidates[i].item(), float(fused_scores[i])) for i in order]

    def _diverse(self, scored: list[tuple[ChunkKey, float]], k: int) -> list[tuple[ChunkKey, float]]:
        """Maximal marginal relevance: each next chunk is the best trade of relevance against likeness to the chunks
        already chosen, so near-copies (overlapping chunks, repeated paragraphs) make room for other evidence."""
        if not scored:
            return []
        vectors = self.store.vectors_of([key for key, _ in scored])
        relevance = _minmax(np.array([score for _, score in scored]))
        likeness = vectors @ vectors.T
        chosen, closest = [], np.full(len(scored), -np.inf)
        for _ in range(min(k, len(scored))):
            gain = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * np.maximum(closest, 0.0)
            gain[chosen] = -np.inf
            best = int(np.argmax(gain))
            chosen.append(best)
            closest = np.maximum(closest, likeness[best])
        return [scored[i] for i in chosen]

    def mentions(self, word: str) -> bool:
        """Whether any indexed chunk holds the word (as BM25 stems it)."""
        return self.lexical.holds(word)

    @property
    def lexical(self) -> LexicalSearch:
        """BM25 over the store's chunks, read with titles or not as this retriever reads them."""
        return self.store.lexical_search(self.with_title)

    def prepare(self) -> None:
        """Build what searching needs now, before concurrent questions share it (else the first search does)."""
        self.store.prepare_search(self.with_title)


def matching_documents(documents: dict, doc_ids: set[str] | None = None, author: str | None = None,
                       since: str | None = None, until: str | None = None) -> set[str] | None:
    """Ids of the articles that pass every filter given, or None when none is given. Dates compare as ISO text
    (YYYY-MM-DD); an article without a date or author fails a filter on it."""
    if doc_ids is None and not (author or since or until):
        return None
    wanted = author.casefold() if author else None
    return {doc_id for doc_id, doc in documents.items()
            if (doc_ids is None or doc_id in doc_ids)
            and (not wanted or wanted in doc.metadata.get("author", "").casefold())
            and _within(doc.metadata.get("date", "")[:10], since, until)}


def _within(date: str, since: str | None, until: str | None) -> bool:
    if not (since or until):
        return True
    return bool(date) and (not since or date >= since[:10]) and (not until or date <= until[:10])


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high - low < 1e-12 else (values - low) / (high - low)
