"""Fit the answer-sentence scorer (qa/scoring.py) on SQuAD v1.1 dev and print the weights to paste into WEIGHTS.

    python -m bench.fit_scorer            # questions 5, 15, 25, … (disjoint from the 0, 10, 20, … measured)

For each training question the pipeline retrieves its passages as it would to answer; every candidate sentence
is one example, labelled by whether it holds a reference answer. A conditional logit (numpy only, gradient descent)
keeps the model small enough to read.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation.datasets import read_squad
from evaluation.metrics import contains_answer
from evaluation.run import corpus_cache, pipeline_for
from qa import scoring
from qa.evidence import score_inputs
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SQUAD = ROOT.parent / "shared" / "benchmarks" / "squad-v1.1-dev" / "dev-v1.1.json"
L2 = 1.0


def training_examples(offset: int, step: int, index: str | None) -> tuple[np.ndarray, np.ndarray]:
    dataset = read_squad(SQUAD)
    settings = Settings.from_env()
    settings = replace(settings, index_dir=Path(index) if index else corpus_cache(dataset, settings))
    pipeline = pipeline_for(dataset, settings, progress=True)
    documents = pipeline.collection.documents()
    features, labels, groups = [], [], []
    for number, question in enumerate(tqdm(dataset.questions[offset::step], desc="examples", file=sys.stderr)):
        hits = pipeline.retriever.search(question.question, settings.top_k, method=settings.retriever)
        inputs = score_inputs(question.question, hits, documents, pipeline.embedder)  # as select_evidence sees them
        if not inputs.candidates:
            continue
        features.append(inputs.features)
        labels += [contains_answer(c.text, question.answers) for c in inputs.candidates]
        groups += [number] * len(inputs.candidates)
    return np.vstack(features), np.asarray(labels, dtype=np.float64), np.asarray(groups)


def fit_choice(x: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float = L2, steps: int = 300,
               rate: float = 0.5) -> np.ndarray:
    """A conditional logit: per question, a softmax over its candidates, trained to put the mass on the ones
    holding an answer. It learns to rank the candidates of one question, which is what answering needs, rather
    than to score sentences of different questions against each other. The bias cancels out and stays 0."""
    weights = np.zeros(x.shape[1])
    keep = np.isin(groups, np.unique(groups[y > 0]))  # questions with no answer among the candidates teach nothing
    x, y, groups = x[keep], y[keep], groups[keep]
    _, groups = np.unique(groups, return_inverse=True)
    target = y / np.bincount(groups, weights=y)[groups]
    n = groups.max() + 1
    for _ in range(steps):
        logits = x @ weights
        logits -= np.bincount(groups, weights=logits)[groups] / np.bincount(groups)[groups]
        exp = np.exp(logits)
        p = exp / np.bincount(groups, weights=exp)[groups]
        gradient = x.T @ (p - target) / n + l2 * weights / n
        gradient[0] = 0.0
        weights -= rate * gradient * 10
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offset", type=int, default=5)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--index", help="an index of all SQuAD dev articles (default: the evaluation cache)")
    args = parser.parse_args()
    x, y, groups = training_examples(args.offset, args.step, args.index)
    weights = fit_choice(x, y, groups)
    print(f"{len(y)} candidate sentences, {int(y.sum())} holding an answer")
    for name, weight in zip(scoring.FEATURES, weights):
        print(f"  {name:22s} {weight:+.3f}")
    print("WEIGHTS = dict(zip(FEATURES, (\n    " + ", ".join(f"{w:.3f}" for w in weights) + ")))")


if __name__ == "__main__":
    main()
