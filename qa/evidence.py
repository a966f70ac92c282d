"""Pick the sentences of the retrieved passages that answer a question, each with its exact character span."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Mapping

import numpy as np

from index.embedders import Embedder
from index.lexical import short_options, spelling_variants, stem
from qa import scoring
from ingest.structure import (DEFINITION, HEADING, SECTION_SEPARATOR, code_within, document_spans, join_wrapped,
                               span_index)
from ingest.units import (MAX_WHOLE_BLOCK_CHARS, chunk_units, document_units,  # noqa: F401 - re-exported
                          sentence_spans)
from schema import Chunk, Document, Hit

_STOPWORDS = frozenset(
    "a an and are as at be but by does did do for from has have he her his how in into is it its of on or she "
    "that the their them they this to was were what when where which who whom why will with would about author "
    "article say says said think thinks".split())

# words that stand for something said, as content_words reads them
_PRO_FORMS = frozenset(stem(w) for w in ("doing", "done", "these", "those", "there", "here", "one", "so"))

MAX_SENTENCES = 3
# Runners-up must be at least this likely relative to the best sentence. Measured on SQuAD (questions 0, 10, …):
# 0.1 → answer_hit 0.850 / citation precision 0.50; 0.2 → 0.836 / 0.57; 0.5 → 0.816 / 0.60.
RUNNER_UP_SHARE = 0.1
# A chosen sentence's next one at least this likely relative to the best is quoted too. Measured on SQuAD
# every-3rd: 0.05 → answer_hit +0.008 (29 of 3,524 gained, none lost), citation precision +0.008, answers 83 → 100
# words; 0.03 the same; the best sentence's follower only: +14. Into the next paragraph too: news-html +1 of 15,
# hold-out news +1, Valgrind +1, no loss.
FOLLOWING_SHARE = 0.05
NEAR_DUPLICATE = 0.7  # word-set Jaccard above which a sentence repeats one already chosen
MAX_DESCRIPTION_BLOCKS = 8  # a definition's description is read back this many blocks at most for its term
# "the article", "the booktabs documentation", "the R FAQ", "the R installation and administration manual": up to
# four words may name it
_DOCUMENT_WORDS = r"(the |this |that |its |their )?([\w'’.-]+ ){0,4}?(article|author|writer|columnist|piece|post|" \
                  r"blog|story|report|page|manual|document|text|guide|user's guide|docs|documentation|paper|essay|" \
                  r"faq|handbook|tutorial|reference|specification|spec|readme|book|wiki|howto|man page)" \
                  r"( page)?"
_FRAMING = re.compile(
    rf"^\s*(what|how) (does|do|did) {_DOCUMENT_WORDS} (say|says|write|writes|mention|tell( us)?|state|claim|argue|"
    rf"report|explain|suggest|recommend|advise|warn)( about)?\s*|^\s*according to {_DOCUMENT_WORDS},?\s*|"
    rf",?\s*according to {_DOCUMENT_WORDS}(?=\W*$)", re.IGNORECASE)
_SUMMARY_QUESTION = re.compile(
    r"\b(the|its|this|article's|author's|piece's|essay's) (purpose|main (point|argument|idea|claim)|thesis|gist)\b|"
    r"\bsummar(y|i[sz]e)\b|\boverview of (the|this) (article|piece|text|essay|commentary)\b|"
    r"\bwhat is (the|this) (article|piece|text|essay|commentary) about\b", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    chunk: Chunk
    start: int  # character offsets into the document's text
    end: int
    text: str
    paragraph: int  # offset of the paragraph's first character: sentences that share it share a paragraph
    similarity: float = 0.0  # cosine between the question and the sentence
    score: float = 0.0  # how likely the sentence answers the question, relative to the likeliest candidate (1.0)
    relevance: float = 0.0  # similarity plus word-overlap bonus: how close the sentence is to the question's topic
    whole: bool = False  # a code block or table row, quoted whole


def candidate_sentences(hits: list[Hit], documents: dict[str, Document], standalone: bool = True) -> list[Evidence]:
    """Sentences of the hit chunks, once each even where chunks overlap. With `standalone`, each is made to stand
    alone as a quote: a sentence that leans on the one before is quoted with it, a very short one with the next."""
    seen, candidates = set(), []
    for hit in hits:
        chunk, document = hit.chunk, documents[hit.chunk.doc_id]
        for start, end, paragraph, whole in chunk_units(document, chunk, standalone):
            if (chunk.doc_id, start, end) not in seen:
                seen.add((chunk.doc_id, start, end))
                candidates.append(Evidence(chunk, start, end, document.text[start:end], paragraph, whole=whole))
    return candidates


def focus(question: str) -> str:
    """The question without the words that point at the document ("What does the article say about …"):
    they match no sentence of it and only dilute the comparison."""
    sentences = re.split(r"(?<=[.!?])\s+", question.strip())
    stripped = [_FRAMING.sub("", sentence).strip() for sentence in sentences]
    # "What does the guide say about that?" leaves "that?": the subject is in the sentence before, so drop it
    kept = [s for s, whole in zip(stripped, sentences) if s == whole or content_words(s) - _PRO_FORMS]
    return " ".join(kept).strip() or question


@dataclass
class ScoredCandidates:
    """What ranking the candidates of one question needs: the scorer's features and both cosines."""
    focused: str
    candidates: list[Evidence]
    similarities: np.ndarray  # to the focused question
    as_asked: np.ndarray  # to the question as asked
    features: np.ndarray


StoredVectors = Callable[[list[tuple[str, str]]], list["np.ndarray | None"]]  # (chunk id, text) -> vector or None


def score_inputs(question: str, hits: list[Hit], documents: dict[str, Document], embedder: Embedder,
                 question_vector: np.ndarray | None = None,
                 stored_vectors: StoredVectors | None = None) -> ScoredCandidates:
    """Candidates of the hits with their cosines and features; select_evidence ranks them, bench/fit_scorer.py
    learns from them, so both see exactly the same inputs. `question_vector` is the question's embedding when the
    caller has it already (the retriever's): then only the focused reading, if it differs, is embedded again.
    `stored_vectors` gives the candidates' vectors saved at ingest (FaissStore.unit_vectors_of): only those it
    lacks are embedded now."""
    focused = focus(question)
    candidates = candidate_sentences(hits, documents)
    if not candidates:
        empty = np.zeros(0)
        return ScoredCandidates(focused, [], empty, empty, np.zeros((0, len(scoring.FEATURES))))
    readings = ([focused] if focused == question else [focused, question]) + clauses(question)
    # "My pipeline still counts as successful. How can I make it report the failure?": the scene's words dilute
    # the question's vector, so the asking sentence alone is a reading too (relevance only, not the ranking)
    if (asking := scoring.asking_sentence(question)) not in readings:
        readings.append(asking)
    asked_at = 0 if focused == question else 1
    given = int(question_vector is not None)  # the question as asked is already embedded
    stored = stored_vectors([(c.chunk.id, c.text) for c in candidates]) if stored_vectors else [None] * len(candidates)
    missing = [c.text for c, vector in zip(candidates, stored) if vector is None]
    wanted = [r for n, r in enumerate(readings) if not (given and n == asked_at)]
    vectors = embedder.embed_documents(wanted + missing)  # no model call for no text
    if given:
        vectors = np.insert(vectors, asked_at, question_vector, axis=0)
    fresh = iter(vectors[len(readings):])
    sentences = np.stack([next(fresh) if vector is None else vector for vector in stored])
    similarities = sentences @ vectors[0]
    # how close each candidate is to the question as asked, to one of the questions it joins or to its asking sentence
    as_asked = (sentences @ vectors[asked_at:len(readings)].T).max(axis=1)
    return ScoredCandidates(focused, candidates, similarities, as_asked,
                            candidate_features(focused, candidates, similarities, hits, asked=question))


# "Does stashing save new files, and if not, how do I make it?": two questions, each to be matched on its own
_JOINED_QUESTION = re.compile(r",\s+(?:and|or|but)\s+(?:if (?:not|so),\s+)?(?=(?:how|what|why|where|when|which|who|"
                              r"is|are|does|do|can|should|could|would|will)\b)", re.IGNORECASE)


def clauses(question: str) -> list[str]:
    """The questions a compound asking sentence joins, each as its own question; [] when it joins none."""
    parts = [p.strip() for p in _JOINED_QUESTION.split(question) if p.strip()]
    # "Which files, and which folders, does it copy?" joins no questions: a part of it asks nothing alone
    return parts if len(parts) > 1 and all(len(p.split()) >= 4 for p in parts) else []


# "What is Massif?", "What is a zero-sized type?": the sentence saying what it is, "Massif is a heap profiler.", rather
# than the many that say something of it (the defined term opening the sentence, "is" or "are", an article after)
_WHAT_IS = re.compile(r"^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?([^\s?][^?]{0,40}?)\s*\??\s*$", re.IGNORECASE)
# a sentence giving the sum a money question asks, of what it names, is nearer an answer than its cosine says
SUM_NAMED_BONUS = 0.1
DEFINITION_BOOST = 20.0  # e**3: a definition outranks sentences up to three logit points likelier


def defining(question: str) -> re.Pattern | None:
    """For a question asking what a term is (four words at most), the pattern of a sentence defining it."""
    asked = _WHAT_IS.match(question)
    if not asked or len(asked.group(1).split()) > 4:
        return None
    term = r"\s+".join(re.escape(word) for word in asked.group(1).split())
    # "Massif is a …", "Zero Sized Types (ZSTs) are …", "T-distributed … Embedding (t-SNE) is a …"
    return re.compile(rf"\s*(?:an?\s+|the\s+)?(?:{term}s?(?:\s*\([^)]*\))?|[^.()]{{1,80}}\({term}s?\)),?\s+"
                      rf"(?:is|are|was|were)\s+(?:an?|the|one)\b", re.IGNORECASE)


# "Who is Antony Loewenstein?": a sentence naming him in full tells who he is ("…,” says Antony Loewenstein, author of
# The Palestine Laboratory), however little else of it is near the question (it was declined)
_WHO_IS = re.compile(r"^\s*(?i:who\s+(?:is|was))\s+((?:[A-Z][\w.'’-]*\s+){1,3}[A-Z][\w'’-]*)\s*\??\s*$")


# an option or setting's name as written: work_mem, gc.auto, AUTO_CD, --prune, \\hypersetup
_IDENTIFIER = re.compile(r"(?<![\w.\\-])(?:--?|\\)?[A-Za-z]\w*(?:[._-]\w+)+|(?<![\w\\-])(?:--?|\\)[A-Za-z][\w-]*")
TERM_BOOST = 5.0  # a sentence describing the option asked about outranks one of another option, however alike


def identifiers(text: str) -> set[str]:
    """The names of options and settings a text writes, in lower case but for options ("-n" is not "-N"); not
    abbreviations such as "e.g"."""
    return {name if name.startswith("-") else name.lower() for name in _IDENTIFIER.findall(text)
            if not re.fullmatch(r"\w(\.\w)+\.?", name)}


def _block_at(document: Document, offset: int):
    """The block holding the character at `offset`, or None (a blank line between blocks, a blockless text)."""
    spans, at = _spans_to(document, offset)
    return None if at is None else spans[at]


def _spans_to(document: Document, offset: int) -> tuple[list, int | None]:
    """The document's block spans and the index of the one holding `offset` (None if none does)."""
    spans = document_spans(document.blocks)
    at = span_index(spans, offset)
    return spans, (at if at < len(spans) and spans[at].start <= offset else None)


def defined_term(document: Document, offset: int) -> str:
    """The term a definition list describes at `offset` ("work_mem (integer)" for "The default value is four
    megabytes (4MB)."), or "" when the text there describes none."""
    spans, at = _spans_to(document, offset)
    if at is None:
        return ""
    for span in reversed(spans[max(0, at - MAX_DESCRIPTION_BLOCKS):at + 1]):
        if span.kind == HEADING:
            return ""
        if span.kind == DEFINITION:
            term = document.text[span.start:document.text.find("\n", span.start, span.end) % (span.end + 1)]
            # a later paragraph of the description: its section ends with the term
            described = span is spans[at] or spans[at].section.split(SECTION_SEPARATOR)[-1] == join_wrapped(term)
            return term if described else ""
    return ""


def stated_default(question: str, ranked: list[Evidence], documents: Mapping[str, Document]) -> Evidence | None:
    """The likeliest sentence stating a default in the description of the option the question names, or in a
    section whose heading names two of the question's words ("Defaults are a0 and portrait." under "Paper-size
    options" for "the default paper size"), or None."""
    asking = scoring.asking_sentence(question)
    asked, words = identifiers(asking), content_words(focus(asking))  # "paper" is a word of it, not a framing

    def about_it(e: Evidence) -> bool:
        document = documents[e.chunk.doc_id]
        block = _block_at(document, e.start)
        heading = block.section.split(SECTION_SEPARATOR)[-1] if block is not None else ""
        return bool(asked & identifiers(defined_term(document, e.start))) or len(words & content_words(heading)) >= 2

    return next((e for e in ranked if scoring.states_default(e.text) and about_it(e)), None)


def with_default_quoted(chosen: list[Evidence], default: Evidence) -> list[Evidence]:
    """The chosen sentences with `default` in place of the least likely one if they are as many as may be quoted,
    in reading order."""
    kept = sorted(chosen, key=lambda e: -e.score)[:MAX_SENTENCES - 1] + [default]
    doc_order = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(e.chunk.doc_id for e in chosen + [default]))}
    return sorted(kept, key=lambda e: (doc_order[e.chunk.doc_id], e.start))


def _person_asked(question: str) -> str:
    """The full name a "Who is NAME?" question asks about (two words or more), else ""."""
    asked = _WHO_IS.match(question)
    return asked.group(1) if asked else ""


# "What did Satya Nadella say?", "How old is Prelogar?": a question about a person and nothing else, which a sentence
# naming them with what they said, or with their age ("Prelogar, 43, argues …"), answers however few words it shares
_SAID_ONLY = re.compile(r"^\s*(?i:what\s+(?:did|does|has|had))\s+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w'’-]*)\s+"
                        r"(?i:say|said|tell|told|write|wrote|argue|claim|think)(?i:\s+in\s+(?:the|this)\s+\w+)?"
                        r"\s*\??\s*$")
_SPEECH = (r"(?:said|says|told|tells|wrote|writes|argued|argues|claimed|claims|added|adds|noted|notes|explained|"
           r"explains)")
_AGE_ASKED = re.compile(r"^\s*(?i:how\s+old\s+(?:is|was))\s+((?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w'’-]*)\s*\??\s*$")


def _person_told(question: str, text: str) -> bool:
    """Whether the text tells what a speaker-only or age-only question asks of the person it names: that person
    speaking ("Satya Nadella said", "… ,” Alberto Shiguematsu, a resident, said", "said Nadella", "according to
    Nadella"), or their age set off by commas ("Prelogar, 43, argues")."""
    if (said := _SAID_ONLY.match(question)) and len(said.group(1)) > 1:  # "What did I say?" names no one
        return any(_SPEAKS_AFTER.match(text, end) or _SPEAKS_BEFORE.search(text[:start])
                   for start, end in _named_at(said.group(1), text))
    if age := _AGE_ASKED.match(question):
        return any(_AGE_AFTER.match(text, end) for _, end in _named_at(age.group(1), text))
    return False


_SPEAKS_AFTER = re.compile(rf"(?:,[^.;,“”\"]{{1,100}},)?\s+{_SPEECH}\b")  # "Di Li, the chief scientist, said"
_SPEAKS_BEFORE = re.compile(rf"\b(?:{_SPEECH}|according to)\s+$", re.IGNORECASE)
_AGE_AFTER = re.compile(r"(?:['’]s)?,\s+(?:aged\s+)?\d{1,3},")


def _named_at(name: str, text: str) -> list[tuple[int, int]]:
    """Where the text names the person: in full, or by the surname alone when no other first name comes before it
    ("Prelogar", not "Bob Smith" for "Ann Smith"; not "Theresa May" for "May")."""
    words = name.split()
    full = re.compile(r"\b" + r"\s+".join(map(re.escape, words)) + r"\b")
    found = [(m.start(), m.end()) for m in full.finditer(text)]
    for m in re.finditer(rf"\b{re.escape(words[-1])}\b", text):
        before = re.search(r"(\S+)\s+$", text[:m.start()])
        if not any(start <= m.start() < end for start, end in found) and not (before and before[1][:1].isupper()):
            found.append((m.start(), m.end()))
    return found


def select_evidence(question: str, hits: list[Hit], documents: dict[str, Document], embedder: Embedder,
                    question_vector: np.ndarray | None = None,
                    stored_vectors: StoredVectors | None = None) -> list[Evidence]:
    """All candidate sentences scored, best first (callers decide what is strong enough to use).

    Sentences are ranked against the question without its framing words (`focus`); their relevance, which
    decides abstention, is the closer of the two readings, so framing neither hides nor invents a match."""
    inputs = score_inputs(question, hits, documents, embedder, question_vector, stored_vectors)
    if not inputs.candidates:
        return []
    answers = scoring.likelihoods(inputs.features)
    if "reason" in scoring.question_types(question):  # a listing shows how something is done, never why
        answers = answers * [not _lists_code(c, documents[c.chunk.doc_id]) for c in inputs.candidates]
    if asked := identifiers(scoring.asking_sentence(question)):  # "work_mem"'s default, not maintenance_work_mem's
        answers = answers * [TERM_BOOST if asked & identifiers(defined_term(documents[c.chunk.doc_id], c.start))
                             else 1.0 for c in inputs.candidates]
    if defines := defining(question):  # "Helgrind is a Valgrind tool for …", not "Helgrind is aware of …"
        answers = answers * [DEFINITION_BOOST if defines.match(c.text) else 1.0 for c in inputs.candidates]
    question_words = content_words(inputs.focused)
    # a sentence that only repeats the question's words ("$ npm audit" for "What does npm audit do?") tells nothing
    answers = answers * [bool(content_words(c.text) - question_words) for c in inputs.candidates]
    named = _person_asked(question)
    told = [_person_told(question, c.text) for c in inputs.candidates]
    answers = answers * [DEFINITION_BOOST if it else 1.0 for it in told]
    scored = [replace(c, similarity=float(sim), score=float(p),
                      relevance=max(float(sim), float(asked)) + 0.3 * _overlap(question_words, c.text)
                      + (1.0 if named and named in c.text or it else 0.0)
                      + (SUM_NAMED_BONUS if scoring.names_asked_sum(question, c.text) else 0.0))
              for c, sim, asked, p, it in zip(inputs.candidates, inputs.similarities, inputs.as_asked, answers, told)]
    return sorted((e for e in scored if e.score > 0), key=lambda e: -e.score)  # ruled out above: no answer


def uncovered_aspect(question: str, passages: list[str]) -> str:
    """What the question asks about a name that no passage touches: "What does the article say about Elizabeth
    Warren's wealth tax?" answered by passages that name Warren but never a wealth or a tax. "" when the topic
    names nothing, has fewer than two other words, or one of them is in a passage."""
    match = scoring.ABOUT_TOPIC.search(scoring.asking_sentence(question))
    if not match or match.group().lower().startswith("on ") or not (
            names := [n for n in scoring.question_names(question) if n in match.group(1)]):
        return ""  # "… on October 25th" is a time, not a topic
    aspect = {w for w in content_words(match.group(1)) - content_words(" ".join(names)) - framing_words()
              if w.isalpha()}
    # one word may well be said in other words ("Turkey's ban" for a block): two or more, none of them written, not
    if len(aspect) < 2 or aspect & content_words(" ".join(passages)):
        return ""
    named = {word for name in names for word in name.split()}
    return " ".join(w for w in re.findall(r"[\w’'-]+", match.group(1)) if w not in named and content_words(w) & aspect)


@lru_cache(maxsize=1)
def framing_words() -> frozenset[str]:
    return frozenset(content_words(
        "what how does do did the this that its their according to article author writer columnist piece post blog "
        "story report page manual document text guide user's docs documentation paper essay say says write writes "
        "mention tell us state claim argue report explain suggest recommend advise warn about your my our new "
        "official same other"))


def named_documents(question: str, doc_ids: Iterable[str], documents: Mapping[str, Document]) -> set[str]:
    """Of these documents, the ones the question names in its framing ("the booktabs documentation", "the
    graphics guide": by title, file name or site); empty when it names none of them, or all of them."""
    framings = [m.group() for sentence in re.split(r"(?<=[.!?])\s+", question.strip())
                for m in _FRAMING.finditer(sentence)]
    return documents_named(" ".join(framings), doc_ids, documents)


def documents_named(words: str, doc_ids: Iterable[str], documents: Mapping[str, Document]) -> set[str]:
    """Of these documents, the ones `words` name ("the Guardian", "the takeaways"), by a word of their title, file
    name or site; empty when the words name none of them, or all of them."""
    named = {w for w in content_words(words) - framing_words() if len(w) >= 3}
    if not named:  # most questions: the documents are not even looked at
        return set()
    doc_ids = set(doc_ids)

    def names_it(doc_id: str) -> bool:  # "git" names "gitfaq(7)" too: a word of its name starts with a named word
        document = documents.get(doc_id)  # a chosen article may have been deleted since
        if document is None:
            return False
        words = content_words(" ".join((document.title, doc_id.replace("-", " "), document.metadata.get("site", ""))))
        return any(word.startswith(name) for word in words for name in named)

    matching = set(filter(names_it, doc_ids))
    return matching if matching != doc_ids else set()


def _lists_code(evidence: Evidence, document: Document) -> bool:
    return bool(code_within(document.blocks, evidence.start, evidence.end))


def candidate_features(question: str, candidates: list[Evidence], similarities: np.ndarray,
                       hits: list[Hit], asked: str | None = None) -> np.ndarray:
    """The scorer's features (qa/scoring.py) of each candidate, given its cosine to the (focused) question; the
    kind of thing asked for is read from the question as `asked` ("what does the manual recommend" asks for a way)."""
    # a passage's retrieval score against the best one's: two passages scored alike weigh alike, whatever their ranks
    best = max((hit.score for hit in hits), default=0.0)
    score_of = {hit.chunk.id: min(1.0, max(0.0, hit.score / best)) if best > 0 else 1.0 / hit.rank for hit in hits}
    # in reading order, so a sentence's neighbours are those beside it in its paragraph, whichever passage holds them
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].chunk.doc_id, candidates[i].start))
    read = [candidates[i] for i in order]
    same_block = [(c.chunk.doc_id, c.paragraph) for c in read]
    neighbours = [[j for j in (i - 1, i + 1) if 0 <= j < len(read) and same_block[j] == same_block[i]]
                  for i in range(len(read))]
    features = scoring.feature_matrix(
        question, content_words(question), [c.text for c in read], [content_words(c.text) for c in read],
        similarities[order], neighbours, [score_of.get(c.chunk.id, 0.0) for c in read],
        [c.whole for c in read], content_words(scoring.focus_phrase(question)),
        scoring.question_types(asked or question))
    return features[np.argsort(order)]


def passage_texts(found: list[Hit] | list[Evidence], documents: dict[str, Document]) -> list[str]:
    """What the passages found (or those quoted from) say, for telling whether they name what a question names:
    their text, and their articles' titles, sites and authors ("the Wired article" names the site, not the text)."""
    chunks = list({item.chunk.id: item.chunk for item in found}.values())
    return [chunk.text for chunk in chunks] + bylines([documents[chunk.doc_id] for chunk in chunks])


def bylines(articles: list[Document]) -> list[str]:
    """The articles' titles, then each one's site and author ("Gates on Tillerson" names whom it quotes)."""
    return [d.title for d in articles] + [d.metadata.get(field, "") for d in articles for field in ("site", "author")]


def is_summary_question(question: str) -> bool:
    return bool(_SUMMARY_QUESTION.search(question))


def lead_evidence(first_chunk: Chunk, documents: dict[str, Document]) -> list[Evidence]:
    """For "what is the article about" questions: an article's opening sentences state its thesis."""
    lead = candidate_sentences([Hit(first_chunk, 0.0, 1)], documents)
    return _without_overlaps(lead)[:3]


def choose(ranked: list[Evidence]) -> list[Evidence]:
    """The sentence most likely to answer, with the runners-up nearly as likely (the answer may be spread over
    two), without repeats, in reading order."""
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    for evidence in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or evidence.score < RUNNER_UP_SHARE * best.score:
            break
        # a sentence quoted with its neighbour: both are wanted, so quote the two
        if not _merged_into(chosen, evidence) and not any(_repeats(evidence, c) for c in chosen):
            chosen.append(evidence)
    doc_order = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(e.chunk.doc_id for e in ranked))}
    return sorted(chosen, key=lambda e: (doc_order[e.chunk.doc_id], e.start))


def with_what_follows(chosen: list[Evidence], ranked: list[Evidence],
                      documents: Mapping[str, Document]) -> list[Evidence]:
    """Each chosen sentence quoted with the one right after it when that one is at least FOLLOWING_SHARE as likely
    as the best: the setup and the sentence that resolves it ("The game's media day … was moved to the Monday
    evening. The event was held on February 1, 2016 at SAP Center"), as one quote: the next in its paragraph, or
    the first of the next paragraph (a news page's one-sentence paragraphs)."""
    if not chosen:
        return chosen
    best = max(e.score for e in ranked)
    quoted = list(chosen)
    for i, evidence in enumerate(quoted):
        document = documents[evidence.chunk.doc_id]
        others = quoted[:i] + quoted[i + 1:]
        # never on into the next option of a definition list: what it says is not about this one
        following = next((e for e in _following(evidence, ranked, document.text) if e.score >= FOLLOWING_SHARE * best
                          and not any(_overlaps(e, q) for q in others)
                          and not (e.paragraph != evidence.paragraph and _opens_definition(document, e.start))), None)
        if following:
            quoted[i] = replace(evidence, end=following.end, text=document.text[evidence.start:following.end])
    return quoted


def _opens_definition(document: Document, offset: int) -> bool:
    block = _block_at(document, offset)
    return block is not None and block.kind == DEFINITION and block.start == offset


def with_their_terms(quotes: list[Evidence], documents: Mapping[str, Document]) -> list[Evidence]:
    """Each quote from within an option's description quoted from its term on ("gc.autoPackLimit … The default
    value is 50."), when that stays short enough to quote: alone, "The default value is 50." reads as the answer
    for whatever option was asked about. Quotes that then overlap are quoted as one."""
    termed = []
    for quote in quotes:
        document = documents[quote.chunk.doc_id]
        block = _block_at(document, quote.start)
        if (block is not None and block.kind == DEFINITION and block.start < quote.start
                and quote.end - block.start <= MAX_WHOLE_BLOCK_CHARS):
            quote = replace(quote, start=block.start, text=document.text[block.start:quote.end])
        termed.append(quote)
    merged: list[Evidence] = []
    for quote in termed:
        if not _merged_into(merged, quote):
            merged.append(quote)
    return merged


def _following(evidence: Evidence, ranked: list[Evidence], text: str) -> list[Evidence]:
    """The candidates that go on from a sentence, nearest first: the next sentence in its paragraph or opening the
    next one (nothing but blank space between: no heading, no code); else its last sentence quoted with the one
    that leans on it ("And he gets riled when … He shakes his head")."""
    same = [e for e in ranked if e.chunk.doc_id == evidence.chunk.doc_id and e.end > evidence.end]
    after = [e for e in same if e.start >= evidence.end and (
        e.paragraph == evidence.paragraph or not text[evidence.end:e.start].strip())]
    leaning = [e for e in same if evidence.start < e.start < evidence.end]
    options = [*sorted(after, key=lambda e: e.start)[:1], *sorted(leaning, key=lambda e: e.end)[:1]]
    return sorted(options, key=lambda e: e.end)  # stable: of two ending alike, the sentence on its own


def _without_overlaps(evidence: list[Evidence]) -> list[Evidence]:
    kept = []
    for e in sorted(evidence, key=lambda e: (e.start, -e.end)):
        if not any(_repeats(e, k) for k in kept):
            kept.append(e)
    return kept


def _merged_into(pieces: list[Evidence], evidence: Evidence) -> bool:
    """Whether the evidence overlaps one of the pieces, which then covers both (in place)."""
    overlapped = next((i for i, piece in enumerate(pieces) if _overlaps(evidence, piece)), None)
    if overlapped is None:
        return False
    if not _covers(pieces[overlapped], evidence):
        pieces[overlapped] = _union(pieces[overlapped], evidence)
    return True


def _covers(a: Evidence, b: Evidence) -> bool:
    return a.start <= b.start and b.end <= a.end


def _union(a: Evidence, b: Evidence) -> Evidence:
    """The text from the first start to the last end of two overlapping pieces of one document."""
    first, second = sorted((a, b), key=lambda e: e.start)
    text = first.text + second.text[first.end - second.start:] if second.end > first.end else first.text
    return replace(a, start=first.start, end=max(a.end, b.end), text=text)


def _repeats(a: Evidence, b: Evidence) -> bool:
    return _overlaps(a, b) or _jaccard(a.text, b.text) > NEAR_DUPLICATE


def content_words(text: str) -> set[str]:
    """Stemmed words (as BM25 stems them: "compiler" and "compile" are one) without stop words, and one-letter
    options as written ("-x" and "-X" differ)."""
    words = {stem(_one_spelling(w)) for w in re.findall(r"[a-z0-9]+", text.lower())
             if w not in _STOPWORDS and len(w) > 1}
    return words | set(short_options(text))


@lru_cache(maxsize=65536)  # the same few thousand words come back in every question's candidates
def _one_spelling(word: str) -> str:
    """One spelling for British and American English ("colour" and "color" are "color")."""
    return min([word, *spelling_variants(word)])


def _overlap(question_words: set[str], text: str) -> float:
    return len(question_words & content_words(text)) / len(question_words) if question_words else 0.0


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.chunk.doc_id == b.chunk.doc_id and a.start < b.end and b.start < a.end


def _jaccard(a: str, b: str) -> float:
    words_a, words_b = set(a.lower().split()), set(b.lower().split())
    return len(words_a & words_b) / max(1, len(words_a | words_b))
