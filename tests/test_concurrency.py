"""Many visitors at once (issue 12): offline answers computed concurrently and identical to one at a time, one
embedding of the question per answer, a model shared safely by threads, and a page served while the model loads."""
import re
import shutil
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import app
from helpers import SAMPLE_ARTICLE
from index.build import update_index
from index.embedders import HashingEmbedder, SentenceTransformerEmbedder
from qa.answer import answer_to_dict
from qa.evidence import focus, select_evidence
from qa.collection import Collection
from qa.pipeline import QAPipeline
from settings import DEFAULT_MODEL
from ui.library import Library

QUESTIONS = ["What does the author say about Bagram?", "Why does the author distrust Khalilzad?", "What is the TTP?",
             "Who pays for the war on terror in Pakistan?", "What is ISKP?"]
MEETING_TIMEOUT_S = 10


class MeetingEmbedder(HashingEmbedder):
    """The hashing embedder; once `meeting` is set, every question's embedding waits there for the others, so the
    questions get past it only if that many are being answered at the same time."""

    def __init__(self):
        self.meeting: threading.Barrier | None = None

    def embed_query(self, text):
        if self.meeting is not None:
            self.meeting.wait()
        return super().embed_query(text)


class RecordingEmbedder(HashingEmbedder):
    """The hashing embedder, recording every text it is given."""

    def __init__(self):
        self.texts = []

    def embed_documents(self, texts, show_progress=False):
        self.texts += texts
        return super().embed_documents(texts, show_progress)


# ---- offline answers run at once, and answer as one at a time would -----------------------------------------------

def test_offline_questions_are_answered_at_the_same_time(indexed):
    """The old pipeline computed one answer at a time: the second question never reached the model while the first
    waited there, and both failed at the meeting's timeout."""
    embedder = MeetingEmbedder()
    pipeline = QAPipeline(indexed, embedder=embedder)
    pipeline.ask(QUESTIONS[0])  # opens the index
    embedder.meeting = threading.Barrier(2, timeout=MEETING_TIMEOUT_S)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(pipeline.ask, QUESTIONS[:2]))
    assert all(answer.answered and answer.citations for answer in answers)


def test_answers_computed_at_once_are_those_computed_one_at_a_time(indexed, embedder):
    pipeline = QAPipeline(indexed, embedder=embedder)
    alone = {question: answer_to_dict(pipeline.ask(question)) for question in QUESTIONS}
    asked = QUESTIONS * 6
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda question: answer_to_dict(pipeline.ask(question)), asked))
    assert together == [alone[question] for question in asked]


# ---- one embedding of the question per answer ------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["What does the author say about Bagram?", "What is the TTP?"])
def test_the_question_is_embedded_once_per_answer(indexed, question):
    """The retriever embedded the question, then evidence scoring embedded it again with the candidate sentences.
    A framed question ("what does the author say about …") is also compared without its framing: that reading,
    a different text, is the one other embedding."""
    embedder = RecordingEmbedder()
    answer = QAPipeline(indexed, embedder=embedder).ask(question)
    assert answer.citations
    readings = {question, focus(question)}
    assert len(readings) == (2 if "author" in question else 1)
    assert sorted(text for text in embedder.texts if text in readings) == sorted(readings)


def test_a_given_question_vector_gives_the_same_hits_and_evidence(indexed, embedder):
    pipeline = QAPipeline(indexed, embedder=embedder)
    retriever, documents = pipeline.retriever, pipeline.retriever.store.documents
    for question in QUESTIONS:
        vector = embedder.embed_query(question)
        hits = retriever.search(question, 5)
        assert retriever.search(question, 5, query_vector=vector) == hits
        assert select_evidence(question, hits, documents, embedder, vector) == select_evidence(
            question, hits, documents, embedder)


# ---- the model, shared by threads ------------------------------------------------------------------------------------

class SlowLoadingModel:
    """Stands in for a SentenceTransformer that takes a while to load."""

    def __init__(self):
        time.sleep(0.2)
        self.tokenizer = object()

    def preprocess(self, texts):
        return {}


def test_threads_asking_at_once_load_the_model_once(monkeypatch):
    loaded = []
    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", lambda self: loaded.append(1) or SlowLoadingModel())
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(lambda _: embedder.model, range(4)))
    assert len(loaded) == 1 and all(model is models[0] for model in models)


@pytest.mark.slow
def test_counting_tokens_while_other_threads_encode_breaks_nothing():
    """The splitter's token counts (an upload being indexed) reconfigured the tokenizer that questions were being
    encoded with: encodes failed with "Unable to create tensor … activate truncation and/or padding"."""
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    text = SAMPLE_ARTICLE.read_text()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 3][:40]
    batches = [sentences[i:] + sentences[:i] for i in (0, 10, 20)]
    expected = [embedder.embed_documents(batch) for batch in batches]
    counts = [embedder.count_tokens(text[i:i + 3000]) for i in range(0, 1000, 100)]
    done = threading.Event()

    def count_until_done():
        seen = []
        while not done.is_set():
            seen += [embedder.count_tokens(text[i:i + 3000]) for i in range(0, 1000, 100)]
        return seen

    with ThreadPoolExecutor(4) as pool:
        counting = pool.submit(count_until_done)
        encoded = [pool.submit(lambda b: [embedder.embed_documents(b) for _ in range(3)], batch) for batch in batches]
        try:
            results = [future.result() for future in encoded]
        finally:
            done.set()
        seen = counting.result()
    for vectors, want in zip(results, expected):
        assert all(np.array_equal(v, want) for v in vectors), "encoded at once differs from encoded alone"
    assert seen[:len(counts)] == counts and len(seen) >= len(counts)


# ---- the app: answers at once, and the page up while the model loads -----------------------------------------------

def test_the_app_answers_as_many_offline_questions_at_once_as_it_has_cores_while_an_llm_writes(indexed):
    """The app's 'answers' queue had 3 places and the pipeline one answer at a time behind them."""
    from gradio_client import Client

    from bench.screenshot import free_port
    from fakes import StalledGenerator, wait_for_llm_threads

    at_once = min(app.OFFLINE_ANSWERS, 4)
    embedder, stalled = MeetingEmbedder(), StalledGenerator()
    pipeline = QAPipeline(indexed, embedder=embedder, generator=stalled, llm_deadline_s=20, llm_lanes=1)
    chat_app = app.ChatApp(pipeline)
    chat_app.library.ensure_ready()
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    clients = [Client(chat_app.demo.local_url, verbose=False, analytics_enabled=False, download_files=False)
               for _ in range(at_once + 1)]
    try:
        writing = clients[0].submit(QUESTIONS[0], 5, "llm", api_name="/ask")
        assert stalled.started.wait(30)
        embedder.meeting = threading.Barrier(at_once, timeout=MEETING_TIMEOUT_S)
        asked = [client.submit(QUESTIONS[i % len(QUESTIONS)], 5, "offline", api_name="/ask")
                 for i, client in enumerate(clients[1:])]
        answers = [job.result(timeout=60) for job in asked]
        assert not writing.done(), "the offline answers came while the LLM was still writing"
        assert all(answer["answered"] for answer in answers)
    finally:
        embedder.meeting = None
        stalled.release.set()
        chat_app.demo.close()
        wait_for_llm_threads()


class LoadingEmbedder(HashingEmbedder):
    """The hashing embedder whose model takes until `loaded` is set to load (its first question waits for it)."""

    def __init__(self):
        self.loading, self.loaded = threading.Event(), threading.Event()

    def embed_query(self, text):
        self.loading.set()
        assert self.loaded.wait(MEETING_TIMEOUT_S)
        return super().embed_query(text)


def test_the_page_is_served_while_the_model_loads_and_its_status_line_follows(settings):
    """The page's status said "Starting…" until the model and index were loaded; now it says what is loading."""
    from bench.screenshot import free_port

    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    update_index([str(settings.articles_dir)], settings, HashingEmbedder(), progress=False)
    embedder = LoadingEmbedder()
    chat_app = app.ChatApp(QAPipeline(settings, embedder=embedder))
    loading = chat_app.library.load_in_background()
    assert embedder.loading.wait(MEETING_TIMEOUT_S)
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        with urllib.request.urlopen(chat_app.demo.local_url, timeout=10) as page:
            assert page.status == 200 and loading.is_alive(), "the page is up while the model loads"
        statuses = chat_app.show_loading()
        assert next(statuses)[0] == "Loading the embedding model…"
        embedder.loaded.set()
        assert list(statuses)[-1][0] == "1 article indexed (7 chunks)."
        assert not loading.is_alive() and chat_app.library.load_in_background() is loading, "loaded once"
    finally:
        embedder.loaded.set()
        chat_app.demo.close()


def test_a_library_that_failed_to_load_tries_again_and_says_why(settings, embedder):
    library = Library(Collection(settings, embedder))
    first = library.load_in_background()
    first.join(MEETING_TIMEOUT_S)
    with pytest.raises(Exception, match="no index yet and no articles in"):
        library.ensure_ready()
    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    second = library.load_in_background()
    assert second is not first
    second.join(MEETING_TIMEOUT_S)
    assert library.status().startswith("First start: built the index")
