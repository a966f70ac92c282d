"""A Milvus store writes by batches of documents, not one document at a time: Milvus Lite reads the whole collection
for every delete by filter, so moving SciFact's 11,608 chunks with three deletes per document took 28 minutes.
Replacing a document still leaves none of its old rows, in a store that created the collections and in one that
opened them after an ingest stopped half way. An answer reads its sentences' vectors by row id (a point read), not by
a filter that reads every unit row; collections written before unit rows were named so are still read."""
import json
from collections import Counter

import numpy as np
import pytest
from helpers import milvus_settings, needs_milvus, records

from index.build import open_store, store_config, update_index
from index.milvus_store import MilvusStore
from index.move import StoredRows
from index.store import UnitRows, text_key
from schema import Chunk, Document


class CountingClient:
    """The store's client, counting the calls made through it by name and keeping their filters."""

    def __init__(self, client):
        self.client, self.calls, self.filters = client, Counter(), []

    def __getattr__(self, name):
        self.calls[name] += 1
        method = getattr(self.client, name)

        def call(*args, **kwargs):
            if "filter" in kwargs:
                self.filters.append((name, kwargs["filter"]))
            return method(*args, **kwargs)
        return call


def sentence(n: int, doc_id: str = "rivers") -> str:
    return f"Sentence {n} of {doc_id} about the river dam."


def entry(doc_id: str, chunk_count: int, embedder):
    text = " ".join(sentence(n, doc_id) for n in range(chunk_count))
    document = Document(doc_id, doc_id.title(), f"{doc_id}.txt", text)
    pieces = [sentence(n, doc_id) for n in range(chunk_count)]
    starts = [text.index(piece) for piece in pieces]
    chunks = [Chunk(f"{doc_id}#{n}", doc_id, n, piece, start, start + len(piece), "")
              for n, (piece, start) in enumerate(zip(pieces, starts))]
    vectors = embedder.embed_documents(pieces)
    units = UnitRows([1] * chunk_count, [text_key(embedder.name, piece) for piece in pieces], vectors)
    return (document, f"hash-{doc_id}-{chunk_count}", chunks, vectors, [f"key-{c.id}" for c in chunks]), units


def add(store, embedder, counts: dict[str, int]) -> None:
    made = {doc_id: entry(doc_id, count, embedder) for doc_id, count in counts.items()}
    store.add([e for e, _ in made.values()], {doc_id: units for doc_id, (_, units) in made.items()})


def rows_of(store, collection: str, doc_id: str) -> list[str]:
    return sorted(row["id"] for row in store.client.query(collection, filter=f'doc_id == "{doc_id}"',
                                                           output_fields=["id"]))


@pytest.fixture
def milvus(settings, tmp_path, closed_clients):
    return milvus_settings(settings, tmp_path)


@needs_milvus
def test_documents_are_written_by_batches_with_no_delete_into_collections_it_created(milvus, embedder):
    store = MilvusStore.create(milvus, store_config(milvus, embedder).as_dict())
    store.client = counting = CountingClient(store.client)
    add(store, embedder, {f"doc{n}": 2 for n in range(30)})
    assert counting.calls["delete"] == 0, "nothing to delete in collections this store created"
    assert counting.calls["insert"] + counting.calls["upsert"] == 3, "one write per collection for 30 documents"
    store.save()
    opened = open_store(milvus, embedder)
    assert opened.count == 60 and len(opened.documents) == 30

    opened.client = counting = CountingClient(opened.client)
    add(opened, embedder, {f"doc{n}": 1 for n in range(30)})
    assert counting.calls["delete"] == 3, "one delete per collection for the batch, not three per document"
    assert counting.calls["insert"] + counting.calls["upsert"] == 3


@needs_milvus
def test_a_created_store_replacing_a_document_it_wrote_leaves_none_of_the_old_rows(milvus, embedder):
    store = MilvusStore.create(milvus, store_config(milvus, embedder).as_dict())
    add(store, embedder, {"rivers": 3, "border": 2})
    add(store, embedder, {"rivers": 1})
    store.save()
    assert rows_of(store, store.names.chunks, "rivers") == ["rivers#0"]
    assert rows_of(store, store.names.units, "rivers") == [f"rivers#0@{text_key('hashing', sentence(0))}"]
    assert rows_of(store, store.names.chunks, "border") == ["border#0", "border#1"]
    assert records(open_store(milvus, embedder)) == records(store)


@needs_milvus
def test_an_opened_store_clears_the_rows_an_ingest_stopped_half_way_left(milvus, embedder):
    store = MilvusStore.create(milvus, store_config(milvus, embedder).as_dict())
    add(store, embedder, {"border": 1})
    store.save()
    (document, _, chunks, vectors, keys), _ = entry("rivers", 3, embedder)
    store.client.insert(store.names.chunks, store._chunk_rows([(document, "", chunks, vectors, keys)]))  # no record
    opened = open_store(milvus, embedder)
    assert "rivers" not in opened.documents
    add(opened, embedder, {"rivers": 1})
    opened.save()
    assert rows_of(opened, opened.names.chunks, "rivers") == ["rivers#0"]
    with pytest.raises(KeyError):
        open_store(milvus, embedder).chunk("rivers#2")


@needs_milvus
def test_a_record_cut_short_by_a_stopped_ingest_leaves_that_article_out_until_it_is_ingested_again(milvus, embedder,
                                                                                                   capsys, monkeypatch):
    import index.milvus_store

    monkeypatch.setattr(index.milvus_store, "PART_CHARS", 200)  # so the record of a small document has several parts
    store = MilvusStore.create(milvus, store_config(milvus, embedder).as_dict())
    add(store, embedder, {"rivers": 3, "border": 2})
    store.save()
    parts = rows_of(store, store.names.records, "rivers")
    assert len(parts) >= 2
    store.client.delete(store.names.records, filter=f'id == "{parts[-1]}"')  # the ingest stopped before its last part
    opened = open_store(milvus, embedder)
    assert set(opened.documents) == {"border"}
    warning = capsys.readouterr().err
    assert "1 article(s) left out" in warning and "(rivers)" in warning
    add(opened, embedder, {"rivers": 3})
    opened.save()
    assert set(open_store(milvus, embedder).documents) == {"rivers", "border"}


def test_the_move_reads_the_faiss_rows_once_and_batches_them_by_chunks(settings, embedder, corpus, monkeypatch):
    import index.move

    update_index([str(corpus)], settings, embedder, progress=False)
    source = open_store(settings, embedder)
    monkeypatch.setattr(index.move, "BATCH_CHUNKS", 2)
    stored = StoredRows(source)
    batches = list(stored.batches())
    assert [doc_id for batch in batches for doc_id in batch] == sorted(source.documents) and len(batches) > 1
    entries, units = stored.documents(sorted(source.documents))
    assert [c for _, _, chunks, _, _ in entries for c in chunks] == sorted(source.chunks, key=lambda c: c.doc_id)
    ordered = [source.position(c.id) for _, _, chunks, _, _ in entries for c in chunks]
    assert np.array_equal(np.vstack([vectors for _, _, _, vectors, _ in entries]), source.vectors[ordered])
    assert sum(len(rows.keys) for rows in units.values()) == int(source.unit_counts.sum())


@needs_milvus
def test_an_answer_reads_its_sentence_vectors_by_row_id(milvus, embedder):
    store = MilvusStore.create(milvus, store_config(milvus, embedder).as_dict())
    add(store, embedder, {"rivers": 3, "border": 2})
    store.save()
    opened = open_store(milvus, embedder)
    opened.client = counting = CountingClient(opened.client)
    found = opened.unit_vectors_of([("rivers#1", sentence(1)), ("rivers#1", "no such sentence")])
    assert np.allclose(found[0], embedder.embed_documents([sentence(1)])[0]) and found[1] is None
    assert counting.filters and all(expression.startswith("id in [") for _, expression in counting.filters), \
        "a point read, not a filter over every row"


@needs_milvus
def test_a_collection_whose_unit_rows_are_named_by_number_still_finds_their_vectors(milvus, embedder):
    """As code before unit rows were named by their text key wrote them: "{chunk id}@{row number}", and a config row
    that does not say otherwise."""
    config = store_config(milvus, embedder).as_dict()
    store = MilvusStore.create(milvus, config)
    (document, doc_hash, chunks, vectors, keys), _ = entry("rivers", 2, embedder)
    store.add([(document, doc_hash, chunks, vectors, keys)])
    unit_key = text_key("hashing", sentence(1))
    store.client.insert(store.names.units, [{"id": "rivers#1@0", "chunk_id": "rivers#1", "doc_id": "rivers",
                                             "key": unit_key, "vector": vectors[1]}])
    store.client.upsert(store.names.records, [store._record_row("@config", "", 0, json.dumps(config))])
    store.save()
    opened = open_store(milvus, embedder)
    assert np.allclose(opened.unit_vectors_of([("rivers#1", sentence(1))])[0], vectors[1])
    query = embedder.embed_query("river dam")
    best = opened.best_unit_scores(["rivers#0", "rivers#1"], query)
    assert np.isnan(best[0]) and np.isclose(best[1], vectors[1] @ query)
