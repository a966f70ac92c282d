"""Example questions drawn from the indexed articles themselves, so they fit whatever corpus is loaded."""
from __future__ import annotations

import re
from typing import Callable

from ingest.metadata import is_title_with_release
from ingest.structure import CODE, DEFINITION, HEADING, ROW
from schema import Document

MAX_EXAMPLES = 5
TRIES_PER_EXAMPLE = 4  # candidate questions asked per example shown: each is an offline answer, ~10 ms
# gradio's example buttons show 60 characters and cut the rest mid-word ("…of “Khalilzad on ISKP, T..."): every
# question is built to fit.
MAX_EXAMPLE_CHARS = 60
MIN_PARAGRAPH_CHARS = 200  # shorter blocks are headings, blurbs or page furniture, not the article's argument
MAX_HEADING_WORDS = 6  # longer headings are sentences, not topics
# A run of capitalised words ("Bagram Airbase", "Tolo News", "ISKP"), possibly with a possessive.
_NAME = re.compile(r"\b((?:[A-Z][\w-]*[A-Za-z](?:’s|'s)?\s?)+)")
# "remarks on X", "concerns about X": the phrase after these names what the paragraph is about.
_ABOUTNESS = re.compile(r"\b(on|about|regarding|concerning|over)\s+(the\s+)?$")
# Capitalised, yet no topic: "What does the author say about Monday?" asks about nothing.
_TIME_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday tonight january february "
    "march april may june july august september october november december spring summer autumn fall winter "
    "mon tue tues wed thu thur thurs fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec".split())
# Section headings every document may have: they name no topic of this one.
_GENERIC_HEADINGS = frozenset(
    "introduction conclusion conclusions summary contents table of references notes see also further reading "
    "examples example basic overview background footnotes acknowledgements acknowledgments related abstract "
    "appendix bibliography sources links resources comments more details description synopsis usage options "
    "installation install setup requirements".split())
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVXivx]+\.|[A-Za-z][.)])\s+")
_QUESTION_WORD = re.compile(r"^(What|Why|How|Who|When|Where|Which)\b")  # "What happens next" -> "… about what …"
# Words a shortened title must not end on: "Why our starter failed (and…" reads as cut.
_DANGLING = frozenset("a an the and or of in on for to with by at from as but (and (or — – - : ,".split())


def example_questions(documents: list[Document], limit: int = MAX_EXAMPLES,
                      answerable: Callable[[str], bool] | None = None) -> list[str]:
    """For each article, questions about its section headings and the names its paragraphs open with, plus a
    question about the article as a whole; taken round-robin across articles. With `answerable`, only questions it
    says the articles answer, of the first TRIES_PER_EXAMPLE times `limit` (a heading or a name in an address
    line may be no topic the text says anything about)."""
    per_article = [_questions_for(document) for document in documents]
    questions = []
    for rank in range(max((len(q) for q in per_article), default=0)):
        questions += [q[rank] for q in per_article if rank < len(q)]
    questions = list(dict.fromkeys(questions))
    if answerable is None:
        return questions[:limit]
    offered = []
    for question in questions[:TRIES_PER_EXAMPLE * limit]:
        if len(offered) == limit:
            break
        if answerable(question):
            offered.append(question)
    return offered


def _questions_for(document: Document) -> list[str]:
    who = "the author" if _has_an_author(document) else "the text"
    topics = list(dict.fromkeys(heading_topics(document) + paragraph_topics(document)))
    questions = [q for q in (_about(who, topic) for topic in topics) if len(q) <= MAX_EXAMPLE_CHARS]
    return questions[:1] + [_title_question(document.title, who)] + questions[1:]


def _about(who: str, topic: str) -> str:
    return f"What does {who} say about {topic}?"


def _title_question(title: str, who: str) -> str:
    """A question about the whole article, naming its title, whole words only; a long title is shortened at a
    word, with "…"."""
    templates = ["What is “{}” about?"]
    if who == "the author":
        templates.insert(0, "What is the main argument of “{}”?")
    for template in templates:
        if len(template.format(title)) <= MAX_EXAMPLE_CHARS:
            return template.format(title)
    words, room = title.split(), MAX_EXAMPLE_CHARS - len(templates[-1].format("…"))
    while words and (len(" ".join(words)) > room or words[-1].lower() in _DANGLING):
        words.pop()
    shortened = " ".join(words).rstrip(",;:—–-(") if words else title[:room].rsplit(" ", 1)[0]
    return templates[-1].format(shortened + "…")


def _has_an_author(document: Document) -> bool:
    """A named author, or prose alone (an article, an essay); a page of definitions, code or tables is reference
    text, which nobody reads as "the author says"."""
    return bool(document.metadata.get("author")) or not any(
        block[2] in (DEFINITION, CODE, ROW) for block in document.blocks)


def heading_topics(document: Document) -> list[str]:
    """The article's own section headings, without their numbering ("2 Sharing the Water"), leaving out generic
    ones ("Introduction", "See also") and long ones."""
    common = _lower_case_words(document.text)
    topics = []
    for start, end, kind, *_ in document.blocks:
        heading = _NUMBERING.sub("", document.text[start:end]).strip().rstrip(":.")
        words = heading.split()
        if kind != HEADING or not words or len(words) > MAX_HEADING_WORDS or _restates_title(heading, document.title):
            continue  # the title has a question of its own
        if {w.lower().strip("()") for w in words} <= _GENERIC_HEADINGS | _TIME_WORDS:
            continue
        topics.append(_QUESTION_WORD.sub(lambda m: m.group().lower(), _lowered(heading, common)))
    return topics


def _restates_title(heading: str, title: str) -> bool:
    """The page's own title as its top heading, maybe with its release ("npm-audit @11.19.1")."""
    return heading.casefold() == title.casefold() or is_title_with_release(heading, title)


def _lowered(heading: str, common: set[str]) -> str:
    """The heading in lower case when each of its capitalised words is one the text writes in lower case
    ("Quick start", "Sharing the Water"); as written when one is a name ("River Basins", "Pakistan’s role")."""
    words = heading.split()
    capitalised = [w for i, w in enumerate(words) if w[:1].isupper() and not _acronym(w, i)]
    if all(w.lower() in common for w in capitalised):
        return " ".join(w if _acronym(w, i) else w.lower() for i, w in enumerate(words))
    return heading


def _acronym(word: str, at: int) -> bool:
    """"NASA", "I", the "A" of "Vitamin A"; not the article "A" opening a heading ("A city upended")."""
    return word.isupper() and not (word == "A" and at == 0)


def paragraph_topics(document: Document) -> list[str]:
    """Names in the opening sentences of the article's paragraphs, leaving out the words of its title (the
    article's subject, not a topic within it), day and month names, and capitalised ordinary words ("What",
    "Pop", which the text also writes in lower case); names the sentence is "on" or "about" come first, then the
    names the article mentions most."""
    title_words = {w.lower() for w in re.findall(r"\w+", document.title)}
    common = _lower_case_words(document.text)
    found: dict[str, bool] = {}  # topic -> introduced by an aboutness word
    for paragraph in document.text.split("\n\n"):
        if len(paragraph) < MIN_PARAGRAPH_CHARS:
            continue
        opening = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
        for match in _NAME.finditer(opening):
            words = re.sub(r"(’s|'s)$", "", match.group(1).strip()).split()
            if match.start() == 0 and len(words) == 1:
                continue  # "One", "Furthermore" merely open the sentence
            article = "the " if words[0] == "The" and len(words) > 1 else ""  # "the Garbage Collector"
            while words and words[0].lower() in common:  # "Then What", "Furthermore Pakistan": ordinary words
                words.pop(0)
            topic = article + " ".join(words) if words else ""
            if len(topic) < 3 or any(w.lower() in _TIME_WORDS for w in words):
                continue  # "US" reads badly in a question
            if any(_shares_stem(w, title_words) for w in words):
                continue  # the article's subject, named in its title
            about = bool(_ABOUTNESS.search(opening[:match.start()]))
            found[topic] = found.get(topic, False) or about
    ranked = sorted(found, key=lambda topic: (not found[topic], -document.text.count(topic)))
    return [t for i, t in enumerate(ranked) if not any(t in other for other in ranked[:i] + ranked[i + 1:])]


def _lower_case_words(text: str) -> set[str]:
    """The words the text writes in lower case somewhere: ordinary words, not names."""
    return set(re.findall(r"\b[a-z][a-z’'-]*\b", text))


def _shares_stem(word: str, title_words: set[str]) -> bool:
    word = word.lower().rstrip("’'s")
    return any(word.startswith(t) or t.startswith(word) for t in title_words if len(t) >= 3)
