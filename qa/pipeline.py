"""The QA pipeline: question (+ history) -> standalone query -> retrieval -> evidence -> cited answer.

Front ends call only this. Offline mode quotes evidence sentences; LLM mode lets the configured generator write the
answer from numbered passages and then checks every citation (qa/citations.py). Questions are answered concurrently:
each reads the index version open when it started and keeps its state to itself; the embedding model, the one
thing they share, bounds its own calls (index/embedders.py). An LLM's writing runs in its own lane, with a total
deadline.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Iterator

import numpy as np

from index.embedders import Embedder
from index.lexical import spelled_as_held
from index.search import Retriever
from index.stores import Store
from ingest.units import sentence_spans
from qa.answer import abstention, compose, lead_in_pattern
from qa.citations import CANNOT_ANSWER, check, format_passages
from qa.collection import Collection
from qa.details import AskedDetail, asked_detail, detail_answer, which_article
from qa.evidence import (Evidence, bylines, choose, content_words, defining, documents_named, focus,
                         framing_words, is_summary_question, lead_evidence, named_documents, passage_texts,
                         select_evidence, stated_default, uncovered_aspect, with_default_quoted, with_their_terms,
                         with_what_follows)
from qa.followup import REQUEST_WORDS, condense_offline, format_history, with_previous_subject
from qa.generators import Generator, LlmBusy, LlmLane, LlmTimedOut, make_generator
from qa.prompts import render_messages
from qa.scoring import (lacks_default, missing_kind, unmatched_names, unquoted_speaker, unquoted_subjects,
                        with_default_named, within_reach, written_in)
from schema import Answer, Hit, UserError
from settings import ANSWER_MODES, Settings

MAX_QUESTION_CHARS = 2000  # longer input is cut: no question needs more, and it bounds the work per request
# Below this score (cosine plus word-overlap bonus) of the best evidence sentence the assistant abstains.
# Calibrated per model on labelled questions (docs/benchmarks.md); models not listed use the fallback.
CALIBRATED_MIN_RELEVANCE = {"packaged:all-MiniLM-L6-v2": 0.62, "hashing": 0.3}
FALLBACK_MIN_RELEVANCE = 0.5
# A figure asked for must come from the likeliest quote or one at least this close to the question: a number in a
# loosely related runner-up ("walked eight minutes" for "how many cameras …?") answers nothing. Measured: 4 more of
# 20 hold-out questions whose documents lack the figure declined, no dev set changed; SQuAD every-3rd −7 of 3,524,
# 6 of them answers that are no figure at all ("several", "only a few") a stray number had let through.
FIGURE_MIN_RELEVANCE = 0.7
# "What else?", "Anything more?", "Tell me more.": asking for more of what was answered, naming nothing new
_MORE_WORDS = frozenset(content_words("else more anything further other tell me")) | REQUEST_WORDS  # "an example"
DEFINITION_POOL = 100  # "What is X?": the passage that defines X is sought among this many, as fusion ranks them
FOLLOWED_ANSWERS = 3  # a follow-up quotes nothing these last answers of the chat quoted
LLM_MAX_SENTENCES = 4
CONDENSE_MAX_TOKENS = 60
LLM_DEADLINE_S = 60.0  # an LLM answer, from the question to the checked text; then the quoted answer is given
LLM_LANES = 2  # LLM answers written at once; a question beyond them is answered by quoting, at once

Update = tuple[str, "Answer | None"]  # (text so far, None) while writing; (full text, Answer) at the end


class QAPipeline:
    """`store` is an open store to search instead of the index on disk (a benchmark's, held in memory)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, generator: Generator | None = None,
                 llm_deadline_s: float = LLM_DEADLINE_S, llm_lanes: int = LLM_LANES, *,
                 store: Store | None = None):
        self.settings = settings
        self.collection = Collection(settings, embedder, store=store)  # what front ends list, add and delete
        self.embedder = self.collection.embedder
        self._generator = generator
        self.llm_deadline_s = llm_deadline_s
        self.llm_lane = LlmLane(llm_lanes)

    @property
    def retriever(self) -> Retriever:
        """The live generation's retriever (Collection.retriever)."""
        return self.collection.retriever

    @property
    def llm_available(self) -> bool:
        return self._generator is not None or bool(self.settings.llm_backend.strip())

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = make_generator(self.settings)
        if self._generator is None:
            raise UserError("no LLM is configured: set RAGQA_LLM_BACKEND (see the README), or use the offline mode")
        return self._generator

    @property
    def min_relevance(self) -> float:
        if self.settings.min_relevance is not None:
            return self.settings.min_relevance
        return CALIBRATED_MIN_RELEVANCE.get(self.settings.embed_model, FALLBACK_MIN_RELEVANCE)

    def ask(self, question: str, **options) -> Answer:
        """Answer a question; options as for ask_stream."""
        answer = None
        for _, answer in self.ask_stream(question, **options):
            pass
        return answer

    def ask_stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
                   doc_ids: set[str] | None = None, retriever: str | None = None,
                   mode: str | None = None) -> Iterator[Update]:
        """Yield (text so far, None) while the answer is written, then (full text, Answer).

        `history` is the chat so far as messages {"role": "user"|"assistant", "content"}; `mode` is "offline" or
        "llm" (default: settings.answer_mode)."""
        question, k, mode = self._checked(question, k, mode)
        search = _Search(k, doc_ids, retriever or self.settings.retriever)
        if mode == "llm":
            yield from self._llm_stream(question, history, search)
            return
        asked = within_reach(question)
        standalone = condense_offline(asked, history)
        follows = standalone != asked  # a follow-up, made to stand alone
        query = with_default_named(standalone)
        previous = (_answers(history) or [""])[-1]
        found = self._found(question, query, search, previous=previous if follows else "")
        grounds = self._judged(found, said=_followed_answer(question, follows, history))
        if not follows and grounds.settled is not None and not grounds.settled.answered and (
                carried := with_previous_subject(asked, history)) != asked:
            # "Who is the chief scientist?" after questions about the FAST telescope names no subject, and alone
            # finds none: asked again of the chat's subject, it is answered if that finds one
            found_again = self._found(question, with_default_named(carried), search, previous=previous)
            again = self._judged(found_again)
            # the chat's subject lifts every sentence about it: only one saying what was asked may answer
            own = _own_words(asked)
            if again.settled is None and own and any(own <= content_words(e.text) for e in again.quotes):
                found, grounds, follows = found_again, again, True
        if follows and (said := _answered_again(grounds, question, history)):
            # "how do I change it?" after "What is the default logging level?" quoted mostly the same sentences
            # again: the next best ones of the same search, or saying that the articles say no more
            grounds = self._judged(found, said=said)
        yield from _word_by_word(grounds.settled or grounds.quoted())

    def _grounds(self, question: str, query: str, search: "_Search", said: str = "") -> "_Grounds":
        """Retrieval and evidence for the question; `settled` is the answer when no generator is to be asked.
        `said` is the answer a follow-up follows: what it quoted is not quoted again."""
        return self._judged(self._found(question, query, search), said)

    def _found(self, question: str, query: str, search: "_Search", previous: str = "") -> "_Grounds":
        """The passages found for the query and every candidate sentence of them ranked; settled already when
        the question asks a detail of an article or its summary. `previous` is the answer a follow-up follows."""
        searched = self.retriever  # one index version per question, even if an upload swaps it meanwhile
        if (asked := asked_detail(query)) and (
                told := self._detail(question, query, asked, search, searched, previous)):
            return _Grounds(question, query, told.hits, searched.store.documents, [], searched, settled=told)
        # "emisions", "coloured boxes": read as the articles spell them ("emissions", "colored"), which the answer shows
        query = spelled_as_held(query, searched.lexical.holds)
        query_vector = self.embedder.embed_query(query)  # once: retrieval and evidence scoring share it
        documents = searched.store.documents
        hits = self.search(query, search.k, search.method, search.doc_ids, query_vector, searched)
        grounds = _Grounds(question, query, hits, documents, [], searched)
        if is_summary_question(question) and hits:  # "What is this article about?" after an answer: the one it quoted
            scope = set(search.doc_ids if search.doc_ids is not None else documents)
            doc_id = next(iter(_quoted_in(previous, scope, documents)), hits[0].chunk.doc_id)
            first_chunk = searched.store.chunk(f"{doc_id}#0")
            grounds.settled = compose(question, lead_evidence(first_chunk, documents), documents, hits, query)
            return grounds
        grounds.ranked = select_evidence(query, hits, documents, self.embedder, query_vector,
                                         searched.store.unit_vectors_of)
        return grounds

    def _judged(self, found: "_Grounds", said: str = "") -> "_Grounds":
        """The found evidence judged: strong enough to quote (`quotes`), or the abstention (`settled`). `said` is
        the answer a follow-up follows: what it quoted is not quoted again. `found` itself is left as it was, so it
        can be judged again against another answer."""
        grounds = replace(found, ranked=list(found.ranked), quotes=[])
        if grounds.settled:
            return grounds
        question, query, hits, documents, searched = (grounds.question, grounds.query, grounds.hits,
                                                      grounds.documents, grounds.searched)
        # "What else?" asks for more of the articles just quoted, however little its carried subject ("MVP") says
        asks_more = _asks_more(question)
        answered_before = bool(said) and (self._relevant(grounds.ranked) or asks_more)
        if said:  # "Why?" after an answer: its quotes told what it was, not why
            grounds.ranked = [e for e in grounds.ranked if " ".join(e.text.split()) not in said]
        passages, articles = passage_texts(hits, documents), _document_texts(hits, documents)
        unmentioned = unmatched_names(query, passages, in_collection=searched.mentions)
        # "Unix", "XML" the passages leave out but their documents write: context, not a subject they lack
        unmentioned = [name for name in unmentioned if not written_in(name, articles)]
        # Warren named, her wealth tax never, in the passages or their articles: they are about her, not it
        if not unmentioned and (aspect := uncovered_aspect(query, passages)) and uncovered_aspect(query, articles):
            unmentioned = [aspect]
        # "What else does it say?" after an answer: the subject is covered, so the next best sentences are what
        # is asked for, however far they are from the words of the question
        if more := answered_before and asks_more:  # of the articles the answers quoted
            grounds.ranked = [e for e in grounds.ranked if f"“{documents[e.chunk.doc_id].title}”" in said]
        if unmentioned or not (self._relevant(grounds.ranked) or more and grounds.ranked):
            # Weak evidence: the fixed answer, without asking a generator to improvise.
            grounds.settled = abstention(question, hits, query, unmentioned,
                                         nothing_more=answered_before and not unmentioned)
            return grounds
        chosen = choose(grounds.ranked)
        # "What is the default of shared_buffers?": the option's own "The default is typically 128 megabytes" may
        # rank below advice about it; it is quoted rather than declining for want of a default
        if lacks_default(query, [e.text for e in chosen]) and (
                default := stated_default(query, grounds.ranked, documents)):
            chosen = with_default_quoted(chosen, default)
        likeliest = max(e.score for e in chosen)
        telling = [e.text for e in chosen if e.score == likeliest or e.relevance >= FIGURE_MIN_RELEVANCE]
        grounds.quotes = with_their_terms(with_what_follows(chosen, grounds.ranked, documents), documents)
        shown = [e.text for e in grounds.quotes]  # as the answer quotes them
        if missing := missing_kind(query, [e.text for e in chosen], figure_texts=telling, shown_texts=shown):
            grounds.settled = abstention(question, hits, query, missing=missing)
        # "What did Obama say about …?" answered with Gates's words: the quotes never name the one asked about
        elif speaker := unquoted_speaker(query, shown + bylines(
                [documents[doc_id] for doc_id in dict.fromkeys(e.chunk.doc_id for e in chosen)])):
            grounds.settled = abstention(question, hits, query, off_subject=[speaker])
        # "How much slower is Lackey?" answered with DRD's slowdown: the quotes never name the tool a title names
        elif off_subject := [name for name in unquoted_subjects(query, passage_texts(chosen, documents),
                                                                self.collection.titles(searched),
                                                                searched.mentions)
                             if not written_in(name, _document_texts(chosen, documents))]:
            grounds.settled = abstention(question, hits, query, off_subject=off_subject)
        return grounds

    def _detail(self, question: str, query: str, asked: AskedDetail, search: "_Search",
                searched: Retriever, previous: str = "") -> Answer | None:
        """"Who wrote the article about …?": the byline (date, publication) of the article the question describes,
        found as an answer about that subject would be; None when the page gives no such detail. "When was it
        published?" after an answer (`previous`) asks of the article that answer quoted first."""
        documents = searched.store.documents
        scope = set(search.doc_ids if search.doc_ids is not None else documents)
        topic = asked.topic
        if previous and (quoted := _quoted_in(previous, scope, documents)) and not asked_detail(question).topic:
            doc_id = quoted[0]
            return detail_answer(question, asked, documents[doc_id], [Hit(searched.store.chunk(f"{doc_id}#0"), 1.0, 1)],
                                 query)
        if named := documents_named(asked.naming, scope, documents):  # "the Guardian article", "the KBS piece"
            scope = named
        elif asked.possessive:  # "Trump's post" names no document: a post the text tells of
            return None
        elif asked.naming:
            topic = f"{asked.naming} {topic}".strip()  # "the Adelson article": its subject, no name of it
        if topic:
            about = self._grounds(topic, topic, replace(search, doc_ids=scope))
            if about.settled or not about.ranked:
                return None  # no article is about that: the usual answer will say so
            doc_id, hits = about.ranked[0].chunk.doc_id, about.hits
        elif len(scope) == 1:
            doc_id = next(iter(scope))
            hits = [Hit(searched.store.chunk(f"{doc_id}#0"), 1.0, 1)]
        else:
            return which_article(question, query)
        return detail_answer(question, asked, documents[doc_id], [h for h in hits if h.chunk.doc_id == doc_id], query)

    def _relevant(self, ranked: list[Evidence]) -> bool:
        """Whether the best evidence is close enough to the question to answer it."""
        return bool(ranked) and max(e.relevance for e in ranked) >= self.min_relevance

    def search(self, query: str, k: int, method: str, doc_ids: set[str] | None = None,
               query_vector: np.ndarray | None = None, retriever: Retriever | None = None) -> list[Hit]:
        """The passages an answer to `query` is drawn from. "What does the booktabs documentation say about …?" is
        asked of that document, and only what follows the framing is searched for: its words are in the filter
        now, and searched for they would only find the passages that name the document."""
        retriever = retriever or self.retriever
        documents = retriever.store.documents
        named = named_documents(query, doc_ids if doc_ids is not None else documents, documents)
        if named:
            return retriever.search(focus(query), k, method=method, doc_ids=named)
        if not (defines := defining(query)):
            return retriever.search(query, k, method=method, doc_ids=doc_ids, query_vector=query_vector)
        # "What is Massif?": the passages that say the most of it seldom say what it is; the best of the next ones
        # that does ("Massif is a heap profiler.") takes the last place
        hits = retriever.search(query, max(k, DEFINITION_POOL), method=method, doc_ids=doc_ids,
                                query_vector=query_vector)
        best = hits[:k]
        defining_hit = next((h for h in hits if any(defines.match(h.chunk.text, start, end)
                                                        for start, end, _ in sentence_spans(h.chunk.text))), None)
        if defining_hit and defining_hit not in best and best:
            best[-1] = replace(defining_hit, rank=k)
        return best

    def _checked(self, question: str, k: int | None, mode: str | None) -> tuple[str, int, str]:
        question = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
        if not any(ch.isalnum() for ch in question):
            raise UserError("the question is empty: ask something about the articles")
        k = k or self.settings.top_k
        if k < 1:
            raise UserError(f"--k must be at least 1, not {k}")
        mode = mode or self.settings.answer_mode
        if mode not in ANSWER_MODES:
            raise UserError(f"unknown answer mode '{mode}' (use one of {', '.join(ANSWER_MODES)})")
        if mode == "llm":
            self.generator  # fail before any work when no LLM is configured
        return question, k, mode

    def _llm_stream(self, question: str, history: list[dict] | None, search: "_Search") -> Iterator[Update]:
        """The LLM writes from the passages, in the LLM lane, until the deadline; when the lane is full or the
        deadline passes, the quoted answer is given instead, saying why."""
        deadline = time.monotonic() + self.llm_deadline_s
        try:
            query, why_not = self._standalone_query(question, history, deadline), ""
        except (LlmBusy, LlmTimedOut) as exc:
            query, why_not = _offline_query(question, history), self._why_not(exc)
        grounds = self._grounds(question, query, search, said=_followed_answer(question, query != question, history))
        if grounds.settled:
            yield from _word_by_word(grounds.settled)
            return
        if not why_not:
            try:
                yield from self._llm_answer(grounds, deadline)
                return
            except (LlmBusy, LlmTimedOut) as exc:
                why_not = self._why_not(exc)
        quoted = grounds.quoted()
        noted = f"{quoted.text} ({why_not}, so this answer quotes the articles.)"
        yield from _word_by_word(replace(quoted, text=noted))

    def _why_not(self, exc: Exception) -> str:
        if isinstance(exc, LlmBusy):
            return "The LLM is busy with other questions"
        return f"The LLM did not answer within {self.llm_deadline_s:g} s"

    def _standalone_query(self, question: str, history: list[dict] | None, deadline: float) -> str:
        if not history:
            return _offline_query(question, history)
        messages = render_messages("condense", history=format_history(history), question=question)
        pieces = self.llm_lane.stream(self.generator, messages, CONDENSE_MAX_TOKENS, deadline)
        rewritten = "".join(pieces).strip().splitlines()
        candidate = rewritten[0].strip().strip('"') if rewritten else ""
        # A small model sometimes answers instead of rewriting: keep its output only when it reads as a question.
        return candidate if candidate.endswith("?") and len(candidate) < 300 else _offline_query(question, history)

    def _llm_answer(self, grounds: "_Grounds", deadline: float) -> Iterator[Update]:
        passages = [hit.chunk for hit in grounds.hits]
        messages = render_messages("answer", cannot_answer=CANNOT_ANSWER, max_sentences=str(LLM_MAX_SENTENCES),
                                   passages=format_passages(passages, grounds.documents), question=grounds.question)
        raw = ""
        for piece in self.llm_lane.stream(self.generator, messages, self.settings.llm_max_tokens, deadline):
            raw += piece
            yield raw, None
        checked = check(raw, passages, grounds.documents, self.embedder)
        if checked.refused:
            answer = abstention(grounds.question, grounds.hits, grounds.query)
        elif not checked.citations:  # nothing it wrote is supported: quote the evidence instead
            answer = grounds.quoted()
        else:
            answer = Answer(question=grounds.question, text=checked.text, answered=True,
                            citations=checked.citations, hits=grounds.hits, query=grounds.query,
                            unsupported=checked.unsupported)
        yield answer.text, answer


@dataclass(frozen=True)
class _Search:
    k: int
    doc_ids: set[str] | None
    method: str


@dataclass
class _Grounds:
    """What a question's answer rests on: the hits, their documents and the evidence ranked best first."""
    question: str
    query: str
    hits: list[Hit]
    documents: dict
    ranked: list
    searched: Retriever | None = None  # the index version the hits come from
    settled: Answer | None = None  # the article's opening or the abstention: an answer no generator is asked for
    # what the answer quotes (choose(ranked), each with the sentence it goes on into), once the evidence is strong
    # enough to answer
    quotes: list = field(default_factory=list)

    def quoted(self) -> Answer:
        return compose(self.question, self.quotes, self.documents, self.hits, self.query)


def _followed_answer(question: str, follows: bool, history: list[dict] | None) -> str:
    """For a follow-up (`follows`: its query made to stand alone) that asks past the answers before it ("Why?",
    "What else does it say?"), the chat's last answers, whitespace folded, for telling which sentences they quoted
    ("What else?" after "Why?" was declined must not quote the first answer again); "" for a question that stands
    alone or asks something of its own ("How long was it blocked?" may well be answered by a sentence quoted
    before)."""
    answers = _answers(history)
    # "Why?", "What else does it say?": nothing asked of its own; "Where did he say it?" asks a place, which the
    # sentence quoted before may well give
    past = not _own_words(question) and not _ASKS_A_PARTICULAR.match(question)
    return " ".join(" ".join(answers[-FOLLOWED_ANSWERS:]).split()) if answers and follows and past else ""


def _answered_again(grounds: "_Grounds", question: str, history: list[dict] | None) -> str:
    """The last answer, whitespace folded, when most of a follow-up's quotes are in it; else "" (and for "Who said
    that?", which the sentence quoted before may well answer)."""
    answers = _answers(history)
    if not answers or grounds.settled or not grounds.quotes or _ASKS_A_PARTICULAR.match(question):
        return ""
    last = " ".join(answers[-1].split())
    repeated = sum(" ".join(e.text.split()) in last for e in grounds.quotes)
    return last if repeated * 2 > len(grounds.quotes) else ""


def _quoted_in(answer: str, scope: set[str], documents: dict) -> list[str]:
    """The documents an answer quoted, in the order its lead-ins name them ("According to “Title”:", "…, the author
    of “Title”, writes:", "According to its page, “Title” is by …"), never a title a refusal or a quote repeats."""
    at = {doc_id: match.start() for doc_id in scope
          if (match := re.search(_named_lead_in(documents[doc_id].title), answer))}
    return sorted(at, key=at.get)


def _named_lead_in(title: str) -> str:
    """How an answer names an article it quotes (qa/answer.py's lead-in) or gives the details of."""
    return rf"{lead_in_pattern(title)}|its page, “{re.escape(title)}”"


def _answers(history: list[dict] | None) -> list[str]:
    return [str(m.get("content")) for m in history or [] if m.get("role") == "assistant"]


_ASKS_A_PARTICULAR = re.compile(r"\s*(where|when|who|whom|whose|which|how (many|much|long|old|often|far))\b",
                                re.IGNORECASE)


def _own_words(question: str) -> set[str]:
    """The question's content words besides those that frame it or ask for more ("Where else was it banned?" has
    "banned": a question of its own)."""
    return content_words(question) - framing_words() - _MORE_WORDS


def _asks_more(question: str) -> bool:
    return not _own_words(question) and bool(content_words(question) & _MORE_WORDS)


def _offline_query(question: str, history: list[dict] | None) -> str:
    """What is searched for without an LLM: a long question's asking part, a follow-up made to stand alone."""
    return condense_offline(within_reach(question), history)


def _document_texts(found: list[Hit] | list[Evidence], documents: dict) -> list[str]:
    """The whole text of each document the hits or evidence come from."""
    return [documents[doc_id].text for doc_id in dict.fromkeys(item.chunk.doc_id for item in found)]


def _word_by_word(answer: Answer) -> Iterator[Update]:
    """Stream a finished answer the way a generator would, so front ends treat both modes alike."""
    words = answer.text.split(" ")
    for i in range(1, len(words)):
        yield " ".join(words[:i]), None
    yield answer.text, answer
