"""The index in Milvus (`RAGQA_STORE=milvus`): the same records as the FAISS folder, kept in three collections, so
that several app processes can serve one index and an ingest edits it by document. pymilvus lives here only.

`RAGQA_MILVUS_URI` is a `.db` file (Milvus Lite, in this process: one process per file) or `http(s)://host:19530` (a
Milvus server or cluster, Zilliz Cloud), `RAGQA_MILVUS_TOKEN` its secret. The collections, named after
`RAGQA_MILVUS_COLLECTION` (default `ragqa`):

- `ragqa_chunks`: one row per chunk: its record (id, doc_id, index, offsets, section, text), the key of its embedded
  text, its vector (FLAT, inner product = cosine) and its BM25 terms: the embed text as index/lexical.py reads it
  (stop words dropped, words stemmed, by bm25s) on an analyzed field feeding a BM25 Function, so Milvus scores the
  terms the FAISS store's BM25 scores;
- `ragqa_units`: one row per quotable unit (ingest/units.py): chunk, document, text key and vector, named
  "{chunk id}@{text key}" so an answer reads its candidates' vectors by id;
- `ragqa_records`: each document as JSON (with its content hash and chunk count) cut into parts that fit a VARCHAR,
  and two rows of the store itself: its config (model, dimension, chunking, titles: checked on open as the FAISS
  manifest is) and its revision, changed by every save, which readers compare to reopen (`live_revision`).

Dense search, BM25 search and article filters run in Milvus; fusion, evidence and citations stay in the client
(index/search.py, qa/). Milvus Lite returns a BM25 score negated (its "distance"); a BM25 score is never negative,
so the client reads its magnitude, and hybrid search min-max normalises it as it does the FAISS store's.

Consistency: every collection is created with consistency level Strong, so a search sees every write acknowledged
before it (an ingest's own reads, and readers that reopen on a new revision, never miss a document). It costs a wait
for the latest timestamp on a server; Bounded would be faster and could miss an ingest's last seconds.

Edits go to Milvus as they are made, a batch of documents at a time (a changed document: its chunks upserted, its
surplus chunks, units and record parts deleted and rewritten; one delete by filter per collection and batch, none
into collections the store itself created and has not written that document to); `save` then flushes and changes
the revision. Unlike a FAISS generation, a reader may see an ingest half done, one batch at a time; `--rebuild`
drops the collections at once.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict

import numpy as np

from index import lexical
from index.store import UnitRows, embed_text, text_key
from ingest.fetch import public_url
from ingest.units import unit_texts
from schema import Chunk, Document, UserError

CONSISTENCY = "Strong"
PART_CHARS = 16_000  # a record part: at most 64,000 bytes of UTF-8, within a VARCHAR's 65,535
ID_BYTES = 2_048
TEXT_BYTES = 65_535
BATCH = 500  # keys per "in" filter, documents per write
WRITE_ROWS = 2_000  # rows per insert or upsert call
BM25_PARAMS = {"bm25_k1": lexical.SPEC["k1"], "bm25_b": lexical.SPEC["b"]}
CHECKED_KEYS = ("embed_model", "dimension", "chunk_tokens", "chunk_overlap", "embed_title")
CONFIG_ID, REVISION_ID = "@config", "@revision"  # rows of ragqa_records that are no document (their doc_id is "")
# A unit row is named "{chunk id}@{text key}", so an answer reads its sentences' vectors by id (a point read; any other
# filter reads every row in Milvus Lite). The config row of collections created so says it; older ones named unit rows
# "{chunk id}@{row number}" and are read by chunk id.
UNIT_IDS = "chunk@key"
INSTALL = "pip install -r requirements-scale.txt"

_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()


def client_for(settings):
    """One MilvusClient per URI and token in this process (a Milvus Lite file may be opened once)."""
    key = (settings.milvus_uri, settings.milvus_token)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = _connect(settings)
        return _clients[key]


def forget_clients() -> None:
    """Close every client this process opened (tests: a Milvus Lite file is then free again)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def _connect(settings):
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise UserError(f"RAGQA_STORE=milvus needs the package pymilvus: {INSTALL}") from None
    local = not settings.milvus_uri.startswith(("http://", "https://"))
    if local:
        try:
            import milvus_lite  # noqa: F401 - pymilvus runs a .db file through it
        except ImportError:
            raise UserError(f"RAGQA_MILVUS_URI names a Milvus Lite file, which needs the package milvus-lite: "
                            f"{INSTALL}") from None
        from pathlib import Path

        Path(settings.milvus_uri).parent.mkdir(parents=True, exist_ok=True)
        # Milvus Lite lacks the call that gives a query iterator its snapshot time; the iterator says so on every
        # open (one warning line per command) and uses the client's time, which is right in one process
        logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
    # pymilvus logs every failed call with its traceback before raising it; the raised error is shown, in one line
    logging.getLogger("pymilvus.decorators").setLevel(logging.CRITICAL)
    where = settings.milvus_uri if local else public_url(settings.milvus_uri)  # a URL may hold a password
    try:
        client = MilvusClient(uri=settings.milvus_uri, token=settings.milvus_token)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the user's to fix
        raise UserError(f"cannot open Milvus at {where}: {_reason(exc, settings.milvus_token)}") from None
    return Guarded(client, where, settings.milvus_token)


def _reason(exc: Exception, secret: str = "") -> str:
    text = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    line = (text.strip().splitlines() or ["unknown error"])[0][:200]
    return line.replace(secret, "***") if secret else line


class Guarded:
    """A pymilvus object (the client, a query iterator it returns) whose failures are UserError: one line naming
    the URI (never the token) and the reason, instead of pymilvus' traceback."""

    def __init__(self, target, where: str, secret: str):
        self._target, self._where, self._secret = target, where, secret

    def __getattr__(self, name: str):
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            from pymilvus.exceptions import MilvusException

            try:
                result = attribute(*args, **kwargs)
            except (MilvusException, ConnectionError) as exc:
                raise UserError(f"Milvus at {self._where} failed ({name}): {_reason(exc, self._secret)}") from None
            return Guarded(result, self._where, self._secret) if name == "query_iterator" else result
        return call


def literal(text: str) -> str:
    """A Milvus filter's string literal for any text (ids come from file paths and records)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def one_of(field: str, values) -> str:
    return f"{field} in [{', '.join(literal(value) for value in values)}]"


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _document_batches(entries: list):
    """Entries in batches of about WRITE_ROWS chunks and at most BATCH documents (the ids one filter names)."""
    batch, rows = [], 0
    for entry in entries:
        batch.append(entry)
        rows += len(entry[2])
        if rows >= WRITE_ROWS or len(batch) >= BATCH:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _unit_rows(doc_id: str, chunks: list[Chunk], rows: UnitRows) -> list[dict]:
    owners = [chunk.id for chunk, count in zip(chunks, rows.counts) for _ in range(count)]
    return [{"id": f"{owner}@{key}", "chunk_id": owner, "doc_id": doc_id, "key": key,
             "vector": vector.astype(np.float32)} for owner, key, vector in zip(owners, rows.keys, rows.vectors)]


class Names:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.chunks, self.units, self.records = f"{prefix}_chunks", f"{prefix}_units", f"{prefix}_records"

    def all(self) -> tuple[str, str, str]:
        return self.chunks, self.units, self.records


def live_revision(settings) -> str | None:
    """The store's revision (changed by every save); None when the collections do not exist."""
    client, names = client_for(settings), Names(settings.milvus_collection)
    if not client.has_collection(names.records):
        return None
    client.load_collection(names.records)
    rows = client.query(names.records, filter=f"id == {literal(REVISION_ID)}", output_fields=["payload"])
    return rows[0]["payload"] if rows else None


class MilvusStore:
    """index/stores.py Store over Milvus: chunks are named by their ids."""

    bm25_saved = True  # Milvus keeps the BM25 index itself

    def __init__(self, client, names: Names, config: dict):
        self.client, self.names, self.config = client, names, dict(config)
        self.documents: dict[str, Document] = {}
        self.doc_hashes: dict[str, str] = {}
        self._chunk_counts: Counter = Counter()
        self._created = False  # whether this store created the collections: then only it wrote rows there
        self._units_by_id = False  # whether every unit row is named by its chunk and text key (UNIT_IDS)

    # -- opening ---------------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings, config: dict) -> "MilvusStore":
        store = cls(client_for(settings), Names(settings.milvus_collection), config)
        if not store.client.has_collection(store.names.records):
            raise UserError(f"no index in Milvus collection {settings.milvus_collection}: build one with: "
                            f"python cli.py ingest data/articles")
        for name in store.names.all():
            store.client.load_collection(name)
        store._check_config(settings.milvus_collection)
        store._read_documents()
        return store

    @classmethod
    def create(cls, settings, config: dict) -> "MilvusStore":
        """Empty collections for a new index; existing ones of that name are dropped (--rebuild)."""
        store = cls(client_for(settings), Names(settings.milvus_collection), config)
        for name in store.names.all():
            if store.client.has_collection(name):
                store.client.drop_collection(name)
        store._create_collections()
        store._created = store._units_by_id = True
        config = json.dumps({**store.config, "unit_ids": UNIT_IDS})
        store.client.insert(store.names.records, [store._record_row(CONFIG_ID, "", 0, config)])
        return store

    def _check_config(self, collection: str) -> None:
        rows = self.client.query(self.names.records, filter=f"id == {literal(CONFIG_ID)}", output_fields=["payload"])
        built = json.loads(rows[0]["payload"]) if rows else {}
        self._units_by_id = built.get("unit_ids") == UNIT_IDS
        differences = [f"{key} {built.get(key)!r} (now {self.config.get(key)!r})"
                       for key in CHECKED_KEYS if built.get(key) != self.config.get(key)]
        if differences:
            raise UserError(f"the index in Milvus collection {collection} was built with {', '.join(differences)}: "
                            f"rebuild it with: python cli.py ingest SOURCES --rebuild")

    def _read_documents(self) -> None:
        parts: dict[str, list[tuple[int, str]]] = {}
        for row in self._every(self.names.records, 'doc_id != ""', ["doc_id", "part", "payload"]):
            parts.setdefault(row["doc_id"], []).append((row["part"], row["payload"]))
        broken = []
        for doc_id, pieces in parts.items():
            try:
                record = json.loads("".join(payload for _, payload in sorted(pieces)))
                doc_hash, chunks, document = record.pop("hash"), record.pop("chunks"), Document(**record)
            except (ValueError, TypeError, KeyError):  # parts missing: an ingest stopped while writing them
                broken.append(doc_id)
                continue
            self.doc_hashes[doc_id], self._chunk_counts[doc_id], self.documents[doc_id] = doc_hash, chunks, document
        if broken:  # left out like an article whose record was never written: the next ingest writes it again
            print(f"warning: {len(broken)} article(s) left out of Milvus collection {self.names.prefix}, their "
                  f"records cut short by an ingest that stopped ({', '.join(sorted(broken)[:3])}): ingest them again",
                  file=sys.stderr)

    def _every(self, collection: str, expression: str, fields: list[str]):
        iterator = self.client.query_iterator(collection, batch_size=BATCH, filter=expression, output_fields=fields)
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    def _create_collections(self) -> None:
        from pymilvus import DataType, Function, FunctionType

        dimension = int(self.config["dimension"])
        chunks = self._schema()
        for name, kind, size in (("doc_id", DataType.VARCHAR, ID_BYTES), ("index", DataType.INT64, None),
                                 ("start", DataType.INT64, None), ("end", DataType.INT64, None),
                                 ("section", DataType.VARCHAR, TEXT_BYTES), ("text", DataType.VARCHAR, TEXT_BYTES),
                                 ("embed_key", DataType.VARCHAR, 64)):
            chunks.add_field(name, kind, **({"max_length": size} if size else {}))
        chunks.add_field("terms", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})  # terms come stemmed: only split them
        chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        chunks.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        indexes = self.client.prepare_index_params()
        indexes.add_index("vector", index_type="FLAT", metric_type="IP")
        indexes.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        self._create(self.names.chunks, chunks, indexes)
        units = self._schema()
        units.add_field("chunk_id", DataType.VARCHAR, max_length=ID_BYTES)
        units.add_field("doc_id", DataType.VARCHAR, max_length=ID_BYTES)
        units.add_field("key", DataType.VARCHAR, max_length=64)
        units.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        self._create(self.names.units, units, self._vector_index())
        records = self._schema()
        records.add_field("doc_id", DataType.VARCHAR, max_length=ID_BYTES)
        records.add_field("part", DataType.INT64)
        records.add_field("payload", DataType.VARCHAR, max_length=TEXT_BYTES)
        records.add_field("vector", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants one; never searched
        self._create(self.names.records, records, self._vector_index())

    def _schema(self):
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_BYTES)
        return schema

    def _vector_index(self):
        indexes = self.client.prepare_index_params()
        indexes.add_index("vector", index_type="FLAT", metric_type="IP")
        return indexes

    def _create(self, name: str, schema, indexes) -> None:
        self.client.create_collection(name, schema=schema, index_params=indexes, consistency_level=CONSISTENCY)

    # -- editing ---------------------------------------------------------------------------------------
    def add(self, entries, units: dict[str, UnitRows] | None = None) -> None:
        """Documents replaced in Milvus a batch at a time (a delete by filter reads the whole collection in Milvus
        Lite, so one per batch and collection, never one per document): their chunks upserted, the old surplus
        chunks, units and record parts deleted, the new units and record parts inserted."""
        for batch in _document_batches(entries):
            self._write_batch(batch, units or {})

    def _write_batch(self, batch, units: dict[str, UnitRows]) -> None:
        held = {document.id: len(chunks) for document, _, chunks, *_ in batch if self._may_hold(document.id)}
        self._write(self.names.chunks, self._chunk_rows(batch), set(held))
        if held:
            self.client.delete(self.names.chunks, filter=" or ".join(
                f"(doc_id == {literal(doc_id)} and index >= {count})" for doc_id, count in held.items()))
            self.client.delete(self.names.units, filter=one_of("doc_id", held))
            self.client.delete(self.names.records, filter=one_of("doc_id", held))
        # the records right after their deletion (the articles are out of the listing only between the two calls),
        # then the sentence vectors, which a question embeds itself while they are missing
        self._write(self.names.records, [row for document, doc_hash, chunks, *_ in batch
                                         for row in self._record_rows(document, doc_hash, len(chunks))])
        self._write(self.names.units, [row for document, _, chunks, *_ in batch if document.id in units
                                       for row in _unit_rows(document.id, chunks, units[document.id])])
        for document, doc_hash, chunks, *_ in batch:
            self.documents[document.id], self.doc_hashes[document.id] = document, doc_hash
            self._chunk_counts[document.id] = len(chunks)

    def _may_hold(self, doc_id: str) -> bool:
        """Whether Milvus may hold rows of this document: one this store wrote, or any in collections it did not
        create (an ingest that stopped half way leaves chunks of a document whose record it never wrote)."""
        return not self._created or doc_id in self.documents

    def _write(self, collection: str, rows: list[dict], replacing: set[str] = frozenset()) -> None:
        """Rows of documents in `replacing` upserted (their old versions replaced in place), the others inserted."""
        for batch in _batches([row for row in rows if row["doc_id"] in replacing], WRITE_ROWS):
            self.client.upsert(collection, batch)
        for batch in _batches([row for row in rows if row["doc_id"] not in replacing], WRITE_ROWS):
            self.client.insert(collection, batch)

    def _chunk_rows(self, batch) -> list[dict]:
        """The rows of these entries' chunks; their BM25 terms cut in one call (bm25s is slow to start)."""
        with_title = self.config.get("embed_title", True)
        texts = [embed_text(document, chunk, with_title) for document, _, chunks, *_ in batch for chunk in chunks]
        chunks = [(chunk, key, vector) for _, _, chunks, vectors, keys in batch
                  for chunk, key, vector in zip(chunks, keys, vectors)]
        return [{**asdict(chunk), "embed_key": key, "terms": " ".join(words), "vector": vector.astype(np.float32)}
                for (chunk, key, vector), words in zip(chunks, lexical.terms(texts))]

    def _record_rows(self, document: Document, doc_hash: str, chunks: int) -> list[dict]:
        payload = json.dumps({**asdict(document), "hash": doc_hash, "chunks": chunks}, ensure_ascii=False)
        parts = [payload[start:start + PART_CHARS] for start in range(0, len(payload), PART_CHARS)]
        return [self._record_row(f"{document.id}@{n}", document.id, n, part) for n, part in enumerate(parts)]

    @staticmethod
    def _record_row(row_id: str, doc_id: str, part: int, payload: str) -> dict:
        return {"id": row_id, "doc_id": doc_id, "part": part, "payload": payload, "vector": [0.0, 0.0]}

    def delete(self, doc_ids: set[str]) -> None:
        doc_ids = sorted(doc_ids & self.documents.keys())
        for batch in _batches(doc_ids):
            for name in self.names.all():
                self.client.delete(name, filter=one_of("doc_id", batch))
        for doc_id in doc_ids:
            self.documents.pop(doc_id), self.doc_hashes.pop(doc_id), self._chunk_counts.pop(doc_id, None)

    def save(self, folder=None) -> None:
        """The edits are in Milvus already: a new revision tells readers to reopen (`folder` is the FAISS
        store's)."""
        revision = f"rev-{time.time_ns()}"
        self.client.upsert(self.names.records, [self._record_row(REVISION_ID, "", 0, revision)])
        for name in self.names.all():
            self.client.flush(name)

    def stored_vectors(self, keys: set[str]) -> dict[str, np.ndarray]:
        found = {}
        for batch in _batches(sorted(keys)):
            for row in self._query(self.names.units, one_of("key", batch), ["key", "vector"]):
                found[row["key"]] = row["vector"]
            for row in self._query(self.names.chunks, one_of("embed_key", batch), ["embed_key", "vector"]):
                found[row["embed_key"]] = row["vector"]
        return found

    # -- reading ---------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return sum(self._chunk_counts.values())

    def chunk_counts(self) -> Counter:
        return Counter(self._chunk_counts)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks_of([chunk_id])[0]

    def chunks_of(self, keys) -> list[Chunk]:
        fields = [f.name for f in dataclasses.fields(Chunk)]
        rows = self._by_id(self.names.chunks, list(keys), fields)
        return [Chunk(**{name: rows[key][name] for name in fields}) for key in keys]

    def vectors_of(self, keys) -> np.ndarray:
        rows = self._by_id(self.names.chunks, list(keys), ["vector"])
        return np.array([rows[key]["vector"] for key in keys], dtype=np.float32).reshape(len(keys), -1)

    def _by_id(self, collection: str, keys: list[str], fields: list[str]) -> dict[str, dict]:
        rows = self._with_ids(collection, keys, fields)
        missing = next((key for key in keys if key not in rows), None)
        if missing is not None:
            raise KeyError(missing)
        return rows

    def _with_ids(self, collection: str, keys: list[str], fields: list[str]) -> dict[str, dict]:
        """The rows with these ids that exist, by id."""
        rows = {}
        for batch in _batches(sorted(set(keys))):
            rows.update((row["id"], row) for row in self._query(collection, one_of("id", batch), ["id", *fields]))
        return rows

    def _query(self, collection: str, expression: str, fields: list[str]) -> list[dict]:
        return self.client.query(collection, filter=expression, output_fields=fields)

    def dense_top(self, query_vector: np.ndarray, k: int, doc_ids: set[str] | None) -> list[tuple[str, float]]:
        return [(hit["id"], float(hit["distance"]))
                for hit in self._search("vector", query_vector.astype(np.float32).tolist(), k, doc_ids)]

    def _search(self, field: str, query, k: int, doc_ids: set[str] | None, expression: str = "") -> list[dict]:
        """The k best chunks of the documents as this store read them: another process's ingest may have written
        a document's chunks before its record and revision, and a hit there would name a document unknown here, or
        offsets into a version of its text not read here. Such chunks are left out and the search run again."""
        if k <= 0 or doc_ids is not None and not doc_ids:
            return []
        unknown, stale = set(), set()
        while True:
            where = " and ".join(filter(None, [expression, one_of("doc_id", sorted(doc_ids)) if doc_ids else "",
                                               f"not ({one_of('doc_id', sorted(unknown))})" if unknown else "",
                                               f"not ({one_of('id', sorted(stale))})" if stale else ""]))
            hits = list(self.client.search(self.names.chunks, data=[query], anns_field=field, limit=min(k, 16_384),
                                           filter=where, output_fields=["doc_id", "start", "end", "text"])[0])
            new_unknown = {hit["entity"]["doc_id"] for hit in hits} - self.documents.keys()
            new_stale = {hit["id"] for hit in hits if hit["entity"]["doc_id"] not in new_unknown
                         and not self._as_read(hit["entity"])}
            if not new_unknown and not new_stale:
                return hits
            unknown, stale = unknown | new_unknown, stale | new_stale

    def _as_read(self, chunk: dict) -> bool:
        return self.documents[chunk["doc_id"]].text[chunk["start"]:chunk["end"]] == chunk["text"]

    def lexical_search(self, with_title: bool) -> "MilvusLexical":
        if with_title != self.config.get("embed_title", True):
            raise ValueError("a Milvus store's BM25 reads the chunks as they were embedded (RAGQA_EMBED_TITLE)")
        return MilvusLexical(self)

    def unit_vectors_of(self, wanted: list[tuple[str, str]]) -> list[np.ndarray | None]:
        model = self.config["embed_model"]
        keys = [(chunk_id, text_key(model, text)) for chunk_id, text in wanted]
        if self._units_by_id:
            rows = self._with_ids(self.names.units, [f"{chunk_id}@{key}" for chunk_id, key in keys],
                                  ["chunk_id", "key", "vector"]).values()
        else:  # collections created before unit rows were named by their key
            rows = self._units_of_chunks({chunk_id for chunk_id, _ in keys}, ["chunk_id", "key", "vector"])
        stored = {(row["chunk_id"], row["key"]): np.asarray(row["vector"], dtype=np.float32) for row in rows}
        return [stored.get(key) for key in keys]

    def _units_of_chunks(self, chunk_ids, fields: list[str]) -> list[dict]:
        """Every unit row of these chunks, by a filter on chunk_id (it reads every unit row in Milvus Lite): for
        collections whose unit rows are not named by their text key."""
        return [row for batch in _batches(sorted(chunk_ids))
                for row in self._query(self.names.units, one_of("chunk_id", batch), fields)]

    def best_unit_scores(self, keys, query_vector: np.ndarray) -> np.ndarray:
        """Read by row id, the chunks' unit texts cut again from the documents read (a filter on chunk_id reads every
        unit row in Milvus Lite: 0.2 s a question at 100,000 rows)."""
        best = dict.fromkeys(keys, np.nan)
        if self._units_by_id:
            wanted = [(chunk.id, text) for chunk in self.chunks_of(list(best)) if chunk.doc_id in self.documents
                      for text in unit_texts(self.documents[chunk.doc_id], chunk)]
            rows = [(chunk_id, vector) for (chunk_id, _), vector in zip(wanted, self.unit_vectors_of(wanted))
                    if vector is not None]
        else:  # collections created before unit rows were named by their key
            rows = [(row["chunk_id"], np.asarray(row["vector"], dtype=np.float32))
                    for row in self._units_of_chunks(best, ["chunk_id", "vector"])]
        for chunk_id, vector in rows:
            best[chunk_id] = np.fmax(best[chunk_id], float(vector @ query_vector))
        return np.array([best[key] for key in keys], dtype=np.float32)

    def prepare_search(self, with_title: bool) -> None:
        """Nothing to build: Milvus holds the indexes."""


class MilvusLexical:
    """index/stores.py LexicalSearch run by Milvus's BM25 on the chunks' stemmed terms."""

    def __init__(self, store: MilvusStore):
        self.store = store

    def top(self, query: str, k: int, doc_ids: set[str] | None) -> list[tuple[str, float]]:
        words = " ".join(lexical.terms([query])[0])
        if not words:
            return []
        return [(hit["id"], abs(float(hit["distance"]))) for hit in self.store._search("sparse", words, k, doc_ids)]

    def scores_of(self, query: str, keys) -> np.ndarray:
        words = " ".join(lexical.terms([query])[0])
        found = {}
        if words:
            for batch in _batches(list(keys)):
                found.update((hit["id"], abs(float(hit["distance"])))
                             for hit in self.store._search("sparse", words, len(batch), None, one_of("id", batch)))
        return np.array([found.get(key, 0.0) for key in keys], dtype=np.float32)

    def holds(self, word: str) -> bool:
        words = lexical.terms([word], stopwords=[])[0]
        return all(self.store._search("sparse", term, 1, None) for term in words)
