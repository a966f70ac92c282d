"""Which sentence answers the question? A small choice model over features a reader would use.

Cosine similarity alone rewards sentences that restate the question (the setup of a story) over the one that
resolves it. The model also weighs: rare question words the sentence shares, how well its neighbours match, its
passage's retrieval score against the best passage's (not its rank: passages scored alike weigh alike), its length, the rare question words it shares once read with the sentence before it ("His
father was …" after "Shi Tianze was …"), whether it names the thing asked about ("electricity" in "how much
electricity") and counts it ("2.8 gigawatt-hours of electricity"), and whether it holds the kind of thing asked
for (a number for "how many", a date for "when", a name for "who", a cause for "why", a means for "how"), and whether
it is the candidate closest to the question. Weights are fitted on SQuAD by `python -m bench.fit_scorer`
(questions disjoint from the ones measured) and written below.
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable

import numpy as np

_QUESTION_TYPES = [
    ("quantity", re.compile(r"\bhow (many|much|long|old|far|big|large|high|often|fast|tall|deep|wide)\b|"
                            r"\bwhat (percentage|percent|number|proportion|amount|size|share|rate)\b|"
                            r"\bwhat (is|was|are|were) the (\w+ )?(size|number|length|limit|amount|percentage|"
                            r"proportion|rate|cost|price|weight|population)s? (of|in)\b|"
                            # "what is the company's valuation", "what was the apartment's value" (not "the idealized
                            # value of imperialism", nor an option's "default value")
                            r"\bwhat (is|was|are|were) ((the|its|his|her|their) ([\w-]+['’]s )?|[\w-]+['’]s )"
                            r"(?!default )(\w+ )?(valuation|cost|price)s?\b|"
                            r"\bwhat (is|was|are|were) (the |its |his |her |their )?([\w-]+['’]s |(market|net|total|"
                            r"estimated|assessed|appraised|resale|dollar) )(value|worth)\b|"
                            # "what's the maximum …", "what's the most results it returns" (not "the most famous")
                            r"\bwhat(['’]s| is| was| are| were) the ((maximum|minimum|max|min)|(most|fewest|least) "
                            r"\w+[^\Wsu]s)\b|"
                            # "what is the highest weight I can give it" (not "the highest mountain")
                            r"\bwhat(['’]s| is| was| are| were) the (highest|lowest|largest|smallest|biggest|greatest|"
                            r"longest|shortest|average|typical|total) (size|number|length|limit|amount|percentage|"
                            r"proportion|rate|cost|price|weight|population|value|score|count|speed|temperature|age)s?\b",
                            re.I)),
    # "when did …", not a clause ("how old was he when he died", "when I load graphicx, should I …")
    ("time", re.compile(r"\bwhen\b(?!\s+(i|you|we|they|he|she|it|a|an|the|my|your|our|their|his|her|its|this|these|"
                        r"those|there|someone|somebody|people|one)\b)|\bwhat (year|date|time|day|month|century|decade|"
                        r"age)\b|\bsince when\b", re.I)),
    ("person", re.compile(r"\bwho(m|se)?\b|\bwhich (person|people|company|organi[sz]ation|group|team)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\bwhich (country|city|state|region|place|town|province|continent)\b|"
                         r"\bin what (country|city|state|region|place|town)\b", re.I)),
    ("reason", re.compile(r"\bwhy\b|\bwhat (caused|causes|is the reason|was the reason|reason)\b|"
                          r"\bfor what (reason|purpose)\b", re.I)),
    ("method", re.compile(r"\bhow (do|does|did|can|could|should|would|to|is|are|was|were)\b|"
                          r"\b(what|which) (option|flag|command|setting|package|variable)s?\b|"
                          r"\b(what|which) [\w-]+ (option|command|setting|package)s?\b|"  # "which hyperref option"
                          r"\b(recommends?|advises?|suggests?)\b|\bwhat (should|can) (i|we) do\b|"
                          r"\bshould (i|we)\b|\bis it (ok|okay|safe|wise|a good idea|a bad idea|better)\b", re.I)),
]
_NUMBER_WORDS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                 "hundred|thousand|million|billion|trillion|dozen|half|once|twice|percent")
_HAS = {
    # a number as a number, not a name's digit ("git-log(1)", "v2", "gc.<pattern>.reflogExpire1")
    # "one" as a pronoun ("another one", "the one", "no-one could predict") counts nothing
    "quantity": re.compile(rf"(?<![\w/.-])(?<!\w\()\d[\d,.]*(st|nd|rd|th|s|[kmgt]i?b|ms|px|pt|mm|cm|km|kg|in)?(?!\w)|"
                           rf"\b(?!one\b)({_NUMBER_WORDS})\b|(?<!another )(?<!the )(?<!this )(?<!that )(?<!each )"
                           rf"(?<!every )(?<!any )(?<!which )(?<!no )(?<!no-)\bone\b", re.I),
    # "how often": a rate, not any number ("five days a week", "twice a year", "daily", "every month")
    "frequency": re.compile(r"\b(twice|thrice|times|daily|weekly|monthly|yearly|annually|hourly|nightly)\b|"
                            r"\b(once|every|each|per|a|an) (other )?(minute|hour|day|night|week|fortnight|month|"
                            r"quarter|season|year|decade)\b", re.I),
    "time": re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b|\b(january|february|march|april|may|june|july|august|september|"
                       r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                       r"today|yesterday|tomorrow|century|decade|weeks?|days?|months?|years?|hours?|minutes?|"
                       r"seconds?|ago|since|until|morning|evening|night|default)\b", re.I),
    "reason": re.compile(r"\b(because|since|due to|owing to|so that|in order to|as a result|that way|reason|"
                         r"caused?|leads? to|so as to|thanks to|for fear|to avoid|to prevent|allows?|lets?|"
                         r"based on|named (after|for)|(comes?|came|derived?|derives|stems?) from)\b", re.I),
    # a means (an option such as --follow, a TeX command) or advice ("you should not", "always commit")
    "method": re.compile(r"\b(by|using|use|with|via|through|run|set|add|pass|option|command|should|must|always|"
                         r"never|avoid|better|best|(good|bad) idea|recommended|do not|don't)\b|`|"
                         r"(?<![\w-])--?[a-z][\w-]*|\\[a-zA-Z]{2,}", re.I),
}
# a name: a capitalised word that does not open a sentence, or one that reads as a name wherever it stands, in capitals
# or with digits ("T1 are your Worlds 2023 champions!", "NASA said", "G2")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+|\b[A-Z](?:[A-Z]+|\d+[A-Za-z]*)\b")

FEATURES = ("bias", "similarity", "rare_overlap", "neighbour_similarity", "passage_score", "log_words",
            "quantity_match", "time_match", "name_match", "reason_match", "method_match", "whole_block", "focus_match",
            "context_overlap", "counted_focus", "most_similar")
# Fitted by bench/fit_scorer.py (a conditional logit on SQuAD v1.1 dev, questions 5, 15, 25, …).
WEIGHTS = dict(zip(FEATURES, (
    0.000, 2.983, 2.240, -0.263, 4.307, 0.291, 1.689, 1.535, 0.870, 0.387, 0.562, 0.000, 0.087, 1.955,
    0.829, 0.409)))


# The thing asked about: "how much electricity", "which branch", "what exit status" (not "what is", "which of").
_FOCUS = re.compile(r"\bhow (?:many|much)\s+(\w+)|\b(?:what|which)\s+(?!(?:is|are|was|were|does|do|did|has|have|"
                    r"had|can|could|should|would|will|of|the|a|an|kind|sort|type)\b)(\w+)", re.I)


def focus_phrase(question: str) -> str:
    """The noun the question asks for ("electricity" in "how much electricity …"), or ""."""
    match = _FOCUS.search(question)
    return (match.group(1) or match.group(2)) if match else ""


def question_types(question: str) -> set[str]:
    types = {name for name, pattern in _QUESTION_TYPES if pattern.search(question)}
    # "what was the score", "by what vote": a figure asked for in other words than "how many" (not an exit status,
    # whose sentences hold other numbers: "one of the three directories")
    return types | {"quantity"} if _ASKS_SCORE.search(asking_sentence(question)) else types


_YES_NO = re.compile(r"\s*(does|do|did|is|are|was|were|can|could|will|would|should|has|have|had|may|might|must)\b",
                     re.IGNORECASE)


# asks what happens when nothing is set ("by default", "what is the default …", "what default tolerance does it
# use"), not about a default thing
_ASKS_DEFAULT = re.compile(r"\bby default\b|\bdefault (value|setting)s?\b|\bwhat(['’]s| is| are) the defaults?\b|"
                           r"\bwhat default\b|\bout of the box\b", re.IGNORECASE)
# asks for a score or a vote: a figure, in other words than "how many"
_SCORE = (r"\bby what (vote|margin|majority|score)\b|\bwhat (score|tally)\b|"
          r"\bwhat (is|was) the (final |exact )?(score|tally)\b")
_ASKS_SCORE = re.compile(_SCORE, re.IGNORECASE)
# asks for a figure in other words than "how many": a vote, a score, an exit status, a size in a unit
_ASKS_FIGURE = re.compile(rf"{_SCORE}|\bwhat exit (status|code)\b|\bwhat (is|was) the actual (score|tally)\b|"
                          r"\bnumeric value\b|\bwhat (value|price) did .{1,80}?\b(put|place) on\b|"  # a valuation
                          # "the size in bytes?", "what widths, in millimetres, does it use"
                          r"\bin (bytes|kb|mb|gb|tb|kilobytes|megabytes|gigabytes|millimet(er|re)s|centimet(er|re)s|"
                          r"inches)(\W*$|,)", re.IGNORECASE)
# asks for a year or a date: the quotes must give one
_ASKS_DATE = re.compile(r"\b(what|which) (year|decade|century|date) (did|does|do|is|was|were|will|has|had)\b|"
                        r"\bon what (date|day)\b", re.IGNORECASE)  # not "what date format does it use"
_GIVES_DATE = re.compile(r"(?<![\d.])(1\d{3}|20\d\d)s?\b|\bcentury\b|\bmay \d|\d may\b|"
                         r"\b(january|february|march|april|june|july|august|september|october|november|december|"
                         r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)
# asks for a name: the quotes must hold a capitalised word the question does not
_ASKS_NAME = re.compile(r"\bwhat (is|was|were|are) the names? of\b|\bwho (was|were|is) the (\w+ )?named\b",
                        re.IGNORECASE)
# asks who a person's relative is ("Who is Prelogar's husband?", "What was Tesla's mother's name?", "Whom did Emma
# marry?"): a quote must say some word of that kin, which few words say (one word for a sibling may name another)
_KIN = {"spouse": "husband wife wives spouse partner widow widower fiancé fiancée fiance fiancee engaged "
                  "engagement bride groom married marries marry marrying marriage wed wedded wedding",
        "child": "son daughter child children kid offspring stepson stepdaughter",
        "parent": "mother father parent mom dad stepmother stepfather",
        "sibling": "brother sister sibling half-brother half-sister"}
# the relatives a question may ask for by name: a "partner" is as often a business's, "married" is no one
_NOT_ASKED = {"partner", "engaged", "engagement", "married", "marries", "marry", "marrying", "marriage", "wed",
              "wedded", "wedding"}
_KIN_WORD = "|".join(sorted({word for words in _KIN.values() for word in words.split()} - _NOT_ASKED, key=len,
                            reverse=True))
_ASKS_RELATIVE = re.compile(
    rf"^\s*(?:who|whom|what)(?:['’]s|\s+(?:is|was|are|were))\s+(?:the\s+names?\s+of\s+)?(?:[\w.-]+\s+){{0,3}}?"
    rf"(?P<owner>[\w.-]+)['’]s?\s+(?:(?:late|former|first|second|new|current|eldest|youngest|older|younger|elder|"
    rf"twin)\s+)?(?P<kin>{_KIN_WORD})(?:s|ren)?(?:['’]s?\s+names?)?\s*\??\s*$"
    rf"|^\s*(?:who|whom)\s+(?:is|was|did)\s+(?P<spouse>(?:[\w.-]+\s+){{1,4}}?)(?:married to|marry|wed)\b",
    re.IGNORECASE)
# the person the quote says it of: named, or as he or she ("their parents … secretly married the young couple" says
# nothing of Prelogar's husband)
_SINGULAR_PERSON = re.compile(r"\b(he|she|his|her|him|hers)\b", re.IGNORECASE)
# asks for a sum of money: the quotes must give one, a share or "free" ("How much prize money did T1 win?" was
# answered with the years of its titles; 37 of 41 such SQuAD answers name a currency, the rest a share or "free")
_MONEY_VERB = (r"(?:cost|costs|charge|charges|charged|pay|pays|spend|spends|spent|earn|earns|earned|raise|raised|"
               r"fetch|fetched|owe|owes|owed|demand|demands|demanded)")
# "How much did it cost to clear the island?", "How much does it charge per ton?": "much" with no noun of its own is
# the sum the verb pays; "How much memory does each connection cost?" has a noun, and asks none
_ASKS_MONEY = re.compile(r"\bhow much\b.*\b(money|prices?|priced|paid|salary|salaries|prize|budget|revenues?|funding|"
                         r"fees?|donated|invested|taxe?s|profits?|income|wages?|worth|ransom|bail|bitcoins?)\b"
                         r"|\bhow much(?:\s+per\s+\w+(?:\s+of\s+\w+)?)?\s+(?:do|does|did|will|would|could|can|should|"
                         rf"might|is|was|has|have|had)\s+(?!{_MONEY_VERB}\b)(?:[\w'’.-]+\s+){{0,6}}?"
                         rf"(?<!\bthe )(?<!\ba )(?<!\ban )(?<!\bof )(?<!\bfor )(?P<verb>{_MONEY_VERB})\b"
                         r"(?!\s+of\b)(?!(?<=demand)\s+for\b)(?!(?<=demands)\s+for\b)",  # "demand for oil": a noun
                         re.IGNORECASE)
_GIVES_MONEY = re.compile(r"[$€£¥₹₿]|%|\b(dollars?|euros?|pounds?|yen|yuan|rupees?|francs?|pesos?|lira|lire|"
                          r"roubles?|rubles?|krona|kronor|kroner|dinars?|riyals?|rand|usd|eur|gbp|cents?|pence|"
                          r"shillings?|bitcoins?|btc|percent|per cent|free|no charge)\b", re.IGNORECASE)
# asks an age: the quotes must give a number that is no year ("How old is Alito?" was answered with the year he was
# appointed), nor "once"; or say when one was born. "What age came after the Bronze Age?" asks for an era
_ASKS_AGE = re.compile(r"\bhow old\b|\b(at|from|until|by|to|under|over) what age\b|"
                       r"\bwhat age (is|was|are|were|do|does|did|must|should|can|could|will|would)\b", re.IGNORECASE)
_GIVES_AGE = re.compile(r"(?<![\d.,])(?!(1\d|20)\d\ds?\b)\d[\d.,]*|\b(two|three|four|five|six|seven|eight|nine|"
                        r"ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|teens|"
                        r"(twen|thir|for|fif|six|seven|eigh|nine)ties|born)\b", re.IGNORECASE)
# how a text says what happens when nothing is set: "by default", "defaults to", "unless", "if not specified"
_STATES_DEFAULT = re.compile(r"\bdefault|\bunless\b|\botherwise\b|\bunset\b|\bfalls? back\b|\bout of the box\b|"
                             r"\b(if|when) (it is |this is |the \w+ is |no \w+ is )?(not |never )?(set|given|specified|"
                             r"passed)\b|\bif omitted\b|\bautomatically\b", re.IGNORECASE)


def states_default(text: str) -> bool:
    return bool(_STATES_DEFAULT.search(text))


def lacks_default(question: str, texts: list[str]) -> bool:
    """Whether the question asks what happens "by default" and none of the texts states a default."""
    return bool(_ASKS_DEFAULT.search(asking_sentence(question))) and not any(map(states_default, texts))


# "how many cameras": a count of things, which no time, distance or weight gives ("how many years" is a time; a share
# is a count's: "9.6% of students")
_MEASURE_WORDS = (r"seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centur(y|ies)|"
                  r"miles?|km|kilomet(er|re)s?|met(er|re)s?|feet|foot|inch(es)?|yards?|kgs?|kilos?|kilograms?|"
                  r"pounds?|lbs?|tons?|tonnes?|ounces?|degrees?|acres?|hectares?")
_COUNTS_THINGS = re.compile(rf"\bhow many (?!(?:[\w-]+ ){{0,2}}(?:{_MEASURE_WORDS})\b)", re.IGNORECASE)
_MEASURE = re.compile(rf"\s*-?\s*(?:{_MEASURE_WORDS})(?!\w)", re.IGNORECASE)
_MEASURE_SUFFIX = re.compile(r"\d(s|ms|mm|cm|km|kg)$", re.IGNORECASE)  # "10ms", "5km"
# units a figure is asked in ("how many bytes", "size in bytes"): the figure must come in them, or a kin of them
_UNITS = {"byte": r"bytes?|[kmgt]?i?b|(kilo|mega|giga|tera)bytes?",
          "second": r"seconds?|secs?|s|ms|milliseconds?|minutes?|hours?",
          "minute": r"minutes?|mins?|hours?|seconds?",
          "hour": r"hours?|minutes?|days?",
          "percent": r"percent|%",
          # a typographic length answers one asked in another of them: "0.5pt" or "1in" for a width in millimetres
          "length": r"mm|millimet(er|re)s?|cm|centimet(er|re)s?|inch(es)?|(?<=\d)in|pt|bp|pc|picas?|em|ex|px"}
_ASKED_UNIT = re.compile(r"\b(?:how many|in|of) (bytes?|kb|mb|gb|tb|kilobytes?|megabytes?|gigabytes?|seconds?|minutes?|"
                         r"hours?|percent|millimet(?:er|re)s?|centimet(?:er|re)s?|inch(?:es)?)\b", re.IGNORECASE)
_UNIT_FAMILY = {"kb": "byte", "mb": "byte", "gb": "byte", "tb": "byte", "kilobyte": "byte", "megabyte": "byte",
                "gigabyte": "byte", "millimetre": "length", "millimeter": "length", "centimetre": "length",
                "centimeter": "length", "inche": "length", "inch": "length"}


def _in_unit(unit: str, texts: list[str]) -> bool:
    """Whether a number in the texts is given in `unit` ("12 MB", "a 64-byte header", "50%") or a kin of it."""
    pattern = re.compile(rf"(?:\d[\d,.]*|\b(?:{_NUMBER_WORDS}))[\s-]*(?:{_UNITS[unit]})(?!\w)", re.IGNORECASE)
    return any(pattern.search(text) for text in texts)


def missing_kind(question: str, texts: list[str], figure_texts: list[str] | None = None,
                 shown_texts: list[str] | None = None) -> str:
    """What the question asks for that none of the texts gives, as the abstention names it, or "": a figure for
    how many, how much, how long or how often ("may time out" gives none), in the unit asked, from `figure_texts`
    when given (the quotes that may give it), a sum of money for how much it cost (from `shown_texts`, the quotes
    with the sentences they go on into, when given), an age for how old; a default for "by default" ("run on 3
    threads" in an example is no default); a word for the relative asked for ("Who is Prelogar's husband?"). A
    yes/no question asks whether, not how much."""
    asking, telling = asking_sentence(question), texts if figure_texts is None else figure_texts
    if lacks_default(question, texts):
        return "no default"
    if _YES_NO.match(asking):  # asks whether, not how much, when or who
        return ""
    if money := _ASKS_MONEY.search(asking):
        # a runner-up, or the sentence a quote goes on into, may give it ("The $1.2 billion stadium opened in 2014.")
        if not any(_GIVES_MONEY.search(text) or money["verb"] and _costs_in_kind(text, _figures(question))
                   for text in shown_texts or texts):
            return "no amount"  # what a context switch costs may be paid in time: "about 5 microseconds"
    elif "quantity" in question_types(question) or _ASKS_FIGURE.search(asking):
        given = _figures(question)
        measures = not _COUNTS_THINGS.search(asking)
        if not any(_new_figure(text, kind, given, measures) for text in telling for kind in ("quantity", "frequency")):
            return "no figure"
        if unit := _ASKED_UNIT.search(asking):
            asked = unit[1].lower().rstrip("s")
            if not _in_unit(_UNIT_FAMILY.get(asked, asked), telling):
                return "no figure"
    if _ASKS_AGE.search(asking) and not any(_GIVES_AGE.search(text) for text in telling):
        return "no age"
    if (relative := _ASKS_RELATIVE.search(asking)) and not _says_kin(relative, texts):
        return f"no {(relative['kin'] or 'spouse').lower()}"
    if _ASKS_DATE.search(asking) and not any(_GIVES_DATE.search(text) for text in texts):
        return "no date"
    if _ASKS_NAME.search(asking) and not _new_name(asking, texts):
        return "no name"
    return ""


# what running something costs besides money: its time, memory or work ("about 5 microseconds", "2 MB", "3 cycles");
# months or years are no such cost ("after two months they'd only caught one goat" says nothing of what it cost)
_COST_UNIT = re.compile(r"\s*-?\s*(?:(milli|micro|nano)?seconds?|[mµun]s|cycles?|instructions?|bytes?|[kmgt]i?b|"
                        r"(kilo|mega|giga|tera)bytes?|pages?|words?|calls?)(?!\w)", re.IGNORECASE)
_COST_SUFFIX = re.compile(r"\d(ms|µs|us|ns|[kmgt]i?b)$", re.IGNORECASE)  # "10ms", "2MB"


_SPEAKS_OF_COST = re.compile(r"\b(costs?|costing|takes?|took|taking|overhead|spends?|spent|consumes?|consumed|"
                             r"uses?|used|needs?|requires?|required)\b", re.IGNORECASE)


_CURRENCY = re.compile(r"[$€£¥₹₿]\s?\d|\d\s?(dollars?|euros?|yen|yuan|rupees?|francs?|pesos?|usd|eur|gbp)\b",
                       re.IGNORECASE)  # "$170 million", "40 euros"; not a shell's "$ gh", "5 pounds" of weight


def names_asked_sum(question: str, text: str) -> bool:
    """Whether the text gives a sum of money and names everything the money question names: "Martin Scorsese's
    $170 million Netflix gangster movie “The Irishman”" for "How much did The Irishman cost?"."""
    names = question_names(question)
    return bool(names and _ASKS_MONEY.search(asking_sentence(question)) and _CURRENCY.search(text)
                and all(written_in(name, [text]) for name in names))


def _costs_in_kind(text: str, given: set[str]) -> bool:
    """Whether the text says what something costs in time, memory or work ("A switch takes about 5 microseconds"),
    with a figure of its own: "comes with 4 GB of RAM" tells no price of a Raspberry Pi 4."""
    return bool(_SPEAKS_OF_COST.search(text)) and any(
        _figure(m) not in given and (_COST_UNIT.match(text, m.end()) or _COST_SUFFIX.search(m.group()))
        for m in _HAS["quantity"].finditer(text))


def _says_kin(relative: re.Match, texts: list[str]) -> bool:
    """Whether a text says a word of the kin asked for, and of the person asked about (named, or he or she)."""
    asked = (relative["kin"] or "marry").lower()
    kin = next(words for words in _KIN.values() if asked in words.split())
    said = re.compile(rf"\b({kin.replace(' ', '|')})(s|ren|ies)?\b", re.IGNORECASE)
    person = {_fold(word) for word in re.findall(r"\w+", relative["owner"] or relative["spouse"])}
    return any(said.search(text) and (person & {_fold(w) for w in re.findall(r"\w+", text)}
                                      or _SINGULAR_PERSON.search(text)) for text in texts)


def _figures(text: str) -> set[str]:
    return {_figure(m) for kind in ("quantity", "frequency") for m in _HAS[kind].finditer(text)}


def _figure(match: re.Match) -> str:
    return match.group().lower().rstrip(".,")  # "in 2017." gives the figure of "the 2017 statement"


def _new_figure(text: str, kind: str, given: set[str], measures: bool = True) -> bool:
    """Whether the text holds a figure of `kind` besides those `given` by the question: "in 2017" repeats the
    question's year, it does not answer "what was its value in 2017". Without `measures`, a time, distance or
    weight counts nothing: "walked eight minutes" does not say how many cameras there are."""
    return any(_figure(m) not in given and not _in_a_name(text, m) and (
        measures or not _MEASURE.match(text, m.end()) and not _MEASURE_SUFFIX.search(m.group()))
        for m in _HAS[kind].finditer(text))


_CAPITALISED_NEXT = re.compile(r"\s+[A-Z]")


def _in_a_name(text: str, match: re.Match) -> bool:
    """Whether a number word is part of a title or name, capitalised mid-sentence before another capitalised word
    ("Once Upon A Time in Hollywood", "Ocean's Eleven Crew"): it counts nothing."""
    word, before = match.group(), text[:match.start()].rstrip().rstrip("“‘\"'([").rstrip()  # "“Two Americans were …"
    return (word[:1].isupper() and word.isalpha() and bool(before) and before[-1] not in ".!?:"
            and bool(_CAPITALISED_NEXT.match(text, match.end())))


def _new_name(question: str, texts: list[str]) -> bool:
    """Whether the texts hold a name the question does not: a capitalised word not opening a sentence, or a term
    that reads as code ("--no-color", "core.autocrlf")."""
    asked = {w.lower() for w in re.findall(r"[\w.-]+", question)}
    return any(w.lower() not in asked for text in texts
               for w in _CAPITALISED.findall(text) + _CODE_TERM.findall(text))


def feature_matrix(question: str, question_words: set[str], sentences: list[str], sentence_words: list[set[str]],
                   similarities: np.ndarray, neighbours: list[list[int]], passage_scores: list[float],
                   whole_blocks: list[bool], focus_words: set[str] = frozenset(),
                   types: set[str] | None = None) -> np.ndarray:
    """One row of FEATURES per candidate sentence; `types` default to those of `question`."""
    types = question_types(question) if types is None else types
    quantity_kind = "frequency" if re.search(r"\bhow often\b", question, re.I) else "quantity"
    idf = _pool_idf(sentence_words)
    question_weight = sum(idf.get(w, idf_default(len(sentence_words))) for w in question_words) or 1.0
    question_names = {w.lower() for w in _CAPITALISED.findall(question)}
    given = _figures(question)

    def rare_share(words: set[str]) -> float:
        """The share of the question's rarity-weighted words that `words` hold."""
        return sum(idf[w] for w in question_words & words) / question_weight

    # a sentence read with the one before it in its paragraph ("His father was …" after "Shi Tianze was …")
    context = [words | set().union(*(sentence_words[j] for j in neighbours[i] if j < i))
               for i, words in enumerate(sentence_words)]
    top_similarity = max(similarities, default=None)  # the closest candidate: a cue a linear sum of cosines misses
    rows = []
    for i, (text, words) in enumerate(zip(sentences, sentence_words)):
        names = {w.lower() for w in _CAPITALISED.findall(text)} - question_names
        rows.append([
            1.0,
            float(similarities[i]),
            rare_share(words),
            max((float(similarities[j]) for j in neighbours[i]), default=0.0),
            passage_scores[i],
            math.log1p(len(text.split())),
            float("quantity" in types and _new_figure(text, quantity_kind, given)),
            float("time" in types and bool(_HAS["time"].search(text))),
            float(bool(types & {"person", "place"}) and bool(names)),
            float("reason" in types and bool(_HAS["reason"].search(text))),
            float("method" in types and bool(_HAS["method"].search(text))),
            float(whole_blocks[i]),
            float(bool(focus_words) and focus_words <= words),
            rare_share(context[i]),
            float("quantity" in types and _counts(text, focus_words)),
            float(similarities[i] == top_similarity),
        ])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


_AMOUNT = re.compile(rf"(\d[\d,.]*|\b(?:{_NUMBER_WORDS})\b)((?:\W+\w+){{0,4}})", re.I)


def _counts(text: str, focus_words: set[str]) -> bool:
    """Whether a number in `text` counts the thing asked about: "2.8 gigawatt-hours of electricity" for "how much
    electricity", "9.8 million volumes" for "how many volumes"."""
    return any(word.startswith(stem) for m in _AMOUNT.finditer(text)  # focus words are stems: prefixes of words
               for word in re.findall(r"[a-z]+", m.group(2).lower()) for stem in focus_words)


def likelihoods(features: np.ndarray, weights: dict | None = None) -> np.ndarray:
    """How likely each candidate is to be the answer relative to the likeliest one (which gets 1.0)."""
    weights = weights or WEIGHTS
    logits = features @ np.array([weights[name] for name in FEATURES])
    return np.exp(logits - logits.max()) if len(logits) else logits


def _pool_idf(sentence_words: list[set[str]]) -> dict[str, float]:
    """Inverse document frequency over the candidate sentences: a question word most candidates share (the
    topic) tells less about which one answers than a word only a few hold."""
    counts: dict[str, int] = {}
    for words in sentence_words:
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    n = len(sentence_words)
    return {word: math.log((n + 1) / (count + 0.5)) for word, count in counts.items()}


def idf_default(n: int) -> float:
    """A question word no candidate holds: as rare as can be."""
    return math.log((n + 1) / 0.5)


# A name in a question: a capitalised word not opening a sentence, an acronym, a CamelCase or dotted identifier;
# runs of them ("Visual Studio Code") are one name.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][\w'’.-]*[\w])(?:\s+(?:[A-Z][\w'’.-]*[\w]))*")
# Terms that read as code: an option (-shell-escape, --rebase), a file type (.docx), a TeX command (\fpeval), a
# snake_case identifier. They name something as surely as a capitalised name does.
# A file's name, as a question names one ("rust-toolchain.toml", "package.json"): spelt as a whole or not at all.
_FILE_NAME = (r"\b[\w-]+\.(?:toml|json|ya?ml|lock|cfg|ini|conf|xml|md|txt|rs|py|js|ts|sh|h|c|cpp|java|go|rb|"
              r"psd|docx?|xlsx?|pptx?|pdf|csv|html?)\b")
_CODE_TERM = re.compile(r"(?<![\w.\\-])(?:-{1,2}|\.|\\)[A-Za-z][\w-]*|\b[a-z]\w*_\w+|" + _FILE_NAME)
_POSSESSIVE = re.compile(r"['’]s$")
_FIRST_PERSON = re.compile(r"\bI['’](m|ve|d|ll)\b")
_WORD = re.compile(r"\w+(?:[.'’]\w+)*")  # "Node.js" is one word, "CDPATH-based" two


# "… about X", "… on X": X is what the question asks about, to the end of its asking sentence.
ABOUT_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning)\s+(.+?)[?.!]*$", re.IGNORECASE)


# "How often …, i.e. what is X set to?" is one sentence: "i.e." and "e.g." end none
_QUESTION_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bi\.e\.)(?<!\be\.g\.)(?<!\bvs\.)(?<!\bcf\.)\s+", re.IGNORECASE)


# a default asked for in other words: "if I never touch it", "without passing any --prune option", "a stock install"
_DEFAULT_IN_OTHER_WORDS = re.compile(
    r"\bif (i|you|we|one) (do not|don't|never|didn't|did not) (change|set|touch|specify|configure|pass|give|"
    r"override|tweak|customi[sz]e)\b|\bwithout (setting|changing|configuring|specifying|passing|giving|touching)\b|"
    r"\b(stock|fresh|vanilla|untouched) (install|installation|configuration|config|setup)\b|\bleft (unset|alone)\b",
    re.IGNORECASE)


def with_default_named(question: str) -> str:
    """The question with "(by default)" after it when it asks for a default in other words, so that retrieval and
    the evidence look for the sentence stating one ("The default is onehalf.") and a default is required of them."""
    if _ASKS_DEFAULT.search(question) or not _DEFAULT_IN_OTHER_WORDS.search(question):
        return question
    return f"{question} (by default)"


# a full stop that ends no sentence of a question: "Dr. Kim", "the U.S. Senate", "on Feb. 9" (a month before a day)
_TITLE_OR_INITIALS = re.compile(r"(?:\b(?:mr|mrs|dr|prof|st|jr|sr|gen|col|lt|sgt|rep|sen|gov)"
                                r"|(?<![\w.])(?:[a-z]\.)+[a-z])\.$", re.IGNORECASE)
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.$", re.IGNORECASE)
# … unless what follows asks a question of its own: "It runs at 5 p.m. Why does the backup fail?"
_ASKS = re.compile(r"(?:what|when|where|which|who|whom|whose|why|how|is|are|was|were|do|does|did|can|could|should|"
                   r"would|will|shall|may|might|has|have|had|am|i|please|and|but|so|then)\b", re.IGNORECASE)


def question_sentences(question: str) -> list[str]:
    sentences: list[str] = []
    for piece in _QUESTION_SENTENCE_END.split(question.strip()):
        if sentences and _goes_on(sentences[-1], piece):
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    return sentences


def _goes_on(before: str, piece: str) -> bool:
    """Whether `piece` goes on with the sentence `before`, whose full stop is an abbreviation's."""
    if _MONTH.search(before):
        return piece[:1].isdigit()
    return bool(_TITLE_OR_INITIALS.search(before)) and not _ASKS.match(piece)


def asking_sentence(question: str) -> str:
    """The sentence that asks: users often set the scene first ("My drive is unplugged. What does …?")."""
    sentences = question_sentences(question)
    asking = [s for s in sentences if s.endswith("?")]
    return (asking or sentences or [question])[-1]


LONG_QUESTION_CHARS = 600  # about 130 tokens: a longer question is searched for its asking part (within_reach)


def within_reach(question: str, limit: int = LONG_QUESTION_CHARS) -> str:
    """A question of more than `limit` characters as its asking sentence, after as much of the scene just before
    it as fits: the model reads only its first few hundred tokens, and a long scene set first pushed the question
    itself out of them. An asking sentence longer than `limit` is kept whole."""
    if len(question) <= limit:
        return question
    sentences = question_sentences(question)
    asking = asking_sentence(question)
    kept = [asking]
    at = max((i for i, sentence in enumerate(sentences) if sentence == asking), default=0)  # the last one asks
    for sentence in reversed(sentences[:at]):
        if len(sentence) + sum(len(s) + 1 for s in kept) > limit:
            break
        kept.insert(0, sentence)
    return " ".join(kept)


def question_names(question: str) -> list[str]:
    """The names and code-like terms of the question's asking sentence, leaving out ambiguous ones ("OK")."""
    asking = _FIRST_PERSON.sub(" ", asking_sentence(question))  # "I'm" is capitalised, but no name
    names = [m.group() for m in _NAME.finditer(asking)] + _CODE_TERM.findall(asking)
    return [name for name in names if any(not _ambiguous(w) for w in _WORD.findall(name))]


def unmatched_names(question: str, passages: list[str], in_collection=lambda word: True) -> list[str]:
    """Names the question asks about that the retrieved passages do not mention: most of the name's words are
    absent from them, or one of its words is in no indexed document at all ("Microsoft" of "Microsoft Word").
    A question about "VPN" or "Visual Studio Code" is not answered by passages that never name them. Words of
    one letter, and two-letter capitals ("OK", "US"), are too ambiguous to decide on. A name is given without its
    possessive ("Tesla's" names Tesla), once."""
    words = {_POSSESSIVE.sub("", w) for w in _WORD.findall(_fold(" ".join(passages)))}
    proper = {_fold(w) for w in _WORD.findall(" ".join(passages)) if w[:1].isupper()}
    missing = []
    for name in question_names(question):
        if _abbreviated(name, passages):
            continue
        parts = [_POSSESSIVE.sub("", w) for w in _WORD.findall(name) if not _ambiguous(w)]
        absent = [w for w in parts if _fold(w) not in words and not _misspelt(_fold(w), words)
                  and not _spelt_out(w, passages) and not (_shortened(_fold(w), proper) and not in_collection(w))]
        # the collection's index keeps accents ("münchen"), so it is asked with the word as written
        if parts and (len(absent) * 2 > len(parts) or any(not in_collection(w) for w in absent)
                      or any(not _written(token, passages) for token in _literals(name))):
            missing.append(_POSSESSIVE.sub("", name))
    return list(dict.fromkeys(missing))


def unquoted_subjects(question: str, quoted: list[str], titles: str, in_collection) -> list[str]:
    """Names the question asks about that a document's title names ("Lackey" of "9. Lackey: an example tool") and
    the quoted passages (`quoted`: their text, titles, sites and authors) never mention: the quotes are about
    another thing the collection also covers (DRD's slowdown quoted for "How much slower is Lackey?"). `titles`
    is the collection's titles as `folded_titles` gives them."""
    names = [_POSSESSIVE.sub("", name) for name in question_names(question)]
    subjects = [name for name in names if (phrase := _title_phrase(_fold(name))) and f" {phrase} " in titles]
    missing = unmatched_names(question, quoted, in_collection) if subjects else []
    return [name for name in subjects if name in missing]


# "What did Barack Obama say about …?" answered with Gates's words: the quotes must name the speaker asked about, or
# say "he said" of them
_ASKS_SAYING = re.compile(r"^\s*(?i:what (?:did|does|do|has|have|had|would)) ((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*)"
                          r"\s+(?:say|tell|write|argue|claim|think|believe|call|describe|suggest|state|announce)\b")
_SPEECH = r"(said|says|say|told|tells|wrote|writes|argued|argues|claimed|claims|added|adds|noted|notes|called|calls)"
_PRONOUN_SAYS = re.compile(rf"\b(he|she|they)\s+(also\s+)?{_SPEECH}\b|\b{_SPEECH}\s+(he|she|they)\b", re.IGNORECASE)


def asked_speaker(question: str) -> str:
    """The one a "What did NAME say …?" question asks what they said, else ""."""
    asked = _ASKS_SAYING.search(asking_sentence(question))
    return _POSSESSIVE.sub("", asked.group(1)) if asked else ""


def unquoted_speaker(question: str, quoted: list[str]) -> str:
    """The one the question asks what they said, when none of the quotes (`quoted`: their text, titles, sites and
    authors) names them or says "he said", "she told" (a "his" may be anyone's); else ""."""
    asked = _ASKS_SAYING.search(asking_sentence(question))
    if not asked:
        return ""
    name = {_fold(word) for word in re.findall(r"\w+", _POSSESSIVE.sub("", asked.group(1)))}
    said = any(name & {_fold(word) for word in re.findall(r"\w+", text)} or _PRONOUN_SAYS.search(text)
               for text in quoted)
    return "" if said else asked.group(1)


def folded_titles(titles: Iterable[str]) -> str:
    """The titles one a line, their words folded and one space apart (each line padded with a space), for
    unquoted_subjects to search with a plain substring test."""
    return "\n".join(f" {_title_phrase(line)} " for line in _fold("\n".join(titles)).split("\n"))


def _title_phrase(folded: str) -> str:
    return " ".join(_TITLE_WORD.findall(folded))


_TITLE_WORD = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*")


def _abbreviated(name: str, passages: list[str]) -> bool:
    """A name of two or more words the passages write as its initials: "UK" for "United Kingdom"."""
    words = name.split()
    if len(words) < 2 or not all(word[:1].isupper() for word in words):
        return False
    initials = "".join(word[0] for word in words)
    dotted = r"\.".join(initials)
    # "10 AM" is a time, not "Apple Music"
    return any(re.search(rf"(?<![\w.])(?<!\d )(?:{initials}|{dotted}\.?)(?![\w])", passage) for passage in passages)


def written_in(name: str, texts: list[str]) -> bool:
    """Whether one of the texts writes the name as the question does, in any case ("Unix" in "Unix-alike")."""
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return any(pattern.search(text) for text in texts)


def _written(token: str, passages: list[str]) -> bool:
    """Whether the passages write the token as a whole ("file.c" is not in "profile.cpp", "RISC-V" not in "RISC-VI")."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(_fold(token))}(?![\w-])")
    return any(pattern.search(_fold(passage)) for passage in passages)


def _shortened(word: str, proper: set[str]) -> bool:
    """A name of five letters or more that begins or ends a longer name the passages give ("Nomicon" for "The
    Rustonomicon", "Postgres" for "PostgreSQL"); asked only of names the collection never writes alone."""
    return len(word) >= 5 and any(word != name and (name.startswith(word) or name.endswith(word)) for name in proper)


def _literals(name: str) -> list[str]:
    """The parts of a name that must be written as they are, since their words alone do not identify them: a
    file's name ("rust-toolchain.toml"), a word joined to a letter or digit ("RISC-V", "Python-3")."""
    tokens = [_POSSESSIVE.sub("", token) for token in name.split()]
    return [token for token in tokens if re.fullmatch(_FILE_NAME, token)
            or len(pieces := token.split("-")) > 1 and any(len(piece) == 1 for piece in pieces)]


def _ambiguous(word: str) -> bool:
    letters = word.replace(".", "")  # "U.S" is "US": a passage may write either, or "United States"
    return len(letters) < 2 or len(letters) == 2 and letters.isupper()


def _fold(text: str) -> str:
    """Lower case without accents: "Céloron" and "Celeron" are the same name to a reader."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))


def _spelt_out(word: str, passages: list[str]) -> bool:
    """An acronym the passages write out in full: "NYC" for "New York City", "U.S." for "United States"."""
    letters = word.replace(".", "")
    if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()):
        return False
    joined = r"\W+(?:(?:of|and|for|the|de)\W+)?".join(rf"{letter}[a-z]+" for letter in letters)
    return any(re.search(rf"\b{joined}\b", passage) for passage in passages)


def _misspelt(word: str, words: set[str]) -> bool:
    """A long name one or two letters off a word of the passages ("Wessel" for "Wesel") is that word; one that adds
    letters to it is another name ("Arkansas" is not "Kansas", "Nigeria" not "Niger")."""
    alike = [w for w in words if abs(len(w) - len(word)) <= 1]
    return len(word) >= 5 and bool(difflib.get_close_matches(word, alike, n=1, cutoff=0.8))
