"""Performance benchmark: ingest throughput, query latency at 10k/100k/1M chunks, memory per chunk, cold start.

    python -m bench.run            # the full run (about 10-15 minutes on 2 cores); updates docs/benchmarks.md
    python -m bench.run --quick    # a smaller corpus, 10k and 100k chunks, fewer queries (a few minutes)

Every speed is measured beside its baseline in the same run, interleaved round by round, and reported as medians
and ratios, because shared machines are noisy. The corpus is SQuAD v1.1 dev (../shared/benchmarks): its articles
are ingested for real; the large sizes replicate that corpus with synthetic vectors (see `synthetic_store`).

Each benchmark below measures and returns a record of `bench/run_report.py` (numbers only); that module writes the
markdown, and `main` puts the records through it into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import torch

from bench.report import update_section
from bench.run_report import (
    CPU_FEATURES, AppStart, AtSize, Chunking, ChunkedText, HardwareLimit, IndexMemory, Ingest, Latency, Machine,
    Memory, OfflineAnswers, Performance, ProcessRun, Reopened, RestartAt, RunInfo, SciFact, Speed, Timing,
    offline_answers_markdown, performance_markdown, restart_markdown)
from evaluation.datasets import read_beir, read_squad
from evaluation.metrics import ndcg_at
from index.build import embed_text, open_store, update_index
from index.embedders import cpu_flags, cpu_model, make_embedder
from index.store import BM25_FILES, UNIT_FILES, FaissStore, build_faiss_index, ivf_spec, search_index
from ingest.chunking import chunk_document, make_splitter, plain_splitter
from ingest.loaders import iter_documents
from qa.pipeline import QAPipeline
from settings import DEFAULT_MODEL, Settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "benchmarks" / "squad-v1.1-dev" / "dev-v1.1.json"
SCIFACT = ROOT.parent / "shared" / "benchmarks" / "scifact"
SPREAD = 1.0  # synthetic vector = real chunk vector + SPREAD x noise with the real vectors' covariance (cos ~0.7)
SEARCH_K = 100  # what Retriever asks the store for (index.search.CANDIDATES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small corpus, sizes 10k and 100k, fewer queries")
    parser.add_argument("--articles", type=int, help="SQuAD articles ingested (default 6, quick 3)")
    parser.add_argument("--rounds", type=int, help="interleaved ingest rounds (default 3, quick 2)")
    parser.add_argument("--sizes", help="chunk counts, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--queries", type=int, help="questions per size (default 100, quick 30)")
    parser.add_argument("--scifact", action="store_true",
                        help="also compare SciFact nDCG@10 of our embedder with plain fp32 (always done when the "
                             "chosen precision is not fp32)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--restart-sizes", help="chunk counts for the first question after a restart, "
                                                "comma-separated (default: those of --sizes from 100000 up)")
    parser.add_argument("--restart-only", action="store_true",
                        help="ingest once, then only the first question after a restart; print, write nothing")
    parser.add_argument("--offline-only", action="store_true",
                        help="ingest once, then only the offline answers with and without stored unit vectors; "
                             "print, write nothing")
    args = parser.parse_args()
    quick = args.quick
    articles = args.articles or (3 if quick else 6)
    rounds = args.rounds or (2 if quick else 3)
    sizes = [int(s) for s in (args.sizes or ("10000,100000" if quick else "10000,100000,1000000")).split(",")]
    queries = args.queries or (30 if quick else 100)
    restart_sizes = [int(s) for s in args.restart_sizes.split(",")] if args.restart_sizes else \
        [s for s in sizes if s >= 100_000]

    started = time.perf_counter()
    load_before = os.getloadavg()
    embedder = make_embedder(DEFAULT_MODEL)
    machine = measure_machine(embedder)
    with tempfile.TemporaryDirectory(prefix="ragqa-bench-") as tmp:
        tmp = Path(tmp)
        _progress("ingest")
        only = args.restart_only or args.offline_only
        ingest, store, questions = ingest_benchmark(embedder, tmp, articles, 1 if only else rounds)
        if args.restart_only:
            print(restart_markdown(restart_benchmark(embedder, store, questions, restart_sizes, tmp)))
            return
        if args.offline_only:
            print(offline_answers_markdown(offline_answer_benchmark(embedder, tmp, questions, queries)))
            return
        _progress("offline answers")
        offline = offline_answer_benchmark(embedder, tmp, questions, queries)
        _progress("chunking")
        chunking = chunking_benchmark(embedder, 0.3 if quick else 1.0)
        scifact = None
        if args.scifact or embedder.precision != "fp32":
            _progress("SciFact quality")
            scifact = scifact_benchmark(embedder)
        latency, saved = latency_benchmark(embedder, store, questions, sizes, queries)
        restart = restart_benchmark(embedder, store, questions, restart_sizes, tmp)
        _progress("memory and cold start")
        memory = memory_benchmark(saved, questions[0], tmp)
    run = RunInfo(quick, time.perf_counter() - started, load_before[0], os.getloadavg()[0], os.cpu_count())
    markdown = performance_markdown(Performance(run, machine, ingest, offline, chunking, scifact, latency, restart,
                                                memory))
    print(markdown)
    if not args.no_write:
        update_section("performance", markdown)


# -- machine ---------------------------------------------------------------------------------------------

def _progress(stage: str) -> None:
    print(f"[bench] {stage}", file=sys.stderr, flush=True)


def measure_machine(embedder) -> Machine:
    flags = cpu_flags()
    return Machine(cpu_model() or platform.processor(), os.cpu_count(), tuple(f for f in CPU_FEATURES if f in flags),
                   torch.__version__, torch.get_num_threads(), faiss.__version__, embedder.precision)


# -- ingest ----------------------------------------------------------------------------------------------

def squad_articles(limit: int | None = None, path: Path | None = None) -> tuple[list[dict], list[str]]:
    """The first `limit` SQuAD dev articles as the evaluation reads them (records {"id", "title", "text"}) and the
    questions asked about them; `path`, another copy of SQuAD dev than SQUAD."""
    dataset = read_squad(path or SQUAD)
    articles = dataset.articles[:limit]
    ids = {article["id"] for article in articles}
    return articles, [question.question for question in dataset.questions if question.doc_id in ids]


def plain_model():
    """The default model as sentence-transformers loads it, on the CPU: the baseline encoded with plain
    `SentenceTransformer.encode`, outside our embedder's batching, threads and autocast."""
    return make_embedder(DEFAULT_MODEL, precision="fp32", device="cpu").model


def article_text(article: dict) -> str:
    """An article as a .txt file holds it: its title, a blank line, its paragraphs."""
    return article["title"] + "\n\n" + article["text"]


def ingest_benchmark(embedder, tmp: Path, n_articles: int, rounds: int) -> tuple[Ingest, FaissStore, list[str]]:
    """Our ingest (read, chunk, embed, save) and our embedder alone, each against plain
    SentenceTransformer.encode of the same chunk texts, interleaved."""
    articles, questions = squad_articles(n_articles)
    corpus = tmp / "articles"
    corpus.mkdir()
    for i, article in enumerate(articles):
        (corpus / f"{i:02d}.txt").write_text(article_text(article))
    plain = plain_model()
    plain.encode(["warm up"])
    embedder.embed_query("warm up")

    def ingest_once(n: int):
        settings = Settings(index_dir=tmp / f"ingest-{n}", embed_model=DEFAULT_MODEL)
        start = time.perf_counter()
        report = update_index([str(corpus)], settings, embedder, progress=False)
        return time.perf_counter() - start, report, settings

    _, report, settings = ingest_once(0)  # also the texts the baseline encodes
    store = open_store(settings, embedder)
    texts = [embed_text(store.documents[c.doc_id], c, settings.embed_title) for c in store.chunks]
    runs = {"plain": [], "embed": [], "ingest": []}
    for r in range(rounds):
        order = ["plain", "embed", "ingest"][r % 3:] + ["plain", "embed", "ingest"][:r % 3]  # each first in turn
        for what in order:
            start = time.perf_counter()
            if what == "plain":
                plain_vectors = plain.encode(texts, batch_size=32, normalize_embeddings=True)
            elif what == "embed":
                our_vectors = embedder.embed_documents(texts)
            else:
                ingest_once(r + 1)
            runs[what].append(len(texts) / (time.perf_counter() - start))
    start = time.perf_counter()
    again = update_index([str(corpus)], settings, embedder, progress=False)
    reingest = time.perf_counter() - start
    cosines = np.sum(plain_vectors * our_vectors, axis=1)
    hardware = hardware_limit(plain, texts, np.median(runs["plain"]))

    def speed(what) -> Speed:
        ratios = [a / b for a, b in zip(runs[what], runs["plain"])]
        return Speed(float(np.median(runs[what])), float(np.median(ratios)), (min(ratios), max(ratios)))

    ingest = Ingest(len(articles), len(texts), report.total_chunks, rounds, embedder.precision,
                    float(np.median(runs["plain"])), speed("embed"), speed("ingest"), again.chunks_embedded, reingest,
                    float(cosines.min()), float(np.median(cosines)), hardware)
    return ingest, store, questions


def hardware_limit(model, texts: list[str], chunks_per_s: float) -> HardwareLimit:
    """How close fp32 encoding is to this CPU's fp32 matrix-multiply rate: the ceiling no fp32 runtime can beat."""
    tokenizer = model.tokenizer
    tokens = sum(min(len(tokenizer.encode(t)), model.max_seq_length) for t in texts) / len(texts)
    config = model[0].auto_model.config
    h, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    flops_per_chunk = 2 * layers * tokens * (4 * h * h + 2 * h * ffn + 2 * tokens * h)
    a, b = torch.randn(4096, h), torch.randn(h, ffn)
    torch.mm(a, b)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10):
            torch.mm(a, b)
        rates.append(10 * 2 * 4096 * h * ffn / (time.perf_counter() - start))
    peak = float(np.median(rates))
    return HardwareLimit(float(tokens), float(flops_per_chunk), float(flops_per_chunk * chunks_per_s), peak)


# -- chunking ----------------------------------------------------------------------------------------------

def chunking_benchmark(embedder, megabytes: float, rounds: int = 3) -> Chunking:
    """Seconds per MB to cut loaded documents into chunks: langchain's splitter calling the tokenizer at every
    measurement (the path before issue 12) against ours (counts made ahead in batches), interleaved, with the chunks
    of both compared. Also text the splitter cuts into characters (no spaces, as in Chinese), at a twentieth of the
    size because the old path needs about 15-50 s per MB there."""
    size, overlap = Settings().chunk_tokens, Settings().chunk_overlap
    embedder.count_tokens("warm up")
    ours = make_splitter(size, overlap, embedder.count_tokens, embedder.count_tokens_many)
    before = plain_splitter(size, overlap, embedder.count_tokens)
    texts = []
    with tempfile.TemporaryDirectory(prefix="ragqa-chunking-") as tmp:
        for label, target, transform in (("SQuAD dev articles (prose)", megabytes, None),
                                         ("the same, letters as CJK ideographs, no spaces", megabytes / 20, _as_cjk)):
            documents = _chunking_documents(Path(tmp) / label[:5], target, transform)
            mb = sum(len(d.text.encode()) for d in documents) / 1e6
            times = {"before": [], "ours": []}
            for r in range(rounds):
                for name in ("before", "ours") if r % 2 == 0 else ("ours", "before"):
                    splitter = before if name == "before" else ours
                    start = time.perf_counter()
                    chunks = [chunk_document(d, splitter) for d in documents]
                    times[name].append((time.perf_counter() - start) / mb)
                    if name == "before":
                        old_chunks = chunks
                    else:
                        new_chunks = chunks
            same = sum(a == b for a, b in zip(old_chunks, new_chunks))
            speedups = [b / o for b, o in zip(times["before"], times["ours"])]
            texts.append(ChunkedText(label, mb, len(documents), float(np.median(times["before"])),
                                     float(np.median(times["ours"])), float(np.median(speedups)), same))
    return Chunking(size, overlap, rounds, tuple(texts))


def _chunking_documents(folder: Path, megabytes: float, transform) -> list:
    """SQuAD dev articles written as .txt files until `megabytes`, loaded as ingest loads them."""
    folder.mkdir(parents=True)
    total = 0
    for i, article in enumerate(squad_articles()[0]):
        text = article_text(article)
        text = transform(text) if transform else text
        (folder / f"{i:03d}.txt").write_text(text)
        total += len(text.encode())
        if total >= megabytes * 1e6:
            break
    return [d for d in iter_documents([str(folder)]) if hasattr(d, "text")]


def _as_cjk(text: str) -> str:
    """Each ASCII letter made a CJK ideograph and spaces dropped, blank lines kept: a paragraph longer than a chunk
    then has no separator but the empty one, so the splitter measures it character by character."""
    paragraphs = ("".join(chr(0x4E00 + ord(c)) if c.isascii() and c.isalpha() else c for c in p if not c.isspace())
                  for p in text.split("\n\n"))
    return "\n\n".join(paragraphs)


# -- SciFact quality check --------------------------------------------------------------------------------

def scifact_benchmark(embedder) -> SciFact:
    """Doc-level dense nDCG@10 on SciFact test (whole abstracts, title + text, exact search): ours vs plain fp32."""
    base = make_embedder(DEFAULT_MODEL, precision="fp32")
    dataset = read_beir(SCIFACT)  # the test queries and the abstracts each one is about
    docs = [json.loads(line) for line in dataset.corpus_file.read_text().splitlines() if line.strip()]
    texts = [f"{d.get('title', '')} {d['text']}".strip() for d in docs]
    ids = [d["_id"] for d in docs]
    results = {}
    for name, model in (("plain", base), ("ours", embedder)):
        vectors = model.embed_documents(texts)
        gains = []
        for question in dataset.questions:
            relevant = {span.doc_id for unit in question.gold for span in unit}
            top = np.argsort(-(vectors @ model.embed_query(question.question)))[:10]
            ranks = [rank for rank, i in enumerate(top, 1) if ids[i] in relevant]
            gains.append(ndcg_at(ranks, len(relevant), 10))
        results[name] = float(np.mean(gains))
    return SciFact(len(dataset.questions), results["plain"], results["ours"], embedder.precision)


# -- latency at size ---------------------------------------------------------------------------------------

def synthetic_store(real: FaissStore, size: int, rng: np.random.Generator) -> FaissStore:
    """`real` replicated to `size` chunks: copy 0 keeps the real vectors, every other copy of a chunk gets its real
    vector plus Gaussian noise with the real vectors' covariance (scaled by SPREAD), normalised. Texts, articles and
    offsets are the real ones under new ids, so BM25 and answers work unchanged."""
    store = FaissStore(real.config)
    centred = real.vectors - real.vectors.mean(axis=0)
    per_copy = real.count
    entries = []
    by_doc = {}
    for position, chunk in enumerate(real.chunks):
        by_doc.setdefault(chunk.doc_id, []).append(position)
    copies = -(-size // per_copy)
    for copy in range(copies):
        base = np.asarray(real.vectors)
        if copy:
            noise = rng.standard_normal((per_copy, len(centred)), dtype=np.float32) @ centred / np.sqrt(len(centred))
            base = base + SPREAD * noise
            base /= np.linalg.norm(base, axis=1, keepdims=True)
        for doc_id, positions in by_doc.items():
            document = real.documents[doc_id]
            new_id = doc_id if copy == 0 else f"{doc_id}~{copy}"
            chunks = [replace(real.chunks[p], id=f"{new_id}#{real.chunks[p].index}", doc_id=new_id) for p in positions]
            entries.append((replace(document, id=new_id), f"{real.doc_hashes[doc_id]}~{copy}", chunks,
                            base[positions], [f"{real.embed_keys[p]}~{copy}" for p in positions]))
    store.add(entries)
    if store.count > size:  # trim the last copy's surplus chunks
        store.chunks, store.embed_keys = store.chunks[:size], store.embed_keys[:size]
        store.vectors, store.unit_counts = store.vectors[:size], store.unit_counts[:size]  # copies carry no units
        kept = {c.doc_id for c in store.chunks}
        for doc_id in set(store.documents) - kept:
            store.documents.pop(doc_id)
            store.doc_hashes.pop(doc_id)
    return store


def latency_benchmark(embedder, real: FaissStore, questions: list[str], sizes: list[int],
                      n_queries: int) -> tuple[Latency, tuple[int, FaissStore] | None]:
    """Vector search, retrieval and offline answers on the real store replicated to each size; also the last store
    of at most 100k chunks with its size, which the memory benchmark saves."""
    rng = np.random.default_rng(0)
    picked = [questions[i] for i in rng.choice(len(questions), min(n_queries, len(questions)), replace=False)]
    vectors = embedder.embed_documents(picked)
    settings = Settings(embed_model=DEFAULT_MODEL)
    measured, saved = [], None
    for size in sizes:
        _progress(f"{size:,} chunks")
        store = synthetic_store(real, size, rng)
        start = time.perf_counter()
        auto = store.faiss_index
        auto_build = time.perf_counter() - start
        spec = store.index_spec
        exact = auto if spec["type"] == "flat" else build_faiss_index(store.vectors, {"type": "flat"})
        approx_spec = spec if spec["type"] == "ivf" else ivf_spec(size)
        start = time.perf_counter()
        approx = auto if spec["type"] == "ivf" else build_faiss_index(store.vectors, approx_spec)
        approx_build = auto_build if spec["type"] == "ivf" else time.perf_counter() - start
        exact_t, approx_t, recalls = [], [], []
        for i, vector in enumerate(vectors):
            pair = [("exact", exact), ("approx", approx)]
            for name, index in pair if i % 2 == 0 else pair[::-1]:
                start = time.perf_counter()
                found = search_index(index, vector, SEARCH_K)
                (exact_t if name == "exact" else approx_t).append(time.perf_counter() - start)
                if name == "exact":
                    truth = {p for p, _ in found[:10]}
                else:
                    got = {p for p, _ in found[:10]}
            recalls.append(len(truth & got) / 10)
        timer = _TimedEmbedder(embedder)
        pipeline = QAPipeline(settings, timer, store=store)  # the large synthetic stores are never written
        timed = picked[:max(10, n_queries // 3)]
        start = time.perf_counter()
        pipeline.retriever.prepare()  # BM25 index built once, outside the timings
        bm25_build = time.perf_counter() - start
        dense_t, hybrid_t, answer_t, answer_embedding, stored_t = [], [], [], [], []
        for question in timed:
            for bucket, call in ((dense_t, lambda: pipeline.retriever.search(question, 5, method="dense")),
                                 (hybrid_t, lambda: pipeline.retriever.search(question, 5, method="hybrid")),
                                 (answer_t, lambda: pipeline.ask(question))):
                timer.seconds = 0.0
                start = time.perf_counter()
                call()
                bucket.append(time.perf_counter() - start)
            answer_embedding.append(timer.seconds)
        with _units_shared_with(store, real):
            pipeline.ask(timed[0])  # the units' look-up tables are built once, as when a generation is opened
            for question in timed:
                start = time.perf_counter()
                pipeline.ask(question)
                stored_t.append(time.perf_counter() - start)
        measured.append(AtSize(
            size, spec["type"], _timing(exact_t), _timing(approx_t),
            tuple((k, v) for k, v in approx_spec.items() if k != "type"), float(np.mean(recalls)), _timing(dense_t),
            _timing(hybrid_t), _timing(answer_t), _timing(stored_t),
            float(np.sum(answer_embedding) / np.sum(answer_t)), approx_build, bm25_build))
        if size <= 100_000:
            saved = (size, store)
        else:
            del store, pipeline, exact, approx, auto
    return Latency(len(vectors), len(timed), SEARCH_K, SPREAD, tuple(measured)), saved


def copied_units(store: FaissStore, real: FaissStore) -> tuple[np.ndarray, np.ndarray]:
    """Unit counts and keys for every chunk of a synthetic store: each copy's are its original's (same texts, so same
    keys); its rows are the real store's rows over and over."""
    copies = -(-store.count // real.count)
    counts = np.tile(np.asarray(real.unit_counts), copies)[:store.count]
    return counts, np.tile(np.asarray(real.unit_keys), copies)[:int(counts.sum())]


@contextlib.contextmanager
def _units_shared_with(store: FaissStore, real: FaissStore):
    """The synthetic store with unit rows for every chunk (`copied_units`), the vectors read through a view that wraps
    around the real store's rows instead of copying them."""
    saved = store.unit_counts, store.unit_keys, store.unit_vectors
    store.replace_units(*copied_units(store, real), _WrappingRows(np.asarray(real.unit_vectors)))
    try:
        yield store
    finally:
        store.replace_units(*saved)


class _WrappingRows:
    """Row i of `rows`, for i past its end too: row i % len(rows)."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def __getitem__(self, i: int) -> np.ndarray:
        return self.rows[i % len(self.rows)]


class _TimedEmbedder:
    """The embedder, adding up the seconds spent in it."""

    def __init__(self, embedder):
        self._embedder = embedder
        self.seconds = 0.0

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def embed_documents(self, texts, show_progress=False):
        start = time.perf_counter()
        try:
            return self._embedder.embed_documents(texts, show_progress)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_query(self, text):
        return self.embed_documents([text])[0]


def _timing(seconds: list[float]) -> Timing:
    return Timing(float(np.median(seconds)), float(np.percentile(seconds, 95)))


# -- offline answers: unit vectors stored at ingest or embedded per question -----------------------------------

def offline_answer_benchmark(embedder, tmp: Path, questions: list[str], n_queries: int) -> OfflineAnswers:
    """QAPipeline.ask on the ingested generation, whose units' vectors were stored at ingest, against the same
    generation as older code wrote it (no units files), which embeds every candidate sentence per question;
    interleaved question by question. What a reader gets must be the same: the answer and its citations (the hits'
    scores differ, since an older generation has no sentence vectors for hybrid retrieval to fuse)."""
    stored = tmp / "ingest-0"  # the generation ingest_benchmark wrote first
    older = tmp / "offline-older"
    shutil.copytree(stored, older, ignore=shutil.ignore_patterns(".lock"))
    _as_older_generation(older, UNIT_FILES, "units")
    timer = _TimedEmbedder(embedder)
    pipelines = {name: QAPipeline(Settings(index_dir=folder, embed_model=DEFAULT_MODEL), timer)
                 for name, folder in (("stored", stored), ("older", older))}
    for pipeline in pipelines.values():
        pipeline.ask(questions[0])  # opened and warm outside the timings
    picked = questions[::max(1, len(questions) // n_queries)][:n_queries]
    seconds, embedding, differing = {"stored": [], "older": []}, {"stored": 0.0, "older": 0.0}, []
    for i, question in enumerate(picked):
        answers = {}
        for name in ("stored", "older") if i % 2 == 0 else ("older", "stored"):
            timer.seconds = 0.0
            start = time.perf_counter()
            answers[name] = pipelines[name].ask(question)
            seconds[name].append(time.perf_counter() - start)
            embedding[name] += timer.seconds
        if _as_read(answers["stored"]) != _as_read(answers["older"]):
            differing.append(question)
    share = {name: float(embedding[name] / np.sum(seconds[name])) for name in seconds}
    return OfflineAnswers(pipelines["stored"].collection.count, len(picked), _timing(seconds["older"]),
                          share["older"], _timing(seconds["stored"]), share["stored"],
                          float(np.median(seconds["older"]) / np.median(seconds["stored"])), tuple(differing))


def _as_read(answer) -> tuple:
    return answer.text, answer.citations


def _as_older_generation(folder: Path, files: dict[str, str], manifest_key: str) -> None:
    """The live generation as code from before a feature wrote it: without its files (UNIT_FILES, BM25_FILES) and
    without its entry in the manifest ("units", "bm25")."""
    generation = folder / (folder / "CURRENT").read_text().strip()
    for name in files.values():
        (generation / name).unlink()
    manifest = json.loads((generation / "manifest.json").read_text())
    del manifest[manifest_key]
    (generation / "manifest.json").write_text(json.dumps(manifest))


# -- first question after a restart ----------------------------------------------------------------------------

def restart_benchmark(embedder, real: FaissStore, questions: list[str], sizes: list[int],
                      tmp: Path) -> tuple[RestartAt, ...]:
    """The first answers after the index is opened afresh: BM25 loaded with the generation (built at ingest) against
    the same generation as older code saved it, without BM25, which the first question then builds."""
    settings = Settings(embed_model=DEFAULT_MODEL)
    asked = questions[:3]
    measured = []
    for size in sizes:
        _progress(f"restart at {size:,} chunks")
        folder = tmp / f"restart-{size}"
        store = synthetic_store(real, size, np.random.default_rng(size))
        start = time.perf_counter()
        store.bm25  # noqa: B018 - built here to time it apart from writing
        built_in = time.perf_counter() - start
        store.faiss_index  # noqa: B018 - the IVF index is trained apart too
        start = time.perf_counter()
        store.save(folder)
        written_in = time.perf_counter() - start
        del store
        reopened = []
        for older in (False, True):
            if older:
                _as_older_generation(folder, BM25_FILES, "bm25")
            start = time.perf_counter()
            opened = FaissStore.load(folder, real.config)
            opened_in = time.perf_counter() - start
            pipeline = QAPipeline(settings, embedder, store=opened)
            answers = []
            for question in asked:
                start = time.perf_counter()
                pipeline.ask(question)
                answers.append(time.perf_counter() - start)
            reopened.append(Reopened(opened_in, tuple(answers)))
            del pipeline, opened
        measured.append(RestartAt(size, *reopened, built_in, written_in))
        shutil.rmtree(folder)
    return tuple(measured)


# -- memory and cold start -----------------------------------------------------------------------------------

COLD_START = r"""
import json, os, sys, time
start = time.perf_counter()
mode, question = sys.argv[1], sys.argv[2]
if mode == "app":
    import app
    imported = time.perf_counter() - start
    app.chat_app.library.ensure_ready()
    pipeline = app.chat_app.pipeline
else:
    from qa.pipeline import QAPipeline
    from settings import Settings
    imported = time.perf_counter() - start
    pipeline = QAPipeline(Settings.from_env())
    pipeline.collection.warm_up()
ready = time.perf_counter() - start
pipeline.ask(question)
answered = time.perf_counter() - start
status = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith(("VmRSS", "RssAnon", "RssFile")))
print(json.dumps({"import": imported, "ready": ready, "answer": answered,
                  **{k: int(v.split()[0]) * 1024 for k, v in status.items()}}))
"""


def cold_start(index_dir: Path, mode: str, question: str) -> ProcessRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(RAGQA_INDEX_DIR=str(index_dir), RAGQA_EMBED_MODEL=DEFAULT_MODEL)
    # `python -c` finds the project's modules in its working directory, the repository root
    done = subprocess.run([sys.executable, "-c", COLD_START, mode, question], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        return ProcessRun(error=(done.stderr.strip().splitlines() or ["failed"])[-1])
    run = json.loads(done.stdout.strip().splitlines()[-1])
    return ProcessRun(run["import"], run["ready"], run["answer"], run["VmRSS"], run["RssAnon"], run["RssFile"])


def memory_benchmark(saved: tuple[int, FaissStore] | None, question: str, tmp: Path) -> Memory:
    """A fresh process opening the ingested index, and the saved synthetic store, and answering; then the app's cold
    start twice."""
    small_dir = tmp / "ingest-0"
    big = None
    if saved:
        size, store = saved
        big = tmp / f"index-{size}"
        store.save(big)
    indexes = []
    for label, folder in (("ingested corpus", small_dir), (f"{saved[0]:,} chunks" if saved else "", big)):
        if folder is None:
            continue
        generation = folder / (folder / "CURRENT").read_text().strip()
        manifest = json.loads((generation / "manifest.json").read_text())
        files = tuple(sorted((p.name, p.stat().st_size) for p in generation.iterdir()))
        indexes.append(IndexMemory(label, manifest["chunks"], manifest["index_type"], files,
                                   cold_start(folder, "pipeline", question)))
    app_runs = tuple(cold_start(small_dir, "app", question) for _ in range(2))
    good = [r for r in app_runs if not r.error]

    def median(values) -> float:
        return float(np.median(list(values)))

    app = AppStart(median(r.imported for r in good), median(r.ready for r in good),
                   median(r.answered for r in good)) if good else None
    return Memory(tuple(indexes), app_runs, app)


if __name__ == "__main__":
    main()
