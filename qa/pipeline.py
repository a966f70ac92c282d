"""The QA pipeline: question (+ history) -> retrieval -> evidence -> cited answer. Front ends call only this."""
from __future__ import annotations

from collections import Counter
from typing import Iterator

from index.build import IngestReport, open_store, update_index
from index.embedders import Embedder, make_embedder
from index.search import Retriever
from qa.answer import abstention, compose
from qa.evidence import choose, is_summary_question, lead_evidence, select_evidence
from qa.followup import condense_offline
from schema import Answer, UserError
from settings import Settings

MAX_QUESTION_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per request
# Below this score (cosine plus word-overlap bonus) of the best evidence sentence the assistant abstains.
# Calibrated per model on labelled questions (docs/benchmarks.md); models not listed use the fallback.
CALIBRATED_MIN_RELEVANCE = {"packaged:all-MiniLM-L6-v2": 0.5, "hashing": 0.3}
FALLBACK_MIN_RELEVANCE = 0.5


ANSWER_MODES = ("offline", "llm")


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
    def llm_available(self) -> bool:
        return False  # the LLM backends arrive with the generators module

    @property
    def min_relevance(self) -> float:
        if self.settings.min_relevance is not None:
            return self.settings.min_relevance
        return CALIBRATED_MIN_RELEVANCE.get(self.settings.embed_model, FALLBACK_MIN_RELEVANCE)

    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None,
            doc_ids: set[str] | None = None, retriever: str | None = None, mode: str | None = None) -> Answer:
        """Answer a question; `history` is the chat so far as messages {"role": "user"|"assistant", "content"};
        `mode` is "offline" or "llm" (default: settings.answer_mode)."""
        mode = mode or self.settings.answer_mode
        if mode not in ANSWER_MODES:
            raise UserError(f"unknown answer mode '{mode}' (use one of {', '.join(ANSWER_MODES)})")
        if mode == "llm" and not self.llm_available:
            raise UserError("no LLM is configured: see 'LLM answers' in the README, or use the offline mode")
        question = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
        if not any(ch.isalnum() for ch in question):
            raise UserError("the question is empty: ask something about the articles")
        k = k or self.settings.top_k
        if k < 1:
            raise UserError(f"--k must be at least 1, not {k}")
        query = condense_offline(question, history)
        hits = self.retriever.search(query, k, method=retriever or self.settings.retriever, doc_ids=doc_ids)
        documents = self.retriever.store.documents
        if is_summary_question(question) and hits:
            first_chunk = self.retriever.store.chunk(f"{hits[0].chunk.doc_id}#0")
            return compose(question, lead_evidence(first_chunk, documents), documents, hits, query)
        ranked = select_evidence(query, hits, documents, self.embedder)
        if not ranked or ranked[0].score < self.min_relevance:
            return abstention(question, hits, query)
        return compose(question, choose(ranked), documents, hits, query)

    def ask_stream(self, question: str, **options) -> Iterator[tuple[str, Answer | None]]:
        """(text so far, None) while the answer is written, then (full text, Answer)."""
        answer = self.ask(question, **options)
        words = answer.text.split(" ")
        for i in range(1, len(words)):
            yield " ".join(words[:i]), None
        yield answer.text, answer

    def articles(self) -> list[dict]:
        """The indexed articles with their metadata and chunk counts, for listings."""
        store = self.retriever.store
        counts = Counter(chunk.doc_id for chunk in store.chunks)
        return [{"id": d.id, "title": d.title, "source": d.source, "author": d.metadata.get("author", ""),
                 "date": d.metadata.get("date", ""), "url": d.metadata.get("url", ""), "chunks": counts[d.id]}
                for d in store.documents.values()]

    def add_articles(self, sources: list[str], progress: bool = False) -> IngestReport:
        """Ingest into this pipeline's index and start answering from the new version."""
        report = update_index(sources, self.settings, self.embedder, progress=progress)
        self._retriever = None
        return report
