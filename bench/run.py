"""Performance benchmark: ingest throughput, query latency at 10k/100k/1M chunks, memory per chunk, cold start.

    python -m bench.run            # the full run (about 10-15 minutes on 2 cores); updates docs/benchmarks.md
    python -m bench.run --quick    # a smaller corpus, 10k and 100k chunks, fewer queries (a few minutes)

Every speed is measured beside its baseline in the same run, interleaved round by round, and reported as medians
and ratios, because shared machines are noisy. The corpus is SQuAD v1.1 dev (../shared/benchmarks): its articles
are ingested for real; the large sizes replicate that corpus with synthetic vectors (see `synthetic_store`).
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
from dataclasses import dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np
import torch

from bench.report import cpu_model, update_section
from evaluation.datasets import read_beir, read_squad
from evaluation.metrics import ndcg_at
from evaluation.report import markdown_table
from index.build import embed_text, open_store, update_index
from index.embedders import cpu_flags, make_embedder
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


@dataclass(frozen=True)
class AtSize:
    """The latency benchmark at one index size: medians in seconds."""
    index_type: str  # the type chosen for the size, "flat" or "ivf"
    search: float  # vector search with that type
    recall: float  # the approximate index's top 10 against exact search's
    dense: float  # dense retrieval, the question's embedding included
    answer: float  # a generation without unit vectors: candidate sentences embedded per question
    embedding_share: float  # of that answer's time, in the model
    stored_answer: tuple[float, float] = (0.0, 0.0)  # p50 and p95, every chunk's unit vectors in the generation


@dataclass(frozen=True)
class AppStart:
    """A fresh `import app`, seconds from the process start (median of the runs that worked)."""
    imported: float
    ready: float  # index and model loaded
    answered: float  # the first answer


@dataclass
class Figures:
    """What the targets section judges, filled in by the sections that measure it."""
    precision: str
    ingest_ratio: float = 0.0  # chunks per second against plain encode's, medians of the rounds' ratios
    embed_ratio: float = 0.0
    cosine_min: float = 0.0  # our vectors against plain encode's
    ndcg_diff: float | None = None  # SciFact, ours against plain fp32; None when not measured
    sizes: dict[int, AtSize] = field(default_factory=dict)
    app: AppStart | None = None


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
    sections = [machine_section(embedder)]
    figures = Figures(embedder.precision)
    with tempfile.TemporaryDirectory(prefix="ragqa-bench-") as tmp:
        tmp = Path(tmp)
        _progress("ingest")
        only = args.restart_only or args.offline_only
        ingest, store, questions = ingest_benchmark(embedder, tmp, articles, 1 if only else rounds, figures)
        if args.restart_only:
            print(restart_benchmark(embedder, store, questions, restart_sizes, tmp))
            return
        if args.offline_only:
            print(offline_answer_section(embedder, tmp, questions, queries))
            return
        sections.append(ingest)
        _progress("offline answers")
        sections.append(offline_answer_section(embedder, tmp, questions, queries))
        _progress("chunking")
        sections.append(chunking_section(embedder, 0.3 if quick else 1.0))
        if args.scifact or embedder.precision != "fp32":
            _progress("SciFact quality")
            sections.append(scifact_section(embedder, figures))
        latency, saved = latency_benchmark(embedder, store, questions, sizes, queries, figures)
        sections.append(latency)
        sections.append(restart_benchmark(embedder, store, questions, restart_sizes, tmp))
        _progress("memory and cold start")
        sections.append(memory_section(saved, questions[0], tmp, figures))
    sections.insert(1, targets_section(figures))
    command = "python -m bench.run" + (" --quick" if quick else "")
    load_after = os.getloadavg()
    header = (f"Command: `{command}` ({time.perf_counter() - started:.0f} s; load average "
              f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end, on {os.cpu_count()} cores). "
              "Quick subset: `python -m bench.run --quick`.")
    markdown = "## Performance\n\n" + header + "\n\n" + "\n\n".join(sections)
    print(markdown)
    if not args.no_write:
        update_section("performance", markdown)


# -- machine ---------------------------------------------------------------------------------------------

def _progress(stage: str) -> None:
    print(f"[bench] {stage}", file=sys.stderr, flush=True)


def machine_section(embedder) -> str:
    flags = cpu_flags()
    model = cpu_model()
    wanted = ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni"]
    return (f"Machine: {model or platform.processor()}, {os.cpu_count()} cores, flags "
            f"{', '.join(f for f in wanted if f in flags) or 'none of ' + ', '.join(wanted)}; torch "
            f"{torch.__version__} ({torch.get_num_threads()} threads), faiss {faiss.__version__}. Embedding precision "
            f"chosen: **{embedder.precision}** (bf16 autocast only with avx512_bf16 or amx_bf16; "
            f"`index/embedders.py`).")


# -- ingest ----------------------------------------------------------------------------------------------

def squad_articles(limit: int | None = None) -> tuple[list[dict], list[str]]:
    """The first `limit` SQuAD dev articles as the evaluation reads them (records {"id", "title", "text"}) and the
    questions asked about them."""
    dataset = read_squad(SQUAD)
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


def ingest_benchmark(embedder, tmp: Path, n_articles: int, rounds: int, figures: Figures):
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

    def ratios(what):
        return [a / b for a, b in zip(runs[what], runs["plain"])]

    rows = [["plain `SentenceTransformer.encode` (fp32, batch 32)", f"{np.median(runs['plain']):.1f}", "1.00", ""],
            [f"our embedder alone ({embedder.precision})", f"{np.median(runs['embed']):.1f}",
             f"{np.median(ratios('embed')):.2f}", _spread(ratios("embed"))],
            ["our full ingest: read, clean, chunk, embed, save", f"{np.median(runs['ingest']):.1f}",
             f"{np.median(ratios('ingest')):.2f}", _spread(ratios("ingest"))]]
    markdown = (f"### Ingest\n\n{len(articles)} SQuAD dev articles, {len(texts)} chunks "
                f"({report.total_chunks} in the index), {rounds} interleaved rounds; chunks per second, median, and "
                f"the median of the per-round ratios to plain encode:\n\n"
                + markdown_table(["what", "chunks/s", "ratio", "ratio range"], rows)
                + f"\n\nRe-ingesting the unchanged corpus: {again.chunks_embedded} chunks embedded, {reingest:.2f} s. "
                f"Our vectors against plain encode's: cosine min {cosines.min():.6f}, median "
                f"{np.median(cosines):.6f}."
                + (" In fp32 our embedder runs the very computation plain encode does, so a ratio away from 1.00 "
                   "is this machine's noise, not a speed-up." if embedder.precision == "fp32" else "")
                + f"\n\n{hardware}")
    figures.ingest_ratio = float(np.median(ratios("ingest")))
    figures.embed_ratio = float(np.median(ratios("embed")))
    figures.cosine_min = float(cosines.min())
    return markdown, store, questions


def _spread(values) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def hardware_limit(model, texts: list[str], chunks_per_s: float) -> str:
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
    achieved = flops_per_chunk * chunks_per_s
    return (f"Hardware limit: a chunk averages {tokens:.0f} tokens, {flops_per_chunk / 1e9:.1f} GFLOP through the "
            f"model; plain fp32 encode runs at {achieved / 1e9:.0f} GFLOP/s, {achieved / peak:.0%} of the "
            f"{peak / 1e9:.0f} GFLOP/s this CPU reaches on a plain fp32 matrix multiply of the model's shapes "
            f"(measured just after). An fp32 runtime can win at most the remaining gap; 2x needs lower precision.")


# -- chunking ----------------------------------------------------------------------------------------------

def chunking_section(embedder, megabytes: float, rounds: int = 3) -> str:
    """Seconds per MB to cut loaded documents into chunks: langchain's splitter calling the tokenizer at every
    measurement (the path before issue 12) against ours (counts made ahead in batches), interleaved, with the chunks
    of both compared. Also text the splitter cuts into characters (no spaces, as in Chinese), at a twentieth of the
    size because the old path needs about 15-50 s per MB there."""
    size, overlap = Settings().chunk_tokens, Settings().chunk_overlap
    embedder.count_tokens("warm up")
    ours = make_splitter(size, overlap, embedder.count_tokens, embedder.count_tokens_many)
    before = plain_splitter(size, overlap, embedder.count_tokens)
    rows, prose = [], None
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
            prose = np.median(times["ours"]) if prose is None else prose
            rows.append([label, f"{mb:.2f}", f"{len(documents)}", f"{np.median(times['before']):.2f}",
                         f"{np.median(times['ours']):.2f}", f"{np.median(speedups):.1f}x", f"{same}/{len(documents)}"])
    return ("### Chunking\n\n"
            f"`ingest/chunking.py` on documents loaded from .txt files ({size} tokens, overlap {overlap}, the model's "
            f"tokenizer), {rounds} interleaved rounds, median seconds per MB of text: *before* is langchain's "
            "splitter calling the tokenizer at each measurement, *ours* counts each document's pieces ahead in a few "
            "batches; the chunks (text, offsets, sections) of both are compared document by document.\n\n"
            + markdown_table(["text", "MB", "documents", "before s/MB", "ours s/MB", "speed-up", "identical documents"],
                             rows)
            + f"\n\nTarget <= 1 s per MB: {'met' if prose <= 1 else '**not met**'} ({prose:.2f} s/MB on prose).")


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

def scifact_section(embedder, figures: Figures) -> str:
    """Doc-level dense nDCG@10 on SciFact test (whole abstracts, title + text, exact search): ours vs plain fp32."""
    base = make_embedder(DEFAULT_MODEL, precision="fp32")
    dataset = read_beir(SCIFACT)  # the test queries and the abstracts each one is about
    docs = [json.loads(line) for line in dataset.corpus_file.read_text().splitlines() if line.strip()]
    texts = [f"{d.get('title', '')} {d['text']}".strip() for d in docs]
    ids = [d["_id"] for d in docs]
    results = {}
    for name, model in (("plain fp32", base), (f"ours ({embedder.precision})", embedder)):
        vectors = model.embed_documents(texts)
        gains = []
        for question in dataset.questions:
            relevant = {span.doc_id for unit in question.gold for span in unit}
            top = np.argsort(-(vectors @ model.embed_query(question.question)))[:10]
            ranks = [rank for rank, i in enumerate(top, 1) if ids[i] in relevant]
            gains.append(ndcg_at(ranks, len(relevant), 10))
        results[name] = float(np.mean(gains))
    rows = [[name, f"{value:.4f}"] for name, value in results.items()]
    diff = abs(results[rows[1][0]] - results[rows[0][0]])
    figures.ndcg_diff = diff
    return (f"### Quality: SciFact nDCG@10\n\nDense retrieval of whole abstracts, {len(dataset.questions)} test queries:\n\n"
            + markdown_table(["embedder", "nDCG@10"], rows) + f"\n\nDifference {diff:.4f} (target: within 0.005).")


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


def latency_benchmark(embedder, real: FaissStore, questions: list[str], sizes: list[int], n_queries: int,
                      figures: Figures):
    rng = np.random.default_rng(0)
    picked = [questions[i] for i in rng.choice(len(questions), min(n_queries, len(questions)), replace=False)]
    vectors = embedder.embed_documents(picked)
    settings = Settings(embed_model=DEFAULT_MODEL)
    rows, notes, saved = [], [], None
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
        params = ", ".join(f"{k}={v}" for k, v in approx_spec.items() if k != "type")
        rows.append([f"{size:,}", f"**{spec['type']}**", _ms(exact_t), f"{_ms(approx_t)} (IVF {params})",
                     f"{np.mean(recalls):.3f}", _ms(dense_t), _ms(hybrid_t), _ms(answer_t), _ms(stored_t)])
        notes.append(f"{size:,}: IVF built in {approx_build:.1f} s, BM25 in {bm25_build:.1f} s")
        share = np.sum(answer_embedding) / np.sum(answer_t)
        figures.sizes[size] = AtSize(spec["type"], float(np.median(approx_t if spec["type"] == "ivf" else exact_t)),
                                     recall=float(np.mean(recalls)), dense=float(np.median(dense_t)),
                                     answer=float(np.median(answer_t)), embedding_share=float(share),
                                     stored_answer=(float(np.median(stored_t)), float(np.percentile(stored_t, 95))))
        if size <= 100_000:
            saved = (size, store)
        else:
            del store, pipeline, exact, approx, auto
    markdown = (
        "### Query latency and recall\n\n"
        f"p50 / p95 in ms over {len(vectors)} SQuAD questions (vector search, asking k={SEARCH_K} as the retriever "
        f"does; exact and approximate interleaved per query) and {len(timed)} for the full paths. The large sizes "
        "replicate the ingested corpus: each copy of a chunk gets its real vector plus noise with the real vectors' "
        f"covariance (x{SPREAD}, cosine about 0.7 to the original), so neighbourhoods are as dense as in real text. "
        "`index` is the type chosen automatically for that size (`index/store.py`, recorded in the manifest). "
        "Recall@10 is the approximate index's top 10 against exact search's. *dense* and *hybrid* are "
        "`Retriever.search` (query embedding + FAISS, + BM25 and fusion); *answer* is `QAPipeline.ask` "
        "(hybrid retrieval + offline answer): *embedded* as a generation without unit vectors answers, embedding "
        "the candidate sentences per question; *stored* with every chunk's unit vectors in the generation, as "
        "ingest writes them (a copy's units are its original's, the same texts, read through one shared array: "
        "a copy of each would take 9 GB at 1M chunks).\n\n"
        + markdown_table(["chunks", "index", "exact search", "approx search", "recall@10", "dense retrieval",
                          "hybrid retrieval", "answer, embedded", "answer, stored"], rows)
        + "\n\nBuild times: " + "; ".join(notes) + ". Of the full answer's time, embedding (the question, then the "
        "candidate sentences `qa/evidence.py` scores) takes "
        + ", ".join(f"{figures.sizes[s].embedding_share:.0%} at {s:,}" for s in sizes) + ".")
    return markdown, saved


@contextlib.contextmanager
def _units_shared_with(store: FaissStore, real: FaissStore):
    """The synthetic store with unit rows for every chunk: each copy's are its original's (same texts, so same keys),
    the vectors read through a view that wraps around the real store's rows instead of copying them."""
    copies = -(-store.count // real.count)
    counts = np.tile(np.asarray(real.unit_counts), copies)[:store.count]
    saved = store.unit_counts, store.unit_keys, store.unit_vectors, store._unit_offsets
    store.unit_counts, store._unit_offsets = counts, None
    store.unit_keys = np.tile(np.asarray(real.unit_keys), copies)[:int(counts.sum())]
    store.unit_vectors = _WrappingRows(np.asarray(real.unit_vectors))
    try:
        yield store
    finally:
        store.unit_counts, store.unit_keys, store.unit_vectors, store._unit_offsets = saved


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


def _ms(seconds: list[float]) -> str:
    return f"{np.median(seconds) * 1e3:.1f} / {np.percentile(seconds, 95) * 1e3:.1f}"


# -- offline answers: unit vectors stored at ingest or embedded per question -----------------------------------

def offline_answer_section(embedder, tmp: Path, questions: list[str], n_queries: int) -> str:
    """QAPipeline.ask on the ingested generation, whose units' vectors were stored at ingest, against the same
    generation as older code wrote it (no units files), which embeds every candidate sentence per question;
    interleaved question by question. The answers must be the same."""
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
        if answers["stored"] != answers["older"]:
            differing.append(question)
    ratio = np.median(seconds["older"]) / np.median(seconds["stored"])
    rows = [[label, _ms(seconds[name]), f"{embedding[name] / np.sum(seconds[name]):.0%}"]
            for name, label in (("older", "candidates embedded per question (older generation)"),
                                ("stored", "unit vectors stored at ingest"))]
    return ("### Offline answers\n\n"
            f"`QAPipeline.ask` (hybrid retrieval + offline answer) in process on the ingested SQuAD articles "
            f"({pipelines['stored'].collection.count} chunks), {len(picked)} questions, the two generations "
            "interleaved question by question; p50 / p95 in ms and the share of the time spent in the model:\n\n"
            + markdown_table(["generation", "answer p50 / p95 ms", "in the model"], rows)
            + f"\n\nMedian ratio {ratio:.1f}x; answers identical for {len(picked) - len(differing)} of {len(picked)} "
            "questions" + (f" (differing: {'; '.join(differing[:3])})" if differing else "") + ".")


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

def restart_benchmark(embedder, real: FaissStore, questions: list[str], sizes: list[int], tmp: Path) -> str:
    """The first answers after the index is opened afresh: BM25 loaded with the generation (built at ingest) against
    the same generation as older code saved it, without BM25, which the first question then builds."""
    settings = Settings(embed_model=DEFAULT_MODEL)
    asked = questions[:3]
    rows, verdicts = [], []
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
        firsts = {}
        for variant in ("BM25 saved with the generation", "no BM25 saved (older generation)"):
            if variant.startswith("no"):
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
            firsts[variant] = answers[0]
            rows.append([f"{size:,}", variant, f"{opened_in:.2f}", f"{answers[0]:.2f}",
                         " / ".join(f"{a:.2f}" for a in answers[1:])])
            del pipeline, opened
        saved, built = firsts.values()
        verdicts.append(f"{size:,}: first answer {saved:.2f} s against {built:.2f} s ({built / saved:.0f}x), BM25 "
                        f"built at save in {built_in:.1f} s, generation written in {written_in:.1f} s")
        shutil.rmtree(folder)
    return ("### First question after a restart\n\nThe generation opened afresh in this process "
            "(`FaissStore.load`; the model is already loaded), then three offline answers (`QAPipeline.ask`), "
            "seconds. Same synthetic store as above, saved once; the second row is that generation without its "
            "BM25 files, as older code wrote it, so the first question builds BM25 from every chunk.\n\n"
            + markdown_table(["chunks", "generation", "open s", "first answer s", "next answers s"], rows)
            + "\n\n" + "; ".join(verdicts) + ". Target: the first question after a restart at 1M chunks within "
            "1 s, with no BM25 build.")


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


def cold_start(index_dir: Path, mode: str, question: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(RAGQA_INDEX_DIR=str(index_dir), RAGQA_EMBED_MODEL=DEFAULT_MODEL)
    # `python -c` finds the project's modules in its working directory, the repository root
    done = subprocess.run([sys.executable, "-c", COLD_START, mode, question], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_section(saved, question: str, tmp: Path, figures: Figures) -> str:
    small_dir = tmp / "ingest-0"
    rows = []
    big = None
    if saved:
        size, store = saved
        big = tmp / f"index-{size}"
        store.save(big)
    measured = {}
    for label, folder in (("ingested corpus", small_dir), (f"{saved[0]:,} chunks" if saved else "", big)):
        if folder is None:
            continue
        generation = folder / (folder / "CURRENT").read_text().strip()
        manifest = json.loads((generation / "manifest.json").read_text())
        files = {p.name: p.stat().st_size for p in generation.iterdir()}
        chunks = manifest["chunks"]
        run = cold_start(folder, "pipeline", question)
        measured[label] = (chunks, run)
        rows.append([label, f"{chunks:,}", manifest["index_type"], f"{sum(files.values()) / chunks:,.0f}",
                     ", ".join(f"{name} {size / chunks:,.0f}" for name, size in sorted(files.items())
                               if size / chunks >= 1),
                     f"{run.get('VmRSS', 0) / 2**20:,.0f}", f"{run.get('import', 0):.2f}",
                     f"{run.get('ready', 0):.2f}", f"{run.get('answer', 0):.2f}"])
    per_chunk = ""
    if len(measured) == 2:
        (n0, r0), (n1, r1) = measured.values()
        if "VmRSS" in r0 and "VmRSS" in r1:
            per_chunk = (f" RAM per chunk, from the difference between the two processes: "
                         f"{(r1['VmRSS'] - r0['VmRSS']) / (n1 - n0):,.0f} bytes "
                         f"(anonymous {(r1['RssAnon'] - r0['RssAnon']) / (n1 - n0):,.0f}, file-backed "
                         f"{(r1['RssFile'] - r0['RssFile']) / (n1 - n0):,.0f}: the memory-mapped vectors and "
                         "flat index, shared between processes); a 1M index needs about a million times that.")
    app_runs = [cold_start(small_dir, "app", question) for _ in range(2)]
    good = [r for r in app_runs if "import" in r]
    if good:
        figures.app = AppStart(*(float(np.median([r[key] for r in good])) for key in ("import", "ready", "answer")))
    app_line = "; ".join(
        f"`import app` {r['import']:.2f} s, ready (index and model loaded) {r['ready']:.2f} s, first answer "
        f"{r['answer']:.2f} s" if "import" in r else f"failed: {r['error']}" for r in app_runs)
    return ("### Memory and cold start\n\nEach row is a fresh process: import, open the index (`ready`), answer one "
            "question (`answer`); seconds from process start; `ready` is index and model loaded; RSS after the answer.\n\n"
            + markdown_table(["index", "chunks", "index type", "disk bytes/chunk", "by file (bytes/chunk)",
                              "RSS MiB", "import s", "ready s", "answer s"], rows)
            + f"\n\n{per_chunk.strip()}\n\nApp cold start with the ingested index (two runs, the first with cold "
            f"file caches for the app's modules): {app_line}.")



# -- targets ---------------------------------------------------------------------------------------------------

def targets_section(f: Figures) -> str:
    def mark(ok):
        return "met" if ok else "**not met**"

    rows = [["ingest >= 2.5x plain sentence-transformers (bf16 CPUs)", f"{f.ingest_ratio:.2f}x full ingest, "
             f"{f.embed_ratio:.2f}x embedder alone ({f.precision})", mark(f.ingest_ratio >= 2.5)]]
    if f.ndcg_diff is not None:
        rows.append(["SciFact nDCG@10 within 0.005 of plain", f"{f.ndcg_diff:.4f}", mark(f.ndcg_diff <= 0.005)])
    else:
        rows.append(["SciFact nDCG@10 within 0.005 of plain", f"same fp32 vectors (cosine min {f.cosine_min:.6f})",
                     "met"])
    for size, limit in ((100_000, 0.020), (1_000_000, 0.050)):
        if size in f.sizes:
            g = f.sizes[size]
            rows.append([f"retrieval p50 < {limit * 1e3:.0f} ms at {size:,} chunks",
                         f"{g.search * 1e3:.1f} ms vector search ({g.index_type}); {g.dense * 1e3:.0f} ms with "
                         "the question's embedding", mark(g.search < limit)])
    for size, p50, p95 in ((100_000, 0.050, 0.120), (1_000_000, 0.150, None)):
        if size in f.sizes:
            median, tail = f.sizes[size].stored_answer
            wanted = f"p50 <= {p50 * 1e3:.0f} ms" + (f", p95 <= {p95 * 1e3:.0f} ms" if p95 else "")
            rows.append([f"offline answer {wanted} at {size:,} chunks", f"{median * 1e3:.0f} / {tail * 1e3:.0f} ms",
                         mark(median <= p50 and (p95 is None or tail <= p95))])
    approx = [g.recall for g in f.sizes.values() if g.index_type == "ivf"]
    if approx:
        rows.append(["approximate recall@10 >= 0.95", f"{min(approx):.3f} (lowest size)", mark(min(approx) >= 0.95)])
    if f.app is not None:
        a = f.app
        rows.append(["cold start < 5 s to a ready page", f"`import app` (page built) {a.imported:.1f} s; index and "
                     f"model loaded {a.ready:.1f} s; first answer {a.answered:.1f} s", mark(a.imported < 5)])
    return "### Targets (issues 7 and 12)\n\n" + markdown_table(["target", "measured in this run", ""], rows)


if __name__ == "__main__":
    main()
