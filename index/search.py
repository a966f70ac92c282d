"""Retrieval over a FaissStore: dense (FAISS), BM25 (index/lexical.py, saved with the generation), their fusion,
MMR diversity, and metadata filters (article, author, date)."""
from __future__ import annotations

import numpy as np

from index.embedders import Embedder
from index.lexical import Bm25
from index.store import FaissStore
from schema import Hit
from settings import RETRIEVERS, choice_problem

CANDIDATES = 100  # per retriever, before fusion
DENSE_WEIGHT = 0.6  # in hybrid: weight of the normalised dense score against BM25's; best on SciFact's train split
RRF_K = 60
MMR_LAMBDA = 0.7  # in mmr: weight of relevance against similarity to the passages already chosen
MMR_POOL = 4  # in mmr: re-rank this many times k of the hybrid ranking


class Retriever:
    def __init__(self, store: FaissStore, embedder: Embedder, with_title: bool = True):
        self.store = store
        self.embedder = embedder
        self.with_title = with_title
        self._own_bm25 = None  # built here only when asked for texts other than the store's

    def search(self, query: str, k: int, method: str = "hybrid", doc_ids: set[str] | None = None, *,
               author: str | None = None, since: str | None = None, until: str | None = None,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """The k best chunks; `doc_ids`, `author` (case-insensitive part of the name) and the ISO dates `since` and
        `until` (inclusive, on the article's date) keep only the articles that match them all. `query_vector` is
        the query's embedding when the caller has it already."""
        if why := choice_problem(method, RETRIEVERS):  # settings and front ends offer these only: a caller's mistake
            raise ValueError(f"retriever {method!r} {why}")
        allowed = self._allowed_positions(matching_documents(self.store.documents, doc_ids, author, since, until))
        if self.store.count == 0 or (allowed is not None and not len(allowed)):
            return []
        pool = max(CANDIDATES, k)
        if method == "bm25":
            scored = _top(self.bm25.scores(query), pool, allowed)
        else:
            if query_vector is None:  # once per search: it is most of the search's time
                query_vector = self.embedder.embed_query(query)
            if method == "dense":
                scored = self._dense_top(query_vector, pool, allowed)
            elif method == "mmr":
                scored = self._diverse(self._fuse(query, query_vector, pool, allowed, "hybrid")[: MMR_POOL * k], k)
            else:
                scored = self._fuse(query, query_vector, pool, allowed, method)
        return [Hit(chunk=self.store.chunks[pos], score=float(score), rank=rank)
                for rank, (pos, score) in enumerate(scored[:k], 1)]

    def _allowed_positions(self, doc_ids: set[str] | None) -> np.ndarray | None:
        if doc_ids is None:
            return None
        return np.array([i for i, c in enumerate(self.store.chunks) if c.doc_id in doc_ids], dtype=np.int64)

    def _dense_top(self, query_vector: np.ndarray, pool: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if allowed is None:
            return self.store.search(query_vector, pool)
        return _top(self.store.vectors[allowed] @ query_vector, pool, None, positions=allowed)

    def _fuse(self, query: str, query_vector: np.ndarray, pool: int, allowed: np.ndarray | None,
              method: str) -> list[tuple[int, float]]:
        dense = self._dense_top(query_vector, pool, allowed)
        bm25_all = self.bm25.scores(query)
        lexical = _top(bm25_all, pool, allowed)
        if method == "rrf":
            fused: dict[int, float] = {}
            for ranking in (dense, lexical):
                for rank, (pos, _) in enumerate(ranking, 1):
                    fused[pos] = fused.get(pos, 0.0) + 1.0 / (RRF_K + rank)
            return sorted(fused.items(), key=lambda item: -item[1])
        candidates = np.array(sorted({pos for pos, _ in dense} | {pos for pos, _ in lexical}), dtype=np.int64)
        dense_scores = self.store.vectors[candidates] @ query_vector
        fused_scores = DENSE_WEIGHT * _minmax(dense_scores) + (1 - DENSE_WEIGHT) * _minmax(bm25_all[candidates])
        order = np.argsort(-fused_scores, kind="stable")
        return [(int(candidates[i]), float(fused_scores[i])) for i in order]

    def _diverse(self, scored: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """Maximal marginal relevance: each next chunk is the best trade of relevance against likeness to the chunks
        already chosen, so near-copies (overlapping chunks, repeated paragraphs) make room for other evidence."""
        if not scored:
            return []
        positions = np.array([pos for pos, _ in scored], dtype=np.int64)
        relevance = _minmax(np.array([score for _, score in scored]))
        likeness = self.store.vectors[positions] @ self.store.vectors[positions].T
        chosen, closest = [], np.full(len(positions), -np.inf)
        for _ in range(min(k, len(positions))):
            gain = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * np.maximum(closest, 0.0)
            gain[chosen] = -np.inf
            best = int(np.argmax(gain))
            chosen.append(best)
            closest = np.maximum(closest, likeness[best])
        return [scored[i] for i in chosen]

    def mentions(self, word: str) -> bool:
        """Whether any indexed chunk holds the word (as BM25 stems it)."""
        return self.bm25.holds(word)

    @property
    def bm25(self) -> Bm25:
        """The store's BM25 index (saved with its generation), unless this retriever reads titles otherwise."""
        if self.with_title == self.store.config.get("embed_title", True):
            return self.store.bm25
        if self._own_bm25 is None:
            self._own_bm25 = Bm25.build(self.store.embed_texts(self.with_title))
        return self._own_bm25


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


def _top(scores: np.ndarray, k: int, allowed: np.ndarray | None, positions: np.ndarray | None = None):
    """Best k (position, score) pairs; `positions` maps score indices back to chunk positions."""
    if allowed is not None and positions is None:
        scores, positions = scores[allowed], allowed
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    best = best[np.argsort(-scores[best], kind="stable")]
    ids = best if positions is None else positions[best]
    return [(int(i), float(scores[j])) for i, j in zip(ids, best)]


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high - low < 1e-12 else (values - low) / (high - low)
