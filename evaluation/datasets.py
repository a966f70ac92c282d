"""Evaluation datasets: Q&A JSONL, BEIR folders and SQuAD JSON, read into one Question record.

Every gold unit is a tuple of alternative spans (any one of them counts): a Q&A evidence passage wherever it occurs
(in its question's document, when a doc_id or source path names one), a SQuAD answer's span in its article, or a whole
BEIR document.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ingest.clean import normalize
from ingest.loaders import slugify
from schema import UserError

WHOLE = sys.maxsize  # the end of a span that covers a whole document


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int
    end: int

    def overlaps(self, doc_id: str, start: int, end: int) -> bool:
        return doc_id == self.doc_id and start < self.end and self.start < end


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # verbatim passages, located in the articles at scoring time
    doc_id: str | None = None
    answerable: bool = True
    gold: tuple[tuple[Span, ...], ...] = ()  # gold units whose offsets the dataset itself gives
    source: str | None = None  # the evidence's file, relative to the ingested folder: an alternative to doc_id


@dataclass
class Dataset:
    kind: str  # "qa", "beir" or "squad"
    name: str
    questions: list[Question]
    corpus_file: Path | None = None  # BEIR: the corpus.jsonl to ingest
    articles: list[dict] = field(default_factory=list)  # SQuAD: records {"id", "title", "text"} to ingest


def read_dataset(path: str | Path, limit: int | None = None, every: int | None = None) -> Dataset:
    """The dataset's questions; with `every`, questions 0, every, 2·every, … (a fixed sample); with `limit`, the
    first `limit` of those."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"no dataset at {path}")
    if path.is_dir():
        dataset = read_beir(path)
    elif path.suffix.lower() == ".jsonl":
        dataset = read_qa_jsonl(path)
    elif path.suffix.lower() == ".json":
        dataset = read_squad(path)
    else:
        raise UserError(f"cannot tell what kind of dataset {path} is: use a Q&A .jsonl file, a BEIR folder "
                        f"(corpus.jsonl, queries.jsonl, qrels/test.tsv) or a SQuAD .json file")
    if every is not None:
        dataset.questions = dataset.questions[::every]
    if limit is not None:
        dataset.questions = dataset.questions[:limit]
    return dataset


# -- Q&A JSONL --------------------------------------------------------------------------------------------

def read_qa_jsonl(path: Path) -> Dataset:
    questions, seen = [], set()
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
        question = _qa_question(record, f"{path}:{n}")
        if question.id in seen:
            raise UserError(f"{path}:{n}: id {question.id!r} is used twice")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise UserError(f"{path}: no questions")
    return Dataset("qa", path.stem, questions)


def _qa_question(record, where: str) -> Question:
    if not isinstance(record, dict):
        raise UserError(f"{where}: not a JSON object")

    def need(name: str, ok, expected: str):
        value = record.get(name)
        if not ok(value):
            raise UserError(f"{where}: field '{name}' must be {expected}")
        return value

    answerable = need("answerable", lambda v: isinstance(v, bool), "true or false")
    answers = need("answers", _strings, "a list of non-empty strings")
    evidence = need("evidence", _strings, "a list of non-empty strings")
    if answerable and not (answers or evidence):
        raise UserError(f"{where}: an answerable question needs 'answers' or 'evidence'")
    return Question(
        id=str(need("id", lambda v: isinstance(v, (str, int)) and str(v).strip(), "a non-empty string")),
        question=need("question", lambda v: isinstance(v, str) and v.strip(), "a non-empty string"),
        answers=tuple(answers), evidence=tuple(evidence), answerable=answerable,
        doc_id=need("doc_id", lambda v: v is None or isinstance(v, str), "a string or null"),
        source=_relative_path(need("source", lambda v: v is None or (isinstance(v, str) and v.strip()),
                                   "a non-empty string or null")))


def _relative_path(source: str | None) -> str | None:
    """A `source` path in one spelling: forward slashes, no "./" or doubled slashes."""
    return None if source is None else PurePosixPath(source.strip().replace("\\", "/")).as_posix()


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)


# -- BEIR --------------------------------------------------------------------------------------------------

def read_beir(folder: Path) -> Dataset:
    corpus, queries, qrels = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"
    missing = [p.name for p in (corpus, queries, qrels) if not p.is_file()]
    if missing:
        raise UserError(f"{folder} is not a BEIR folder: missing {', '.join(missing)}")
    relevant = _read_qrels(qrels)
    texts = {}
    for n, line in enumerate(_read_text(queries).splitlines(), 1):
        if line.strip():
            record = _json_line(line, f"{queries}:{n}")
            texts[str(record.get("_id"))] = record.get("text") or ""
    unknown = sorted(set(relevant) - set(texts))
    if unknown:
        raise UserError(f"{qrels}: query {unknown[0]} is not in {queries.name}")
    questions = [Question(id=qid, question=texts[qid], gold=tuple((Span(d, 0, WHOLE),) for d in docs))
                 for qid, docs in relevant.items()]
    return Dataset("beir", folder.name, questions, corpus_file=corpus)


def _read_qrels(path: Path) -> dict[str, list[str]]:
    relevant: dict[str, list[str]] = {}
    for n, line in enumerate(_read_text(path).splitlines(), 1):
        cells = line.split("\t")
        if n == 1 and cells[0] == "query-id" or not line.strip():
            continue
        if len(cells) != 3 or not cells[2].strip().lstrip("-").isdigit():
            raise UserError(f"{path}:{n}: expected 'query-id<TAB>corpus-id<TAB>score'")
        if int(cells[2]) > 0:
            relevant.setdefault(cells[0], []).append(cells[1])
    return relevant


def _json_line(line: str, where: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise UserError(f"{where}: not a JSON object")
    return record


# -- SQuAD -------------------------------------------------------------------------------------------------

def read_squad(path: Path) -> Dataset:
    """Each Wikipedia article becomes one document (its paragraphs joined by blank lines); a question's gold
    unit is the stretch of its paragraph from the first to the last character any reference answer covers."""
    try:
        data = json.loads(_read_text(path))["data"]
        articles = [(a["title"], a["paragraphs"]) for a in data]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a SQuAD file ({exc.__class__.__name__}: {exc})") from None
    records, questions = [], []
    for title, paragraphs in articles:
        doc_id = slugify(title)
        texts, offset = [], 0
        for paragraph in paragraphs:
            text = normalize(paragraph["context"])
            questions += [_squad_question(qa, paragraph["context"], text, doc_id, offset, path)
                          for qa in paragraph["qas"]]
            texts.append(text)
            offset += len(text) + 2
        records.append({"id": doc_id, "title": title.replace("_", " "), "text": "\n\n".join(texts)})
    return Dataset("squad", path.stem, questions, articles=records)


def _squad_question(qa: dict, raw: str, text: str, doc_id: str, offset: int, path: Path) -> Question:
    spans = [_locate_answer(a["text"], a["answer_start"], raw, text) for a in qa["answers"]]
    spans = [s for s in spans if s is not None]
    if not spans:
        raise UserError(f"{path}: question {qa['id']}: no reference answer is in its paragraph")
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return Question(id=qa["id"], question=qa["question"], answers=tuple(a["text"] for a in qa["answers"]),
                    doc_id=doc_id, gold=((Span(doc_id, offset + start, offset + end),),))


def _locate_answer(answer: str, raw_start: int, raw: str, text: str) -> tuple[int, int] | None:
    """The answer's span in the normalised paragraph: the occurrence nearest to where it was in the raw one."""
    answer = normalize(answer)
    expected = len(normalize(raw[:raw_start]))
    starts, at = [], text.find(answer)
    while at >= 0 and answer:
        starts.append(at)
        at = text.find(answer, at + 1)
    if not starts:
        return None
    start = min(starts, key=lambda s: abs(s - expected))
    return start, start + len(answer)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
