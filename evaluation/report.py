"""Reports: the metrics table (also what `cli.py eval` prints), report.json (the summary, then every question's row)
and report.md (the table, then the questions each retriever missed, worst first). `markdown_table` is shared with
the benchmarks (bench/)."""
from __future__ import annotations

import json
from pathlib import Path

from evaluation.records import Report, Row

REPORT_MISSES = 50  # questions listed in report.md, worst first


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def metrics_table(report: Report) -> str:
    names = [n for n in report.runs[0].metrics if any(run.metrics.get(n) is not None for run in report.runs)]
    rows = [[run.retriever] + [_cell(run.metrics.get(n)) for n in names] for run in report.runs]
    return markdown_table(["retriever"] + names, rows)


def _cell(value) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def write_reports(report: Report, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    payload = {**report.summary(), "runs": [{"retriever": run.retriever, "metrics": run.metrics,
                                             "questions": [row.as_dict() for row in run.rows]} for run in report.runs]}
    (folder / "report.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(report_markdown(report), encoding="utf-8")


def report_markdown(report: Report) -> str:
    lines = [f"# Evaluation of {report.dataset} ({report.kind})", "",
             f"Searched `{report.index}`, {report.k} passages per answer, "
             f"{report.runs[0].metrics['questions']} questions.", "", metrics_table(report)]
    lines += _evidence_not_found_section(report)
    for run in report.runs:
        misses = sorted((r for r in run.rows if _missed(r)), key=lambda r: r.first_relevant or 10**9, reverse=True)
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


def _missed(row: Row) -> bool:
    wrong = row.judged is not None and not row.judged.correct
    return wrong or bool(row.scores and row.first_relevant is None)


def _miss_line(row: Row) -> str:
    found = f"first relevant hit at rank {row.first_relevant}" if row.first_relevant else "no relevant hit"
    if row.evidence_found is False:
        found = "evidence not found in the indexed documents"
    line = f"- **{row.id}** {row.question} ({found})"
    if row.judged is not None:
        expected = "; ".join(dict.fromkeys(row.gold_answers)) or "a refusal"
        line += f"\n  - expected: {expected}\n  - answer: {_short(row.judged.answer)}"
    return line


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
