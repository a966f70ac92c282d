"""Ingest's embedding step on Ray Data: the texts to embed go through a pool of embedder actors (one model each, on
a GPU of its own when the cluster has GPUs, else on CPUs), on a local Ray or a cluster. The only module importing ray.
"""
from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import numpy as np

from index.embedders import make_embedder
from schema import UserError
from settings import Settings

LOCAL = "local"  # `--ray` without an address: a Ray started here with this machine's cores, stopped at the end
BATCH = 256  # texts per actor call, as the plain path's batches
CONNECT_TIMEOUT = 5  # seconds for a cluster's address to answer
ROOT = Path(__file__).resolve().parents[1]
# What a cluster's workers need of the project (its code), not the data, tests or history.
NOT_SHIPPED = [".git", "data", "tests", "bench", "docs", "**/__pycache__"]


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - ray[data]: its own dependencies (pandas, pyarrow) too
    except ImportError as exc:
        raise UserError(f"--ray needs the package {exc.name or 'ray'}: pip install -r requirements-scale.txt") from None
    return ray


class EmbedActor:
    """One embedding model in a Ray actor; a batch of {key, text} rows → {key, vector, error}."""

    def __init__(self, model: str, precision: str, device: str):
        self.embedder = make_embedder(model, precision, device)

    def __call__(self, batch: dict) -> dict:
        from index.build import embed_texts  # the plain path's batching and per-text failures, in the actor

        keys = [str(key) for key in batch["key"]]
        vectors, unembeddable = embed_texts(dict(zip(keys, map(str, batch["text"]))), self.embedder, False)
        zero = np.zeros(self.embedder.dimension, dtype=np.float32)
        return {"key": np.array(keys, dtype=object),
                "vector": np.stack([vectors.get(key, zero) for key in keys]),
                "error": np.array([unembeddable.get(key, "") for key in keys], dtype=object)}


def embed_on_ray(texts_by_key: dict[str, str], settings: Settings, address: str,
                 progress: bool) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Vectors by key, and the reason for each key whose text could not be embedded (as `embed_texts`)."""
    if not texts_by_key:
        return {}, {}
    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        _connect(ray, address)
    try:
        return _run_pipeline(ray, texts_by_key, settings, progress)
    finally:
        if started:
            ray.shutdown()


def _connect(ray, address: str) -> None:
    _check_reachable(address)
    try:
        if address == LOCAL:
            ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, logging_level="WARNING")
        else:  # a cluster's workers get the project's code with the job
            ray.init(address=address, logging_level="WARNING",
                     runtime_env={"working_dir": str(ROOT), "excludes": NOT_SHIPPED})
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise UserError(f"cannot start or reach Ray at {address!r}: {str(exc).splitlines()[0]}") from None


def _check_reachable(address: str) -> None:
    """A cluster's HOST:PORT answers, checked first: ray.init retries an unreachable one for minutes."""
    if address in (LOCAL, "auto"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot reach Ray at {address!r}: {exc.strerror or exc}") from None


def _run_pipeline(ray, texts_by_key: dict[str, str], settings: Settings,
                  progress: bool) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = progress  # Ray Data's bars go to stderr
    gpus = int(ray.cluster_resources().get("GPU", 0))
    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors = max(1, gpus or cpus)
    if progress:
        print(f"Embedding {len(texts_by_key)} texts on Ray: {actors} embedder actor(s), "
              f"{'one GPU' if gpus else 'one CPU'} each", file=sys.stderr)
    rows = ray.data.from_items([{"key": key, "text": text} for key, text in texts_by_key.items()])
    embedded = rows.map_batches(EmbedActor, batch_size=BATCH, compute=ray.data.ActorPoolStrategy(size=actors),
                                num_gpus=1 if gpus else 0, num_cpus=0 if gpus else 1,
                                fn_constructor_kwargs={"model": settings.embed_model,
                                                       "precision": settings.embed_precision,
                                                       "device": settings.device if gpus else "cpu"})
    vectors, unembeddable = {}, {}
    try:
        for batch in embedded.iter_batches(batch_size=BATCH, batch_format="numpy"):
            for key, vector, error in zip(batch["key"], batch["vector"], batch["error"]):
                if error:
                    unembeddable[str(key)] = str(error)
                else:
                    vectors[str(key)] = np.asarray(vector, dtype=np.float32)
    except ray.exceptions.RayError as exc:  # e.g. the model cannot be loaded in an actor: nothing can be embedded
        raise UserError(f"embedding on Ray failed: {_first_line(exc)}") from None
    return vectors, unembeddable


def _first_line(exc: BaseException) -> str:
    """The actor's own error (e.g. a model it cannot load): Ray passes it on as text, the innermost one first."""
    text = str(exc)
    if found := re.search(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$", text, re.MULTILINE):
        name, message = found.groups()
        return message if name == "UserError" else f"{name}: {message}"
    return next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
