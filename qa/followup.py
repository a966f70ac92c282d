"""Rewrite a follow-up question into a standalone query, so retrieval sees what "there" or "he" refers to."""
from __future__ import annotations

import re

from qa.evidence import content_words, framing_words
from qa.scoring import ABOUT_TOPIC, asking_sentence, question_names, within_reach

_ANAPHORA = re.compile(r"\b(there|it|its|he|him|his|she|her|they|them|their|this|that|these|those|then|"
                       r"the same|also|else|more|further)\b", re.IGNORECASE)
# "Who wrote the article?" points back; "How do I put the page number in the footer?" asks about its own things
_THE_ARTICLE = re.compile(r"\bthe (article|piece|story|post|column|page)\b", re.IGNORECASE)
# words that ask rather than name: left out of the subject a follow-up carries
_ASKING_WORDS = frozenset("else more also further much many may might must can could would should will shall "
                          "wrote written write writes say says said tell me".split())
# Words that point outside the question even when it names things of its own ("Why would Russia want it there?")
_OUTWARD = re.compile(r"\b(there|then|he|him|his|she|her|the same|also|else|further)\b", re.IGNORECASE)
_PERSONAL = frozenset({"he", "his", "she", "her"})  # may stand for a person the question itself names before them
_PLACE_OR_TIME = re.compile(r"\b(there|then)\b", re.IGNORECASE)
_QUESTION_WORDS = frozenset("what why how who whom whose when where which".split())
# the previous question asked again of another subject: "What about the synchronous version?" after "What does
# fs.readFile do?", "How about Pakistan?" after "What did Khalilzad say about the Taliban?"; not a question of its
# own ("What about Rust makes it memory safe?")
_ELLIPTIC = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b(?!.*\b(is|are|was|were|do|does|did|make|makes|made|can|"
                       r"could|will|would|has|have|had|should|must|may|might)\b)", re.IGNORECASE)
# words that ask for more of what was asked, naming nothing: "Can you give an example?", "Please explain."
REQUEST_WORDS = content_words("can could would you me us give show example explain elaborate please")
# a pronoun the question's own words before it may stand for: "… treat a file that exists in only one of them …",
# "I applied a patch to my tree and it broke the build" ("using it", "with it", "why is that?" point outside)
_RELATIVE_THAT = re.compile(r"(?<=[a-z]{3} )(that|which) (?=(is|are|was|were|has|have|can|will|\w+s)\b)",
                            re.IGNORECASE)
_PLURAL_ANTECEDENT = re.compile(r"\b(them|they|their)\b", re.IGNORECASE)
_CLAUSE_SUBJECT_IT = re.compile(r"(?:\b(?:and|but|when|if|once|while|because|unless|until)|,) (it)\b", re.IGNORECASE)
MIN_OWN_WORDS_BEFORE = 2  # for a pronoun to stand for something of the question's own: "What happens when it is set?"
# "And how do I sort the keys?" goes on from the answer before: "the keys" are its; "And what is a decorator?" not
_CONTINUES_CHAT = re.compile(r"^\s*(?:and|but|also|so)\b(?!.*\b(?:a|an)\b).*\bthe\b", re.IGNORECASE)
MAX_CONTINUING_WORDS = 3


def condense_offline(question: str, history: list[dict] | None) -> str:
    """Without an LLM: a follow-up that points back ("there", "he", "that", a bare "Why?") and names nothing of its
    own gets the subject of the previous question appended, e.g. "Why would the US want personnel there? (Bagram)".
    One that names its own subject ("What does he think about Pakistan?") keeps it: only the previous question's
    names that its pointing words can stand for are carried, never that question's topic in place of its own.
    The previous question is read as it was searched for, so a chain of follow-ups keeps the first one's subject."""
    # a bare "Why?" or "How so?" names nothing at all: it asks about what was asked before
    if not (_points_back(question) or _points_at_article(question) or _ELLIPTIC.match(question)
            or not content_words(question) - REQUEST_WORDS or _continues_chat(question)):
        return question
    previous = _previous_search(history)
    if not previous:
        return question
    if _ELLIPTIC.match(question):  # the previous subject but for its topic, which this question's replaces
        dropped = content_words(question) | content_words(_topic(previous))
        return with_subject(question, _subject_words(previous, exclude=dropped))
    if not (question_names(question) or _topic(question)):
        subject = _subject_words(previous, exclude=content_words(question))
        return with_subject(question, subject)
    if not _points_outward(question):
        return question  # "it" in a question naming its own subject ("… the Wikimedia Foundation … it …") is that
    carried = _carried_names(previous, question)
    return with_subject(question, carried)


def with_previous_subject(question: str, history: list[dict] | None) -> str:
    """A question that names no subject of its own ("Who is the chief scientist?") with the previous question's
    subject appended, for a second search when it finds nothing alone; else the question as it is."""
    previous = _previous_search(history)
    if not previous or question_names(question):
        return question
    asked_before, carried = subject_carried(previous)  # the chat's subject, not the last question's own topic
    return with_subject(question, carried.split() or question_names(asked_before)
                        or _subject_words(asked_before, exclude=content_words(question)))


def with_subject(question: str, words: list[str]) -> str:
    """The follow-up as it is searched for: the question, then the subject it carries in brackets."""
    return f"{question} ({' '.join(words)})" if words else question


# a query with_subject wrote: the question, then the subject it carries in brackets
_WITH_SUBJECT = re.compile(r"(.*?)(?:\s+\(([^()]*)\))?", re.DOTALL)


def subject_carried(query: str) -> tuple[str, str]:
    """The question and the subject `with_subject` gave it ("Who is the author?", "DiEM25 plan"), or "" for none."""
    question, subject = _WITH_SUBJECT.fullmatch(query).groups()
    return question, subject or ""


def _previous_search(history: list[dict] | None) -> str:
    """The previous question as it was searched for: itself condensed against the chat before it, so "Which site
    published it?" after "When was it published?" after "… the Assange article …" still asks about Assange."""
    history = history or []
    for at in range(len(history) - 1, -1, -1):
        content = history[at].get("content")
        if history[at].get("role") == "user" and isinstance(content, str) and content.strip():
            return condense_offline(within_reach(content), history[:at])
    return ""


def _points_back(question: str) -> bool:
    """Whether a word of the question points back at the chat: "there", "he", or "it" that stands for nothing the
    question itself says."""
    inside = {m.start(1) for pattern in (_RELATIVE_THAT, _CLAUSE_SUBJECT_IT) for m in pattern.finditer(question)}
    inside |= {m.start() for m in _PLURAL_ANTECEDENT.finditer(question) if _plural_before(question, m.start())}
    inside = {at for at in inside if len(content_words(question[:at]) - REQUEST_WORDS) >= MIN_OWN_WORDS_BEFORE}
    return any(m.start() not in inside for m in _ANAPHORA.finditer(question))


def _plural_before(question: str, at: int) -> bool:
    """Whether a plural noun ("directories") comes before `at`, for "them" to stand for."""
    return any(w.endswith("s") and not w.endswith("ss") for w in re.findall(r"[a-z]{4,}", question[:at].lower()))


def _continues_chat(question: str) -> bool:
    return bool(_CONTINUES_CHAT.match(question)) and len(content_words(question) - REQUEST_WORDS) <= \
        MAX_CONTINUING_WORDS


def _points_at_article(question: str) -> bool:
    """"When was the article published?": the article the chat is about, when the question asks nothing else."""
    return bool(_THE_ARTICLE.search(question)) and len(
        content_words(_THE_ARTICLE.sub(" ", question)) - framing_words()) <= 1


def _points_outward(question: str) -> bool:
    """Whether a word of the question stands for something outside it. "his" or "she" after a name the question
    gives is that name's ("What did Pompeo call WikiLeaks in his first speech?")."""
    named_at = [question.find(name) for name in question_names(question) if name in question]
    return any(m.group().lower() not in _PERSONAL or not any(0 <= at < m.start() for at in named_at)
               for m in _OUTWARD.finditer(question))


def _topic(question: str) -> str:
    """What the question is "about" ("… think about Pakistan?" -> "Pakistan"), unless that is a word pointing back
    ("… say about it?"), which names nothing."""
    match = ABOUT_TOPIC.search(asking_sentence(question))
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
        if (key and key not in exclude and key not in seen and word.lower() not in _QUESTION_WORDS
                and not (word.islower() and word in _ASKING_WORDS)):  # "Theresa May" is a name
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
