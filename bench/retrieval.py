"""Retrieval and answer benchmarks: BEIR SciFact, SQuAD v1.1 dev, the seed dev set, abstention calibration, and
the recall@k plot. Each part prints its table and writes it, with the commands that reproduce it, into its own
section of docs/benchmarks.md.

    python -m bench.retrieval                        # everything (about an hour on 2 cores, most of it embedding)
    python -m bench.retrieval --only seed,abstention

Corpora are indexed once into cache folders under the system temp dir (see evaluation.run.corpus_cache).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from bench.report import update_section
from evaluation.datasets import read_squad
from evaluation.metrics import abstention_curve, best_threshold, recall_at
from evaluation.records import Report
from evaluation.report import markdown_table, metrics_table
from evaluation.run import corpus_cache, pipeline_for
from evaluation.run import run as evaluate_dataset
from index.build import update_index
from index.embedders import make_embedder
from qa.evidence import is_summary_question, passage_texts, select_evidence
from qa.scoring import unmatched_names
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]

SHARED = Path("..") / "shared"  # as written in the commands, run from the repository root
SCIFACT = SHARED / "benchmarks" / "scifact"
SQUAD = SHARED / "benchmarks" / "squad-v1.1-dev" / "dev-v1.1.json"
SEED = SHARED / "qa" / "seed_dev.jsonl"
PLOT = ROOT / "docs" / "recall_at_k.png"
SCIFACT_RETRIEVERS = ["dense", "bm25", "hybrid", "rrf"]
SQUAD_RETRIEVERS = ["dense", "bm25", "hybrid", "rrf", "mmr"]
CALIBRATION_SAMPLE = 4  # every 4th SQuAD question of each half: ~2,600 questions, enough for a 0.01 grid
PARTS = ("scifact", "squad", "seed", "abstention")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    parts = parser.parse_args().only.split(",")
    os.chdir(ROOT)  # the dataset paths below are the ones the published commands use
    curves = {}
    if "scifact" in parts:
        curves["BEIR SciFact test (documents)"] = bench_scifact()
    if "squad" in parts:
        curves["SQuAD v1.1 dev (chunks holding the answer)"] = bench_squad()
    if len(curves) == 2:
        plot_recall(curves)
    if "seed" in parts:
        bench_seed()
    if "abstention" in parts:
        bench_abstention()


def evaluate_with(dataset: Path, retrievers: list[str], title: bool = True, **options) -> Report:
    settings = Settings.from_env(embed_title=title)
    return evaluate_dataset(str(dataset), settings, retrievers=retrievers, **options)


def command(dataset: Path, retrievers: list[str], title: bool = True, extra: str = "") -> str:
    prefix = "" if title else "RAGQA_EMBED_TITLE=false "
    return f"{prefix}python cli.py eval {dataset} --retriever {','.join(retrievers)}{extra}"


def publish(section: str, markdown: str) -> None:
    print(markdown, end="\n\n", flush=True)
    update_section(section, markdown)


def fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


# -- SciFact -----------------------------------------------------------------------------------------------

def bench_scifact() -> dict:
    reports = {title: evaluate_with(SCIFACT, SCIFACT_RETRIEVERS, title) for title in (True, False)}
    rows = [[f"this project, {run.retriever}" + ("" if title else ", title not embedded"),
             fmt(run.metrics["ndcg@10"]), fmt(run.metrics["recall@100"]),
             fmt(run.metrics["recall@10"]), fmt(run.metrics["mrr@10"])]
            for title, report in reports.items() for run in report.runs]
    rows += [[f"published: {name}", ndcg, recall, "", ""] for name, ndcg, recall in published_baselines()]
    markdown = "\n\n".join([
        "## Retrieval: BEIR SciFact (test, 300 claims, 5,183 abstracts)",
        "Commands (from the repository root; the first run indexes the corpus, a few minutes per setting):",
        "    " + command(SCIFACT, SCIFACT_RETRIEVERS) + "\n    " + command(SCIFACT, SCIFACT_RETRIEVERS, title=False),
        "Abstracts are chunked (200 tokens, 40 overlap) and the chunk hits collapsed to their abstracts at the best "
        "chunk's score, so nDCG@10 and recall@100 are per document as in the published runs; all-MiniLM-L6-v2 "
        "throughout. Hybrid = min-max-normalised dense and BM25 scores over the union of each one's top chunks "
        "(300 here, to fill 100 abstracts), weighted 0.6/0.4 (the weight that scored best on SciFact's *train* "
        "queries); rrf = reciprocal rank fusion (k=60). Published rows are from "
        "`../shared/benchmarks/scifact/BASELINES.txt`.",
        markdown_table(["system", "nDCG@10", "R@100", "R@10", "MRR@10"], rows),
        title_effect(reports),
        f"Recall@k of the retrievers: ![recall@k]({PLOT.name})"])
    publish("retrieval", markdown)
    return recall_curves(reports[True], 100)


def title_effect(reports: dict) -> str:
    ndcg = {(title, run.retriever): fmt(run.metrics["ndcg@10"]) for title, r in reports.items() for run in r.runs}
    return (f"The article title in what is embedded: dense nDCG@10 {ndcg[True, 'dense']} with it, "
            f"{ndcg[False, 'dense']} without. With RAGQA_EMBED_TITLE=false the pipeline also leaves the title out "
            f"of BM25's text, and that is what costs ({ndcg[True, 'bm25']} vs {ndcg[False, 'bm25']}; hybrid "
            f"{ndcg[True, 'hybrid']} vs {ndcg[False, 'hybrid']}). Titles stay embedded, the default.")


def published_baselines() -> list[tuple[str, str, str]]:
    text = (SCIFACT / "BASELINES.txt").read_text()
    return re.findall(r"^(\S.*?)\s{2,}(0\.\d{4})\s+(0\.\d{4})\s", text, flags=re.MULTILINE)


# -- SQuAD -------------------------------------------------------------------------------------------------

def bench_squad() -> dict:
    reports = {title: evaluate_with(SQUAD, SQUAD_RETRIEVERS if title else ["hybrid"], title) for title in (True, False)}
    names = ["recall@1", "recall@5", "recall@10", "mrr@10", "answer_hit", "citation_precision", "false_abstention"]
    rows = [[run.retriever + ("" if title else ", title not embedded")] + [fmt(run.metrics[n]) for n in names]
            for title, report in reports.items() for run in report.runs]
    markdown = "\n\n".join([
        "## SQuAD v1.1 dev: 48 articles in one index, 10,570 questions",
        "Commands:",
        "    " + command(SQUAD, SQUAD_RETRIEVERS) + "\n    " + command(SQUAD, ["hybrid"], title=False),
        "Each Wikipedia article is one document (its paragraphs in order, 2,067 paragraphs in about 2,400 chunks). "
        "A hit is a chunk that overlaps the question's gold span (from the first to the last character its "
        "reference answers cover in the question's paragraph), so recall@5 is the share of questions with the "
        "answer-bearing passage in the top 5. answer_hit: the offline answer (quoted sentences, 5 passages) holds "
        "a reference answer after SQuAD normalisation; the article title in the lead-in does not count. Answers "
        "use the calibrated abstention threshold (see the abstention section), so false_abstention is the price "
        "of declining unanswerable questions. mmr = hybrid re-ranked by maximal marginal relevance (λ 0.7); with one "
        "answer passage per question, diversity has little to add here. For reference (BASELINES.txt): a fine-tuned "
        "BERT-Base reader given the gold paragraph scores EM 81.2 / F1 88.4; there is no published figure for "
        "retrieving from all 2,067 paragraphs first, as here.",
        markdown_table(["retriever"] + names, rows)])
    publish("squad", markdown)
    return recall_curves(reports[True], 10)


# -- the seed dev set --------------------------------------------------------------------------------------

def seed_report(min_relevance: float | None = None) -> Report:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env(index_dir=Path(folder), min_relevance=min_relevance)
        update_index(["data/articles"], settings, make_embedder(settings.embed_model), progress=False)
        return evaluate_dataset(str(SEED), settings, retrievers=["dense", "bm25", "hybrid"], index=folder)


def bench_seed() -> None:
    markdown = "\n\n".join([
        "## The seed dev set (8 questions on the sample article, 2 of them unanswerable)",
        "Commands:",
        f"    python cli.py ingest data/articles --index /tmp/seed-index\n"
        f"    python cli.py eval {SEED} --index /tmp/seed-index --retriever dense,bm25,hybrid",
        metrics_table(seed_report())])
    publish("seed", markdown)


# -- abstention --------------------------------------------------------------------------------------------

def bench_abstention() -> None:
    """Index every other SQuAD article; questions on those are answerable, questions on the others are not.
    The threshold on the best evidence sentence's score that maximises balanced accuracy is the calibrated one."""
    scores, answerable, settings = abstention_scores()
    grid = [round(0.01 * i, 2) for i in range(131)]
    curve = abstention_curve(scores, answerable, grid)
    best = best_threshold(curve)
    seed = seed_report(min_relevance=best.threshold).runs[-1].metrics
    shown = [p for p in curve if round(p.threshold * 100) % 5 == 0 and 0.3 <= p.threshold <= 1.0
             or abs(p.threshold - best.threshold) < 0.035]  # finer steps around the chosen threshold
    rows = [[f"**{p.threshold:.2f}**" if p is best else f"{p.threshold:.2f}", fmt(p.abstention_accuracy),
             fmt(p.false_abstention), fmt(p.balanced_accuracy)] for p in shown]
    markdown = "\n\n".join([
        "## Abstention threshold, calibrated on data",
        "Command:",
        "    python -m bench.retrieval --only abstention",
        f"SQuAD v1.1 dev split by article: the 24 even-numbered articles are indexed, so questions about them are "
        f"answerable; questions about the 24 others are not. Every {CALIBRATION_SAMPLE}th question of each half "
        f"({sum(answerable)} answerable, {len(answerable) - sum(answerable)} unanswerable), {settings.retriever} "
        f"retrieval, {settings.top_k} passages. The signal is the best evidence sentence's relevance (cosine + 0.3 × "
        f"word overlap, qa/evidence.py), or 0 when a name the question asks about is in none of the passages "
        f"(qa/scoring.py); the assistant declines below the threshold. The threshold with the best balanced "
        f"accuracy (middle of a plateau) is **{best.threshold:.2f}**, set as CALIBRATED_MIN_RELEVANCE for the "
        f"packaged model in qa/pipeline.py.",
        markdown_table(["threshold", "abstention_accuracy", "false_abstention", "balanced accuracy"], rows),
        f"With it, the seed dev set (hybrid): recall@5 {fmt(seed['recall@5'])}, answer_hit {fmt(seed['answer_hit'])}, "
        f"abstention_accuracy {fmt(seed['abstention_accuracy'])}, false_abstention {fmt(seed['false_abstention'])}."])
    publish("abstention", markdown)


def abstention_scores() -> tuple[list[float], list[bool], Settings]:
    dataset = read_squad(SQUAD)
    indexed = replace(dataset, name="dev-v1.1-even-articles", articles=dataset.articles[::2], questions=[])
    settings = Settings.from_env()
    settings = replace(settings, index_dir=corpus_cache(indexed, settings))
    pipeline = pipeline_for(indexed, settings, progress=True)
    documents = pipeline.collection.documents()
    scores, answerable = [], []
    for question in tqdm(dataset.questions[::CALIBRATION_SAMPLE], desc="calibration", file=sys.stderr):
        if is_summary_question(question.question):
            continue  # answered from the article's lead, never declined: not what the threshold decides
        # the signal QAPipeline.ask compares with the threshold
        hits = pipeline.retriever.search(question.question, settings.top_k, method=settings.retriever)
        ranked = select_evidence(question.question, hits, documents, pipeline.embedder)
        named_but_absent = unmatched_names(question.question, passage_texts(hits, documents),
                                           pipeline.retriever.mentions)  # declined
        scores.append(0.0 if named_but_absent else max((e.relevance for e in ranked), default=0.0))
        answerable.append(question.doc_id in documents)
    return scores, answerable, settings


# -- plot --------------------------------------------------------------------------------------------------

def recall_curves(report: Report, depth: int) -> dict:
    """Recall@k for k = 1..depth, per retriever, from the ranks at which each question's gold was found."""
    curves = {}
    for run in report.runs:
        rows = [r for r in run.rows if r.scores]
        curves[run.retriever] = [sum(recall_at(r.found_at, r.gold_units, k) for r in rows) / len(rows)
                                 for k in range(1, depth + 1)]
    return curves


def plot_recall(curves: dict) -> None:
    import matplotlib  # only the plot needs it, and it is slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4.2), squeeze=False)
    for ax, (title, by_retriever) in zip(axes[0], curves.items()):
        for retriever, values in by_retriever.items():
            ax.plot(range(1, len(values) + 1), values, label=retriever, marker="." if len(values) <= 10 else None)
        ax.set(title=title, xlabel="k", ylabel="recall@k", xscale="log" if len(values) > 10 else "linear")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)
    print(f"wrote {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
