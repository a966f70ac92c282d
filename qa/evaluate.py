"""Scripted evaluation: run a dataset's questions through retrieval and the QA pipeline (or a running app's API),
score retrieval, answers, citations and abstention, and write a report.

A hit is a retrieved chunk that overlaps a gold unit (qa.datasets); for BEIR the chunks are first collapsed to their
documents (best chunk's score), because the published SciFact figures rank whole documents. An evidence passage that
is in no indexed document cannot be found by any retriever: its question counts as a retrieval miss and is reported.
"""
from __future__ import annotations

import json
import math
import re
import string
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

from ingest.loaders import slugify
from qa.datasets import Dataset, Question, Span, read_dataset
from schema import Answer, UserError
from settings import Settings

RANKS = (1, 5, 10)
BEIR_DEPTH = 100  # documents ranked per BEIR query, for recall@100
BEIR_CHUNK_POOL = 300  # chunks fetched per BEIR query: enough to fill BEIR_DEPTH documents after collapsing
ROW_HITS = 10  # hits kept per question in report.json
REPORT_MISSES = 50  # questions listed in report.md, worst first
_PUNCTUATION_TO_SPACE = str.maketrans(string.punctuation, " " * len(string.punctuation))


@dataclass
class Run:
    retriever: str
    metrics: dict
    rows: list[dict]


@dataclass
class Report:
    dataset: str
    kind: str
    k: int
    index: str
    runs: list[Run]

    def summary(self) -> dict:
        return {"dataset": self.dataset, "kind": self.kind, "k": self.k, "index": self.index,
                "metrics": {run.retriever: run.metrics for run in self.runs},
                "evidence_not_found": self.evidence_not_found()}

    def evidence_not_found(self) -> list[str]:
        """Ids of the questions whose evidence is in no indexed document (the same for every retriever)."""
        return list(dict.fromkeys(r["id"] for run in self.runs for r in run.rows if r.get("evidence_found") is False))


# -- metrics on one question -------------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    """SQuAD's normalisation (lower case, no articles, single spaces) except that punctuation becomes a space
    rather than vanishing, so it separates words: "subprocess.CalledProcessError" holds the answer
    "CalledProcessError". Both sides are normalised alike, so "1,000" and "U.S." still match themselves."""
    text = text.lower().translate(_PUNCTUATION_TO_SPACE)
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


# -- gold evidence -----------------------------------------------------------------------------------------

# Characters that differ between two copies of one text (a page's extraction, a dataset's quote of it) without
# changing a word: ligatures, typographic quotes, and invisible or permalink marks and the bars ingest writes between
# a table row's cells, which map to nothing. Whitespace, non-breaking spaces included, is dropped by the matching
# itself. Every entry maps to plain characters only.
_PLAIN = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
          "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
          "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "¶": "", "|": ""}
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-(?=[^\S\n]*\n\s*\w)")  # "set-\ntings" in a PDF's text


def gold_units(question: Question, texts: list[tuple[str, int, str]],
               sources: dict[str, str] | None = None) -> tuple[tuple[Span, ...], ...]:
    """The dataset's own gold spans, or each evidence passage located in `texts` (doc_id, offset, text) of the
    question's document (any, when it names none), every occurrence an alternative. `sources` maps doc ids to
    file paths. A passage found nowhere is an empty unit, which no hit can match."""
    if question.gold:
        return question.gold
    wanted = evidence_documents(question, sources or {})
    candidates = [text for text in texts if wanted is None or text[0] in wanted]
    return tuple(locate(passage, candidates) for passage in question.evidence)


def evidence_documents(question: Question, sources: dict[str, str]) -> set[str] | None:
    """The ids of the documents a question's evidence is in, None when it names none: its doc_id, else those whose
    file path ends with its source path, else the id ingest gives that path (all a remote app's hits show). Of
    several files that end so ("a.html", "sub/a.html"), the one with that id is the one meant."""
    if question.doc_id is not None:
        return {question.doc_id}
    if question.source is None:
        return None
    by_path = {doc_id for doc_id, path in sources.items() if _same_file(path, question.source)}
    by_id = id_from_source(question.source)
    return {by_id} if by_id in by_path or not by_path else by_path


def _same_file(path: str, source: str) -> bool:
    path = path.replace("\\", "/")
    return path == source or path.endswith("/" + source)


def id_from_source(source: str) -> str:
    """The document id ingest gives a file at `source` under the ingested folder: its path without extension,
    each part slugified ("howto/Logging.html" -> "howto/logging")."""
    path = PurePosixPath(source)
    return "/".join(slugify(part) for part in (*path.parent.parts, path.stem) if part != "/")


def locate(passage: str, texts: list[tuple[str, int, str]]) -> tuple[Span, ...]:
    """Every occurrence of `passage` in `texts`, compared without whitespace or typographic variants (a page's
    line breaks can fall anywhere in a quoted sentence), as exact spans of the texts."""
    needle = squeeze(passage)[0]
    if not needle:
        return ()
    spans = set()
    for doc_id, offset, text in texts:
        for squeezed, origins in _readings(text):
            at = squeezed.find(needle)
            while at >= 0:
                spans.add(Span(doc_id, offset + origins[at], offset + origins[at + len(needle) - 1] + 1))
                at = squeezed.find(needle, at + 1)
    return tuple(sorted(spans, key=lambda s: (s.doc_id, s.start)))


def _readings(text: str):
    """`text` squeezed as it is and, when a line ends inside a hyphenated word, also without those hyphens: a
    PDF's "set-" at the end of a line before "tings" only splits the word "settings", but "well-known" keeps its
    hyphen wherever the line breaks."""
    yield squeeze(text)
    if _LINE_END_HYPHEN.search(text):
        yield squeeze(text, True)


@lru_cache(maxsize=1024)  # the same documents are searched for every question of a run
def squeeze(text: str, join_hyphenated: bool = False) -> tuple[str, array]:
    """`text` without whitespace and with _PLAIN applied (and, if asked, without line-end hyphens), and for each
    character left its offset in `text`."""
    dropped = {m.start() for m in _LINE_END_HYPHEN.finditer(text)} if join_hyphenated else set()
    chars, origins = [], array("q")
    for at, char in enumerate(text):
        if at in dropped:
            continue
        for plain in _PLAIN.get(char, char):
            if not plain.isspace():
                chars.append(plain)
                origins.append(at)
    return "".join(chars), origins


def texts_from_hits(hits: list[dict]) -> list[tuple[str, int, str]]:
    """What a remote app shows of its articles: retrieved chunks, overlapping ones joined, with offsets."""
    pieces: list[list] = []
    for hit in sorted(hits, key=lambda h: (h["doc_id"], h["start"])):
        last = pieces[-1] if pieces else None
        if last and last[0] == hit["doc_id"] and hit["start"] <= last[1] + len(last[2]):
            last[2] += hit["text"][last[1] + len(last[2]) - hit["start"]:]
        else:
            pieces.append([hit["doc_id"], hit["start"], hit["text"]])
    return [tuple(piece) for piece in pieces]


# -- one question ------------------------------------------------------------------------------------------

def score_question(question: Question, kind: str, ranked: list[dict], answer: dict | None,
                   gold: tuple[tuple[Span, ...], ...]) -> dict:
    """One report row: the question's ranked hits marked relevant or not, its answer and citations judged."""
    matched = matched_units(ranked, gold)
    ranks = found_at(matched)
    row = {"id": question.id, "question": question.question, "answerable": question.answerable,
           "gold_answers": list(question.answers),
           "hits": [{"rank": h["rank"], "doc_id": h["doc_id"], "chunk_id": h.get("chunk_id"),
                     "score": h["score"], "relevant": bool(units)} for h, units in zip(ranked[:ROW_HITS], matched)],
           "first_relevant": ranks[0] if ranks else None, "gold_units": len(gold), "found_at": ranks,
           "scores": retrieval_scores(ranks, len(gold), kind) if question.answerable and gold else {}}
    if answer is not None:
        row.update(_judge_answer(question, answer, gold), seconds=answer.get("seconds"))
    return row


def _judge_answer(question: Question, answer: dict, gold) -> dict:
    citations = [{**{key: c[key] for key in ("n", "doc_id", "start", "end", "quote")},
                  "correct": citation_correct(c, gold, question.answers)} for c in answer["citations"]]
    hit = answer["answered"] and contains_answer(answer_body(answer), question.answers)
    return {"answer": answer["answer"], "answered": answer["answered"], "citations": citations,
            "answer_hit": hit if question.answerable else None,
            "correct": hit if question.answerable else not answer["answered"]}


def answer_body(answer: dict) -> str:
    """The answer without its lead-ins ("According to “Nikola Tesla”:", "NAME, the author of “T”, writes:"): an
    article called "Nikola Tesla" must not make every answer about it contain "Tesla", while a quote that names
    Tesla still counts."""
    text = answer["answer"]
    for title in {c["title"] for c in answer["citations"] if c.get("title")}:
        quoted = re.escape(f"“{title}”")
        text = re.sub(rf"According to {quoted}:|(?:^|(?<=\] ))[^\[\]]*?, the author of {quoted}, writes:", " ", text)
    return text


def citation_correct(citation: dict, gold, answers) -> bool:
    overlaps = any(s.overlaps(citation["doc_id"], citation["start"], citation["end"]) for unit in gold for s in unit)
    return overlaps or contains_answer(citation["quote"], answers)


# -- aggregation -------------------------------------------------------------------------------------------

def summarize(rows: list[dict]) -> dict:
    """Dataset metrics from report rows; a metric no question bears on is None."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    scored = [r["scores"] for r in rows if r["scores"]]
    metrics = {"questions": len(rows)}
    for name in (scored[0] if scored else {}):
        metrics[name] = _mean(s[name] for s in scored)
    if any("answer" in r for r in rows):
        citations = [c["correct"] for r in rows for c in r["citations"]]
        metrics.update({
            "answer_hit": _mean(r["answer_hit"] for r in answerable),
            "citation_precision": _mean(citations),
            "abstention_accuracy": _mean(not r["answered"] for r in unanswerable),
            "false_abstention": _mean(not r["answered"] for r in answerable),
            "seconds_per_answer": _mean(r["seconds"] for r in rows if r.get("seconds") is not None)})
    located = [r["evidence_found"] for r in rows if "evidence_found" in r]
    if located:
        metrics["evidence_not_found"] = located.count(False)
    return metrics


def _mean(values) -> float | None:
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else None


def abstention_curve(scores: list[float], answerable: list[bool], thresholds: list[float]) -> list[dict]:
    """For each threshold: the share of unanswerable questions declined (score below it), the share of answerable
    ones declined, and their balanced accuracy."""
    good = [s for s, a in zip(scores, answerable) if a]
    bad = [s for s, a in zip(scores, answerable) if not a]
    curve = []
    for threshold in thresholds:
        declined_bad = sum(s < threshold for s in bad) / len(bad)
        declined_good = sum(s < threshold for s in good) / len(good)
        curve.append({"threshold": threshold, "abstention_accuracy": declined_bad, "false_abstention": declined_good,
                      "balanced_accuracy": (declined_bad + 1 - declined_good) / 2})
    return curve


def best_threshold(curve: list[dict]) -> dict:
    """The point of highest balanced accuracy; of a plateau of equals, its middle, the choice least tied to
    the particular questions measured."""
    top = max(point["balanced_accuracy"] for point in curve)
    plateau = [point for point in curve if point["balanced_accuracy"] >= top - 1e-12]
    return plateau[(len(plateau) - 1) // 2]


# -- running -----------------------------------------------------------------------------------------------

def run(dataset_path: str, settings: Settings, *, retrievers: list[str], k: int | None = None,
        limit: int | None = None, index: str | None = None, app: str | None = None,
        progress: bool = True, every: int | None = None, articles=None) -> Report:
    """Evaluate a dataset with each retriever; `index` None means the settings' index for Q&A files and a cache
    folder per corpus for BEIR and SQuAD (never the app's own index); `articles` (a qa.filters.ArticleFilter)
    narrows every search to the articles it keeps."""
    from index.search import RETRIEVERS

    unknown = [method for method in retrievers if method not in RETRIEVERS]
    if unknown:
        raise UserError(f"unknown retriever '{unknown[0]}' (use one or more of {', '.join(RETRIEVERS)})")
    if any(value is not None and value < 1 for value in (limit, k, every)):
        raise UserError("--k, --limit and --every must be at least 1")
    dataset = read_dataset(dataset_path, limit, every)
    k = k or settings.top_k
    narrowed = articles is not None and articles.narrows
    if app:
        if narrowed:
            raise UserError("--author, --since and --until filter a local index: the app's /ask takes them itself")
        if dataset.kind != "qa":
            raise UserError(f"--app evaluates Q&A .jsonl files only; {dataset_path} is a {dataset.kind} dataset")
        return Report(dataset.name, dataset.kind, k, app, [_remote_run(dataset, app, k, progress)])
    if index is None and dataset.kind != "qa":
        settings = replace(settings, index_dir=corpus_cache(dataset, settings))
    pipeline = pipeline_for(dataset, settings, progress)
    doc_ids = articles.ids(pipeline.retriever.store.documents) if narrowed else None
    runs = [_local_run(dataset, pipeline, method, k, progress, doc_ids) for method in retrievers]
    report = Report(dataset.name, dataset.kind, k, str(settings.index_dir), runs)
    for question_id in report.evidence_not_found():
        print(f"warning: question {question_id}: evidence not found in the indexed documents "
              f"(counted as a retrieval miss)", file=sys.stderr)
    return report


def corpus_cache(dataset: Dataset, settings: Settings) -> Path:
    model = re.sub(r"[^a-z0-9]+", "-", settings.embed_model.lower()).strip("-")
    name = f"{dataset.kind}-{dataset.name}-{model}-{settings.chunk_tokens}-{settings.chunk_overlap}"
    return Path(tempfile.gettempdir()) / "ragqa-eval" / f"{name}-title{int(settings.embed_title)}"


def pipeline_for(dataset: Dataset, settings: Settings, progress: bool):
    """The QA pipeline over the dataset's index, ingesting a BEIR or SQuAD corpus first if that index is empty."""
    from index.build import update_index
    from index.store import current_generation
    from qa.pipeline import QAPipeline

    from index.embedders import make_embedder

    embedder = make_embedder(settings.embed_model, settings.embed_precision, settings.device)
    pipeline = QAPipeline(settings, embedder=MemoEmbedder(embedder))
    if dataset.kind != "qa" and current_generation(settings.index_dir) is None:
        with tempfile.TemporaryDirectory() as folder:
            source = dataset.corpus_file or _write_articles(dataset.articles, Path(folder))
            update_index([str(source)], settings, pipeline.embedder, progress=progress)
    documents = pipeline.retriever.store.documents
    needed = {s.doc_id for q in dataset.questions for unit in q.gold for s in unit}
    missing = sorted(needed - documents.keys())
    if missing:
        raise UserError(f"the index at {settings.index_dir} lacks {len(missing)} of the {len(needed)} articles "
                        f"{dataset.name} needs (e.g. '{missing[0]}'): evaluate it with an empty --index")
    return pipeline


class MemoEmbedder:
    """An embedder that remembers each text's vector: over thousands of questions the same passages' sentences
    are embedded again and again, and that, not retrieval, would take nearly all of an evaluation's time."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.dimension = inner.name, inner.dimension
        self._documents: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self._documents]
        if new:
            self._documents.update(zip(new, self.inner.embed_documents(new, show_progress)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._documents[text] for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def _write_articles(articles: list[dict], folder: Path) -> Path:
    path = folder / "articles.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return path


def _local_run(dataset: Dataset, pipeline, method: str, k: int, progress: bool, doc_ids: set[str] | None = None
               ) -> Run:
    from qa.answer import answer_to_dict

    store = pipeline.retriever.store
    texts = [(doc.id, 0, doc.text) for doc in store.documents.values()]
    sources = {doc.id: doc.source for doc in store.documents.values()}
    rows = []
    for question in _progress(dataset.questions, method, progress):
        if dataset.kind == "beir":
            chunks = pipeline.retriever.search(question.question, BEIR_CHUNK_POOL, method=method, doc_ids=doc_ids)
            ranked, answer = by_document(_hit_dicts(chunks))[:BEIR_DEPTH], None
        else:
            ranked = _hit_dicts(pipeline.retriever.search(question.question, max(k, max(RANKS)), method=method,
                                                          doc_ids=doc_ids))
            started = time.perf_counter()
            answer = answer_to_dict(pipeline.ask(question.question, k=k, retriever=method, doc_ids=doc_ids))
            answer["seconds"] = time.perf_counter() - started
        gold = gold_units(question, texts, sources)
        row = score_question(question, dataset.kind, ranked, answer, gold)
        if question.evidence and not question.gold:
            row["evidence_found"] = all(gold)  # searched in whole documents: a miss means no retriever can find it
        rows.append(row)
    return Run(method, summarize(rows), rows)


def _remote_run(dataset: Dataset, url: str, k: int, progress: bool) -> Run:
    ask = _remote_asker(url)
    rows = []
    for question in _progress(dataset.questions, "app", progress):
        started = time.perf_counter()
        answer = {**ask(question.question, k), "seconds": time.perf_counter() - started}
        gold = gold_units(question, texts_from_hits(answer["hits"]))
        rows.append(score_question(question, dataset.kind, answer["hits"], answer, gold))
    return Run("app", summarize(rows), rows)


def _remote_asker(url: str):
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, analytics_enabled=False)
    except Exception as exc:  # gradio_client raises many kinds (HTTP, connection, value)
        raise UserError(f"cannot reach the app at {url}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    return lambda question, k: client.predict(question, k, api_name="/ask")


def _hit_dicts(hits) -> list[dict]:
    from qa.answer import answer_to_dict

    # the hits of the JSON contract, so local and remote runs are scored by the same code
    return answer_to_dict(Answer("", "", False, [], hits))["hits"]


def by_document(hits: list[dict]) -> list[dict]:
    """Chunk hits collapsed to their documents, each at its best chunk's score (hits come best first)."""
    best = {}
    for hit in hits:
        best.setdefault(hit["doc_id"], hit)
    return [{**hit, "rank": rank} for rank, hit in enumerate(best.values(), 1)]


def _progress(questions, label: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(questions, desc=label, unit=" question", file=sys.stderr, disable=not enabled)


# -- reports -----------------------------------------------------------------------------------------------

def metrics_table(report: Report) -> str:
    from bench.report import markdown_table

    names = [n for n in report.runs[0].metrics if any(run.metrics.get(n) is not None for run in report.runs)]
    rows = [[run.retriever] + [_cell(run.metrics.get(n)) for n in names] for run in report.runs]
    return markdown_table(["retriever"] + names, rows)


def _cell(value) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def write_reports(report: Report, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    payload = {**report.summary(), "runs": [{"retriever": r.retriever, "metrics": r.metrics, "questions": r.rows}
                                            for r in report.runs]}
    (folder / "report.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(report_markdown(report), encoding="utf-8")


def report_markdown(report: Report) -> str:
    lines = [f"# Evaluation of {report.dataset} ({report.kind})", "",
             f"Searched `{report.index}`, {report.k} passages per answer, "
             f"{report.runs[0].metrics['questions']} questions.", "", metrics_table(report)]
    lines += _evidence_not_found_section(report)
    for run in report.runs:
        misses = sorted((r for r in run.rows if _missed(r)), key=lambda r: r["first_relevant"] or 10**9, reverse=True)
        lines += ["", f"## {run.retriever}: {len(misses)} questions missed", ""]
        lines += [_miss_line(row) for row in misses[:REPORT_MISSES]]
        if len(misses) > REPORT_MISSES:
            lines.append(f"- … {len(misses) - REPORT_MISSES} more in report.json")
    return "\n".join(lines) + "\n"


def _evidence_not_found_section(report: Report) -> list[str]:
    missing = report.evidence_not_found()
    if not missing:
        return []
    return ["", f"## Evidence not found: {len(missing)} questions", "",
            "Their evidence is in no indexed document (is this the right index?); they count as retrieval misses.",
            "", *(f"- **{question_id}**" for question_id in missing)]


def _missed(row: dict) -> bool:
    return row.get("correct") is False or (row["scores"] and row["first_relevant"] is None)


def _miss_line(row: dict) -> str:
    found = f"first relevant hit at rank {row['first_relevant']}" if row["first_relevant"] else "no relevant hit"
    if row.get("evidence_found") is False:
        found = "evidence not found in the indexed documents"
    line = f"- **{row['id']}** {row['question']} ({found})"
    if "answer" in row:
        expected = "; ".join(dict.fromkeys(row["gold_answers"])) or "a refusal"
        line += f"\n  - expected: {expected}\n  - answer: {_short(row['answer'])}"
    return line


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
