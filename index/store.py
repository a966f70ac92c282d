"""The index on disk: FAISS vectors, JSON records and a manifest, written atomically. faiss lives here only.

Layout: DIR/CURRENT names the live generation folder DIR/gen-NNNNNN/ holding manifest.json, documents.json,
chunks.json, vectors.npy and index.faiss. A save writes a new generation, then swaps CURRENT with os.replace,
so a crash at any point leaves the previous generation loadable.
"""
from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from schema import Chunk, Document, UserError

SCHEMA_VERSION = 2  # 2: path-based ids, document blocks, chunk sections
# Index choice, measured on 2 cores (docs/benchmarks.md): exact search up to FLAT_LIMIT chunks, then IVF-Flat with
# about 2*sqrt(N) lists, probing enough of them for recall@10 >= 0.95 against exact search. HNSW searches as fast but
# took minutes per 100k vectors to build here; IVF trains on a sample in seconds.
FLAT_LIMIT = 50_000
IVF_MIN_PROBES, IVF_PROBE_DIVISOR = 32, 16  # lists searched: at least 32, or 1/16 of them
IVF_TRAIN_PER_LIST = 40  # k-means training sample per list (faiss wants at least 39)
SEARCH_THREADS = 1  # one query at a time: a second OpenMP thread only contends with the embedder's threads
ADD_BLOCK = 65_536  # vectors copied into the index per call, so a memory-mapped array is never copied whole


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
        self._index_spec: dict | None = None  # {"type": ..., parameters}: of the index built or loaded
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
        self._faiss_index = self._index_spec = self._positions = None

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
        self._faiss_index = self._index_spec = self._positions = None

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
        return search_index(self.faiss_index, query_vector, min(k, self.count))

    @property
    def faiss_index(self):
        if self._faiss_index is None:
            self._index_spec = choose_index(self.count)
            self._faiss_index = build_faiss_index(self.vectors, self._index_spec)
        return self._faiss_index

    @property
    def index_spec(self) -> dict:
        """{"type": "flat"} or {"type": "ivf", "nlist": ..., "nprobe": ...}: the index searched now."""
        self.faiss_index  # noqa: B018 - builds it (and so its spec) if needed
        return dict(self._index_spec)

    @property
    def index_type(self) -> str:
        return self.index_spec["type"]

    # -- disk ------------------------------------------------------------------------------------------
    def manifest(self) -> dict:
        spec = self.index_spec
        return {**self.config, "schema_version": SCHEMA_VERSION, "index_type": spec.pop("type"),
                "index_params": spec, "documents": len(self.documents), "chunks": self.count}

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
        # Memory-mapped, read-only: pages are read on first touch and shared between processes using this index;
        # an edit makes in-memory copies. A later save deleting these files leaves the mappings valid (POSIX).
        store.vectors = _read_index_file(base / "vectors.npy", folder,
                                         lambda path: np.load(path, mmap_mode="r", allow_pickle=False))
        # A flat index is mapped too (never added to: an edit builds a new one); a mapped IVF index would be written
        # back by save() as a reference to this generation's file, so it is read into memory.
        spec = {"type": manifest.get("index_type", "flat"), **manifest.get("index_params", {})}
        flags = faiss.IO_FLAG_MMAP_IFC if spec["type"] == "flat" else 0
        faiss_index = _read_index_file(base / "index.faiss", folder, lambda path: faiss.read_index(str(path), flags))
        store._faiss_index = _set_search_params(faiss_index, spec)
        store._index_spec = spec
        expected_shape = (len(store.chunks), int(expected["dimension"]))
        if store.vectors.shape != expected_shape or faiss_index.ntotal != len(store.chunks):
            raise UserError(f"the index at {folder} is inconsistent (vectors {store.vectors.shape}, "
                            f"{len(store.chunks)} chunks): rebuild it with: python cli.py ingest SOURCES "
                            f"--index {folder} --rebuild")
        return store


def choose_index(count: int) -> dict:
    """The FAISS index for `count` chunks: exact (flat) up to FLAT_LIMIT, above it IVF-Flat."""
    return {"type": "flat"} if count <= FLAT_LIMIT else ivf_spec(count)


def ivf_spec(count: int) -> dict:
    nlist = 2 ** round(math.log2(2 * math.sqrt(count)))  # 512 lists at 100k chunks, 2048 at 1M
    return {"type": "ivf", "nlist": nlist, "nprobe": max(IVF_MIN_PROBES, nlist // IVF_PROBE_DIVISOR)}


def search_index(index, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(position, score) pairs, best first, from one query."""
    with _omp_threads(SEARCH_THREADS):
        scores, ids = index.search(query_vector.reshape(1, -1).astype(np.float32), k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def build_faiss_index(vectors: np.ndarray, spec: dict):
    import faiss

    dimension = vectors.shape[1]
    if spec["type"] == "ivf":
        index = faiss.index_factory(dimension, f"IVF{spec['nlist']},Flat", faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), IVF_TRAIN_PER_LIST * spec["nlist"]),
                                                 replace=False)
        index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    elif spec["type"] == "flat":
        index = faiss.IndexFlatIP(dimension)
    else:
        raise ValueError(f"unknown index type {spec['type']!r}")
    for start in range(0, len(vectors), ADD_BLOCK):
        index.add(np.ascontiguousarray(vectors[start:start + ADD_BLOCK], dtype=np.float32))
    return _set_search_params(index, spec)


def _set_search_params(index, spec: dict):
    if spec["type"] == "ivf":
        index.nprobe = spec["nprobe"]
    return index


@contextmanager
def _omp_threads(count: int):
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


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


def _read_index_file(path: Path, folder: Path, read):
    """Read one binary file of the index; a damaged or tampered one (a pickle, say) is refused in one line."""
    try:
        return read(path)
    except (ValueError, OSError, RuntimeError) as exc:
        reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]
        raise UserError(f"cannot read {path}: {reason}; rebuild the index with: python cli.py ingest SOURCES "
                        f"--index {folder} --rebuild") from None


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
