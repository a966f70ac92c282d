"""The alternative to embedding every unit at ingest, measured: each unit's vector pooled from the chunk pass (the
mean of the chunk's token embeddings over the unit's tokens), so units cost no model call of their own.

    python -m bench.unit_pooling INDEX OUT     # OUT: a copy of INDEX whose unit vectors are the pooled ones
    python cli.py eval QUESTIONS --index OUT   # then compare with the same eval on INDEX

Prints the time of the chunk pass with token outputs (what pooling costs) against the plain chunk pass, interleaved,
and how close the pooled vectors come to the embedded ones. Not used by ingest: measured on the seed, SQuAD and the
real-document sets it changed answers (docs/benchmarks.md), where stored embedded vectors change none.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from index.build import open_store
from index.embedders import make_embedder
from index.store import UNIT_FILES
from ingest.units import chunk_units
from settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    embedder = make_embedder(Settings.from_env().embed_model)
    store = open_store(Settings.from_env(index_dir=args.index), embedder)
    texts = store.embed_texts()
    embedder.embed_documents(texts[:32])  # warm
    seconds = {"plain": [], "pooled": []}
    for r in range(args.rounds):
        for name in ("plain", "pooled") if r % 2 == 0 else ("pooled", "plain"):
            start = time.perf_counter()
            pooled = pooled_units(embedder, store, texts) if name == "pooled" else embedder.embed_documents(texts)
            seconds[name].append(time.perf_counter() - start)
    embedded = np.asarray(store.unit_vectors)
    if len(pooled) != len(embedded):
        sys.exit(f"{args.index} was written by other unit code ({len(embedded)} rows, {len(pooled)} now): re-ingest it")
    rows = np.stack([e if p is None else p for e, p in zip(embedded, pooled)]).astype(np.float32)
    print(f"{store.count} chunks, {len(rows)} units; chunk pass s (median of {args.rounds}): plain "
          f"{np.median(seconds['plain']):.2f}, with pooled units {np.median(seconds['pooled']):.2f} "
          f"({np.median(seconds['pooled']) / np.median(seconds['plain']):.2f}x); cosine pooled to embedded: median "
          f"{np.median(np.sum(rows * embedded, axis=1)):.3f}; units cut off by the window: "
          f"{sum(p is None for p in pooled)}")
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(args.index, args.out, ignore=shutil.ignore_patterns(".lock"))
    generation = args.out / (args.out / "CURRENT").read_text().strip()
    np.save(generation / UNIT_FILES["vectors"], rows, allow_pickle=False)


def pooled_units(embedder, store, texts: list[str]) -> list[np.ndarray | None]:
    """Every unit row's pooled vector, in the generation's row order (None: no token of it in the model's window)."""
    with embedder._calls, embedder._autocast():
        outputs = embedder.model.encode(texts, batch_size=embedder.batch_size, output_value=None,
                                        normalize_embeddings=True)
    places = embedder._counting_tokenizer(texts, truncation=True, max_length=embedder.model.max_seq_length,
                                          return_offsets_mapping=True)["offset_mapping"]
    rows = []
    for chunk, output, offsets in zip(store.chunks, outputs, places):
        document = store.documents[chunk.doc_id]
        shift = len(text_prefix(document, store)) - chunk.start  # document offsets -> offsets in the chunk's text
        spans = _distinct(document, [(a, b) for a, b, *_ in chunk_units(document, chunk)])
        rows += _pooled(output, np.asarray(offsets), [(a + shift, b + shift) for a, b in spans])
    return rows


def text_prefix(document, store) -> str:
    return f"{document.title}\n" if store.config.get("embed_title", True) else ""


def _distinct(document, units):
    """One span per distinct text, as ingest stores them."""
    seen, kept = set(), []
    for a, b in units:
        if document.text[a:b] not in seen:
            seen.add(document.text[a:b])
            kept.append((a, b))
    return kept


def _pooled(output: dict, places: np.ndarray, spans: list[tuple[int, int]]) -> list[np.ndarray | None]:
    length = int(output["attention_mask"].sum())
    tokens = output["token_embeddings"][:length].float().numpy()
    if len(places) != length:  # not the tokens the model read: claim no span rather than a wrong one
        return [None] * len(spans)
    real = places[:, 1] > places[:, 0]  # [CLS] and [SEP] cover no text
    pooled = []
    for start, end in spans:
        inside = real & (places[:, 0] >= start) & (places[:, 1] <= end)
        vector = tokens[inside].mean(axis=0) if inside.any() else None
        pooled.append(None if vector is None else vector / np.linalg.norm(vector))
    return pooled


if __name__ == "__main__":
    main()
