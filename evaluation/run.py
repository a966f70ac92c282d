"""Running an evaluation: a dataset's questions through retrieval and the QA pipeline (or a running app's API),
each scored (evaluation.metrics), into a report per retriever (evaluation.records).

For BEIR the chunks are first collapsed to their documents (best chunk's score), because the published SciFact
figures rank whole documents. An evidence passage that is in no indexed document cannot be found by any retriever:
its question counts as a retrieval miss and is reported.
"""
from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation.datasets import Dataset, read_dataset
from evaluation.gold import evidence_documents, gold_units, texts_from_hits
from evaluation.metrics import BEIR_DEPTH, RANKS, score_question, summarize
from evaluation.records import Report, Run
from index.embedders import make_embedder
from qa.answer import answer_to_dict
from qa.filters import ArticleFilter
from qa.pipeline import QAPipeline
from schema import Answer, UserError
from settings import RETRIEVERS, Settings

BEIR_CHUNK_POOL = 300  # chunks fetched per BEIR query: enough to fill BEIR_DEPTH documents after collapsing


def run(dataset_path: str, settings: Settings, *, retrievers: list[str], k: int | None = None,
        limit: int | None = None, index: str | None = None, app: str | None = None,
        progress: bool = True, every: int | None = None, articles: ArticleFilter | None = None) -> Report:
    """Evaluate a dataset with each retriever; `index` None means the settings' index for Q&A files and a cache
    folder per corpus for BEIR and SQuAD (never the app's own index); `articles` narrows every search to the
    articles it keeps."""
    unknown = [method for method in retrievers if method not in RETRIEVERS]
    if unknown:
        raise UserError(f"unknown retriever '{unknown[0]}' (use one or more of {', '.join(RETRIEVERS)})")
    if any(value is not None and value < 1 for value in (limit, k, every)):
        raise UserError("--k, --limit and --every must be at least 1")
    dataset = read_dataset(dataset_path, limit, every)
    k = k or settings.top_k
    narrowed = articles is not None and articles.narrows
    if app:
        if narrowed:
            raise UserError("--author, --since and --until filter a local index: the app's /ask takes them itself")
        if dataset.kind != "qa":
            raise UserError(f"--app evaluates Q&A .jsonl files only; {dataset_path} is a {dataset.kind} dataset")
        return Report(dataset.name, dataset.kind, k, app, [_remote_run(dataset, app, k, progress)])
    if index is None and dataset.kind != "qa":
        settings = replace(settings, index_dir=corpus_cache(dataset, settings))
    pipeline = pipeline_for(dataset, settings, progress)
    doc_ids = articles.ids(pipeline.collection.documents()) if narrowed else None
    runs = [_local_run(dataset, pipeline, method, k, progress, doc_ids) for method in retrievers]
    report = Report(dataset.name, dataset.kind, k, str(settings.index_dir), runs)
    _warn_evidence_not_found(report, dataset, pipeline.collection.documents(), settings.index_dir)
    return report


def _warn_evidence_not_found(report: Report, dataset: Dataset, documents: dict, index_dir: Path) -> None:
    """One warning per question whose evidence was not found, and first, when the documents they name are not
    indexed at all, one saying so: the usual cause is evaluating against the wrong index."""
    not_found = report.evidence_not_found()
    sources = {doc_id: document.source for doc_id, document in documents.items()}
    named = [evidence_documents(q, sources) for q in dataset.questions if q.id in set(not_found)]
    absent = sorted({doc for ids in named if ids and not ids & documents.keys() for doc in ids})
    if absent:
        print(f"warning: {len(absent)} document(s) the questions name are not in the index at {index_dir} "
              f"(e.g. '{absent[0]}'): is it the index of this dataset's documents?", file=sys.stderr)
    for question_id in not_found:
        print(f"warning: question {question_id}: evidence not found in the indexed documents "
              f"(counted as a retrieval miss)", file=sys.stderr)


def corpus_cache(dataset: Dataset, settings: Settings) -> Path:
    model = re.sub(r"[^a-z0-9]+", "-", settings.embed_model.lower()).strip("-")
    name = f"{dataset.kind}-{dataset.name}-{model}-{settings.chunk_tokens}-{settings.chunk_overlap}"
    return Path(tempfile.gettempdir()) / "ragqa-eval" / f"{name}-title{int(settings.embed_title)}"


def pipeline_for(dataset: Dataset, settings: Settings, progress: bool) -> QAPipeline:
    """The QA pipeline over the dataset's index, ingesting a BEIR or SQuAD corpus first if that index is empty."""
    embedder = make_embedder(settings.embed_model, settings.embed_precision, settings.device)
    pipeline = QAPipeline(settings, embedder=MemoEmbedder(embedder))
    if dataset.kind != "qa" and not pipeline.collection.has_index():
        with tempfile.TemporaryDirectory() as folder:
            source = dataset.corpus_file or _write_articles(dataset.articles, Path(folder))
            pipeline.collection.add([str(source)], progress=progress)
    documents = pipeline.collection.documents()
    needed = {s.doc_id for q in dataset.questions for unit in q.gold for s in unit}
    missing = sorted(needed - documents.keys())
    if missing:
        raise UserError(f"the index at {settings.index_dir} lacks {len(missing)} of the {len(needed)} articles "
                        f"{dataset.name} needs (e.g. '{missing[0]}'): evaluate it with an empty --index")
    return pipeline


class MemoEmbedder:
    """An embedder that remembers each text's vector: over thousands of questions the same passages' sentences
    are embedded again and again, and that, not retrieval, would take nearly all of an evaluation's time."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.dimension = inner.name, inner.dimension
        self._documents: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self._documents]
        if new:
            self._documents.update(zip(new, self.inner.embed_documents(new, show_progress)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._documents[text] for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def _write_articles(articles: list[dict], folder: Path) -> Path:
    path = folder / "articles.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return path


def _local_run(dataset: Dataset, pipeline, method: str, k: int, progress: bool, doc_ids: set[str] | None = None
               ) -> Run:
    documents = pipeline.collection.documents().values()
    texts = [(doc.id, 0, doc.text) for doc in documents]
    sources = {doc.id: doc.source for doc in documents}
    rows = []
    for question in _progress(dataset.questions, method, progress):
        if dataset.kind == "beir":
            chunks = pipeline.search(question.question, BEIR_CHUNK_POOL, method, doc_ids)
            ranked, answer, seconds = by_document(_hit_dicts(chunks))[:BEIR_DEPTH], None, None
        else:
            # the passages the answer is drawn from: a question naming its document is searched in it
            ranked = _hit_dicts(pipeline.search(question.question, max(k, max(RANKS)), method, doc_ids))
            started = time.perf_counter()
            answer = answer_to_dict(pipeline.ask(question.question, k=k, retriever=method, doc_ids=doc_ids))
            seconds = time.perf_counter() - started
        gold = gold_units(question, texts, sources)
        row = score_question(question, dataset.kind, ranked, answer, gold, seconds)
        if question.evidence and not question.gold:
            row = replace(row, evidence_found=all(gold))  # searched in whole documents: no retriever can find a miss
        rows.append(row)
    return Run(method, summarize(rows), rows)


def _remote_run(dataset: Dataset, url: str, k: int, progress: bool) -> Run:
    ask = _remote_asker(url)
    rows = []
    for question in _progress(dataset.questions, "app", progress):
        started = time.perf_counter()
        answer = ask(question.question, k)
        seconds = time.perf_counter() - started
        gold = gold_units(question, texts_from_hits(answer["hits"]))
        rows.append(score_question(question, dataset.kind, answer["hits"], answer, gold, seconds))
    return Run("app", summarize(rows), rows)


def _remote_asker(url: str):
    from gradio_client import Client  # only --app needs it, and it brings httpx and huggingface_hub: not at start-up

    try:
        client = Client(url, verbose=False, analytics_enabled=False)
    except Exception as exc:  # gradio_client raises many kinds (HTTP, connection, value)
        raise UserError(f"cannot reach the app at {url}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    return lambda question, k: client.predict(question, k, api_name="/ask")


def _hit_dicts(hits) -> list[dict]:
    # the hits of the JSON contract, so local and remote runs are scored by the same code
    return answer_to_dict(Answer("", "", False, [], hits))["hits"]


def by_document(hits: list[dict]) -> list[dict]:
    """Chunk hits collapsed to their documents, each at its best chunk's score (hits come best first)."""
    best = {}
    for hit in hits:
        best.setdefault(hit["doc_id"], hit)
    return [{**hit, "rank": rank} for rank, hit in enumerate(best.values(), 1)]


def _progress(questions, label: str, enabled: bool):
    return tqdm(questions, desc=label, unit=" questions", file=sys.stderr, disable=not enabled)
