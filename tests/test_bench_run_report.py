"""bench/run_report.py: each record of `python -m bench.run`, built by hand, written as the exact markdown lines of
its section. The records below are the run docs/benchmarks.md shows, with numbers that print as it does; the
sections the latest run has not refreshed yet (latency and targets) are spelled out from their layout."""
from dataclasses import replace

from bench.run_report import (
    AppStart, AtSize, Chunking, ChunkedText, HardwareLimit, IndexMemory, Ingest, Latency, Machine, Memory,
    OfflineAnswers, Performance, ProcessRun, Reopened, RestartAt, RunInfo, SciFact, Speed, Timing, chunking_markdown,
    ingest_markdown, latency_markdown, machine_markdown, memory_markdown, offline_answers_markdown,
    performance_markdown, restart_markdown, scifact_markdown, targets_markdown)

MIB = 2 ** 20
RUN = RunInfo(quick=False, seconds=769.2, load_start=0.4, load_end=1.0, cores=2)
MACHINE = Machine("AMD EPYC", 2, ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni"), "2.13.0+cpu", 2,
                  "1.15.1", "bf16")
INGEST = Ingest(articles=6, chunks=323, indexed=323, rounds=3, precision="bf16", plain=41.9,
                embedder=Speed(96.8, 2.6, (2.31, 2.66)), ingest=Speed(43.6, 1.11, (1.04, 1.55)),
                reingest_embedded=0, reingest_seconds=0.05, cosine_min=0.99997, cosine_median=0.999986,
                hardware=HardwareLimit(tokens=144.2, flops_per_chunk=3.2e9, achieved=136e9, peak=210e9))
OFFLINE = OfflineAnswers(chunks=323, questions=100, older=Timing(0.1629, 0.2563), older_model_share=0.98,
                         stored=Timing(0.0116, 0.0129), stored_model_share=0.71, ratio=14.1,
                         differing=("What measurement of time is used in polynomial time reduction?",))
CHUNKING = Chunking(tokens=200, overlap=40, rounds=3, texts=(
    ChunkedText("SQuAD dev articles (prose)", 1.01, 30, 1.09, 0.32, 3.4, 30),
    ChunkedText("the same, letters as CJK ideographs, no spaces", 0.08, 1, 12.651, 0.59, 21.4, 1)))
SCIFACT = SciFact(queries=300, plain=0.64507, ours=0.64524, precision="bf16")
LATENCY = Latency(questions=100, path_questions=33, search_k=100, spread=1.0, sizes=(
    AtSize(10_000, "flat", exact=Timing(0.0002, 0.0003), approx=Timing(0.0001, 0.0002),
           ivf=(("nlist", 256), ("nprobe", 32)), recall=0.988, dense=Timing(0.0091, 0.0096),
           hybrid=Timing(0.0091, 0.0098), answer=Timing(0.1279, 0.1982), stored_answer=Timing(0.0112, 0.0131),
           embedding_share=0.97, ivf_build=0.2, bm25_build=0.5),
    AtSize(100_000, "ivf", exact=Timing(0.0046, 0.0047), approx=Timing(0.0005, 0.0006),
           ivf=(("nlist", 512), ("nprobe", 32)), recall=0.997, dense=Timing(0.0093, 0.0099),
           hybrid=Timing(0.0095, 0.0103), answer=Timing(0.1239, 0.1979), stored_answer=Timing(0.0151, 0.0210),
           embedding_share=0.96, ivf_build=0.6, bm25_build=5.5),
    AtSize(1_000_000, "ivf", exact=Timing(0.0503, 0.0517), approx=Timing(0.0043, 0.0051),
           ivf=(("nlist", 2048), ("nprobe", 128)), recall=1.0, dense=Timing(0.0132, 0.0154),
           hybrid=Timing(0.0177, 0.0215), answer=Timing(0.1322, 0.2260), stored_answer=Timing(0.0482, 0.0950),
           embedding_share=0.86, ivf_build=16.3, bm25_build=56.3)))
RESTART = (RestartAt(100_000, Reopened(1.12, (0.15, 0.20, 0.06)), Reopened(1.11, (5.20, 0.18, 0.06)), 5.6, 3.0),
           RestartAt(1_000_000, Reopened(18.09, (0.46, 0.23, 0.08)), Reopened(20.41, (61.91, 0.25, 0.09)), 54.8,
                     36.4))
SMALL_FILES = (("bm25.data.npy", 233 * 323), ("bm25.indices.npy", 233 * 323), ("bm25.indptr.npy", 123 * 323),
               ("bm25.vocab.json", 239 * 323), ("chunks.json", 839 * 323 + 150), ("documents.json", 703 * 323 + 46),
               ("index.faiss", 1536 * 323 + 150), ("manifest.json", 400), ("units.counts.npy", 8 * 323),
               ("units.keys.npy", 180 * 323), ("units.vectors.npy", 6915 * 323 + 150),
               ("vectors.npy", 1536 * 323 + 150))
BIG_FILES = (("bm25.data.npy", 233 * 10**5), ("bm25.indices.npy", 233 * 10**5), ("bm25.indptr.npy", 90_000),
             ("bm25.vocab.json", 95_000), ("chunks.json", 849 * 10**5), ("documents.json", 703 * 10**5),
             ("index.faiss", 1552 * 10**5), ("manifest.json", 500), ("units.counts.npy", 8 * 10**5),
             ("units.keys.npy", 128), ("units.vectors.npy", 128), ("vectors.npy", 1536 * 10**5))
ADDED = 100_000 - 323  # chunks the big index holds beyond the small one
SMALL_RUN = ProcessRun(0.16, 4.91, 4.93, rss=int(562.6 * MIB), rss_anon=400_000_000, rss_file=190_000_000)
BIG_RUN = ProcessRun(0.15, 6.35, 6.55, rss=SMALL_RUN.rss + 6782 * ADDED, rss_anon=400_000_000 + 4872 * ADDED,
                     rss_file=190_000_000 + 1909 * ADDED)
MEMORY = Memory(indexes=(IndexMemory("ingested corpus", 323, "flat", SMALL_FILES, SMALL_RUN),
                         IndexMemory("100,000 chunks", 100_000, "ivf", BIG_FILES, BIG_RUN)),
                app_runs=(ProcessRun(2.58, 7.18, 7.20), ProcessRun(2.35, 6.47, 6.49)),
                app=AppStart(2.465, 6.825, 6.845))
PERFORMANCE = Performance(RUN, MACHINE, INGEST, OFFLINE, CHUNKING, SCIFACT, LATENCY, RESTART, MEMORY)


def test_the_whole_section_is_the_header_then_each_section_targets_after_the_machine():
    markdown = performance_markdown(PERFORMANCE)
    assert markdown.splitlines()[:8] == [
        "## Performance",
        "",
        "Command: `python -m bench.run` (769 s; load average 0.4 at the start, 1.0 at the end, on 2 cores). Quick "
        "subset: `python -m bench.run --quick`.",
        "",
        "Machine: AMD EPYC, 2 cores, flags avx2, avx512f, avx512_bf16, avx512_vnni, avx_vnni; torch 2.13.0+cpu (2 "
        "threads), faiss 1.15.1. Embedding precision chosen: **bf16** (bf16 autocast only with avx512_bf16 or "
        "amx_bf16; `index/embedders.py`).",
        "",
        "### Targets (issues 7 and 12)",
        ""]
    assert markdown.split("\n\n### ")[1:] == [section.removeprefix("### ") for section in (
        targets_markdown(INGEST, SCIFACT, LATENCY, MEMORY), ingest_markdown(INGEST),
        offline_answers_markdown(OFFLINE), chunking_markdown(CHUNKING), scifact_markdown(SCIFACT),
        latency_markdown(LATENCY), restart_markdown(RESTART), memory_markdown(MEMORY))]
    unmeasured = performance_markdown(replace(PERFORMANCE, run=replace(RUN, quick=True), scifact=None))
    assert "Command: `python -m bench.run --quick` (769 s;" in unmeasured
    assert "### Quality" not in unmeasured and "### Query latency" in unmeasured


def test_a_machine_without_the_flags_named_says_which_it_lacks():
    assert machine_markdown(replace(MACHINE, features=(), precision="fp32")).startswith(
        "Machine: AMD EPYC, 2 cores, flags none of avx2, avx512f, avx512_bf16, amx_bf16, avx512_vnni, avx_vnni; "
        "torch 2.13.0+cpu (2 threads), faiss 1.15.1. Embedding precision chosen: **fp32** (")


def test_ingest():
    assert ingest_markdown(INGEST).splitlines() == [
        "### Ingest",
        "",
        "6 SQuAD dev articles, 323 chunks (323 in the index), 3 interleaved rounds; chunks per second, median, and "
        "the median of the per-round ratios to plain encode:",
        "",
        "| what | chunks/s | ratio | ratio range |",
        "|---|---|---|---|",
        "| plain `SentenceTransformer.encode` (fp32, batch 32) | 41.9 | 1.00 |  |",
        "| our embedder alone (bf16) | 96.8 | 2.60 | 2.31-2.66 |",
        "| our full ingest: read, clean, chunk, embed, save | 43.6 | 1.11 | 1.04-1.55 |",
        "",
        "Re-ingesting the unchanged corpus: 0 chunks embedded, 0.05 s. Our vectors against plain encode's: cosine "
        "min 0.999970, median 0.999986.",
        "",
        "Hardware limit: a chunk averages 144 tokens, 3.2 GFLOP through the model; plain fp32 encode runs at 136 "
        "GFLOP/s, 65% of the 210 GFLOP/s this CPU reaches on a plain fp32 matrix multiply of the model's shapes "
        "(measured just after). An fp32 runtime can win at most the remaining gap; 2x needs lower precision."]
    fp32 = ingest_markdown(replace(INGEST, precision="fp32")).splitlines()
    assert fp32[7] == "| our embedder alone (fp32) | 96.8 | 2.60 | 2.31-2.66 |"
    assert fp32[10] == (
        "Re-ingesting the unchanged corpus: 0 chunks embedded, 0.05 s. Our vectors against plain encode's: cosine "
        "min 0.999970, median 0.999986. In fp32 our embedder runs the very computation plain encode does, so a "
        "ratio away from 1.00 is this machine's noise, not a speed-up.")


def test_offline_answers():
    assert offline_answers_markdown(OFFLINE).splitlines() == [
        "### Offline answers",
        "",
        "`QAPipeline.ask` (hybrid retrieval + offline answer) in process on the ingested SQuAD articles (323 "
        "chunks), 100 questions, the two generations interleaved question by question; p50 / p95 in ms and the "
        "share of the time spent in the model:",
        "",
        "| generation | answer p50 / p95 ms | in the model |",
        "|---|---|---|",
        "| candidates embedded per question (older generation) | 162.9 / 256.3 | 98% |",
        "| unit vectors stored at ingest | 11.6 / 12.9 | 71% |",
        "",
        "Median ratio 14.1x; answers and citations identical for 99 of 100 questions (differing: What measurement of "
        "time is used in polynomial time reduction?). An older generation has no sentence vectors for hybrid retrieval "
        "to fuse, so it may rank other passages first: the answers differ there."]
    four = replace(OFFLINE, differing=("a?", "b?", "c?", "d?"))
    assert offline_answers_markdown(four).splitlines()[-1] == (
        "Median ratio 14.1x; answers and citations identical for 96 of 100 questions (differing: a?; b?; c?). An older "
        "generation has no sentence vectors for hybrid retrieval to fuse, so it may rank other passages first: the "
        "answers differ there.")
    same = replace(OFFLINE, differing=())
    assert offline_answers_markdown(same).splitlines()[-1] == (
        "Median ratio 14.1x; answers and citations identical for 100 of 100 questions.")


def test_chunking_judges_the_prose():
    assert chunking_markdown(CHUNKING).splitlines() == [
        "### Chunking",
        "",
        "`ingest/chunking.py` on documents loaded from .txt files (200 tokens, overlap 40, the model's tokenizer), "
        "3 interleaved rounds, median seconds per MB of text: *before* is langchain's splitter calling the "
        "tokenizer at each measurement, *ours* counts each document's pieces ahead in a few batches; the chunks "
        "(text, offsets, sections) of both are compared document by document.",
        "",
        "| text | MB | documents | before s/MB | ours s/MB | speed-up | identical documents |",
        "|---|---|---|---|---|---|---|",
        "| SQuAD dev articles (prose) | 1.01 | 30 | 1.09 | 0.32 | 3.4x | 30/30 |",
        "| the same, letters as CJK ideographs, no spaces | 0.08 | 1 | 12.65 | 0.59 | 21.4x | 1/1 |",
        "",
        "Target <= 1 s per MB: met (0.32 s/MB on prose)."]
    slow = replace(CHUNKING, texts=(replace(CHUNKING.texts[0], ours=1.2, identical=29), CHUNKING.texts[1]))
    assert chunking_markdown(slow).splitlines()[6:] == [
        "| SQuAD dev articles (prose) | 1.01 | 30 | 1.09 | 1.20 | 3.4x | 29/30 |",
        "| the same, letters as CJK ideographs, no spaces | 0.08 | 1 | 12.65 | 0.59 | 21.4x | 1/1 |",
        "",
        "Target <= 1 s per MB: **not met** (1.20 s/MB on prose)."]


def test_scifact():
    assert scifact_markdown(SCIFACT).splitlines() == [
        "### Quality: SciFact nDCG@10",
        "",
        "Dense retrieval of whole abstracts, 300 test queries:",
        "",
        "| embedder | nDCG@10 |",
        "|---|---|",
        "| plain fp32 | 0.6451 |",
        "| ours (bf16) | 0.6452 |",
        "",
        "Difference 0.0002 (target: within 0.005)."]


def test_latency_has_a_row_per_size_with_both_answers():
    assert latency_markdown(LATENCY).splitlines() == [
        "### Query latency and recall",
        "",
        "p50 / p95 in ms over 100 SQuAD questions (vector search, asking k=100 as the retriever does; exact and "
        "approximate interleaved per query) and 33 for the full paths. The large sizes replicate the ingested "
        "corpus: each copy of a chunk gets its real vector plus noise with the real vectors' covariance (x1.0, "
        "cosine about 0.7 to the original), so neighbourhoods are as dense as in real text. `index` is the type "
        "chosen automatically for that size (`index/store.py`, recorded in the manifest). Recall@10 is the "
        "approximate index's top 10 against exact search's. *dense* and *hybrid* are `Retriever.search` (query "
        "embedding + FAISS, + BM25 and fusion); *answer* is `QAPipeline.ask` (hybrid retrieval + offline answer): "
        "*embedded* as a generation without unit vectors answers, embedding the candidate sentences per question; "
        "*stored* with every chunk's unit vectors in the generation, as ingest writes them (a copy's units are its "
        "original's, the same texts, read through one shared array: a copy of each would take 9 GB at 1M chunks).",
        "",
        "| chunks | index | exact search | approx search | recall@10 | dense retrieval | hybrid retrieval | "
        "answer, embedded | answer, stored |",
        "|---|---|---|---|---|---|---|---|---|",
        "| 10,000 | **flat** | 0.2 / 0.3 | 0.1 / 0.2 (IVF nlist=256, nprobe=32) | 0.988 | 9.1 / 9.6 | 9.1 / 9.8 | "
        "127.9 / 198.2 | 11.2 / 13.1 |",
        "| 100,000 | **ivf** | 4.6 / 4.7 | 0.5 / 0.6 (IVF nlist=512, nprobe=32) | 0.997 | 9.3 / 9.9 | 9.5 / 10.3 | "
        "123.9 / 197.9 | 15.1 / 21.0 |",
        "| 1,000,000 | **ivf** | 50.3 / 51.7 | 4.3 / 5.1 (IVF nlist=2048, nprobe=128) | 1.000 | 13.2 / 15.4 | "
        "17.7 / 21.5 | 132.2 / 226.0 | 48.2 / 95.0 |",
        "",
        "Build times: 10,000: IVF built in 0.2 s, BM25 in 0.5 s; 100,000: IVF built in 0.6 s, BM25 in 5.5 s; "
        "1,000,000: IVF built in 16.3 s, BM25 in 56.3 s. Of the full answer's time, embedding (the question, then "
        "the candidate sentences `qa/evidence.py` scores) takes 97% at 10,000, 96% at 100,000, 86% at 1,000,000."]


def test_restart_compares_each_size_with_and_without_bm25_saved():
    assert restart_markdown(RESTART).splitlines() == [
        "### First question after a restart",
        "",
        "The generation opened afresh in this process (`FaissStore.load`; the model is already loaded), then three "
        "offline answers (`QAPipeline.ask`), seconds. Same synthetic store as above, saved once; the second row is "
        "that generation without its BM25 files, as older code wrote it, so the first question builds BM25 from every "
        "chunk.",
        "",
        "| chunks | generation | open s | first answer s | next answers s |",
        "|---|---|---|---|---|",
        "| 100,000 | BM25 saved with the generation | 1.12 | 0.15 | 0.20 / 0.06 |",
        "| 100,000 | no BM25 saved (older generation) | 1.11 | 5.20 | 0.18 / 0.06 |",
        "| 1,000,000 | BM25 saved with the generation | 18.09 | 0.46 | 0.23 / 0.08 |",
        "| 1,000,000 | no BM25 saved (older generation) | 20.41 | 61.91 | 0.25 / 0.09 |",
        "",
        "100,000: first answer 0.15 s against 5.20 s (35x), BM25 built at save in 5.6 s, generation written in 3.0 s; "
        "1,000,000: first answer 0.46 s against 61.91 s (135x), BM25 built at save in 54.8 s, generation written in "
        "36.4 s. Target: the first question after a restart at 1M chunks within 1 s, with no BM25 build."]


def test_memory_per_chunk_from_the_two_processes():
    assert memory_markdown(MEMORY).splitlines() == [
        "### Memory and cold start",
        "",
        "Each row is a fresh process: import, open the index (`ready`), answer one question (`answer`); seconds from "
        "process start; `ready` is index and model loaded; RSS after the answer.",
        "",
        "| index | chunks | index type | disk bytes/chunk | by file (bytes/chunk) | RSS MiB | import s | ready s | "
        "answer s |",
        "|---|---|---|---|---|---|---|---|---|",
        "| ingested corpus | 323 | flat | 12,548 | bm25.data.npy 233, bm25.indices.npy 233, bm25.indptr.npy 123, "
        "bm25.vocab.json 239, chunks.json 839, documents.json 703, index.faiss 1,536, manifest.json 1, "
        "units.counts.npy 8, units.keys.npy 180, units.vectors.npy 6,915, vectors.npy 1,536 | 563 | 0.16 | 4.91 | "
        "4.93 |",
        "| 100,000 chunks | 100,000 | ivf | 5,116 | bm25.data.npy 233, bm25.indices.npy 233, chunks.json 849, "
        "documents.json 703, index.faiss 1,552, units.counts.npy 8, vectors.npy 1,536 | 1,207 | 0.15 | 6.35 | 6.55 |",
        "",
        "RAM per chunk, from the difference between the two processes: 6,782 bytes (anonymous 4,872, file-backed "
        "1,909: the memory-mapped vectors and flat index, shared between processes); a 1M index needs about a million "
        "times that.",
        "",
        "App cold start with the ingested index (two runs, the first with cold file caches for the app's modules): "
        "`import app` 2.58 s, ready (index and model loaded) 7.18 s, first answer 7.20 s; `import app` 2.35 s, ready "
        "(index and model loaded) 6.47 s, first answer 6.49 s."]


def test_memory_without_a_difference_to_take_and_with_failed_processes():
    failed = ProcessRun(error="ModuleNotFoundError: No module named 'app'")
    big_failed = replace(MEMORY, indexes=(MEMORY.indexes[0], replace(MEMORY.indexes[1], run=failed)),
                         app_runs=(failed, MEMORY.app_runs[1]), app=AppStart(2.35, 6.47, 6.49))
    assert memory_markdown(big_failed).splitlines()[7:] == [
        "| 100,000 chunks | 100,000 | ivf | 5,116 | bm25.data.npy 233, bm25.indices.npy 233, chunks.json 849, "
        "documents.json 703, index.faiss 1,552, units.counts.npy 8, vectors.npy 1,536 | 0 | 0.00 | 0.00 | 0.00 |",
        "",
        "",
        "",
        "App cold start with the ingested index (two runs, the first with cold file caches for the app's modules): "
        "failed: ModuleNotFoundError: No module named 'app'; `import app` 2.35 s, ready (index and model loaded) "
        "6.47 s, first answer 6.49 s."]
    only_small = replace(MEMORY, indexes=MEMORY.indexes[:1])
    assert memory_markdown(only_small).splitlines()[7:10] == ["", "", ""]


def test_targets_are_judged_from_the_records_the_sections_measured():
    assert targets_markdown(INGEST, SCIFACT, LATENCY, MEMORY).splitlines() == [
        "### Targets (issues 7 and 12)",
        "",
        "| target | measured in this run |  |",
        "|---|---|---|",
        "| ingest >= 2.5x plain sentence-transformers (bf16 CPUs) | 1.11x full ingest, 2.60x embedder alone (bf16) "
        "| **not met** |",
        "| SciFact nDCG@10 within 0.005 of plain | 0.0002 | met |",
        "| retrieval p50 < 20 ms at 100,000 chunks | 0.5 ms vector search (ivf); 9 ms with the question's embedding "
        "| met |",
        "| retrieval p50 < 50 ms at 1,000,000 chunks | 4.3 ms vector search (ivf); 13 ms with the question's "
        "embedding | met |",
        "| offline answer p50 <= 50 ms, p95 <= 120 ms at 100,000 chunks | 15 / 21 ms | met |",
        "| offline answer p50 <= 150 ms at 1,000,000 chunks | 48 / 95 ms | met |",
        "| approximate recall@10 >= 0.95 | 0.997 (lowest size) | met |",
        "| cold start < 5 s to a ready page | `import app` (page built) 2.5 s; index and model loaded 6.8 s; first "
        "answer 6.8 s | met |"]


def _at(chunks: int, index_type: str, search: float, recall: float, dense: float, stored: Timing) -> AtSize:
    """A size whose chosen index searches in `search` seconds (the other type too)."""
    return replace(LATENCY.sizes[0], chunks=chunks, index_type=index_type, exact=Timing(search, search),
                   approx=Timing(search, search), recall=recall, dense=Timing(dense, dense), stored_answer=stored)


def test_targets_not_met_and_not_measured():
    ingest = replace(INGEST, ingest=replace(INGEST.ingest, ratio=2.31), embedder=replace(INGEST.embedder, ratio=2.5))
    latency = replace(LATENCY, sizes=(_at(100_000, "flat", 0.012, 1.0, 0.03, Timing(0.012, 0.130)),
                                      _at(1_000_000, "ivf", 0.06, 0.94, 0.08, Timing(0.020, 0.030))))
    memory = replace(MEMORY, app=AppStart(3.2, 20.5, 21.7))
    rows = targets_markdown(ingest, SciFact(300, 0.640, 0.646, "bf16"), latency, memory).splitlines()[4:]
    assert rows == [
        "| ingest >= 2.5x plain sentence-transformers (bf16 CPUs) | 2.31x full ingest, 2.50x embedder alone (bf16) "
        "| **not met** |",
        "| SciFact nDCG@10 within 0.005 of plain | 0.0060 | **not met** |",
        "| retrieval p50 < 20 ms at 100,000 chunks | 12.0 ms vector search (flat); 30 ms with the question's "
        "embedding | met |",
        "| retrieval p50 < 50 ms at 1,000,000 chunks | 60.0 ms vector search (ivf); 80 ms with the question's "
        "embedding | **not met** |",
        "| offline answer p50 <= 50 ms, p95 <= 120 ms at 100,000 chunks | 12 / 130 ms | **not met** |",
        "| offline answer p50 <= 150 ms at 1,000,000 chunks | 20 / 30 ms | met |",
        "| approximate recall@10 >= 0.95 | 0.940 (lowest size) | **not met** |",
        "| cold start < 5 s to a ready page | `import app` (page built) 3.2 s; index and model loaded 20.5 s; "
        "first answer 21.7 s | met |"]
    fp32 = replace(INGEST, precision="fp32", ingest=replace(INGEST.ingest, ratio=1.0),
                   embedder=replace(INGEST.embedder, ratio=1.0), cosine_min=0.999999)
    unmeasured = targets_markdown(fp32, None, replace(LATENCY, sizes=()), replace(MEMORY, app=None))
    assert unmeasured.splitlines()[4:] == [
        "| ingest >= 2.5x plain sentence-transformers (bf16 CPUs) | 1.00x full ingest, 1.00x embedder alone (fp32) "
        "| **not met** |",
        "| SciFact nDCG@10 within 0.005 of plain | same fp32 vectors (cosine min 0.999999) | met |"]
