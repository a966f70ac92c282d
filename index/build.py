"""Ingest: load sources, chunk, embed what is new, and save the index atomically under a writer lock."""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from index.embedders import Embedder
from index.store import UnitRows, embed_text, text_key
from index.stores import Store, live_version, new_store, writing
from index.stores import open_store as open_configured_store
from ingest.chunking import chunk_document, make_splitter
from ingest.clean import one_line
from ingest.loaders import LoadFailure, LoadSkip, failure_reason, ingested_folder, is_url, iter_documents
from ingest.units import unit_texts
from schema import Document, UserError
from settings import Settings

EMBED_BATCH = 256


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "source: reason", e.g. duplicates
    failed: list[LoadFailure] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    total_documents: int = 0
    total_chunks: int = 0

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed, {len(self.skipped)} skipped, {len(self.failed)} failed; "
                f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused (their text embedded before); "
                f"index: {self.total_documents} articles, {self.total_chunks} chunks")

    def as_dict(self) -> dict:
        return {**asdict(self), "failed": [str(f) for f in self.failed]}


@dataclass(frozen=True)
class StoreConfig:
    """What an index is built with, recorded in its manifest: reading it with anything else needs a --rebuild."""
    embed_model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int
    embed_title: bool

    def as_dict(self) -> dict:
        """The manifest's keys, in the manifest's order."""
        return asdict(self)


def store_config(settings: Settings, embedder: Embedder) -> StoreConfig:
    return StoreConfig(embed_model=settings.embed_model, dimension=embedder.dimension,
                       chunk_tokens=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap,
                       embed_title=settings.embed_title)


def open_store(settings: Settings, embedder: Embedder) -> Store:
    return open_configured_store(settings, store_config(settings, embedder).as_dict())


def update_index(sources: list[str], settings: Settings, embedder: Embedder, *, prune: bool = False,
                 rebuild: bool = False, progress: bool = True, ray: str | None = None) -> IngestReport:
    """`ray`: None embeds here; "local" (a Ray started here) or a Ray cluster's address embeds on Ray Data."""
    report = IngestReport()
    if ray is not None:
        from index.ray_embed import import_ray  # the only module importing ray, an optional dependency

        import_ray()  # refused before any reading: without the package the flag can do nothing
    with writing(settings):
        if not rebuild and live_version(settings):  # a damaged index is refused, not replaced
            store = open_store(settings, embedder)
        else:
            store = new_store(settings, store_config(settings, embedder).as_dict())
        changed = _load_changes(sources, store, report, progress)
        _add_documents(changed, store, settings, embedder, report, progress, ray)
        if prune:
            report.removed = sorted(doc_id for doc_id, doc in store.documents.items() if _source_gone(doc.source))
            store.delete(set(report.removed))
        if changed or report.removed or rebuild or not store.bm25_saved:  # a new index, or an old one without BM25
            store.save(settings.index_dir)
        report.total_documents, report.total_chunks = len(store.documents), store.count
    return report


def delete_articles(doc_ids: set[str], settings: Settings, embedder: Embedder) -> list[str]:
    """Remove these articles from the index, in a new generation saved whole before it replaces the old one, so
    the other articles stay as they were; returns the ids that were indexed, sorted."""
    with writing(settings):
        if not live_version(settings):
            return []
        store = open_store(settings, embedder)
        removed = sorted(set(doc_ids) & store.documents.keys())
        if removed:
            store.delete(set(removed))
            store.save(settings.index_dir)
    return removed


def _load_changes(sources, store: Store, report: IngestReport, progress: bool) -> list[tuple[Document, str]]:
    from tqdm import tqdm

    owner_of_hash = {h: doc_id for doc_id, h in store.doc_hashes.items()}
    indexed_from = _single_article_sources(store)
    changed, seen_ids = [], set()
    for item in tqdm(iter_documents(sources), desc="Reading articles", unit="", file=sys.stderr, disable=not progress):
        if isinstance(item, LoadSkip):
            report.skipped.append(str(item))
            continue
        if isinstance(item, LoadFailure):
            report.failed.append(item)
            continue
        item = _as_indexed(item, indexed_from, seen_ids)
        try:
            doc_hash = content_hash(item)
        except Exception as exc:  # noqa: BLE001 - a document that cannot even be serialised fails alone
            report.failed.append(LoadFailure(item.source, failure_reason(exc)))
            continue
        owner = owner_of_hash.get(doc_hash)
        if owner is not None and owner != item.id:
            report.skipped.append(one_line(f"{item.source}: same text as article '{owner}'"))
            continue
        if item.id in seen_ids:
            report.skipped.append(one_line(f"{item.source}: another article in this run already has the id "
                                           f"'{item.id}'"))
            continue
        seen_ids.add(item.id)
        indexed_hash = store.doc_hashes.get(item.id)
        if indexed_hash != doc_hash and owner_of_hash.get(indexed_hash) == item.id:
            del owner_of_hash[indexed_hash]  # its old text is replaced: another file holding it is no duplicate
        owner_of_hash[doc_hash] = item.id
        if indexed_hash == doc_hash:
            report.unchanged.append(item.id)
            continue
        (report.updated if item.id in store.documents else report.added).append(item.id)
        changed.append((item, doc_hash))
    return changed


def _single_article_sources(store: Store) -> dict[str, str]:
    """Each local file that holds exactly one indexed article, with that article's id made from its path."""
    articles_of: dict[str, list[str]] = {}
    for doc_id, document in store.documents.items():
        articles_of.setdefault(document.source, []).append(doc_id)
    return {source: ids[0] for source, ids in articles_of.items() if len(ids) == 1 and _id_from_path(ids[0], source)}


def _id_from_path(doc_id: str, source: str) -> bool:
    """Whether an article's id was made from its file's path (ingest's path_id below some folder): not so for a web
    page, whose address names it, nor for a file of JSON records, whose records name themselves."""
    if is_url(source) or source.lower().endswith((".json", ".jsonl")):
        return False
    return ingested_folder(Path(source), doc_id) is not None


def _as_indexed(document: Document, indexed_from: dict[str, str], claimed: set[str]) -> Document:
    """A file ingested again through another folder (or on its own) gets an id relative to that folder; it is still
    the article indexed from the same file, so it keeps that article's id and updates it, instead of becoming a
    second, stale copy. Not when another file of this run already took that id: then it keeps its new one."""
    existing = indexed_from.get(document.source)
    if existing is None or existing == document.id or existing in claimed or not _id_from_path(document.id,
                                                                                                document.source):
        return document
    return replace(document, id=existing)


def _add_documents(changed, store: Store, settings: Settings, embedder: Embedder,
                   report: IngestReport, progress: bool, ray: str | None = None) -> None:
    splitter = make_splitter(settings.chunk_tokens, settings.chunk_overlap, embedder.count_tokens,
                             getattr(embedder, "count_tokens_many", None))  # optional: wrappers may lack it
    planned = []  # (document, hash, chunks, embed keys, unit keys per chunk)
    texts: dict[str, str] = {}  # embed key -> text, for every text of the changed documents
    for document, doc_hash in changed:
        try:
            chunks = chunk_document(document, splitter)
            chunk_unit_texts = [unit_texts(document, chunk) if settings.unit_vectors else [] for chunk in chunks]
        except Exception as exc:  # noqa: BLE001 - a document that cannot be chunked fails alone
            _fail(report, document, f"cannot split it into chunks: {failure_reason(exc)}")
            continue
        chunk_texts = [embed_text(document, chunk, settings.embed_title) for chunk in chunks]
        keys = [text_key(settings.embed_model, text) for text in chunk_texts]
        unit_keys = [[text_key(settings.embed_model, text) for text in unit] for unit in chunk_unit_texts]
        texts.update(zip(keys + _flat(unit_keys), chunk_texts + _flat(chunk_unit_texts)))
        planned.append((document, doc_hash, chunks, keys, unit_keys))
    known = store.stored_vectors(set(texts))
    to_embed = {key: text for key, text in texts.items() if key not in known}  # the keys with no stored vector
    if ray is None:
        vectors, unembeddable = embed_texts(to_embed, embedder, progress)
    else:
        from index.ray_embed import embed_on_ray

        vectors, unembeddable = embed_on_ray(to_embed, settings, ray, progress)
    known.update(vectors)
    ready = []
    for document, doc_hash, chunks, keys, unit_keys in planned:
        reason = next((unembeddable[key] for key in keys + _flat(unit_keys) if key in unembeddable), None)
        if reason is None:
            ready.append((document, doc_hash, chunks, keys, unit_keys))
        else:
            _fail(report, document, f"cannot embed it: {reason}")
    embedded = {key for _, _, _, keys, _ in ready for key in keys} & vectors.keys()
    report.chunks_embedded = len(embedded)
    report.chunks_reused = sum(len(keys) for _, _, _, keys, _ in ready) - len(embedded)
    store.add([(doc, doc_hash, chunks, _stack(keys, known, embedder.dimension), keys)
               for doc, doc_hash, chunks, keys, _ in ready],
              units={doc.id: UnitRows([len(unit) for unit in unit_keys], _flat(unit_keys),
                                      _stack(_flat(unit_keys), known, embedder.dimension))
                     for doc, _, _, _, unit_keys in ready})


def _fail(report: IngestReport, document: Document, reason: str) -> None:
    """A document that failed after loading: reported, and neither added nor updated (its old version stays)."""
    for done in (report.added, report.updated):
        if document.id in done:
            done.remove(document.id)
    report.failed.append(LoadFailure(document.source, reason))


def embed_texts(texts_by_key: dict[str, str], embedder: Embedder,
                progress: bool) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Vectors by key, and the reason for each key whose text could not be embedded."""
    from tqdm import tqdm

    # by length: each batch holds texts of one kind (sentences to pack, or chunks alike in padding)
    keys = sorted(texts_by_key, key=lambda key: len(texts_by_key[key]))
    vectors, unembeddable = {}, {}
    # the texts are the chunks and their sentences (units), so the count is more than the chunks the summary names
    with tqdm(total=len(keys), desc="Embedding chunks and sentences", unit=" texts", file=sys.stderr,
              disable=not progress) as bar:
        for start in range(0, len(keys), EMBED_BATCH):
            batch = keys[start:start + EMBED_BATCH]
            try:
                vectors.update(zip(batch, embedder.embed_documents([texts_by_key[k] for k in batch])))
            except UserError:
                raise  # the model itself is unusable: nothing can be embedded
            except Exception:  # noqa: BLE001 - find the texts that fail, so only their documents fail
                for key in batch:
                    try:
                        vectors[key] = embedder.embed_documents([texts_by_key[key]])[0]
                    except Exception as exc:  # noqa: BLE001
                        unembeddable[key] = failure_reason(exc)
            bar.update(len(batch))
    return vectors, unembeddable


def _flat(lists: list[list]) -> list:
    return [item for items in lists for item in items]


def _stack(keys: list[str], vectors: dict[str, np.ndarray], dimension: int) -> np.ndarray:
    if not keys:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack([vectors[key] for key in keys])


def content_hash(document: Document) -> str:
    payload = json.dumps([document.title, document.text, document.metadata, document.blocks], sort_keys=True,
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _source_gone(source: str) -> bool:
    return not is_url(source) and not Path(source).exists()
