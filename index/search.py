"""Retrieval over a FaissStore: dense (FAISS), BM25 (bm25s, stemmed), and their fusion."""
from __future__ import annotations

import numpy as np

from index.build import embed_text
from index.embedders import Embedder
from index.store import FaissStore
from schema import Hit

RETRIEVERS = ("dense", "bm25", "hybrid", "rrf")
CANDIDATES = 100  # per retriever, before fusion
DENSE_WEIGHT = 0.5  # in hybrid: weight of the normalised dense score against the normalised BM25 score
RRF_K = 60


class Retriever:
    def __init__(self, store: FaissStore, embedder: Embedder, with_title: bool = True):
        self.store = store
        self.embedder = embedder
        self.with_title = with_title
        self._bm25 = None

    def search(self, query: str, k: int, method: str = "hybrid", doc_ids: set[str] | None = None) -> list[Hit]:
        if method not in RETRIEVERS:
            raise ValueError(f"unknown retriever '{method}' (use one of {', '.join(RETRIEVERS)})")
        allowed = self._allowed_positions(doc_ids)
        if self.store.count == 0 or (allowed is not None and not len(allowed)):
            return []
        pool = max(CANDIDATES, k)
        if method == "dense":
            scored = self._dense_top(query, pool, allowed)
        elif method == "bm25":
            scored = _top(self._bm25_scores(query), pool, allowed)
        else:
            scored = self._fuse(query, pool, allowed, method)
        return [Hit(chunk=self.store.chunks[pos], score=float(score), rank=rank)
                for rank, (pos, score) in enumerate(scored[:k], 1)]

    def _allowed_positions(self, doc_ids: set[str] | None) -> np.ndarray | None:
        if doc_ids is None:
            return None
        return np.array([i for i, c in enumerate(self.store.chunks) if c.doc_id in doc_ids], dtype=np.int64)

    def _dense_top(self, query: str, pool: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        query_vector = self.embedder.embed_query(query)
        if allowed is None:
            return self.store.search(query_vector, pool)
        return _top(self.store.vectors[allowed] @ query_vector, pool, None, positions=allowed)

    def _fuse(self, query: str, pool: int, allowed: np.ndarray | None, method: str) -> list[tuple[int, float]]:
        dense = self._dense_top(query, pool, allowed)
        bm25_all = self._bm25_scores(query)
        lexical = _top(bm25_all, pool, allowed)
        if method == "rrf":
            fused: dict[int, float] = {}
            for ranking in (dense, lexical):
                for rank, (pos, _) in enumerate(ranking, 1):
                    fused[pos] = fused.get(pos, 0.0) + 1.0 / (RRF_K + rank)
            return sorted(fused.items(), key=lambda item: -item[1])
        candidates = np.array(sorted({pos for pos, _ in dense} | {pos for pos, _ in lexical}), dtype=np.int64)
        query_vector = self.embedder.embed_query(query)
        dense_scores = self.store.vectors[candidates] @ query_vector
        fused_scores = DENSE_WEIGHT * _minmax(dense_scores) + (1 - DENSE_WEIGHT) * _minmax(bm25_all[candidates])
        order = np.argsort(-fused_scores, kind="stable")
        return [(int(candidates[i]), float(fused_scores[i])) for i in order]

    def _bm25_scores(self, query: str) -> np.ndarray:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)
        if not tokens[0]:
            return np.zeros(self.store.count, dtype=np.float32)
        return self.bm25.get_scores(tokens[0])

    @property
    def bm25(self):
        if self._bm25 is None:
            import bm25s

            texts = [embed_text(self.store.documents[c.doc_id], c, self.with_title) for c in self.store.chunks]
            corpus_tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus_tokens, show_progress=False)
        return self._bm25


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


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
