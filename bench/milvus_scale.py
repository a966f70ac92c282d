"""Milvus Lite beside the FAISS folder at 100,000 chunks (issue 15): how fast each takes the chunks in and how fast
each answers, in one run on one machine.

    python -m bench.milvus_scale                   # 100,000 chunks; writes its section of docs/benchmarks.md
    python -m bench.milvus_scale --sizes 5000 --queries 5 --no-write    # a quick look

The chunks are bench/run.py's large sizes: SQuAD dev articles ingested for real (model, sentence vectors), then
replicated, each copy of a chunk with its real vector plus noise (`synthetic_store`) and its original's sentence
(unit) rows, so both stores hold what an ingest writes. Ingest is writing those embedded chunks: the FAISS store's
save (IVF trained, BM25 built, generation written) against `move-index` of that generation into Milvus Lite
(collections created, batched writes, flush), which reads the FAISS generation as the command does. Queries go to
both stores in turn, question by question, so a busy moment of the shared machine falls on both alike.

Milvus Lite 3.x is a Python re-implementation of Milvus, not the server engine: its figures say what one process
with a .db file does, not what a Milvus server or cluster does.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from bench.report import update_section
from bench.run import SEARCH_K, SQUAD, _timing, article_text, copied_units, squad_articles, synthetic_store
from bench.run_report import Timing
from evaluation.report import markdown_table
from index.build import open_store, update_index
from index.embedders import cpu_model, make_embedder
from index.milvus_store import forget_clients
from index.move import move_to_milvus
from index.store import FaissStore
from qa.pipeline import QAPipeline
from settings import DEFAULT_MODEL, Settings

SECTION = "milvus-scale"
TARGET = 100_000  # the size
OPERATIONS = ("dense search", "BM25 search", "hybrid retrieval", "offline answer")


@dataclass(frozen=True)
class Ingest:
    chunks: int
    units: int
    seconds: float
    disk_bytes: int

    @property
    def per_second(self) -> float:
        return self.chunks / self.seconds


@dataclass(frozen=True)
class AtSize:
    size: int
    faiss: Ingest
    milvus: Ingest
    faiss_index: str  # the index FAISS chose for the size (index/store.py choose_index)
    faiss_read_s: float  # the FAISS generation opened, part of the move's time
    latency: dict[str, dict[str, Timing]]  # store -> operation -> p50/p95 seconds
    same_answers: int
    questions: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=str(TARGET), help=f"chunk counts, comma-separated (default {TARGET})")
    parser.add_argument("--articles", type=int, default=6, help="SQuAD dev articles ingested (as bench/run.py)")
    parser.add_argument("--queries", type=int, default=30, help="questions timed per size")
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev JSON")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    embedder = make_embedder(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory(prefix="ragqa-milvus-scale-") as tmp:
        tmp = Path(tmp)
        _progress("ingesting the SQuAD articles")
        real, questions = real_store(embedder, tmp, args.articles, args.squad)
        picked = [questions[i] for i in np.random.default_rng(0).choice(len(questions), args.queries, replace=False)]
        measured = [at_size(embedder, real, picked, size, tmp / f"size-{size}")
                    for size in sorted(int(s) for s in args.sizes.split(","))]
    markdown = section_markdown(measured, real.count, args.articles, load_before, os.getloadavg()[0],
                                time.perf_counter() - started)
    print(markdown)
    if not args.no_write:
        update_section(SECTION, markdown)


def _progress(line: str) -> None:
    print(f"[milvus-scale] {line}", file=sys.stderr, flush=True)


def real_store(embedder, tmp: Path, n_articles: int, squad: Path) -> tuple[FaissStore, list[str]]:
    """The first SQuAD dev articles ingested as .txt files, as bench/run.py ingests them, and their questions."""
    articles, questions = squad_articles(n_articles, squad)
    corpus = tmp / "articles"
    corpus.mkdir()
    for i, article in enumerate(articles):
        (corpus / f"{i:02d}.txt").write_text(article_text(article))
    settings = Settings(index_dir=tmp / "ingested", embed_model=DEFAULT_MODEL)
    update_index([str(corpus)], settings, embedder, progress=False)
    return open_store(settings, embedder), questions


def at_size(embedder, real: FaissStore, questions: list[str], size: int, folder: Path) -> AtSize:
    _progress(f"{size:,} chunks: the FAISS generation")
    store = synthetic_store(real, size, np.random.default_rng(size))
    counts, keys = copied_units(store, real)
    store.replace_units(counts, keys, np.resize(np.asarray(real.unit_vectors), (len(keys), real.dimension)))
    faiss_settings = Settings(index_dir=folder / "faiss", embed_model=DEFAULT_MODEL)
    start = time.perf_counter()
    store.save(faiss_settings.index_dir)
    faiss = Ingest(store.count, len(keys), time.perf_counter() - start, _bytes(faiss_settings.index_dir))
    index_type = store.index_type
    del store
    start = time.perf_counter()
    FaissStore.load(faiss_settings.index_dir, real.config)
    read_s = time.perf_counter() - start
    milvus_settings = dataclasses.replace(faiss_settings, store="milvus", milvus_uri=str(folder / "milvus.db"))
    _progress(f"{size:,} chunks: move-index into Milvus Lite")
    start = time.perf_counter()
    moved = move_to_milvus(milvus_settings, embedder, progress=lambda line: _progress(
        f"{line} ({time.perf_counter() - start:.0f} s)"))
    milvus = Ingest(moved.chunks, moved.unit_vectors, time.perf_counter() - start, _bytes(folder / "milvus.db"))
    _progress(f"{size:,} chunks: queries")
    pipelines = {"FAISS": QAPipeline(faiss_settings, embedder), "Milvus Lite": QAPipeline(milvus_settings, embedder)}
    latency, same = query_latency(pipelines, embedder, questions)
    del pipelines
    forget_clients()
    return AtSize(size, faiss, milvus, index_type, read_s, latency, same, len(questions))


def query_latency(pipelines: dict[str, QAPipeline], embedder, questions: list[str]):
    """p50/p95 of each operation on each store, the stores taking turns question by question; and for how many
    questions both gave the same answer text."""
    vectors = embedder.embed_documents(questions)
    operations = {}
    for name, pipeline in pipelines.items():
        pipeline.ask(questions[0])  # opened, BM25 and look-ups ready, outside the timings
        retriever = pipeline.retriever
        lexical = retriever.lexical
        operations[name] = {
            "dense search": lambda i, q, store=retriever.store: store.dense_top(vectors[i], SEARCH_K, None),
            "BM25 search": lambda i, q, lexical=lexical: lexical.top(q, SEARCH_K, None),
            "hybrid retrieval": lambda i, q, retriever=retriever: retriever.search(q, 5, method="hybrid"),
            "offline answer": lambda i, q, pipeline=pipeline: pipeline.ask(q).text}
    seconds = {name: {operation: [] for operation in OPERATIONS} for name in pipelines}
    same = 0
    for i, question in enumerate(questions):
        order = list(pipelines)[i % 2:] + list(pipelines)[:i % 2]
        answers = set()
        for operation in OPERATIONS:
            for name in order:
                start = time.perf_counter()
                result = operations[name][operation](i, question)
                seconds[name][operation].append(time.perf_counter() - start)
                if operation == "offline answer":
                    answers.add(result)
        same += len(answers) == 1
    return {name: {op: _timing(times) for op, times in by_op.items()} for name, by_op in seconds.items()}, same


def _bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# -- the section ------------------------------------------------------------------------------------------------

def section_markdown(measured: list[AtSize], real_chunks: int, articles: int, load_before: float, load_after: float,
                     seconds: float) -> str:
    largest = measured[-1]
    lines = [
        "## The Milvus store at scale: Milvus Lite beside FAISS (measured)",
        "",
        f"Command: `python -m bench.milvus_scale` ({seconds / 60:.0f} min; load average {load_before:.1f} at the "
        f"start, {load_after:.1f} at the end, on {os.cpu_count()} cores). Machine: {cpu_model() or 'unknown CPU'}; "
        f"pymilvus {version('pymilvus')}, milvus-lite {version('milvus-lite')}, faiss {version('faiss-cpu')}.",
        "",
        "**Milvus Lite 3.x is a Python re-implementation of Milvus, not the server engine**: these figures say what "
        "one process with a .db file does, not what a Milvus server or cluster does. Milvus Lite reads every row of "
        "a collection for any filter but one on primary keys, so the store writes by batches of articles (one delete "
        "by filter per collection and batch, none into collections it created) and reads sentence vectors by row "
        "id.",
        "",
        f"The chunks: {articles} SQuAD dev articles ingested for real ({real_chunks} chunks), replicated as in "
        "Performance (each copy's vectors the real ones plus noise, its sentence vectors its original's). *Ingest* "
        "is writing the embedded chunks and their sentence vectors: FAISS `FaissStore.save` (IVF trained, BM25 "
        "built, generation written) against `move-index` of that generation into Milvus Lite (collections created, "
        "batched writes, flush; it includes reading the FAISS generation, timed apart in the notes).",
        "",
        markdown_table(["chunks", "store", "sentence vectors", "ingest s", "chunks/s", "on disk MB"],
                       [[f"{m.size:,}", name, f"{ingest.units:,}", f"{ingest.seconds:.1f}", f"{ingest.per_second:,.0f}",
                         f"{ingest.disk_bytes / 1e6:,.0f}"]
                        for m in measured for name, ingest in (("FAISS", m.faiss), ("Milvus Lite", m.milvus))]),
        "",
        f"Query latency, p50 / p95 in ms over {largest.questions} SQuAD questions, the two stores taking turns: "
        f"*dense* and *BM25 search* are the store's top {SEARCH_K} (the question's vector made beforehand); "
        "*hybrid retrieval* is `Retriever.search` (question embedded, both searches, fusion); *offline answer* is "
        "`QAPipeline.ask` (hybrid retrieval, the stored sentence vectors read, the answer composed).",
        "",
        markdown_table(["chunks", "store", *OPERATIONS],
                       [[f"{m.size:,}", name, *(_ms(m.latency[name][op]) for op in OPERATIONS)]
                        for m in measured for name in ("FAISS", "Milvus Lite")]),
        "",
    ]
    lines += [_ratios(m) for m in measured]
    if largest.size < TARGET:
        lines += ["", _extrapolated(measured)]
    return "\n".join(lines)


def _ms(timing: Timing) -> str:
    return f"{timing.p50 * 1000:.1f} / {timing.p95 * 1000:.1f}"


def _ratios(m: AtSize) -> str:
    """One size's same-run ratios, Milvus Lite to FAISS."""
    p50 = ", ".join(f"{op} {m.latency['Milvus Lite'][op].p50 / m.latency['FAISS'][op].p50:.1f}x"
                    for op in OPERATIONS)
    return (f"{m.size:,} chunks, Milvus Lite against FAISS in this run: ingest "
            f"{m.milvus.seconds / m.faiss.seconds:.1f}x the time ({m.milvus.seconds / m.milvus.chunks * 1000:.2f} ms "
            f"per chunk with its {m.milvus.units / m.milvus.chunks:.1f} sentence vectors, reading the FAISS "
            f"generation {m.faiss_read_s:.1f} s of it); p50 latency {p50}; the same offline answer for "
            f"{m.same_answers} of {m.questions} questions (FAISS index: {m.faiss_index}; Milvus Lite's: FLAT, exact).")


def _extrapolated(measured: list[AtSize]) -> str:
    rates = ", ".join(f"{m.milvus.seconds / m.milvus.chunks * 1000:.2f} ms per chunk at {m.size:,}" for m in measured)
    largest = measured[-1]
    per_chunk = largest.milvus.seconds / largest.milvus.chunks
    return (f"**Extrapolated, not measured:** the move took {rates} chunks; at the last rate {TARGET:,} chunks would "
            f"take about {per_chunk * TARGET / 60:.0f} min, if the time per chunk stays that flat.")


if __name__ == "__main__":
    main()
