"""The index on disk: FAISS vectors, JSON records and a manifest, written atomically. faiss lives here only.

Layout: DIR/CURRENT names the live generation folder DIR/gen-NNNNNN/ holding manifest.json, documents.json,
chunks.json, vectors.npy and index.faiss. A save writes a new generation, then swaps CURRENT with os.replace,
so a crash at any point leaves the previous generation loadable.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from schema import Chunk, Document, UserError

SCHEMA_VERSION = 1
EXACT_SEARCH_LIMIT = 200_000  # below this many chunks exact search is fast enough; above, HNSW


class FaissStore:
    """Documents, their chunks and one unit vector per chunk; search by inner product (= cosine)."""

    def __init__(self, config: dict):
        self.config = dict(config)  # model, dimension, chunking: must match between build and use
        self.documents: dict[str, Document] = {}
        self.doc_hashes: dict[str, str] = {}
        self.chunks: list[Chunk] = []
        self.embed_keys: list[str] = []  # per chunk: hash of the exact text embedded, to reuse vectors
        self.vectors = np.zeros((0, int(config["dimension"])), dtype=np.float32)
        self._faiss_index = None
        self._positions: dict[str, int] | None = None  # chunk id -> position, built on first lookup

    # -- editing ---------------------------------------------------------------------------------------
    def add(self, entries: list[tuple[Document, str, list[Chunk], np.ndarray, list[str]]]) -> None:
        """Add (document, content hash, chunks, vectors, embed keys) entries, replacing documents with the same id."""
        self.delete({document.id for document, *_ in entries})
        for document, doc_hash, chunks, _, embed_keys in entries:
            self.documents[document.id] = document
            self.doc_hashes[document.id] = doc_hash
            self.chunks.extend(chunks)
            self.embed_keys.extend(embed_keys)
        self.vectors = np.vstack([self.vectors, *(vectors.astype(np.float32) for *_, vectors, _ in entries)])
        self._faiss_index = self._positions = None

    def delete(self, doc_ids: set[str]) -> None:
        doc_ids = doc_ids & self.documents.keys()
        if not doc_ids:
            return
        keep = [i for i, chunk in enumerate(self.chunks) if chunk.doc_id not in doc_ids]
        self.chunks = [self.chunks[i] for i in keep]
        self.embed_keys = [self.embed_keys[i] for i in keep]
        self.vectors = self.vectors[keep]
        for doc_id in doc_ids:
            self.documents.pop(doc_id)
            self.doc_hashes.pop(doc_id)
        self._faiss_index = self._positions = None

    def chunk(self, chunk_id: str) -> Chunk:
        if self._positions is None:
            self._positions = {c.id: i for i, c in enumerate(self.chunks)}
        return self.chunks[self._positions[chunk_id]]

    def vectors_by_key(self) -> dict[str, np.ndarray]:
        return dict(zip(self.embed_keys, self.vectors))

    @property
    def count(self) -> int:
        return len(self.chunks)

    # -- searching -------------------------------------------------------------------------------------
    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk position, cosine) pairs, best first."""
        if self.count == 0 or k <= 0:
            return []
        scores, ids = self.faiss_index.search(query_vector.reshape(1, -1).astype(np.float32), min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    @property
    def faiss_index(self):
        if self._faiss_index is None:
            self._faiss_index = _build_faiss(self.vectors, self.index_type)
        return self._faiss_index

    @property
    def index_type(self) -> str:
        return "flat" if self.count <= EXACT_SEARCH_LIMIT else "hnsw"

    # -- disk ------------------------------------------------------------------------------------------
    def manifest(self) -> dict:
        return {**self.config, "schema_version": SCHEMA_VERSION, "index_type": self.index_type,
                "documents": len(self.documents), "chunks": self.count}

    def save(self, folder: Path) -> None:
        import faiss

        folder.mkdir(parents=True, exist_ok=True)
        generation = _next_generation(folder)
        staging = folder / f"{generation}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        docs = [{**asdict(d), "hash": self.doc_hashes[d.id]} for d in self.documents.values()]
        chunks = [{**asdict(c), "embed_key": key} for c, key in zip(self.chunks, self.embed_keys)]
        _write_json(staging / "documents.json", docs)
        _write_json(staging / "chunks.json", chunks)
        with open(staging / "vectors.npy", "wb") as fh:
            np.save(fh, self.vectors, allow_pickle=False)
            _sync(fh)
        faiss.write_index(self.faiss_index, str(staging / "index.faiss"))
        _write_json(staging / "manifest.json", self.manifest())  # written last: its presence marks completeness
        _fsync_dir(staging)
        os.rename(staging, folder / generation)
        _write_atomically(folder / "CURRENT", generation)
        _remove_old_generations(folder, keep=generation)

    @classmethod
    def load(cls, folder: Path, expected: dict) -> "FaissStore":
        import faiss

        generation = current_generation(folder)
        if generation is None:
            raise UserError(f"no index at {folder}: build one with: python cli.py ingest data/articles --index {folder}")
        base = folder / generation
        manifest = _read_json(base / "manifest.json")
        _check_compatible(manifest, expected, folder)
        store = cls(expected)
        for record in _read_json(base / "documents.json"):
            doc_hash = record.pop("hash")
            store.documents[record["id"]] = Document(**record)
            store.doc_hashes[record["id"]] = doc_hash
        for record in _read_json(base / "chunks.json"):
            store.embed_keys.append(record.pop("embed_key"))
            store.chunks.append(Chunk(**record))
        store.vectors = np.load(base / "vectors.npy", allow_pickle=False)
        store._faiss_index = faiss.read_index(str(base / "index.faiss"))
        return store


def _build_faiss(vectors: np.ndarray, index_type: str):
    import faiss

    dimension = vectors.shape[1]
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


_CHECKED_KEYS = ("embed_model", "dimension", "chunk_tokens", "chunk_overlap", "embed_title")


def _check_compatible(manifest: dict, expected: dict, folder: Path) -> None:
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise UserError(f"the index at {folder} has schema version {manifest.get('schema_version')}, this program "
                        f"reads {SCHEMA_VERSION}: rebuild it with: python cli.py ingest SOURCES --index {folder} --rebuild")
    differences = [f"{key} {manifest.get(key)!r} (now {expected.get(key)!r})"
                   for key in _CHECKED_KEYS if manifest.get(key) != expected.get(key)]
    if differences:
        raise UserError(f"the index at {folder} was built with {', '.join(differences)}: rebuild it with: "
                        f"python cli.py ingest SOURCES --index {folder} --rebuild")


def current_generation(folder: Path) -> str | None:
    try:
        name = (folder / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name if (folder / name / "manifest.json").exists() else None


def _next_generation(folder: Path) -> str:
    numbers = [int(p.name[4:10]) for p in folder.glob("gen-[0-9][0-9][0-9][0-9][0-9][0-9]*")]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_old_generations(folder: Path, keep: str) -> None:
    for path in folder.glob("gen-*"):
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def writer_lock(folder: Path):
    """Only one writer per index folder: a second ingest is refused, never interleaved."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another ingest is writing to {folder}: wait for it to finish") from None
        yield


def _write_json(path: Path, payload) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
        _sync(fh)


def _read_json(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w") as fh:
        fh.write(text)
        _sync(fh)
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _sync(fh) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
