"""The records an evaluation produces: a question's row (its ranked hits, its answer judged), a retriever's run, the
report of a dataset, a point of the abstention curve. `Row.as_dict` and `Report.summary` are report.json's shape."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RankedHit:
    """One of the first hits of a question, marked relevant when it overlaps a gold unit."""
    rank: int
    doc_id: str
    chunk_id: str | None
    score: float
    relevant: bool


@dataclass(frozen=True)
class JudgedCitation:
    n: int
    doc_id: str
    start: int
    end: int
    quote: str
    correct: bool  # overlaps the gold evidence or quotes a reference answer


@dataclass(frozen=True)
class JudgedAnswer:
    answer: str
    answered: bool
    citations: list[JudgedCitation]
    answer_hit: bool | None  # holds a reference answer; None for an unanswerable question
    correct: bool  # an answerable question hit, an unanswerable one declined
    seconds: float | None


@dataclass(frozen=True)
class Row:
    """One question of a run: what retrieval found and, unless the run ranks documents only (BEIR), its answer."""
    id: str
    question: str
    answerable: bool
    gold_answers: list[str]
    hits: list[RankedHit]
    first_relevant: int | None
    gold_units: int
    found_at: list[int]  # the ranks at which a gold unit is found for the first time
    scores: dict[str, float]  # retrieval metrics; empty when the question has no gold to find
    judged: JudgedAnswer | None = None
    evidence_found: bool | None = None  # whether its evidence passages are in the indexed documents, when looked for

    def as_dict(self) -> dict:
        """The row as report.json holds it: the answer's fields beside the retrieval's, `evidence_found` only when
        it was looked for."""
        row = asdict(self)
        judged, evidence_found = row.pop("judged"), row.pop("evidence_found")
        row.update(judged or {})
        if evidence_found is not None:
            row["evidence_found"] = evidence_found
        return row


@dataclass
class Run:
    retriever: str
    metrics: dict[str, float | int | None]  # metric name → value over the run's questions (None: none bears on it)
    rows: list[Row]


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
        return list(dict.fromkeys(r.id for run in self.runs for r in run.rows if r.evidence_found is False))


@dataclass(frozen=True)
class CurvePoint:
    """Declining every question whose best evidence scores below `threshold`."""
    threshold: float
    abstention_accuracy: float  # share of the unanswerable questions declined
    false_abstention: float  # share of the answerable ones declined
    balanced_accuracy: float
