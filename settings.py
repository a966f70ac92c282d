"""Settings in one place: environment variable, then command-line flag, then default."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from schema import UserError

ROOT = Path(__file__).resolve().parent
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
RETRIEVERS = ("dense", "bm25", "hybrid", "rrf", "mmr")  # the methods index/search.py offers
AT_LEAST_ONE = ("chunk_tokens", "top_k", "llm_max_tokens", "max_upload_mb")
GPU_DEVICE = re.compile(r"cuda(?::(\d+))?")  # cuda, or cuda:N for the Nth GPU


@dataclass(frozen=True)
class Settings:
    index_dir: Path = ROOT / "data" / "index"
    articles_dir: Path = ROOT / "data" / "articles"
    embed_model: str = DEFAULT_MODEL  # a sentence-transformers path/name, "packaged:…" or "hashing"
    chunk_tokens: int = 200  # in the embedding model's own tokens, leaving room for the title prefix
    chunk_overlap: int = 40
    embed_precision: str = "auto"  # auto (bf16 only on CPUs with native bf16) | fp32 | bf16
    device: str = "auto"  # where the embedding model runs: auto (a GPU when torch sees one) | cpu | cuda | cuda:N
    embed_title: bool = True  # prefix each chunk with its article title when embedding
    unit_vectors: bool = True  # embed every quotable sentence at ingest, so answers embed only the question
    top_k: int = 5
    retriever: str = "hybrid"  # dense | bm25 | hybrid
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

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"RAGQA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = replace(cls(), **{k: Path(v) if k.endswith("_dir") else v for k, v in values.items()})
        _check(settings)
        return settings


def _check(settings: Settings) -> None:
    """Refuse, in one line naming the variable, a value that would otherwise fail deep inside with a traceback."""
    def refuse(name: str, why: str, show_value: bool = True):
        value = f"={getattr(settings, name)!r}" if show_value else ""
        raise UserError(f"environment variable RAGQA_{name.upper()}{value} {why}")

    for name in AT_LEAST_ONE:
        if getattr(settings, name) < 1:
            refuse(name, "must be at least 1")
    if not 0 <= settings.chunk_overlap < settings.chunk_tokens:
        refuse("chunk_overlap", f"must be at least 0 and below RAGQA_CHUNK_TOKENS={settings.chunk_tokens}")
    if settings.retriever not in RETRIEVERS:
        refuse("retriever", f"is not one of {', '.join(RETRIEVERS)}")
    if settings.llm_base_url and (problem := _url_problem(settings.llm_base_url)):
        refuse("llm_base_url", problem, show_value=False)  # it may hold a user name and password
    if problem := device_problem(settings.device):
        refuse("device", problem)


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


def _url_problem(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL such as http://127.0.0.1:8080/v1"
    return ""


def _convert(name: str, raw: str):
    default = getattr(Settings(), name)
    try:
        if isinstance(default, bool):
            return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}[raw.lower()]
        if isinstance(default, Path):
            return Path(raw)
        if isinstance(default, int):
            return int(raw)
        if name == "min_relevance":
            return float(raw)
    except (KeyError, ValueError):
        raise UserError(f"environment variable RAGQA_{name.upper()}={raw!r} is not a valid {name}") from None
    return raw
