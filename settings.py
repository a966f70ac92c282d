"""Settings in one place: a command-line flag, else the environment variable, else the default; checked when built.

Each list of choices is here once; the modules and front ends that offer a choice take its list from here. A value
that cannot work is refused in one line naming the variable or flag it came from. Secrets (the LLM key, read from
RAGQA_LLM_API_KEY, OPENAI_API_KEY or HF_TOKEN) are read here and nowhere else.
"""
from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from schema import UserError

ROOT = Path(__file__).resolve().parent
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
PREFIX = "RAGQA_"
RETRIEVERS = ("dense", "bm25", "hybrid", "rrf", "mmr")  # the methods index/search.py offers
ANSWER_MODES = ("offline", "llm")
LLM_BACKENDS = ("openai", "hf", "local")  # or none, the default
PRECISIONS = ("auto", "fp32", "bf16")
STORES = ("faiss", "milvus")  # index/stores.py: the FAISS folder (default) or Milvus (requirements-scale.txt)
MILVUS_COLLECTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")  # Milvus's rule, leaving room for "_chunks" etc.
NOT_SHOWN = {"llm_base_url", "milvus_uri", "milvus_token"}  # may hold a password: refused without the value
GPU_DEVICE = re.compile(r"cuda(?::(\d+))?")  # cuda, or cuda:N for the Nth GPU
MAX_UPLOAD_MB = 20  # ingest reads no file larger (ingest/loaders.py MAX_BYTES): a larger upload would only fail there
# Where a backend's key is read when RAGQA_LLM_API_KEY is not set.
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "hf": "HF_TOKEN"}
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


class SettingError(UserError):
    """A setting's value refused: `worded(origin)` says it for where the value came from (variable, flag, default)."""

    def __init__(self, name: str, value, why: str, show_value: bool = True):
        self.name, self.why, self.show_value = name, why, show_value
        self.value = str(value) if isinstance(value, Path) else value
        super().__init__(self.worded(f"environment variable {variable(name)}"))

    def worded(self, origin: str) -> str:
        """"environment variable RAGQA_TOP_K=0 must be at least 1"; for a flag "argument --k: 0 must be…", as
        argparse words its own refusals."""
        shown = f"={self.value!r}" if self.show_value else ""  # a URL may hold a user name and password
        if origin.startswith("argument "):
            shown = f": {self.value!r}" if self.show_value else ":"
        return f"{origin}{shown} {self.why}"


@dataclass(frozen=True)
class Settings:
    index_dir: Path = ROOT / "data" / "index"
    articles_dir: Path = ROOT / "data" / "articles"
    embed_model: str = DEFAULT_MODEL  # a sentence-transformers path/name, "packaged:…" or "hashing"
    chunk_tokens: int = 200  # in the embedding model's own tokens, leaving room for the title prefix
    chunk_overlap: int = 40
    embed_precision: str = "auto"  # one of PRECISIONS: auto (bf16 only on CPUs with native bf16) | fp32 | bf16
    device: str = "auto"  # where the embedding model runs: auto (a GPU when torch sees one) | cpu | cuda | cuda:N
    embed_title: bool = True  # prefix each chunk with its article title when embedding
    unit_vectors: bool = True  # embed every quotable sentence at ingest, so answers embed only the question
    top_k: int = 5
    retriever: str = "hybrid"  # one of RETRIEVERS
    min_relevance: float | None = None  # abstention threshold; None uses the calibrated value
    answer_mode: str = "offline"  # offline (quoted sentences, no LLM) | llm (the configured generator)
    llm_backend: str = ""  # "" (none) | openai (any OpenAI-compatible server) | hf (Hugging Face) | local (SmolLM2)
    llm_base_url: str = ""  # openai backend: e.g. http://127.0.0.1:8080/v1 for llama.cpp, Ollama or vLLM
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # a secret: never printed, logged or shown
    llm_max_tokens: int = 300
    allow_uploads: bool = True  # the app's upload box; switch off for public deployments
    allow_delete: bool = True  # the Articles tab's delete button; switch off for public deployments
    max_upload_mb: int = 10
    allow_private_urls: bool = False  # URL ingest may reach this machine and private networks
    store: str = "faiss"  # one of STORES: where the index lives
    milvus_uri: str = str(ROOT / "data" / "milvus.db")  # a .db file (Milvus Lite, in process) or http(s)://host:19530
    milvus_token: str = field(default="", repr=False)  # a Milvus server's "user:password" or API key: a secret
    milvus_collection: str = "ragqa"  # the collections' name prefix: ragqa_chunks, ragqa_units, ...

    def __post_init__(self):
        for name, why in _problems(self):
            raise SettingError(name, getattr(self, name), why, show_value=name not in NOT_SHOWN)

    @classmethod
    def from_env(cls, flags: dict[str, str] | None = None, **overrides) -> "Settings":
        """Settings from RAGQA_* variables, then `overrides` (those not None), then defaults. `flags` names the
        command-line flag of each override (`{"top_k": "--k"}`), so that a bad value is reported under its name."""
        _refuse_unknown_variables()
        values = {f.name: _convert(f.name, raw) for f in fields(cls)
                  if (raw := os.environ.get(variable(f.name))) is not None and raw != ""}
        from_env = set(values)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not values.get("llm_api_key") and (secret := KEY_VARIABLES.get(values.get("llm_backend", ""))):
            values["llm_api_key"] = os.environ.get(secret, "")
        try:
            return replace(cls(), **{k: Path(v) if k.endswith("_dir") else v for k, v in values.items()})
        except SettingError as exc:
            if exc.name in overrides and overrides[exc.name] is not None:
                origin = f"argument {(flags or {}).get(exc.name, exc.name)}"
            else:
                origin = f"{'environment variable' if exc.name in from_env else 'the default'} {variable(exc.name)}"
            raise UserError(exc.worded(origin)) from None


def variable(name: str) -> str:
    """The environment variable of a setting: top_k → RAGQA_TOP_K."""
    return f"{PREFIX}{name.upper()}"


def _problems(settings: Settings):
    """(setting, why) for each value that cannot work, in field order; checked whenever Settings are built."""
    for name in ("index_dir", "articles_dir"):
        if why := folder_problem(getattr(settings, name)):
            yield name, why
    if not settings.embed_model.strip():
        yield "embed_model", "must name a model"
    for name in ("chunk_tokens", "top_k", "llm_max_tokens"):
        if why := count_problem(getattr(settings, name)):
            yield name, why
    if why := overlap_problem(settings.chunk_overlap, settings.chunk_tokens):
        yield "chunk_overlap", why
    if why := choice_problem(settings.embed_precision, PRECISIONS):
        yield "embed_precision", why
    if why := device_problem(settings.device):
        yield "device", why
    if why := choice_problem(settings.retriever, RETRIEVERS):
        yield "retriever", why
    if settings.min_relevance is not None and not math.isfinite(settings.min_relevance):
        yield "min_relevance", "must be a number"
    if why := choice_problem(settings.answer_mode, ANSWER_MODES):
        yield "answer_mode", why
    if why := _backend_problem(settings):
        yield "llm_backend", why
    if settings.llm_base_url and (why := url_problem(settings.llm_base_url)):
        yield "llm_base_url", why
    if not 1 <= settings.max_upload_mb <= MAX_UPLOAD_MB:
        yield "max_upload_mb", f"must be from 1 to {MAX_UPLOAD_MB} (ingest reads no larger file)"
    if why := choice_problem(settings.store, STORES):
        yield "store", why
    if why := milvus_uri_problem(settings.milvus_uri):
        yield "milvus_uri", why
    if settings.milvus_token and not settings.milvus_uri.startswith(("http://", "https://")):
        yield "milvus_token", f"is for a Milvus server, but {variable('milvus_uri')} is a local Milvus Lite file"
    if not MILVUS_COLLECTION.fullmatch(settings.milvus_collection):
        yield "milvus_collection", "must be up to 200 letters, digits and underscores, not starting with a digit"


def _backend_problem(settings: Settings) -> str:
    if settings.llm_backend and (why := choice_problem(settings.llm_backend, LLM_BACKENDS)):
        return f"{why} (or unset for none)"
    if settings.llm_backend == "openai" and not settings.llm_base_url:
        return f"needs {variable('llm_base_url')} (e.g. http://127.0.0.1:8080/v1)"
    if settings.llm_backend == "hf" and not settings.llm_api_key:
        return f"needs a Hugging Face token in {KEY_VARIABLES['hf']} (or {variable('llm_api_key')})"
    return ""


def choice_problem(value: str, choices: tuple[str, ...]) -> str:
    """Why `value` is not one of `choices`, or "" when it is."""
    return "" if value in choices else f"is not one of {', '.join(choices)}"


def count_problem(value: int) -> str:
    return "" if value >= 1 else "must be at least 1"


def overlap_problem(overlap: int, chunk_tokens: int) -> str:
    if 0 <= overlap < chunk_tokens:
        return ""
    return f"must be at least 0 and below {variable('chunk_tokens')}={chunk_tokens}"


def milvus_uri_problem(uri: str) -> str:
    """Why `uri` names neither a Milvus server (http(s)) nor a Milvus Lite file, or "". Never quotes it."""
    if uri.startswith(("http://", "https://")):
        return url_problem(uri, "http://127.0.0.1:19530")
    if not uri.endswith(".db") or "://" in uri:
        return "is neither an http(s) URL of a Milvus server nor a Milvus Lite file ending in .db"
    return ""  # Milvus Lite 3 keeps a folder under that name


def folder_problem(path) -> str:
    return "is a file, not a folder" if Path(path).is_file() else ""


def device_problem(device: str) -> str:
    """Why the embedding model cannot run on `device` here, or "" when it can (auto and cpu always can)."""
    if device in ("auto", "cpu"):
        return ""
    wanted = GPU_DEVICE.fullmatch(device)
    if not wanted:
        return "is not one of auto, cpu, cuda, cuda:N"
    import torch  # only for a GPU asked for by name: auto and cpu start without it

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if not count:
        return "asks for a GPU but torch sees none (use auto or cpu)"
    number = int(wanted[1] or 0)
    if number >= count:
        return f"asks for GPU {number} but torch sees {count} (cuda:0 to cuda:{count - 1})"
    return ""


def url_problem(url: str, example: str = "http://127.0.0.1:8080/v1") -> str:
    """Why `url` is not an http(s) URL with a host (and a valid port), or "". Never quotes the URL: it may hold a
    password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"is not an http(s) URL such as {example}"
    return ""


def _refuse_unknown_variables() -> None:
    """A misspelt variable (RAGQA_TOPK) would otherwise be ignored without a word."""
    known = [variable(f.name) for f in fields(Settings)]
    for name in sorted(os.environ):
        if name.startswith(PREFIX) and name not in known:
            guess = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else " (see the README's settings table)"
            raise UserError(f"environment variable {name} is not a setting{hint}")


def _convert(name: str, raw: str):
    default = getattr(Settings(), name)
    try:
        if isinstance(default, bool):
            return BOOLEANS[raw.strip().lower()]
        if isinstance(default, Path):
            return Path(raw)
        if isinstance(default, int):
            return int(raw)
        if name == "min_relevance":
            return float(raw)
    except (KeyError, ValueError):
        expected = ("true or false" if isinstance(default, bool) else "a number" if name == "min_relevance"
                    else "a whole number")
        raise UserError(f"environment variable {variable(name)}={raw!r} is not a valid {name} ({expected})") from None
    return raw
