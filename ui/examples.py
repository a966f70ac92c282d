"""Example questions drawn from the indexed articles themselves, so they fit whatever corpus is loaded."""
from __future__ import annotations

import re

from ingest.structure import CODE, DEFINITION, ROW
from schema import Document

MAX_EXAMPLES = 5
MIN_PARAGRAPH_CHARS = 200  # shorter blocks are headings, blurbs or page furniture, not the article's argument
# A run of capitalised words ("Bagram Airbase", "Tolo News", "ISKP"), possibly with a possessive.
_NAME = re.compile(r"\b((?:[A-Z][\w-]*[A-Za-z](?:’s|'s)?\s?)+)")
# "remarks on X", "concerns about X": the phrase after these names what the paragraph is about.
_ABOUTNESS = re.compile(r"\b(on|about|regarding|concerning|over)\s+(the\s+)?$")


def example_questions(documents: list[Document], limit: int = MAX_EXAMPLES) -> list[str]:
    """For each article, "What does the author (or the text) say about <topic>?" for the names its paragraphs open
    with, plus a question about its main argument; taken round-robin across articles."""
    per_article = [_questions_for(document) for document in documents]
    questions = []
    for rank in range(max((len(q) for q in per_article), default=0)):
        questions += [q[rank] for q in per_article if rank < len(q)]
    return list(dict.fromkeys(questions))[:limit]


def _questions_for(document: Document) -> list[str]:
    who = "the author" if _has_an_author(document) else "the text"
    topics = [f"What does {who} say about {topic}?" for topic in paragraph_topics(document)]
    return topics[:1] + [f"What is the main argument of “{document.title}”?"] + topics[1:]


def _has_an_author(document: Document) -> bool:
    """A named author, or prose alone (an article, an essay); a page of definitions, code or tables is reference
    text, which nobody reads as "the author says"."""
    return bool(document.metadata.get("author")) or not any(
        block[2] in (DEFINITION, CODE, ROW) for block in document.blocks)


def paragraph_topics(document: Document) -> list[str]:
    """Names in the opening sentences of the article's paragraphs, leaving out the words of its title (the
    article's subject, not a topic within it); names the sentence is "on" or "about" come first."""
    title_words = {w.lower() for w in re.findall(r"\w+", document.title)}
    found: dict[str, bool] = {}  # topic -> introduced by an aboutness word
    for paragraph in document.text.split("\n\n"):
        if len(paragraph) < MIN_PARAGRAPH_CHARS:
            continue
        opening = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
        for match in _NAME.finditer(opening):
            topic = re.sub(r"(’s|'s)$", "", match.group(1).strip())
            words = topic.split()
            if len(topic) < 3 or match.start() == 0 and len(words) == 1:
                continue  # "US" reads badly in a question; "One", "Furthermore" merely open the sentence
            if any(_shares_stem(w, title_words) for w in words):
                continue  # the article's subject, named in its title
            about = bool(_ABOUTNESS.search(opening[:match.start()]))
            found[topic] = found.get(topic, False) or about
    ranked = sorted(found, key=lambda topic: not found[topic])
    return [t for i, t in enumerate(ranked) if not any(t in other for other in ranked[:i] + ranked[i + 1:])]


def _shares_stem(word: str, title_words: set[str]) -> bool:
    word = word.lower().rstrip("’'s")
    return any(word.startswith(t) or t.startswith(word) for t in title_words if len(t) >= 3)
