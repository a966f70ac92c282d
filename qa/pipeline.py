"""The QA pipeline: question (+ history) -> retrieval -> evidence -> cited answer. Front ends call only this."""
from __future__ import annotations

from index.build import open_store
from index.embedders import Embedder, make_embedder
from index.search import Retriever
from qa.answer import abstention, compose
from qa.evidence import choose, is_summary_question, lead_evidence, select_evidence
from schema import Answer, UserError
from settings import Settings

MAX_QUESTION_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per request
# Below this score (cosine plus word-overlap bonus) of the best evidence sentence the assistant abstains.
# Calibrated per model on labelled questions (docs/benchmarks.md); models not listed use the fallback.
CALIBRATED_MIN_RELEVANCE = {"packaged:all-MiniLM-L6-v2": 0.5, "hashing": 0.3}
FALLBACK_MIN_RELEVANCE = 0.5


class QAPipeline:
    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embed_model)
        self._retriever = None

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            store = open_store(self.settings, self.embedder)
            self._retriever = Retriever(store, self.embedder, with_title=self.settings.embed_title)
        return self._retriever

    @property
    def min_relevance(self) -> float:
        if self.settings.min_relevance is not None:
            return self.settings.min_relevance
        return CALIBRATED_MIN_RELEVANCE.get(self.settings.embed_model, FALLBACK_MIN_RELEVANCE)

    def ask(self, question: str, k: int | None = None, doc_ids: set[str] | None = None,
            retriever: str | None = None) -> Answer:
        question = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
        if not any(ch.isalnum() for ch in question):
            raise UserError("the question is empty: ask something about the articles")
        k = k or self.settings.top_k
        if k < 1:
            raise UserError(f"--k must be at least 1, not {k}")
        hits = self.retriever.search(question, k, method=retriever or self.settings.retriever, doc_ids=doc_ids)
        documents = self.retriever.store.documents
        if is_summary_question(question) and hits:
            first_chunk = self.retriever.store.chunk(f"{hits[0].chunk.doc_id}#0")
            return compose(question, lead_evidence(first_chunk, documents), documents, hits)
        ranked = select_evidence(question, hits, documents, self.embedder)
        if not ranked or ranked[0].score < self.min_relevance:
            return abstention(question, hits)
        return compose(question, choose(ranked), documents, hits)
