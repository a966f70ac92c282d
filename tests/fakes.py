"""Test doubles at our own boundary: LLM generators (scripted, stalled), a pipeline that streams a fixed answer over
one small document, and a stand-in for the sentence-transformers model."""
from __future__ import annotations

import threading

import numpy as np

from schema import Answer, Citation, Document, UserError
from settings import Settings


class ScriptedGenerator:
    """Streams the given replies in order, a few characters at a time, and records the messages it was sent."""

    name = "scripted"

    def __init__(self, *replies: str):
        self.replies = list(replies)
        self.calls: list[list[dict]] = []

    def stream(self, messages, max_tokens):
        self.calls.append(messages)
        reply = self.replies.pop(0)
        for i in range(0, len(reply), 7):
            yield reply[i:i + 7]


class StalledGenerator:
    """An LLM that writes its first words, then stalls until released (or 30 s)."""

    name = "stalled"

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def stream(self, messages, max_tokens):
        self.started.set()
        yield "Bagram is "
        self.release.wait(30)
        yield "negotiable [1]."


def wait_for_llm_threads():
    """A stalled stream's thread holds its lane slot until it ends; the next test starts with the lane free."""
    for thread in threading.enumerate():
        if thread.name == "llm-stream":
            thread.join(10)


class RecordingModel:
    """Stands in for a SentenceTransformer: records the torch threads and autocast state of each encode call."""

    def __init__(self):
        self.calls = []

    def encode(self, texts, **options):
        import torch

        self.calls.append((len(texts), torch.get_num_threads(), torch.is_autocast_enabled("cpu")))
        return np.full((len(texts), 4), 0.6, dtype=np.float32)  # norm 1.2: bf16 path must renormalise


TEXT = "Intro paragraph.\n\nThe base may be negotiated. It is a <b>hub</b> for ${watching} {{the region}}.\n\nEnd."
QUOTE = "It is a <b>hub</b> for ${watching} {{the region}}."
DOCUMENT = Document(id="doc", title="On <Bagram>", source="/srv/secret/path/doc.txt", text=TEXT,
                    metadata={"author": "A. Writer", "date": "2025-01-02", "url": "javascript:alert(1)"})


def citation(n=1, quote=QUOTE):
    start = TEXT.index(quote)
    return Citation(n=n, chunk_id="doc#0", doc_id="doc", title=DOCUMENT.title, source=DOCUMENT.source,
                    start=start, end=start + len(quote), quote=quote)


class FakeCollection:
    """Collection's look-up the chat makes (the titles of the articles searched), over DOCUMENT alone."""

    def documents(self) -> dict[str, Document]:
        return {"doc": DOCUMENT}


class FakePipeline:
    """Streams a fixed answer word by word, as QAPipeline.ask_stream does; "fail" raises a UserError."""

    def __init__(self):
        self.calls = []
        self.settings = Settings()
        self.collection = FakeCollection()

    def ask_stream(self, question, **options):
        self.calls.append((question, options))
        if question == "fail":
            raise UserError("no LLM is configured: see 'LLM answers' in the README")
        if question == "crash":
            raise RuntimeError("/srv/secret/path: internal detail")
        query = f"{question} (Bagram)" if options["history"] else question
        answer = Answer(question=question, text=f"The author writes: {QUOTE} [1]", answered=True,
                        citations=[citation()], hits=[], query=query)
        words = answer.text.split(" ")
        for i in range(1, len(words)):
            yield " ".join(words[:i]), None
        yield answer.text, answer
