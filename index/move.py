"""An existing FAISS index moved into Milvus (`python cli.py move-index --to milvus`): every document, chunk, chunk
vector and sentence vector copied as stored, nothing re-embedded, so the moved index answers as the FAISS one."""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from index.build import store_config
from index.embedders import Embedder
from index.store import FaissStore, UnitRows
from index.stores import live_version, new_store, writing
from schema import UserError
from settings import Settings

BATCH_CHUNKS = 2_000  # chunks per write, and per progress line


@dataclass
class MoveReport:
    documents: int = 0
    chunks: int = 0
    unit_vectors: int = 0

    def summary(self, where: str) -> str:
        return (f"moved {self.documents} articles, {self.chunks} chunks and {self.unit_vectors} sentence vectors "
                f"into {where}")


def move_to_milvus(settings: Settings, embedder: Embedder, *, replace: bool = False,
                   progress: Callable[[str], None] = lambda line: None) -> MoveReport:
    """Copy the FAISS index at `settings.index_dir` into the Milvus collections the settings name. A collection
    that already holds an index is refused unless `replace` (it is then dropped first); the FAISS folder is only
    read."""
    config = store_config(settings, embedder).as_dict()
    source = FaissStore.load(settings.index_dir, config)
    target_settings = dataclasses.replace(settings, store="milvus")
    with writing(target_settings):
        if live_version(target_settings) is not None and not replace:
            raise UserError(f"Milvus collection {settings.milvus_collection} already holds an index: add --replace "
                            f"to drop it, or name another with RAGQA_MILVUS_COLLECTION")
        target = new_store(target_settings, config)
        report = MoveReport()
        stored = StoredRows(source)
        for doc_ids in stored.batches():
            entries, units = stored.documents(doc_ids)
            target.add(entries, units)
            report.documents += len(entries)
            report.chunks += sum(len(chunks) for _, _, chunks, _, _ in entries)
            report.unit_vectors += sum(len(rows.keys) for rows in units.values())
            progress(f"moved {report.documents}/{len(source.documents)} articles")
        target.save(None)
    return report


class StoredRows:
    """The FAISS store's rows by document, found once (not once per batch: a scan of every chunk each time)."""

    def __init__(self, source: FaissStore):
        self.source = source
        self.positions = defaultdict(list)
        for position, chunk in enumerate(source.chunks):
            self.positions[chunk.doc_id].append(position)
        self.unit_offsets = np.concatenate([[0], np.cumsum(source.unit_counts)]).astype(np.int64)

    def batches(self):
        """The documents, sorted, in batches of about BATCH_CHUNKS chunks."""
        batch, chunks = [], 0
        for doc_id in sorted(self.source.documents):
            batch.append(doc_id)
            chunks += len(self.positions[doc_id])
            if chunks >= BATCH_CHUNKS:
                yield batch
                batch, chunks = [], 0
        if batch:
            yield batch

    def documents(self, doc_ids: list[str]):
        """These documents' entries and unit rows, as `Store.add` takes them."""
        source, entries, units = self.source, [], {}
        for doc_id in doc_ids:
            mine = self.positions[doc_id]
            entries.append((source.documents[doc_id], source.doc_hashes[doc_id], [source.chunks[p] for p in mine],
                            np.asarray(source.vectors[mine], dtype=np.float32), [source.embed_keys[p] for p in mine]))
            rows = np.concatenate([np.arange(self.unit_offsets[p], self.unit_offsets[p + 1]) for p in mine]) \
                if mine else np.zeros(0, dtype=np.int64)
            units[doc_id] = UnitRows([int(source.unit_counts[p]) for p in mine],
                                     [key.decode() for key in source.unit_keys[rows]],
                                     np.asarray(source.unit_vectors[rows], dtype=np.float32))
        return entries, units
