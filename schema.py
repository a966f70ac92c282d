"""Records passed between the stages, and the one error type users see.

Imports go one way: schema <- ingest <- index <- qa <- {cli.py, app.py}.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class UserError(Exception):
    """A problem the user can fix (bad file, missing index, bad flag): shown as one line, no traceback."""


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    source: str
    text: str
    metadata: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)  # [start, end, kind, section] per block (ingest.structure)


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    section: str = ""  # heading path of the block the chunk starts in, e.g. "OPTIONS › --prune"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    start: int
    end: int
    quote: str
    section: str = ""  # heading path of the quoted block, e.g. "OPTIONS"
    code: tuple[tuple[int, int], ...] = ()  # where code blocks lie inside the quote, as document offsets


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answered: bool
    citations: list[Citation]
    hits: list[Hit]
    query: str = ""  # the standalone query used for retrieval (differs from question on follow-ups)
    unsupported: list[str] = field(default_factory=list)  # LLM sentences no passage supports, flagged to users
