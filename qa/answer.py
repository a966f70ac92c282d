"""Compose an answer from evidence sentences: verbatim quotes with [n] markers, or an abstention."""
from __future__ import annotations

import re
from typing import Callable

from ingest.structure import code_within, section_at
from qa.evidence import Evidence
from qa.scoring import asked_speaker
from schema import Answer, Citation, Document, Hit

_SEVERAL_NAMES = re.compile(r" and |, (?!(jr|sr|phd|md)\b)", re.IGNORECASE)  # "Ann Lee and Bo Wu", "A, B and C"
_ASKS_WHO = re.compile(r"\s*(who|whom)\b", re.IGNORECASE)
_THE_WRITER = re.compile(r"\b(author|writer|columnist)\b", re.IGNORECASE)  # "Who does the author blame?"
_ABOUT_THE_AUTHOR = re.compile(r"\b(author|writer|columnist|argue|argues|opinion|view|think|thinks|believe)\b",
                               re.IGNORECASE)


def abstention(question: str, hits: list[Hit], query: str = "", unmentioned: list[str] | None = None,
               missing: str = "", off_subject: list[str] | None = None, nothing_more: bool = False) -> Answer:
    """The fixed answer that declines, saying why; `nothing_more`: a follow-up whose only answers were quoted
    in the answer before it."""
    text = f"The indexed articles don't cover this: no passage answers “{_short(question)}”."
    if nothing_more:
        text = "The indexed articles say no more about this than the answer above."
    elif unmentioned:
        text += f" None of the passages found mentions {_either(unmentioned)}."
    elif missing:
        text += f" The passages found give {missing} for it."
    elif off_subject:
        text += f" The closest passages are about something else: none of them mentions {_either(off_subject)}."
    return Answer(question=question, text=text, answered=False, citations=[], hits=hits, query=query or question)


def _either(names: list[str]) -> str:
    return " or ".join(f"“{name}”" for name in names[:3])


def compose(question: str, chosen: list[Evidence], documents: dict[str, Document], hits: list[Hit],
            query: str = "") -> Answer:
    """Quote each chosen sentence verbatim, grouped by article, each followed by its citation marker."""
    citations, parts, current_doc = [], [], None
    for n, evidence in enumerate(chosen, 1):
        document = documents[evidence.chunk.doc_id]
        if document.id != current_doc:
            parts.append(_lead_in(question, document))
            current_doc = document.id
        parts.append(f"{evidence.text} [{n}]")
        citations.append(citation_of(n, evidence, documents))
    return Answer(question=question, text=" ".join(parts), answered=True, citations=citations, hits=hits,
                  query=query or question)


def citation_of(n: int, evidence: Evidence, documents: dict[str, Document]) -> Citation:
    """Citation n: the evidence's exact span, its document, section and the code blocks it quotes."""
    document = documents[evidence.chunk.doc_id]
    start, end = evidence.start, evidence.end
    return Citation(n=n, chunk_id=evidence.chunk.id, doc_id=document.id, title=document.title,
                    source=document.source, start=start, end=end, quote=document.text[start:end],
                    section=section_at(document.blocks, start), code=code_within(document.blocks, start, end))


def _lead_in(question: str, document: Document) -> str:
    """A fixed connective naming the article, the only words of an answer that are not quoted. It names an author
    only when the document has one: reference pages and manuals have none, and inventing one misleads."""
    author = author_phrase(document.metadata)
    # "What did Alberto Shiguematsu say?" asks another's words, which the writer only reports; "Who says …?" asks
    # who the speaker is
    speaker = set(asked_speaker(question).casefold().split())
    if author and not _news_agencies(author) and (_ABOUT_THE_AUTHOR.search(question) or "say" in question.lower()) \
            and not (speaker and not speaker <= set(author.casefold().split())) \
            and not (_ASKS_WHO.match(question) and not _THE_WRITER.search(question)):
        if _SEVERAL_NAMES.search(author):
            return f"{author}, the authors of “{document.title}”, write:"
        return f"{author}, the author of “{document.title}”, writes:"
    return f"According to “{document.title}”:"


# A news agency credited for a story is no author who "writes" it ("AFP, the author of …"): its card says it is by them
_WIRE_SERVICE = re.compile(r"afp|agence france-presse|ap|associated press|reuters|jiji( press)?|kyodo( news)?|"
                           r"yonhap( news agency)?|xinhua( news agency)?|dpa|ansa|efe|pti|press trust of india|ians|"
                           r"upi|united press international|tass|anadolu( agency)?|bernama|antara|wire (staff|reports)",
                           re.IGNORECASE)


def _news_agencies(author: str) -> bool:
    """Whether every name credited is a news agency's ("The Associated Press", "Reuters Staff", "AFP and Reuters",
    "Agence France-Presse (AFP)")."""
    names = [re.sub(r"^the\s+|\s+(staff|wire|news)$|\s*\([^()]*\)$", "", name.strip(), flags=re.IGNORECASE)
             for name in re.split(r"\s*(?:;|,|\band\b)\s*", author) if name.strip()]
    return bool(names) and all(_WIRE_SERVICE.fullmatch(name) for name in names)


# What ends a lead-in, and the lead-ins themselves: the chat lays quotes out after them and the evaluation judges
# an answer without them, so both read them with these patterns rather than with copies of _lead_in's wording.
LEAD_IN_END = r"”:|writes?:"


def lead_in_pattern(title: str = "") -> str:
    """A regex of the lead-in naming the article called `title` (any article when empty), at the answer's start or
    after a citation marker."""
    quoted = f"“{re.escape(title)}”" if title else "“[^”\n]*”"
    return rf"According to {quoted}:|(?:^|(?<=\] ))[^\[\]\n]{{0,200}}?, the authors? of {quoted}, writes?:"


def author_phrase(metadata: dict) -> str:
    """The writer's name, or names as one phrase ("Ann Lee and Bo Wu" from metadata's "Ann Lee; Bo Wu"); "" when
    there is none, or when the publication is credited as its own author ("CBS News"): no writer to name."""
    author = metadata.get("author", "")
    if not author or author.casefold() == metadata.get("site", "").casefold():
        return ""
    names = [name.strip() for name in author.split(";") if name.strip()]
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answer_to_dict(answer: Answer, shown_source: Callable[[str], str] = str) -> dict:
    """The JSON contract shared by `cli.py ask --json` and the app's API; `shown_source` turns a citation's source
    into what the reader may see (the app shows no server paths)."""
    return {
        "question": answer.question,
        "query": answer.query,
        "answer": answer.text,
        "answered": answer.answered,
        "unsupported": answer.unsupported,
        "citations": [{"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": shown_source(c.source),
                       "chunk_id": c.chunk_id, "section": c.section, "start": c.start, "end": c.end, "quote": c.quote,
                       "code": [list(span) for span in c.code]}
                      for c in answer.citations],
        "hits": [{"rank": h.rank, "chunk_id": h.chunk.id, "doc_id": h.chunk.doc_id, "score": round(h.score, 6),
                  "section": h.chunk.section, "start": h.chunk.start, "end": h.chunk.end, "text": h.chunk.text} for h in answer.hits],
    }
