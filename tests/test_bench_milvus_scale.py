"""bench/milvus_scale.py's section, from records built by hand: one row per store and size, the same-run ratios, the
note that Milvus Lite is not the server engine, and an extrapolation to 100,000 chunks, said to be one, only when the
run measured less."""
from bench.milvus_scale import OPERATIONS, AtSize, Ingest, section_markdown
from bench.run_report import Timing


def at(size: int, milvus_seconds: float) -> AtSize:
    latency = {"FAISS": {op: Timing(0.001, 0.002) for op in OPERATIONS},
               "Milvus Lite": {op: Timing(0.1, 0.3) for op in OPERATIONS}}
    return AtSize(size, Ingest(size, 4 * size, 2.0, 10**8), Ingest(size, 4 * size, milvus_seconds, 2 * 10**8),
                  "ivf", 0.5, latency, 29, 30)


def test_the_section_names_the_engine_and_gives_same_run_ratios():
    markdown = section_markdown([at(100_000, 110.0)], 323, 6, 1.0, 1.5, 300.0)
    assert "Milvus Lite 3.x is a Python re-implementation of Milvus, not the server engine" in markdown
    assert "| 100,000 | Milvus Lite | 400,000 | 110.0 | 909 | 200 |" in markdown
    assert "| 100,000 | FAISS | 1.0 / 2.0 | 1.0 / 2.0 | 1.0 / 2.0 | 1.0 / 2.0 |" in markdown
    assert "ingest 55.0x the time (1.10 ms per chunk" in markdown and "offline answer 100.0x" in markdown
    assert "xtrapolated" not in markdown


def test_a_run_below_100k_chunks_is_extrapolated_and_says_so():
    markdown = section_markdown([at(20_000, 20.0), at(40_000, 44.0)], 323, 6, 1.0, 1.5, 300.0)
    assert markdown.count("| Milvus Lite |") == 4, "each size in both tables"
    assert markdown.endswith("**Extrapolated, not measured:** the move took 1.00 ms per chunk at 20,000, 1.10 ms per "
                             "chunk at 40,000 chunks; at the last rate 100,000 chunks would take about 2 min, if the "
                             "time per chunk stays that flat.")
