"""Check an LLM's answer against the passages it was given; its citations are never trusted as written.

Markers naming no passage are removed; each sentence's claim must be supported by the passage it cites (or, with no
marker, by some passage), and its citation points at the passage sentence that supports it best; a sentence nothing
supports, or that a passage sentence contradicts (qa/contradiction.py), is flagged. Citations are renumbered in
order of first use, so no key is left dangling.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from index.embedders import Embedder
from qa.answer import citation_of
from qa.contradiction import disputed, terms
from qa.evidence import Evidence, candidate_sentences, content_words, sentence_spans
from schema import Chunk, Citation, Document, Hit

CANNOT_ANSWER = "The indexed articles don't cover this."
SUPPORT_THRESHOLD = 0.5  # similarity (cosine or word overlap, whichever is higher) a claim needs to its source
_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_SOURCE_LIST = re.compile(r"\n\s*(sources?|references?|citations?)\s*:.*$", re.IGNORECASE | re.DOTALL)
_LISTED_SOURCE_LINE = re.compile(r"^\s*\[\d+\]\s*[^\[\]]*$")  # "[2] Some title" alone on a line
# A number in square brackets or their look-alikes (full-width, lenticular, tortoise-shell, white)
_BRACKETED_NUMBER = re.compile(r"[\[［【〔〖〘⟦]\s*(\d+)\s*[\]］】〕〗〙⟧]")
_REFUSAL = re.compile(r"(don['’]t|do not|does not|doesn['’]t) (cover|contain|mention|say|answer)|cannot answer|"
                      r"can['’]t answer|no information (about|on)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: list[Citation]
    unsupported: list[str]
    refused: bool


def format_passages(passages: list[Chunk], documents: dict[str, Document]) -> str:
    """The numbered passages of the answer prompt. A header, "[n] title", is the only place a bracketed number
    appears: the title is kept to one line and a bracketed number in article text becomes "(n)", so an article
    line such as "[2] Official Government Facts" cannot pass for a passage of its own."""
    return "\n\n".join(f"[{n}] {' '.join(_defused(documents[c.doc_id].title).split())}\n{_defused(c.text)}"
                         for n, c in enumerate(passages, 1))


def _defused(text: str) -> str:
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # no zero-width tricks: "[\u200b2]"
    return _BRACKETED_NUMBER.sub(r"(\1)", visible)


def check(raw: str, passages: list[Chunk], documents: dict[str, Document], embedder: Embedder) -> CheckedAnswer:
    text = _strip_source_list(raw)
    if not text or _REFUSAL.search(text) and len(text) < 300:
        return CheckedAnswer(CANNOT_ANSWER, [], [], refused=True)
    claims = [(_MARKER.sub("", s).strip(), _cited_numbers(s, len(passages))) for s in _sentences(text)]
    claims = [(claim, numbers) for claim, numbers in claims if claim]
    sources = _passage_sentences(passages, documents)
    vectors = _embed([c for c, _ in claims] + [e.text for _, e in sources], embedder)
    claim_vectors, source_vectors = vectors[: len(claims)], vectors[len(claims):]
    keys: dict[tuple[str, int, int], Citation] = {}
    parts, unsupported = [], []
    for (claim, numbers), claim_vector in zip(claims, claim_vectors):
        support = _supporting(claim, claim_vector, numbers, sources, source_vectors)
        if support is None:
            unsupported.append(claim)
            parts.append(claim)
            continue
        key = (support.chunk.doc_id, support.start, support.end)
        if key not in keys:
            keys[key] = citation_of(len(keys) + 1, support, documents)
        parts.append(f"{claim} [{keys[key].n}]")
    return CheckedAnswer(" ".join(parts), list(keys.values()), unsupported, refused=False)


def _strip_source_list(raw: str) -> str:
    text = _SOURCE_LIST.sub("", raw.strip())
    return "\n".join(line for line in text.splitlines() if not _LISTED_SOURCE_LINE.match(line)).strip()


def _sentences(text: str) -> list[str]:
    # A marker after the full stop ("… region. [1]") belongs to the sentence before it.
    text = re.sub(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)", lambda m: m.group(2) + m.group(1), text)
    return [text[s:e] for s, e, _ in sentence_spans(text)]


def _cited_numbers(sentence: str, passage_count: int) -> list[int]:
    numbers = [int(n) for group in _MARKER.findall(sentence) for n in group.split(",")]
    return [n for n in dict.fromkeys(numbers) if 1 <= n <= passage_count]


def _passage_sentences(passages: list[Chunk], documents: dict[str, Document]) -> list[tuple[int, Evidence]]:
    """(passage number, sentence) for every sentence of every passage; overlapping passages each keep theirs."""
    return [(n, evidence) for n, chunk in enumerate(passages, 1)
            for evidence in candidate_sentences([Hit(chunk, 0.0, n)], documents, standalone=False)]


def _embed(texts: list[str], embedder: Embedder) -> np.ndarray:
    return embedder.embed_documents(texts) if texts else np.zeros((0, 1), dtype=np.float32)


def _supporting(claim: str, claim_vector: np.ndarray, numbers: list[int], sources: list[tuple[int, Evidence]],
                source_vectors: np.ndarray) -> Evidence | None:
    """The passage sentence that best supports the claim: among the cited passages when there are markers, else
    among all of them; None when nothing reaches the threshold. A sentence that says the opposite of the claim never
    supports it, and once one does, only a sentence stating the disputed words and numbers the claim's way can."""
    words = content_words(claim)
    close = []
    for (n, evidence), vector in zip(sources, source_vectors):
        if numbers and n not in numbers:
            continue
        overlap = len(words & content_words(evidence.text)) / len(words) if words else 0.0
        if (score := max(float(vector @ claim_vector), overlap)) >= SUPPORT_THRESHOLD:
            close.append((score, evidence, disputed(claim, evidence.text, evidence.chunk.text)))
    contradicted = set().union(*(dispute for _, _, dispute in close))
    best, best_score = None, SUPPORT_THRESHOLD
    for score, evidence, dispute in close:
        if not dispute and contradicted <= terms(evidence.text) and score >= best_score:
            best, best_score = evidence, score
    if best is None and numbers:  # the cited passage does not support it: look for one that does
        return _supporting(claim, claim_vector, [], sources, source_vectors)
    return best
