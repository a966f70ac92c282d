"""The conversation outside the server: the form kept in the visitor's browser (so a reload keeps the chat), and the
Markdown and JSON exports, which keep for every citation the document, its source, the exact span and the quote."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields

from schema import Answer, Citation
from ui.chat import Turn

SAVED_TURNS = 50  # the browser keeps the newest turns only: localStorage is small and every turn is sent on load
_CITATION_FIELDS = {f.name: f.type for f in fields(Citation)}


def saved_form(turns: list[Turn]) -> list[dict]:
    """The settled turns as JSON values, without the retrieval hits (the browser needs only what the page shows)."""
    return [{"question": t.question, "text": t.text, "error": t.error, "stopped": t.stopped,
             "answer": None if t.answer is None else _answer_form(t.answer)}
            for t in turns[-SAVED_TURNS:] if t.settled]


def _answer_form(answer: Answer) -> dict:
    return {"question": answer.question, "text": answer.text, "answered": answer.answered, "query": answer.query,
            "unsupported": list(answer.unsupported), "citations": [asdict(c) for c in answer.citations]}


def restored(saved) -> list[Turn]:
    """Turns from what a browser sent back. It is the visitor's own data, yet checked: a malformed turn is left out
    (never an error), and everything is rendered escaped like any other text."""
    turns = []
    for item in saved[-SAVED_TURNS:] if isinstance(saved, list) else []:
        try:
            turns.append(_turn(item))
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
    return turns


def _turn(item: dict) -> Turn:
    answer = item.get("answer")
    turn = Turn(question=_text(item["question"]), text=_text(item.get("text", "")), error=_text(item.get("error", "")),
                stopped=item.get("stopped") is True, answer=None if answer is None else _answer(answer))
    if not turn.question or not turn.settled:
        raise ValueError("not a settled turn")
    return turn


def _answer(item: dict) -> Answer:
    citations = [Citation(**{name: _typed(c[name], kind) for name, kind in _CITATION_FIELDS.items() if name in c})
                 for c in item["citations"]]
    return Answer(question=_text(item["question"]), text=_text(item["text"]), answered=item["answered"] is True,
                  citations=citations, hits=[], query=_text(item.get("query", "")),
                  unsupported=[_text(u) for u in item.get("unsupported", [])])


def _typed(value, kind: str):
    if kind == "int" and type(value) is int:
        return value
    if kind == "str":
        return _text(value)
    if kind.startswith("tuple[tuple[int, int]") and isinstance(value, list):  # Citation.code: [[start, end], …]
        return tuple((_typed(start, "int"), _typed(end, "int")) for start, end in value)
    raise TypeError(f"expected {kind}")


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def export_json(turns: list[Turn], shown_source: Callable[[str, str], str] = lambda source, doc_id: source) -> str:
    """The conversation as JSON: each question, its answer and every citation's document id, title, source, section,
    character span in the indexed document's text, the quote (== text[start:end]) and the spans of the code blocks it
    quotes."""
    exported = []
    for turn in turns:
        if not turn.settled:
            continue
        answer = turn.answer
        exported.append({
            "question": turn.question, "answer": turn.error or (answer.text if answer else turn.text),
            "answered": bool(answer and answer.answered), "stopped": turn.stopped, "error": turn.error,
            "searched_for": answer.query if answer else "",
            "citations": [{"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": shown_source(c.source, c.doc_id),
                           "section": c.section, "start": c.start, "end": c.end, "quote": c.quote,
                           "code": [list(span) for span in c.code]}
                          for c in (answer.citations if answer else [])]})
    return json.dumps({"conversation": exported}, ensure_ascii=False, indent=2)


def export_markdown(turns: list[Turn],
                    shown_source: Callable[[str, str], str] = lambda source, doc_id: source) -> str:
    """The conversation as a Markdown document: each question as a heading, the answer, then its numbered sources
    with the quote and where it is (document, characters start to end)."""
    lines = ["# Conversation", ""]
    for item in json.loads(export_json(turns, shown_source))["conversation"]:
        lines += [f"## {_one_line(item['question'])}", "", item["answer"] + (" (stopped)" if item["stopped"] else ""),
                  ""]
        if item["citations"]:
            lines += ["Sources:", ""]
        for c in item["citations"]:
            section = f" › {c['section']}" if c["section"] else ""
            lines += [(f"{c['n']}. **{_one_line(c['title'])}**{_one_line(section)} ({c['source']}, document "
                       f"`{c['doc_id']}`, characters {c['start']}–{c['end']})"), "",
                      *[f"   > {line}" for line in c["quote"].splitlines() or [""]], ""]
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
