"""Scoring: a question's ranked hits against its gold units (recall@k, mrr@10, nDCG@10), its answer and citations
judged, and the dataset's metrics from its rows.

A hit is a retrieved item (a chunk, or for BEIR a document) that overlaps a gold unit (evaluation.datasets). Hits and
answers come as the answer JSON contract (qa.answer.answer_to_dict, the app's /ask), so local and remote runs are
scored by the same code.
"""
from __future__ import annotations

import math
import re

from evaluation.datasets import Question, Span
from evaluation.records import CurvePoint, JudgedAnswer, JudgedCitation, RankedHit, Row
from qa.answer import lead_in_pattern

RANKS = (1, 5, 10)
BEIR_DEPTH = 100  # documents ranked per BEIR query, for recall@100
ROW_HITS = 10  # hits kept per question in report.json
_PUNCTUATION = re.compile(r"[^\w\s]|_")  # any script's punctuation and symbols: “quoted” words are words too


# -- metrics on one question -------------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    """SQuAD's normalisation (lower case, no articles, single spaces) except that punctuation, any script's,
    becomes a space rather than vanishing, so it separates words: "subprocess.CalledProcessError" holds the answer
    "CalledProcessError". Both sides are normalised alike, so "1,000" and "U.S." still match themselves."""
    text = _PUNCTUATION.sub(" ", text.lower())
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def contains_answer(text: str, answers) -> bool:
    """Whether `text` holds one of `answers` as whole words, after normalising both."""
    padded = f" {normalize_answer(text)} "
    return any(f" {gold} " in padded for gold in map(normalize_answer, answers) if gold)


def matched_units(ranked: list[dict], gold: tuple[tuple[Span, ...], ...]) -> list[set[int]]:
    """For each ranked item (doc_id, start, end), the gold units it overlaps."""
    return [{n for n, unit in enumerate(gold) if any(s.overlaps(item["doc_id"], item["start"], item["end"])
                                                      for s in unit)} for item in ranked]


def found_at(matched: list[set[int]]) -> list[int]:
    """The ranks at which a gold unit is found for the first time; every ranking metric follows from them."""
    found, ranks = set(), []
    for rank, units in enumerate(matched, 1):
        if units - found:
            ranks.append(rank)
        found |= units
    return ranks


def recall_at(ranks: list[int], n_gold: int, k: int) -> float:
    return sum(rank <= k for rank in ranks) / n_gold


def reciprocal_rank(ranks: list[int], k: int) -> float:
    return 1.0 / ranks[0] if ranks and ranks[0] <= k else 0.0


def ndcg_at(ranks: list[int], n_gold: int, k: int) -> float:
    """Binary nDCG as trec_eval's ndcg_cut: a rank gains 1 when it finds a gold unit not found higher up."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank in ranks if rank <= k)
    return dcg / sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_gold, k) + 1))


def retrieval_scores(ranks: list[int], n_gold: int, kind: str) -> dict:
    scores = {f"recall@{k}": recall_at(ranks, n_gold, k) for k in RANKS}
    scores["mrr@10"] = reciprocal_rank(ranks, 10)
    if kind == "beir":
        scores["ndcg@10"] = ndcg_at(ranks, n_gold, 10)
        scores[f"recall@{BEIR_DEPTH}"] = recall_at(ranks, n_gold, BEIR_DEPTH)
    return scores


# -- one question ------------------------------------------------------------------------------------------

def score_question(question: Question, kind: str, ranked: list[dict], answer: dict | None,
                   gold: tuple[tuple[Span, ...], ...], seconds: float | None = None) -> Row:
    """One report row: the question's ranked hits marked relevant or not, its answer (None: retrieval only) and
    citations judged; `seconds` is how long the answer took."""
    matched = matched_units(ranked, gold)
    ranks = found_at(matched)
    return Row(
        id=question.id, question=question.question, answerable=question.answerable,
        gold_answers=list(question.answers),
        hits=[RankedHit(h["rank"], h["doc_id"], h.get("chunk_id"), h["score"], bool(units))
              for h, units in zip(ranked[:ROW_HITS], matched)],
        first_relevant=ranks[0] if ranks else None, gold_units=len(gold), found_at=ranks,
        scores=retrieval_scores(ranks, len(gold), kind) if question.answerable and gold else {},
        judged=None if answer is None else judge_answer(question, answer, gold, seconds))


def judge_answer(question: Question, answer: dict, gold, seconds: float | None = None) -> JudgedAnswer:
    citations = [JudgedCitation(c["n"], c["doc_id"], c["start"], c["end"], c["quote"],
                                citation_correct(c, gold, question.answers)) for c in answer["citations"]]
    hit = answer["answered"] and contains_answer(answer_body(answer), question.answers)
    return JudgedAnswer(answer["answer"], answer["answered"], citations,
                        answer_hit=hit if question.answerable else None,
                        correct=hit if question.answerable else not answer["answered"], seconds=seconds)


def answer_body(answer: dict) -> str:
    """The answer without its lead-ins ("According to “Nikola Tesla”:", "NAME, the author of “T”, writes:"): an
    article called "Nikola Tesla" must not make every answer about it contain "Tesla", while a quote that names
    Tesla still counts."""
    text = answer["answer"]
    for title in {c["title"] for c in answer["citations"] if c.get("title")}:
        text = re.sub(lead_in_pattern(title), " ", text)
    return text


def citation_correct(citation: dict, gold, answers) -> bool:
    overlaps = any(s.overlaps(citation["doc_id"], citation["start"], citation["end"]) for unit in gold for s in unit)
    return overlaps or contains_answer(citation["quote"], answers)


# -- aggregation -------------------------------------------------------------------------------------------

def summarize(rows: list[Row]) -> dict[str, float | int | None]:
    """Dataset metrics from report rows; a metric no question bears on is None."""
    scored = [r.scores for r in rows if r.scores]
    metrics = {"questions": len(rows)}
    for name in (scored[0] if scored else {}):
        metrics[name] = _mean(s[name] for s in scored)
    judged = [(r.answerable, r.judged) for r in rows if r.judged is not None]
    if judged:
        metrics.update({
            "answer_hit": _mean(j.answer_hit for answerable, j in judged if answerable),
            "citation_precision": _mean(c.correct for _, j in judged for c in j.citations),
            "abstention_accuracy": _mean(not j.answered for answerable, j in judged if not answerable),
            "false_abstention": _mean(not j.answered for answerable, j in judged if answerable),
            "seconds_per_answer": _mean(j.seconds for _, j in judged if j.seconds is not None)})
    located = [r.evidence_found for r in rows if r.evidence_found is not None]
    if located:
        metrics["evidence_not_found"] = located.count(False)
    return metrics


def _mean(values) -> float | None:
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else None


def abstention_curve(scores: list[float], answerable: list[bool], thresholds: list[float]) -> list[CurvePoint]:
    """For each threshold: the share of unanswerable questions declined (score below it), the share of answerable
    ones declined, and their balanced accuracy."""
    good = [s for s, a in zip(scores, answerable) if a]
    bad = [s for s, a in zip(scores, answerable) if not a]
    curve = []
    for threshold in thresholds:
        declined_bad = sum(s < threshold for s in bad) / len(bad)
        declined_good = sum(s < threshold for s in good) / len(good)
        curve.append(CurvePoint(threshold, abstention_accuracy=declined_bad, false_abstention=declined_good,
                                balanced_accuracy=(declined_bad + 1 - declined_good) / 2))
    return curve


def best_threshold(curve: list[CurvePoint]) -> CurvePoint:
    """The point of highest balanced accuracy; of a plateau of equals, its middle, the choice least tied to
    the particular questions measured."""
    top = max(point.balanced_accuracy for point in curve)
    plateau = [point for point in curve if point.balanced_accuracy >= top - 1e-12]
    return plateau[(len(plateau) - 1) // 2]
