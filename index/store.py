"""The index on disk: FAISS vectors, JSON records and a manifest, written atomically. faiss lives here only.

Layout: DIR/CURRENT names the live generation folder DIR/gen-NNNNNN/ holding manifest.json, documents.json,
chunks.json, vectors.npy, index.faiss and the BM25 index (bm25.data.npy, bm25.indices.npy, bm25.indptr.npy,
bm25.vocab.json; index/lexical.py) and the vectors of every chunk's quotable units (units.counts.npy,
units.keys.npy, units.vectors.npy; ingest/units.py). A save writes a new generation, then swaps CURRENT with
os.replace, so a crash at any point leaves the previous generation loadable. A generation saved before BM25 was
(its manifest names no "bm25") loads too: its BM25 index is built from the chunks at first use; one without units
answers by embedding the candidate sentences at question time, as before.

Snapshots: a reader holds a shared flock on the generation folder while it opens the files (after that it needs
none: JSON is read into memory, vectors, flat indexes, BM25 arrays and units are memory-mapped, which outlives
deletion).
A writer removes an old generation only under an exclusive flock, renaming it away first, and leaves one still
being opened for the next save. A reader that finds its generation gone follows CURRENT, which has then moved on.

Damage: a CURRENT that is empty, garbage or names a missing generation, or a missing CURRENT beside complete
generations, is refused (never taken for "no index", which an ingest would build afresh over the old data), and so
is every file of a generation whose records, counts or shapes do not agree: one line naming the file and the fix.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import math
import os
import re
import shlex
import shutil
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from index import lexical
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
GENERATION_NAME = re.compile(r"gen-[0-9]{6}")  # a complete generation; staging and doomed folders carry a suffix
OPEN_ATTEMPTS = 5  # CURRENT may move on while a reader opens it; each retry follows a finished save
BM25_FILES = {name: f"bm25.{name}.npy" for name in lexical.ARRAYS} | {"vocab": "bm25.vocab.json"}
UNIT_FILES = {name: f"units.{name}.npy" for name in ("counts", "keys", "vectors")}
UNIT_KEY = np.dtype("S40")  # text_key's hex digest, as bytes


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
        self._bm25: lexical.Bm25 | None = None  # built or loaded with the generation
        self._other_bm25: lexical.Bm25 | None = None  # over the chunks read otherwise (titles), built when asked
        self.bm25_saved = False  # whether the generation read holds its BM25 index
        # The quotable units of each chunk (ingest/units.py), in the chunks' order: how many rows each chunk has, and
        # per row the text_key of the unit's text and its vector. A chunk without stored units has 0 rows.
        self.unit_counts = np.zeros(0, dtype=np.int64)
        self.unit_keys = np.zeros(0, dtype=UNIT_KEY)
        self.unit_vectors = np.zeros((0, int(config["dimension"])), dtype=np.float32)
        self._unit_offsets: np.ndarray | None = None  # chunk position -> its first row; built on first lookup

    # -- editing ---------------------------------------------------------------------------------------
    def add(self, entries: list[tuple[Document, str, list[Chunk], np.ndarray, list[str]]],
            units: dict[str, "UnitRows"] | None = None) -> None:
        """Add (document, content hash, chunks, vectors, embed keys) entries, replacing documents with the same id;
        `units` holds the unit rows of the documents that have them (by document id)."""
        self.delete({document.id for document, *_ in entries})
        rows = [(units or {}).get(document.id) or UnitRows.none(len(chunks), self.dimension)
                for document, _, chunks, *_ in entries]
        for document, doc_hash, chunks, _, embed_keys in entries:
            self.documents[document.id] = document
            self.doc_hashes[document.id] = doc_hash
            self.chunks.extend(chunks)
            self.embed_keys.extend(embed_keys)
        self.vectors = np.vstack([self.vectors, *(vectors.astype(np.float32) for *_, vectors, _ in entries)])
        self.unit_counts = np.concatenate([self.unit_counts, *(np.asarray(r.counts, dtype=np.int64) for r in rows)])
        self.unit_keys = np.concatenate([self.unit_keys, *(np.asarray(r.keys, dtype=UNIT_KEY) for r in rows)])
        self.unit_vectors = np.vstack([self.unit_vectors, *(r.vectors.astype(np.float32) for r in rows)])
        self._faiss_index = self._index_spec = self._positions = self._bm25 = self._unit_offsets = None
        self._other_bm25 = None

    def delete(self, doc_ids: set[str]) -> None:
        doc_ids = doc_ids & self.documents.keys()
        if not doc_ids:
            return
        keep = [i for i, chunk in enumerate(self.chunks) if chunk.doc_id not in doc_ids]
        kept_rows = np.repeat(np.isin(np.arange(self.count), keep), self.unit_counts)  # the kept chunks' unit rows
        self.chunks = [self.chunks[i] for i in keep]
        self.embed_keys = [self.embed_keys[i] for i in keep]
        self.vectors = self.vectors[keep]
        self.unit_counts, self.unit_keys = self.unit_counts[keep], self.unit_keys[kept_rows]
        self.unit_vectors = self.unit_vectors[kept_rows]
        for doc_id in doc_ids:
            self.documents.pop(doc_id)
            self.doc_hashes.pop(doc_id)
        self._faiss_index = self._index_spec = self._positions = self._bm25 = self._unit_offsets = None
        self._other_bm25 = None

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[self.position(chunk_id)]

    def position(self, chunk_id: str) -> int:
        self.prepare_lookups()
        return self._positions[chunk_id]

    def prepare_lookups(self) -> None:
        """Build the chunk positions and unit offsets now (readers then share them; else the first lookup does)."""
        if self._positions is None:
            self._positions = {c.id: i for i, c in enumerate(self.chunks)}
        if self._unit_offsets is None:
            self._unit_offsets = np.concatenate([[0], np.cumsum(self.unit_counts)])

    def replace_units(self, counts: np.ndarray, keys: np.ndarray, vectors) -> None:
        """Every chunk's unit rows at once: per chunk how many (`counts`), per row its key and vector; `vectors` may
        be anything indexed by row (a benchmark's view shared between copies). Where each chunk's rows start is
        worked out again on the next look-up."""
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (self.count,) or len(keys) != int(counts.sum()):
            raise ValueError(f"unit rows for {len(counts)} chunks and {len(keys)} keys do not fit {self.count} chunks "
                             f"with {int(counts.sum())} rows")
        self.unit_counts, self.unit_keys, self.unit_vectors = counts, np.asarray(keys, dtype=UNIT_KEY), vectors
        self._unit_offsets = None

    def vectors_by_key(self) -> dict[str, np.ndarray]:
        """Every stored vector by the text_key of its text: the chunks' and their units'."""
        return dict(zip(self.unit_keys.astype(str), self.unit_vectors)) | dict(zip(self.embed_keys, self.vectors))

    @property
    def dimension(self) -> int:
        return int(self.config["dimension"])

    def unit_vectors_of(self, wanted: list[tuple[str, str]]) -> list[np.ndarray | None]:
        """The stored vector of each (chunk id, unit text), or None where that chunk has no unit with that text (a
        generation saved before units were, or a unit the code of ingest/units.py no longer makes)."""
        self.prepare_lookups()
        found = []
        for chunk_id, text in wanted:
            position = self.position(chunk_id)
            first, last = self._unit_offsets[position], self._unit_offsets[position + 1]
            rows = np.flatnonzero(self.unit_keys[first:last] == text_key(self.config["embed_model"], text).encode())
            found.append(self.unit_vectors[first + rows[0]] if len(rows) else None)
        return found

    def best_unit_scores(self, keys, query_vector: np.ndarray) -> np.ndarray:
        self.prepare_lookups()
        positions = np.asarray(keys, dtype=np.int64)
        first = self._unit_offsets[positions]
        counts = self._unit_offsets[positions + 1] - first
        best = np.full(len(positions), np.nan, dtype=np.float32)
        held = counts > 0
        if held.any():
            rows = np.concatenate([np.arange(start, start + n) for start, n in zip(first[held], counts[held])])
            scores = np.asarray(self.unit_vectors[rows]) @ query_vector
            best[held] = np.maximum.reduceat(scores, np.concatenate([[0], np.cumsum(counts[held])[:-1]]))
        return best

    @property
    def count(self) -> int:
        return len(self.chunks)

    def stored_vectors(self, keys: set[str]) -> dict[str, np.ndarray]:
        return {key: vector for key, vector in self.vectors_by_key().items() if key in keys}

    def chunks_of(self, keys: list[int]) -> list[Chunk]:
        return [self.chunks[position] for position in keys]

    def chunk_counts(self) -> Counter:
        return Counter(chunk.doc_id for chunk in self.chunks)

    def vectors_of(self, keys) -> np.ndarray:
        return self.vectors[np.asarray(keys, dtype=np.int64)]

    # -- searching (index/stores.py Store: chunks are named by their positions) ---------------------------
    def dense_top(self, query_vector: np.ndarray, k: int, doc_ids: set[str] | None) -> list[tuple[int, float]]:
        allowed = self.positions_of(doc_ids)
        if allowed is None:
            return self.search(query_vector, k)
        return top_scores(self.vectors[allowed] @ query_vector, k, None, positions=allowed)

    def positions_of(self, doc_ids: set[str] | None) -> np.ndarray | None:
        """The positions of these articles' chunks; None for all."""
        if doc_ids is None:
            return None
        return np.array([i for i, c in enumerate(self.chunks) if c.doc_id in doc_ids], dtype=np.int64)

    def lexical_search(self, with_title: bool, bm25=None) -> "FaissLexical":
        """BM25 over the chunks (`bm25`: another index of them, a test's); one per search, it keeps the last
        query's scores."""
        return FaissLexical(bm25 or self.bm25_for(with_title), self)

    def bm25_for(self, with_title: bool) -> lexical.Bm25:
        """The saved BM25 index, unless titles are read otherwise than embedded: then one built for that."""
        if with_title == self.config.get("embed_title", True):
            return self.bm25
        if self._other_bm25 is None:
            self._other_bm25 = lexical.Bm25.build(self.embed_texts(with_title))
        return self._other_bm25

    def prepare_search(self, with_title: bool) -> None:
        self.bm25_for(with_title)
        self.prepare_lookups()

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
    def bm25(self) -> lexical.Bm25:
        """The BM25 index of the chunks' embed texts: the saved one, else built now (a generation saved before BM25
        was, or a store edited since it was read)."""
        if self._bm25 is None:
            self._bm25 = lexical.Bm25.build(self.embed_texts())
        return self._bm25

    def embed_texts(self, with_title: bool | None = None) -> list[str]:
        """Each chunk's text as the model reads it; with or without titles as the config says unless told."""
        with_title = self.config.get("embed_title", True) if with_title is None else with_title
        return [embed_text(self.documents[chunk.doc_id], chunk, with_title) for chunk in self.chunks]

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
                "index_params": spec, "bm25": lexical.SPEC, "documents": len(self.documents), "chunks": self.count,
                "units": len(self.unit_keys)}

    def save(self, folder: Path) -> None:
        import faiss

        problem = self._inconsistency()
        if problem:
            raise UserError(f"refusing to save an inconsistent index to {folder} ({problem}); the index there is "
                            f"unchanged")
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
        self._save_bm25(staging)
        self._save_units(staging)
        _write_json(staging / "manifest.json", self.manifest())  # written last: its presence marks completeness
        _fsync_dir(staging)
        os.rename(staging, folder / generation)
        _write_atomically(folder / "CURRENT", generation)
        _remove_old_generations(folder, keep=generation)

    def _save_bm25(self, staging: Path) -> None:
        for name, array in self.bm25.arrays().items():
            with open(staging / BM25_FILES[name], "wb") as fh:
                np.save(fh, array, allow_pickle=False)
                _sync(fh)
        _write_json(staging / BM25_FILES["vocab"], self.bm25.vocab)

    def _save_units(self, staging: Path) -> None:
        for name, array in (("counts", self.unit_counts), ("keys", self.unit_keys), ("vectors", self.unit_vectors)):
            with open(staging / UNIT_FILES[name], "wb") as fh:
                np.save(fh, array, allow_pickle=False)
                _sync(fh)

    def _inconsistency(self) -> str | None:
        """What disagrees between documents, chunks, embed keys and vectors; None when they all agree."""
        count, dimension = len(self.chunks), int(self.config["dimension"])
        if len(self.embed_keys) != count or self.vectors.shape != (count, dimension):
            return f"{count} chunks, {len(self.embed_keys)} embed keys, vectors {self.vectors.shape}"
        problem = _units_problem(self.unit_counts, self.unit_keys, self.unit_vectors, count, dimension)
        if problem:
            return problem[1]
        if self.doc_hashes.keys() != self.documents.keys():
            return "documents and their hashes differ"
        orphan = next((c.id for c in self.chunks if c.doc_id not in self.documents), None)
        if orphan is not None:
            return f"chunk {_quoted(orphan)} belongs to no document"
        if len({c.id for c in self.chunks}) != count:
            return "two chunks share an id"
        return None

    @classmethod
    def load(cls, folder: Path, expected: dict) -> "FaissStore":
        opened = _open_live_generation(folder)
        if opened is None:
            raise UserError(f"no index at {folder}: build one with: python cli.py ingest data/articles --index {folder}")
        generation, handle = opened
        try:
            return cls._read_generation(folder / generation, folder, expected)
        finally:
            os.close(handle)  # everything is read or mapped: a writer may now remove the folder

    @classmethod
    def _read_generation(cls, base: Path, folder: Path, expected: dict) -> "FaissStore":
        manifest = _read_json(base / "manifest.json", folder)
        if not isinstance(manifest, dict):
            raise _damaged(base / "manifest.json", folder, "not a JSON object")
        _check_compatible(manifest, expected, folder)
        spec = _index_spec_of(manifest, base / "manifest.json", folder)
        store = cls(expected)
        store._load_records(base, folder, manifest)
        store._load_arrays(base, folder, spec)
        if manifest.get("bm25") == lexical.SPEC:  # else saved before BM25 was, or built otherwise: built at first use
            store._load_bm25(base, folder)
        if "units" in manifest:
            store._load_units(base, folder, manifest["units"])
        else:  # saved before units were: no chunk has any, their vectors are computed at question time
            store.unit_counts = np.zeros(store.count, dtype=np.int64)
        return store

    def _load_records(self, base: Path, folder: Path, manifest: dict) -> None:
        for record in _records_of(base / "documents.json", folder, DOCUMENT_FIELDS, manifest["documents"]):
            self.doc_hashes[record["id"]] = record.pop("hash")
            self.documents[record["id"]] = Document(**record)
        _check_documents(self.documents, manifest["documents"], base / "documents.json", folder)
        for record in _records_of(base / "chunks.json", folder, CHUNK_FIELDS, manifest["chunks"]):
            self.embed_keys.append(record.pop("embed_key"))
            self.chunks.append(Chunk(**record))
        _check_chunks(self.chunks, self.documents, base / "chunks.json", folder)

    def _load_arrays(self, base: Path, folder: Path, spec: dict) -> None:
        import faiss

        # Memory-mapped, read-only: pages are read on first touch and shared between processes using this index;
        # an edit makes in-memory copies. A later save deleting these files leaves the mappings valid (POSIX).
        self.vectors = _read_index_file(base / "vectors.npy", folder,
                                        lambda path: np.load(path, mmap_mode="r", allow_pickle=False))
        shape = (self.count, int(self.config["dimension"]))
        if self.vectors.dtype != np.float32 or self.vectors.shape != shape:
            raise _damaged(base / "vectors.npy", folder,
                           f"holds {self.vectors.dtype} {self.vectors.shape}, expected float32 {shape}")
        # A flat index is mapped too (never added to: an edit builds a new one); a mapped IVF index would be written
        # back by save() as a reference to this generation's file, so it is read into memory.
        flags = faiss.IO_FLAG_MMAP_IFC if spec["type"] == "flat" else 0
        faiss_index = _read_index_file(base / "index.faiss", folder, lambda path: faiss.read_index(str(path), flags))
        _check_faiss_index(faiss_index, spec, shape, base / "index.faiss", folder)
        self._faiss_index = _set_search_params(faiss_index, spec)
        self._index_spec = spec

    def _load_bm25(self, base: Path, folder: Path) -> None:
        arrays = {name: _read_index_file(base / BM25_FILES[name], folder,
                                         lambda path: np.load(path, mmap_mode="r", allow_pickle=False))
                  for name in lexical.ARRAYS}  # mapped like the vectors
        vocab = _read_json(base / BM25_FILES["vocab"], folder)
        problem = lexical.problem(arrays, vocab, self.count)
        if problem:
            part, reason = problem
            raise _damaged(base / BM25_FILES[part], folder, reason)
        self._bm25 = lexical.Bm25(**arrays, vocab=vocab, count=self.count)
        self.bm25_saved = True

    def _load_units(self, base: Path, folder: Path, rows) -> None:
        arrays = {name: _read_index_file(base / UNIT_FILES[name], folder,
                                         lambda path: np.load(path, mmap_mode="r", allow_pickle=False))
                  for name in UNIT_FILES}  # mapped like the vectors
        if type(rows) is not int or rows < 0:
            raise _damaged(base / "manifest.json", folder, f"units {_quoted(rows)} is not a count")
        problem = _units_problem(arrays["counts"], arrays["keys"], arrays["vectors"], self.count, self.dimension, rows)
        if problem:
            part, reason = problem
            raise _damaged(base / UNIT_FILES[part], folder, reason)
        self.unit_counts, self.unit_keys, self.unit_vectors = arrays["counts"], arrays["keys"], arrays["vectors"]


@dataclasses.dataclass(frozen=True)
class UnitRows:
    """One document's unit rows: per chunk how many, per row the text_key of the unit's text and its vector."""
    counts: list[int]
    keys: list[str]
    vectors: np.ndarray

    @classmethod
    def none(cls, chunks: int, dimension: int) -> "UnitRows":
        return cls([0] * chunks, [], np.zeros((0, dimension), dtype=np.float32))


def _units_problem(counts: np.ndarray, keys: np.ndarray, vectors: np.ndarray, chunks: int, dimension: int,
                   rows: int | None = None) -> tuple[str, str] | None:
    """(which units file, what is wrong) when the unit rows disagree with themselves, with the chunks or with the
    manifest's count of `rows`."""
    if counts.dtype != np.int64 or counts.shape != (chunks,) or (chunks and counts.min() < 0):
        return "counts", f"holds {counts.dtype} {counts.shape}, expected {chunks} counts of int64"
    if rows is not None and int(counts.sum()) != rows:
        return "counts", f"counts {int(counts.sum())} rows where the manifest says {rows}"
    rows = int(counts.sum())
    if keys.dtype != UNIT_KEY or keys.shape != (rows,):
        return "keys", f"holds {keys.dtype} {keys.shape}, expected {rows} keys of {UNIT_KEY}"
    if vectors.dtype != np.float32 or vectors.shape != (rows, dimension):
        return "vectors", f"holds {vectors.dtype} {vectors.shape}, expected float32 {(rows, dimension)}"
    return None


def text_key(model: str, text: str) -> str:
    """What a vector is stored under: the model and the exact text embedded, so equal texts share one."""
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


def embed_text(document: Document, chunk: Chunk, with_title: bool) -> str:
    """What the model reads for a chunk, and BM25 indexes: the article title, with the site's name the shown title
    no longer carries ("Macros - The Rust Programming Language"), gives an otherwise context-free passage its topic.
    The chunk's heading path is not added: measured on git-html and latex-pdf it left recall@5 unchanged and lowered
    MRR (docs/benchmarks.md)."""
    return f"{_title_with_site(document)}\n{chunk.text}" if with_title else chunk.text


def _title_with_site(document: Document) -> str:
    site = document.metadata.get("site", "")
    return f"{document.title} - {site}" if site and site.casefold() not in document.title.casefold() else document.title


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


def top_scores(scores: np.ndarray, k: int, allowed: np.ndarray | None, positions: np.ndarray | None = None):
    """Best k (position, score) pairs; `positions` maps score indices back to chunk positions."""
    if allowed is not None and positions is None:
        scores, positions = scores[allowed], allowed
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    best = best[np.argsort(-scores[best], kind="stable")]
    ids = best if positions is None else positions[best]
    return [(int(i), float(scores[j])) for i, j in zip(ids, best)]


class FaissLexical:
    """index/stores.py LexicalSearch over a FaissStore's BM25 arrays; the query's scores are computed once."""

    def __init__(self, bm25, store: FaissStore):
        self.bm25, self.store = bm25, store
        self._scored: tuple[str, np.ndarray] | None = None

    def scores(self, query: str) -> np.ndarray:
        if self._scored is None or self._scored[0] != query:
            self._scored = query, self.bm25.scores(query)
        return self._scored[1]

    def top(self, query: str, k: int, doc_ids: set[str] | None) -> list[tuple[int, float]]:
        return top_scores(self.scores(query), k, self.store.positions_of(doc_ids))

    def scores_of(self, query: str, keys) -> np.ndarray:
        return self.scores(query)[np.asarray(keys, dtype=np.int64)]

    def holds(self, word: str) -> bool:
        return self.bm25.holds(word)


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


# -- checking what is read: any file of a generation may have been damaged or tampered with ------------------------

_JSON_TYPES = {"str": str, "int": int, "dict": dict, "list": list}


def _json_fields(record_type, **extra: type) -> dict[str, type]:
    """A record's fields and their JSON types as save() writes them: the schema's fields plus the store's own."""
    return {f.name: _JSON_TYPES[f.type] for f in dataclasses.fields(record_type)} | extra


DOCUMENT_FIELDS = _json_fields(Document, hash=str)
CHUNK_FIELDS = _json_fields(Chunk, embed_key=str)


def _damaged(path: Path, folder: Path, reason: str) -> UserError:
    return UserError(f"cannot read {path}: {_one_line(reason)}; rebuild the index with: python cli.py ingest "
                     f"SOURCES --index {folder} --rebuild")


def _one_line(text: str) -> str:
    return (text.strip().splitlines() or ["unreadable"])[0][:200]


def _quoted(value) -> str:
    """A value from a file, safe to show on one line: repr escapes newlines and control characters."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _read_index_file(path: Path, folder: Path, read):
    """Read one binary file of the index; a damaged or tampered one (a pickle, say) is refused in one line."""
    try:
        return read(path)
    except (ValueError, OSError, RuntimeError) as exc:
        raise _damaged(path, folder, str(exc) or exc.__class__.__name__) from None


def _records_of(path: Path, folder: Path, fields: dict[str, type], count: int) -> list[dict]:
    """The records of a JSON list file, each with exactly `fields` of their types; `count` of them."""
    records = _read_json(path, folder)
    if not isinstance(records, list):
        raise _damaged(path, folder, "not a JSON list")
    if len(records) != count:
        raise _damaged(path, folder, f"{len(records)} records where the manifest says {count}")
    names, types = fields.keys(), tuple(fields.values())
    for n, record in enumerate(records, 1):
        # fast path: the fields in the order save() writes them; otherwise say exactly what is wrong, if anything
        if type(record) is dict and tuple(map(type, record.values())) == types and record.keys() == names:
            continue
        problem = _record_problem(record, fields)
        if problem:
            raise _damaged(path, folder, f"record {n} {problem}")
    return records


def _record_problem(record, fields: dict[str, type]) -> str | None:
    if not isinstance(record, dict):
        return "is not a JSON object"
    if missing := fields.keys() - record.keys():
        return f"lacks the field {_quoted(min(missing))}"
    if unknown := record.keys() - fields.keys():
        return f"has an unknown field {_quoted(min(unknown))}"
    for name, kind in fields.items():
        if type(record[name]) is not kind:  # exact: JSON true is not an int here
            return f"has {name} of type {type(record[name]).__name__}, not {kind.__name__}"
    return None


def _check_documents(documents: dict[str, Document], count: int, path: Path, folder: Path) -> None:
    if len(documents) != count:
        raise _damaged(path, folder, "two records share an id")
    for document in documents.values():
        problem = _document_problem(document)
        if problem:
            raise _damaged(path, folder, f"document {_quoted(document.id)} {problem}")


def _document_problem(document: Document) -> str | None:
    if not all(type(value) is str for value in document.metadata.values()):
        return "has metadata that is not text"
    for block in document.blocks:  # [start, end, kind, section] within the text (ingest.structure)
        if not (type(block) is list and list(map(type, block)) == [int, int, str, str]
                and 0 <= block[0] <= block[1] <= len(document.text)):
            return f"has a malformed block {_quoted(block)}"
    return None


def _check_chunks(chunks: list[Chunk], documents: dict[str, Document], path: Path, folder: Path) -> None:
    if len({chunk.id for chunk in chunks}) != len(chunks):
        raise _damaged(path, folder, "two records share an id")
    for chunk in chunks:
        document = documents.get(chunk.doc_id)
        if document is None:
            problem = f"belongs to document {_quoted(chunk.doc_id)}, which documents.json lacks"
        elif not 0 <= chunk.start <= chunk.end <= len(document.text) \
                or document.text[chunk.start:chunk.end] != chunk.text:
            problem = f"differs from its document's text at {chunk.start}-{chunk.end}"
        else:
            continue
        raise _damaged(path, folder, f"chunk {_quoted(chunk.id)} {problem}")


def _index_spec_of(manifest: dict, path: Path, folder: Path) -> dict:
    """The index spec the manifest records (older manifests name none: flat), if it is one save() writes."""
    kind, params = manifest.get("index_type", "flat"), manifest.get("index_params", {})
    if not all(type(manifest.get(key)) is int and manifest[key] >= 0 for key in ("documents", "chunks")):
        reason = "its documents and chunks are not counts"
    elif kind == "flat" and params == {}:
        return {"type": "flat"}
    elif kind == "ivf" and isinstance(params, dict) and params.keys() == {"nlist", "nprobe"} \
            and all(type(value) is int and value > 0 for value in params.values()):
        return {"type": "ivf", **params}
    else:
        reason = f"index_type {_quoted(kind)} with index_params {_quoted(params)} is not an index this program builds"
    raise _damaged(path, folder, reason)


def _check_faiss_index(index, spec: dict, shape: tuple[int, int], path: Path, folder: Path) -> None:
    import faiss

    kind = faiss.IndexIVFFlat if spec["type"] == "ivf" else faiss.IndexFlatIP
    if not isinstance(index, kind):
        reason = f"holds a {type(index).__name__} where the manifest says {spec['type']}"
    elif index.metric_type != faiss.METRIC_INNER_PRODUCT or (index.ntotal, index.d) != shape:
        reason = f"holds {index.ntotal} vectors of dimension {index.d}, expected {shape[0]} of {shape[1]}"
    elif spec["type"] == "ivf" and index.nlist != spec["nlist"]:
        reason = f"has {index.nlist} lists where the manifest says {spec['nlist']}"
    else:
        return
    raise _damaged(path, folder, reason)


# -- generations: which one is live, opening it for reading, removing old ones -------------------------------------

def current_generation(folder: Path) -> str | None:
    """The live generation's name; None when there is no index at all. A damaged CURRENT raises UserError."""
    opened = _open_live_generation(folder)
    if opened is None:
        return None
    name, handle = opened
    os.close(handle)
    return name


def _open_live_generation(folder: Path) -> tuple[str, int] | None:
    """The live generation's name and its folder opened with a shared lock: while the lock is held no writer
    removes the generation. None when there is no index."""
    for _ in range(OPEN_ATTEMPTS):
        name = _read_current(folder)
        if name is None:
            return None
        handle = _lock_generation(folder / name)
        if handle is not None:
            return name, handle
        if _read_current(folder) == name:  # not a save racing us: CURRENT names a generation that is not there
            raise _damaged_current(folder, f"names {name}, which is missing or incomplete")
    raise UserError(f"the index at {folder} changed {OPEN_ATTEMPTS} times while it was being opened: try again")


def _read_current(folder: Path) -> str | None:
    try:
        with open(folder / "CURRENT", "rb") as handle:
            text = handle.read(64).decode("ascii", "replace").strip()
    except FileNotFoundError:
        if _complete_generations(folder):  # CURRENT lost, not an index never built: an ingest must not start anew
            raise _damaged_current(folder, "is missing") from None
        return None
    except OSError as exc:
        raise _damaged_current(folder, f"cannot be read ({exc.strerror})") from None
    if not GENERATION_NAME.fullmatch(text):
        raise _damaged_current(folder, f"does not name a generation ({_quoted(text)})" if text else "is empty")
    return text


def _damaged_current(folder: Path, problem: str) -> UserError:
    current = folder / "CURRENT"
    newest = max(_complete_generations(folder), default=None)
    restore = f"restore it with: echo {newest} > {shlex.quote(str(current))}, or " if newest else ""
    return UserError(f"the index at {folder} is damaged: {current} {problem}; {restore}rebuild it with: "
                     f"python cli.py ingest SOURCES --index {folder} --rebuild")


def _complete_generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("gen-*")
                  if GENERATION_NAME.fullmatch(p.name) and (p / "manifest.json").is_file())


def _lock_generation(path: Path) -> int | None:
    """The generation folder opened and share-locked, or None if it is gone (or going) or incomplete."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
        # a writer renames a generation away, under an exclusive lock, before deleting it
        if os.path.samestat(os.fstat(handle), os.stat(path)) and (path / "manifest.json").is_file():
            return handle
    except FileNotFoundError:
        pass
    os.close(handle)
    return None


def _next_generation(folder: Path) -> str:
    numbers = [int(p.name[4:10]) for p in folder.glob("gen-[0-9][0-9][0-9][0-9][0-9][0-9]*")]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_old_generations(folder: Path, keep: str) -> None:
    """Remove every generation but `keep`, and leftovers of crashed saves; one a reader is opening stays for the
    next save to remove."""
    for path in folder.glob("gen-*"):
        if path.name != keep:
            _remove_unless_opened(path)


def _remove_unless_opened(path: Path) -> None:
    if GENERATION_NAME.fullmatch(path.name):  # readers may be opening it: take it out of their reach first
        try:
            handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            doomed = path.with_name(f"{path.name}.removing")
            os.rename(path, doomed)
        except OSError:  # BlockingIOError: a reader holds it
            return
        finally:
            os.close(handle)
        path = doomed
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
        _remove_leftovers(folder)
        yield


def _remove_leftovers(folder: Path) -> None:
    """Generations a writer killed while removing them left behind: gone even if this writer saves nothing. A
    damaged CURRENT is left for the writer to report (or --rebuild to replace)."""
    try:
        live = current_generation(folder)
    except UserError:
        return
    if live:
        _remove_old_generations(folder, keep=live)


def _write_json(path: Path, payload) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
        _sync(fh)


def _read_json(path: Path, folder: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except RecursionError:
        raise _damaged(path, folder, "JSON nested too deeply") from None
    except (OSError, ValueError) as exc:  # ValueError: invalid JSON, invalid UTF-8, a number too long to read
        raise _damaged(path, folder, str(exc) or exc.__class__.__name__) from None


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
