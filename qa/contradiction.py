"""Does a passage sentence say the opposite of a claim? Word-level checks, made after the claim has been matched to
the sentence, so they only need to spot a flip in what the two already share:

- negation: a stretch of one sentence under "not", "never", "no one", "without", "n't"… (to the end of its clause)
  whose content words all appear in the other sentence with none of them negated there ("Quokkas are not
  marsupials" against "They are small marsupials"); both negated is agreement ("does not eat" / "never eats");
- quantifiers: "always"/"all"/"everyone" in the claim where the sentence only has "sometimes"/"most"/"few"…;
  "not always"/"not all" against "always"/"all" ("always"/"never", "all"/"none", "everyone"/"no one" are
  negation flips);
- numbers: the claim states a number its passage never mentions while the matched sentence states one the claim
  does not ("costs 5 dollars" against "costs 7 dollars"); a number found anywhere in the passage is fine.

`disputed` returns what is contradicted (words, and numbers as "#5"), so a caller can ask whether another sentence
states those the claim's way.
"""
from __future__ import annotations

import re
from collections import defaultdict

from qa.evidence import content_words

PLAIN, NEGATED, NOT_ALL, UNIVERSAL, PARTIAL = "plain", "negated", "not all", "universal", "partial"
_NEGATORS = frozenset("not no never none nobody nothing nowhere neither nor without cannot".split())
_UNIVERSALS = frozenset("all every always everyone everybody everything everywhere".split())
_PARTIALS = frozenset("some sometimes often usually mostly most many several few occasionally rarely seldom "
                      "partly frequently".split())
# A negation or quantifier reaches to the end of its clause: punctuation or a word that starts another clause.
_CLAUSE_BREAKS = frozenset(". ! ? , ; : ( ) — – but although though whereas while because however unless "
                           "except".split())
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[.!?](?!\d)|[,;:()—–]")  # "2.5" is no full stop

# "one" is left out: it is too often a pronoun ("no one", "one of them")
_UNITS = ("zero", "", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER_WORD = {word: value for value, word in enumerate(_UNITS) if word} | \
               {word: value * 10 for value, word in enumerate(_TENS) if word}
_NUMBER = re.compile(rf"(\d+(?:,\d{{3}})*(?:\.\d+)?|\b(?:{'|'.join(_NUMBER_WORD)})(?:-(?:{'|'.join(_UNITS[2:10])}))?\b)"
                     rf"(?:\s+({'|'.join(_SCALES)})\b)?", re.IGNORECASE)


def disputed(claim: str, sentence: str, passage: str) -> set[str]:
    """The words and numbers of the claim that the sentence (from `passage`) states otherwise; empty if none."""
    return _polarity_flips(claim, sentence) | _number_flips(claim, sentence, passage)


def terms(text: str) -> set[str]:
    """Content words and numbers ("#5") of a text: what `disputed` returns is a subset of the claim's terms."""
    return content_words(text) | {tag for mention in _numbers(text) for tag in mention}


def _polarity_flips(claim: str, sentence: str) -> set[str]:
    claim_scopes, claim_marks = _scopes(claim)
    sentence_scopes, sentence_marks = _scopes(sentence)
    flips = set()
    for kind, words in claim_scopes:
        if _flipped(kind, words, claim_marks, sentence_marks) or _overclaimed(kind, words, sentence_marks):
            flips |= words
    for kind, words in sentence_scopes:
        if _flipped(kind, words, sentence_marks, claim_marks):
            flips |= words
    return flips


def _flipped(kind: str, words: set[str], own: dict[str, set[str]], other: dict[str, set[str]]) -> bool:
    """A negated stretch is contradicted by a sentence stating all its words with none of them negated, unless that
    sentence only states them the way this one also does elsewhere ("… of faculty appointments, to make no faculty
    appointment without …"); a "not all" ("not always") stretch is contradicted by "all" ("always")."""
    if kind not in (NEGATED, NOT_ALL) or not words <= other.keys():
        return False
    marks = set().union(*(other[w] for w in words))
    if kind == NOT_ALL:
        return UNIVERSAL in marks and not marks & {NEGATED, NOT_ALL}
    return not marks & {NEGATED, NOT_ALL} and any(not other[w] <= own[w] for w in words)


def _overclaimed(kind: str, words: set[str], other: dict[str, set[str]]) -> bool:
    """"always", "all" in the claim where the sentence only says "often", "most"."""
    if kind != UNIVERSAL or not words <= other.keys():
        return False
    marks = set().union(*(other[w] for w in words))
    return PARTIAL in marks and UNIVERSAL not in marks


def _scopes(sentence: str) -> tuple[list[tuple[str, set[str]]], dict[str, set[str]]]:
    """The stretches under a negation or quantifier, each to the end of its clause, as (kind, content words); and
    every content word's kinds (PLAIN outside any stretch)."""
    tokens = _TOKEN.findall(re.sub(r"\bno[\s-]+one\b", "nobody", sentence.lower()))
    scopes, marks, kind = [], defaultdict(set), PLAIN
    for token in tokens:
        if token in _CLAUSE_BREAKS:
            kind = PLAIN
        elif opener := _opener(token):
            if kind == NEGATED:  # "not always" / "not all": only some; "not often", "not many": still negated
                opener = NOT_ALL if opener == UNIVERSAL else NEGATED
            kind = opener
            scopes.append((kind, set()))
        else:
            for word in content_words(token):
                marks[word].add(kind)
                if kind != PLAIN:
                    scopes[-1][1].add(word)
    return [(k, words) for k, words in scopes if words], marks


def _opener(token: str) -> str | None:
    if token in _NEGATORS or token.endswith(("n't", "n’t")):
        return NEGATED
    return UNIVERSAL if token in _UNIVERSALS else PARTIAL if token in _PARTIALS else None


def _number_flips(claim: str, sentence: str, passage: str) -> set[str]:
    in_passage = set().union(*_numbers(passage))
    in_claim = _numbers(claim)
    claimed = set().union(*in_claim)
    unstated = [mention for mention in in_claim if in_passage.isdisjoint(mention)]
    stated_otherwise = [mention for mention in _numbers(sentence) if claimed.isdisjoint(mention)]
    return {mention[0] for mention in unstated} if unstated and stated_otherwise else set()


def _numbers(text: str) -> list[tuple[str, ...]]:
    """Each number mentioned, as its tags: value with its scale first, then the bare figure ("1.5 million" →
    ("#1500000", "#1.5")), so "1,500,000", "1.5 million" and "two" / "2" meet."""
    mentions = []
    for match in _NUMBER.finditer(text):
        figure, scale = match.group(1).lower(), (match.group(2) or "").lower()
        if figure[0].isdigit():
            value = float(figure.replace(",", ""))
        else:
            value = sum(_NUMBER_WORD[part] for part in figure.split("-"))  # "twenty-five"
        mentions.append(tuple(dict.fromkeys([_tag(value * _SCALES.get(scale, 1)), _tag(value)])))
    return mentions


def _tag(value: float) -> str:
    return f"#{value:.12g}"
