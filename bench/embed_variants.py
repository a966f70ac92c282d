"""Cheap ways to embed faster on a bf16 CPU, each against plain fp32 `SentenceTransformer.encode` of the same texts.

    python -m bench.embed_variants                      # 256 SQuAD paragraphs, 3 rounds
    python -m bench.embed_variants --texts 128 --compile

Prints a table (chunks/s, ratios, cosine to plain fp32); writes nothing. Every variant encodes the same 64-text slice
right after the others, in an order that rotates, and the ratio reported is the median over those slice pairs, so a
busy moment on a shared machine lands on all variants alike.
"""
from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch

from bench.run import SQUAD, plain_model
from evaluation.datasets import read_squad
from index.embedders import cpu_model, make_embedder
from settings import DEFAULT_MODEL

SLICE = 64


def variants(with_compile: bool) -> dict:
    """name → function(texts) -> unit float32 vectors."""
    plain = plain_model()
    ours = make_embedder(DEFAULT_MODEL)
    bf16_weights = copy.deepcopy(plain).to(torch.bfloat16)

    def encode(model, batch_size=32, autocast=False):
        def run(texts):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                vectors = np.asarray(model.encode(texts, batch_size=batch_size), dtype=np.float32)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return run

    def fp32_matmul_in_bf16(texts):  # oneDNN runs fp32 matrix multiplies in bf16, the rest stays fp32
        torch.set_float32_matmul_precision("medium")
        try:
            return encode(plain)(texts)
        finally:
            torch.set_float32_matmul_precision("highest")

    found = {"plain fp32 (batch 32)": encode(plain),
             f"ours ({ours.precision}, batch 32)": ours.embed_documents,
             "bf16 autocast, batch 64": encode(plain, 64, autocast=True),
             "bf16 weights (model.to(bfloat16)), batch 32": encode(bf16_weights),
             "fp32 model, float32_matmul_precision medium": fp32_matmul_in_bf16}
    if with_compile:
        compiled = copy.deepcopy(plain)
        compiled[0].model = torch.compile(compiled[0].model, dynamic=True)  # the module encode really calls
        found["torch.compile + bf16 autocast, batch 32"] = encode(compiled, autocast=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256, help="SQuAD dev paragraphs (title + text) to encode")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="also torch.compile (tens of seconds to compile)")
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev JSON")
    args = parser.parse_args()
    articles = read_squad(args.squad).articles  # as the evaluation reads them: one text, a blank line between paragraphs
    texts = [f"{a['title']}\n{paragraph}" for a in articles for paragraph in a["text"].split("\n\n")][:args.texts]
    runs = variants(args.compile)
    names = list(runs)
    vectors = {name: run(texts) for name, run in runs.items()}  # also the warm-up (and compile), untimed
    seconds = {name: [] for name in names}
    for turn, first in enumerate(start for _ in range(args.rounds) for start in range(0, len(texts), SLICE)):
        part = texts[first:first + SLICE]
        for name in names[turn % len(names):] + names[:turn % len(names)]:
            started = time.perf_counter()
            runs[name](part)
            seconds[name].append(time.perf_counter() - started)
    base = names[0]
    print(f"{cpu_model() or '?'}; {len(texts)} SQuAD paragraphs, {args.rounds} rounds of {SLICE}-text slices\n")
    print("| variant | chunks/s | ratio to plain (median of slice pairs) | cosine to plain, min |")
    print("|---|---|---|---|")
    for name in names:
        ratio = np.median([b / s for b, s in zip(seconds[base], seconds[name])])
        cosine = np.sum(vectors[base] * vectors[name], axis=1).min()
        print(f"| {name} | {len(texts) * args.rounds / sum(seconds[name]):.1f} | {ratio:.2f} | {cosine:.6f} |")


if __name__ == "__main__":
    main()
