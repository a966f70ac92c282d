"""Gold evidence: where a question's evidence passages are in the indexed documents.

A dataset gives its gold spans itself (SQuAD, BEIR) or verbatim evidence passages (Q&A files), located here in the
documents' text without regard to whitespace or typographic variants; every occurrence is an alternative span.
"""
from __future__ import annotations

import re
from array import array
from functools import lru_cache
from pathlib import PurePosixPath

from evaluation.datasets import Question, Span
from ingest.loaders import slugify

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
