import json
import subprocess
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from helpers import ROOT, SAMPLE_ARTICLE, http_server
from index.build import update_index
from qa.generators import LocalGenerator, OpenAICompatibleGenerator, free_port, make_generator
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings


class _ChatServer(BaseHTTPRequestHandler):
    """A small OpenAI-style endpoint on loopback that streams a fixed reply, or refuses a wrong key."""

    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _ChatServer.seen.append((self.path, self.headers.get("Authorization"), body))
        if self.headers.get("Authorization") != "Bearer right-key":
            self.send_response(401, "Unauthorized")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["The base ", "may be ", "negotiated [1]."]:
            chunk = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def chat_server():
    with http_server(_ChatServer) as server:
        yield f"{server.base}/v1"


def test_openai_compatible_stream_and_auth(chat_server):
    generator = OpenAICompatibleGenerator(chat_server, "m", "right-key")
    pieces = list(generator.stream([{"role": "user", "content": "hi"}], max_tokens=20))
    assert pieces == ["The base ", "may be ", "negotiated [1]."]
    path, auth, body = _ChatServer.seen[-1]
    assert path == "/v1/chat/completions" and body["stream"] is True and body["max_tokens"] == 20


def test_http_error_names_the_server_but_never_the_key(chat_server):
    generator = OpenAICompatibleGenerator(chat_server, "m", "wrong-secret-key")
    with pytest.raises(UserError) as error:
        list(generator.stream([{"role": "user", "content": "hi"}], max_tokens=5))
    assert str(error.value) == f"the LLM at {chat_server} answered HTTP 401 Unauthorized"
    assert "wrong-secret-key" not in str(error.value)


def test_unreachable_server_is_a_clear_error():
    generator = OpenAICompatibleGenerator(f"http://127.0.0.1:{free_port()}/v1", "m")
    with pytest.raises(UserError, match="cannot reach the LLM at http://127.0.0.1"):
        list(generator.stream([{"role": "user", "content": "hi"}], max_tokens=5))


def test_backend_selection_from_settings(settings, env):
    """The backends' own needs (a URL for openai, a token for hf) are refused by Settings: tests/test_settings.py."""
    from dataclasses import replace
    assert make_generator(settings) is None
    assert isinstance(make_generator(replace(settings, llm_backend="local")), LocalGenerator)
    openai = make_generator(replace(settings, llm_backend="openai", llm_base_url="http://h/v1", llm_model="x"))
    assert (openai.base_url, openai.model) == ("http://h/v1", "x")
    env.setenv("RAGQA_LLM_BACKEND", "hf")
    env.setenv("HF_TOKEN", "hf_secret")
    hf = make_generator(Settings.from_env())
    assert hf.base_url == "https://router.huggingface.co/v1" and "hf_secret" not in repr(vars(hf).get("name"))
    assert hf._api_key == "hf_secret"


def test_settings_never_show_the_api_key(settings):
    from dataclasses import replace
    assert "s3cret" not in repr(replace(settings, llm_api_key="s3cret"))


@pytest.fixture(scope="module")
def local_server():
    """The packaged SmolLM2 GGUF served by a real llama.cpp server process on loopback."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "qa.local_llm", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, "the local LLM server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=20)


@pytest.mark.slow
def test_llm_answer_end_to_end_against_a_real_local_server(local_server, settings, embedder):
    from dataclasses import replace
    llm_settings = replace(settings, llm_backend="openai", llm_base_url=local_server, llm_max_tokens=80)
    update_index([str(SAMPLE_ARTICLE)], llm_settings, embedder, progress=False)
    pipeline = QAPipeline(llm_settings, embedder=embedder)
    updates = list(pipeline.ask_stream("What does the author say about Bagram?", mode="llm"))
    answer = updates[-1][1]
    assert len(updates) > 2, "tokens stream in"
    assert answer.answered and answer.citations, answer.text
    documents = pipeline.retriever.store.documents
    for citation in answer.citations:
        assert documents[citation.doc_id].text[citation.start:citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.text


@pytest.mark.slow
def test_local_backend_starts_its_own_server_and_streams():
    generator = LocalGenerator()
    try:
        pieces = list(generator.stream([{"role": "user", "content": "Say hello."}], max_tokens=8))
        assert pieces and "".join(pieces).strip()
    finally:
        generator._server.stop()
