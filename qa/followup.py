"""Rewrite a follow-up question into a standalone query, so retrieval sees what "there" or "he" refers to."""
from __future__ import annotations

import re

from qa.evidence import content_words
from qa.scoring import asking_sentence, question_names

_ANAPHORA = re.compile(r"\b(there|it|its|he|him|his|she|her|they|them|their|this|that|these|those|then|"
                       r"the same|also|else|more|further)\b", re.IGNORECASE)
# Words that point outside the question even when it names things of its own ("Why would Russia want it there?")
_OUTWARD = re.compile(r"\b(there|then|he|him|his|she|her|the same|also|else|further)\b", re.IGNORECASE)
_PLACE_OR_TIME = re.compile(r"\b(there|then)\b", re.IGNORECASE)
_QUESTION_WORDS = frozenset("what why how who whom whose when where which".split())
# "… about X", "… on X": X is what the question asks about, to the end of its asking sentence.
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning)\s+(.+?)[?.!]*$", re.IGNORECASE)


def last_user_turns(history: list[dict] | None, n: int = 3) -> list[str]:
    """The last user messages, newest first; history is chat messages {"role", "content"}."""
    turns = [m.get("content") for m in (history or []) if m.get("role") == "user"]
    return [t for t in reversed(turns) if isinstance(t, str) and t.strip()][:n]


def condense_offline(question: str, history: list[dict] | None) -> str:
    """Without an LLM: a follow-up that points back ("there", "he", "that", a bare "Why?") and names nothing of its
    own gets the subject of the previous question appended, e.g. "Why would the US want personnel there? (Bagram)".
    One that names its own subject ("What does he think about Pakistan?") keeps it: only the previous question's
    names that its pointing words can stand for are carried, never that question's topic in place of its own."""
    previous = last_user_turns(history, 1)
    # a bare "Why?" or "How so?" names nothing at all: it asks about what was asked before
    if not previous or not (_ANAPHORA.search(question) or not content_words(question)):
        return question
    if not (question_names(question) or _topic(question)):
        subject = _subject_words(previous[0], exclude=content_words(question))
        return f"{question} ({' '.join(subject)})" if subject else question
    if not _OUTWARD.search(question):
        return question  # "it" in a question naming its own subject ("… the Wikimedia Foundation … it …") is that
    carried = _carried_names(previous[0], question)
    return f"{question} ({' '.join(carried)})" if carried else question


def _topic(question: str) -> str:
    """What the question is "about" ("… think about Pakistan?" -> "Pakistan"), unless that is a word pointing back
    ("… say about it?"), which names nothing."""
    match = _TOPIC.search(asking_sentence(question))
    topic = match.group(1) if match else ""
    return topic if content_words(_ANAPHORA.sub(" ", topic)) else ""


def _carried_names(previous: str, question: str) -> list[str]:
    """The previous question's names the new one's pointing words may stand for: all of them after "there" or
    "then" ("Why would Russia want it there?" after "… about Bagram?"), but when the new question has a topic of
    its own, not the names of the previous topic: "he" in "What does he think about Pakistan?" after "What did
    Khalilzad say about the Taliban?" is Khalilzad, and Pakistan replaces the Taliban."""
    names = question_names(previous)
    if _topic(question) and not _PLACE_OR_TIME.search(question):
        old_topic = _topic(previous)
        names = [name for name in names if name not in old_topic]
    own = content_words(question)
    return [name for name in dict.fromkeys(names) if not content_words(name) <= own]


def _subject_words(text: str, exclude: set[str]) -> list[str]:
    """The words of a previous question that name its subject, in their original spelling and order."""
    seen, words = set(), []
    for word in re.findall(r"[\w’'-]+", text):
        key = next(iter(content_words(word)), None)
        if key and key not in exclude and key not in seen and word.lower() not in _QUESTION_WORDS:
            seen.add(key)
            words.append(word)
    return words


def format_history(history: list[dict], turns: int = 6, max_chars: int = 600) -> str:
    """The last turns as 'User: …' / 'Assistant: …' lines for the condense prompt, each cut to bound the prompt."""
    lines = []
    for message in history[-turns:]:
        role = "User" if message.get("role") == "user" else "Assistant"
        content = " ".join(str(message.get("content") or "").split())
        lines.append(f"{role}: {content[:max_chars]}")
    return "\n".join(lines)
