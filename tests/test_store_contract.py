"""The store contract (index/stores.py), run against the FAISS folder and Milvus Lite (in process): ingest, upsert,
delete, search with filters, BM25, unit vectors and reopening behave alike, and the sample article gives the same
answers and citations through both. The Milvus half is skipped, saying which package is missing, without
requirements-scale.txt. With MILVUS_URI set (http://host:19530, MILVUS_TOKEN if the server asks for one), the contract
also runs against that Milvus server, in collections of a unique name dropped at the end; skipped otherwise."""
import dataclasses
import json
import os
import uuid

import numpy as np
import pytest
from helpers import SAMPLE_ARTICLE, SEED_DEV, cli_process, milvus_settings, needs_milvus, records, write

from index.build import delete_articles, open_store, update_index
from index.search import Retriever
from ingest.units import chunk_units
from qa.pipeline import QAPipeline
from schema import UserError

QUERIES = ["What did Khalilzad say about Pakistan?", "TTP attacks on the border", "river dam water rights",
           "Farmers along the river", "zzzqx unknownword"]
METHODS = ["dense", "bm25", "hybrid", "rrf", "mmr"]


MILVUS_URI = os.environ.get("MILVUS_URI", "")
needs_server = pytest.mark.skipif(not MILVUS_URI, reason="no Milvus server: set MILVUS_URI=http://host:19530 (Milvus "
                                                         "2.5 or later; MILVUS_TOKEN if it asks for one) to run it")


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=[needs_milvus, pytest.mark.slow]),
                        pytest.param("milvus-server", marks=[needs_milvus, needs_server])])
def store_settings(request, settings, tmp_path, closed_clients):
    if request.param != "milvus-server":
        yield settings if request.param == "faiss" else milvus_settings(settings, tmp_path)
        return
    server = dataclasses.replace(settings, store="milvus", milvus_uri=MILVUS_URI,
                                 milvus_token=os.environ.get("MILVUS_TOKEN", ""),
                                 milvus_collection=f"ragqa_test_{uuid.uuid4().hex[:12]}")
    try:
        yield server
    finally:
        drop_collections(server)


def drop_collections(settings) -> None:
    from index.milvus_store import Names, client_for

    client = client_for(settings)
    for name in Names(settings.milvus_collection).all():
        if client.has_collection(name):
            client.drop_collection(name)


def test_ingest_reopen_upsert_and_delete(store_settings, embedder, corpus):
    report = update_index([str(corpus)], store_settings, embedder, progress=False)
    assert sorted(report.added) == ["border", "khalilzad", "rivers"] and not report.failed
    store = open_store(store_settings, embedder)
    before = records(store)
    assert before == records(open_store(store_settings, embedder)), "reopened, the same"
    assert store.documents["rivers"].metadata["author"] == "Ann Lee"
    assert all(store.documents[c["doc_id"]].text[c["start"]:c["end"]] == c["text"] for c in before[2])
    assert update_index([str(corpus)], store_settings, embedder, progress=False).unchanged == sorted(before[0])

    write(corpus, "khalilzad.txt", "Khalilzad\n\nA short note on the border talks.")
    report = update_index([str(corpus)], store_settings, embedder, progress=False)
    assert report.updated == ["khalilzad"] and report.chunks_reused == 0
    store = open_store(store_settings, embedder)
    assert store.chunk_counts()["khalilzad"] == 1 and store.chunk("khalilzad#0").text.startswith("A short note")
    with pytest.raises(KeyError):
        store.chunk("khalilzad#1")  # the old version's surplus chunks are gone
    assert store.count == before[3] - sum(1 for c in before[2] if c["doc_id"] == "khalilzad") + 1

    assert delete_articles({"rivers", "nothing"}, store_settings, embedder) == ["rivers"]
    store = open_store(store_settings, embedder)
    retriever = Retriever(store, embedder)
    assert "rivers" not in store.documents and not retriever.mentions("farmers")
    assert all(hit.chunk.doc_id != "rivers" for method in METHODS for hit in retriever.search("river dam", 5, method))


def test_search_filters_bm25_and_unit_vectors(store_settings, embedder, corpus):
    update_index([str(corpus)], store_settings, embedder, progress=False)
    store = open_store(store_settings, embedder)
    retriever = Retriever(store, embedder)
    assert retriever.search("river dam water", 3, "bm25")[0].chunk.doc_id == "rivers"
    assert retriever.search("river dam water", 3, "hybrid")[0].chunk.doc_id == "rivers"
    assert all(hit.score == 0 for hit in retriever.search("zzzqx", 3, "bm25")), "FAISS fills k with 0, Milvus not"
    for method in METHODS:
        hits = retriever.search("water and the border", 5, method, doc_ids={"border"})
        assert hits and {hit.chunk.doc_id for hit in hits} == {"border"}, method
        assert {h.chunk.doc_id for h in retriever.search("water", 5, method, author="ann")} == {"rivers"}, method
        assert retriever.search("water", 5, method, since="2022") == [], method
    assert retriever.mentions("Pakistan") and retriever.mentions("rivers") and not retriever.mentions("zzzqx")
    chunk = store.chunk("rivers#0")
    document = store.documents["rivers"]
    units = [document.text[start:end] for start, end, *_ in chunk_units(document, chunk)]
    stored, absent = store.unit_vectors_of([("rivers#0", units[0]), ("rivers#0", "not a unit of it")])
    assert absent is None and np.allclose(stored, embedder.embed_documents(units)[0], atol=1e-6)


def test_best_unit_scores_are_each_chunks_closest_sentence(store_settings, embedder, corpus):
    update_index([str(corpus)], store_settings, embedder, progress=False)
    store = open_store(store_settings, embedder)
    chunks = [store.chunk(chunk_id) for chunk_id in ("rivers#0", "border#0", "khalilzad#0")]
    keys = [store.position(c.id) for c in chunks] if store_settings.store == "faiss" else [c.id for c in chunks]
    query = embedder.embed_query("Farmers along the river")
    expected = []
    for chunk in chunks:
        document = store.documents[chunk.doc_id]
        units = [document.text[start:end] for start, end, *_ in chunk_units(document, chunk)]
        expected.append((embedder.embed_documents(units) @ query).max())
    assert np.allclose(store.best_unit_scores(keys, query), expected, atol=1e-5)


@needs_milvus
@pytest.mark.slow  # Milvus Lite: a few seconds each; the seed comparison below stays in the fast layer
def test_both_stores_rank_alike(settings, embedder, corpus, tmp_path, closed_clients):
    milvus = milvus_settings(settings, tmp_path)
    for each in (settings, milvus):
        update_index([str(corpus)], each, embedder, progress=False)
    faiss_store, milvus_store = open_store(settings, embedder), open_store(milvus, embedder)
    assert records(faiss_store) == records(milvus_store)
    retrievers = [Retriever(faiss_store, embedder), Retriever(milvus_store, embedder)]
    for query in QUERIES:
        for method in METHODS:
            faiss_hits, milvus_hits = ([(h.chunk.id, h.score) for h in r.search(query, 8, method)
                                        if h.score or method != "bm25"] for r in retrievers)  # FAISS fills k with 0
            if method == "rrf":  # FAISS's BM25 ranking goes on through chunks scoring 0, which earn RRF credit there
                faiss_hits, milvus_hits = faiss_hits[:1], milvus_hits[:1]
            assert untied(faiss_hits) == untied(milvus_hits), (query, method)
            if method in ("dense", "hybrid", "mmr"):  # BM25's raw scale differs ((k1 + 1) in Milvus); fused ones not
                assert np.allclose([s for _, s in faiss_hits], [s for _, s in milvus_hits], atol=1e-4), (query, method)


def untied(hits):
    """The ranking, with hits of equal score (the hashing embedder makes many) in any order, and without those tied
    with the last (which of them made the cut is arbitrary)."""
    hits = [(i, score) for i, score in hits if abs(score - hits[-1][1]) >= 1e-5]
    return [sorted(i for i, s in hits if abs(s - score) < 1e-5) for _, score in hits]


@needs_milvus
def test_the_seed_questions_get_the_same_answers_and_citations_through_both_stores(settings, embedder, tmp_path,
                                                                                   closed_clients):
    milvus = milvus_settings(settings, tmp_path)
    questions = [json.loads(line)["question"] for line in SEED_DEV.read_text().splitlines() if line.strip()]
    answers = []
    for each in (settings, milvus):
        update_index([str(SAMPLE_ARTICLE)], each, embedder, progress=False)
        pipeline = QAPipeline(each, embedder=embedder)
        answers.append([(a.text, a.answered, [dataclasses.asdict(c) for c in a.citations])
                        for a in map(pipeline.ask, questions)])
    assert answers[0] == answers[1]
    assert sum(answered for _, answered, _ in answers[0]) >= 5, "most seed questions are answered"


def test_milvus_without_its_packages_is_one_line_naming_them(settings, embedder, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if not installed
    with pytest.raises(UserError, match=r"^RAGQA_STORE=milvus needs the package pymilvus: pip install -r "
                                        r"requirements-scale.txt$"):
        open_store(milvus_settings(settings, tmp_path), embedder)


@needs_milvus
@pytest.mark.slow  # Milvus Lite: a few seconds each; the seed comparison below stays in the fast layer
def test_the_cli_ingests_and_answers_through_milvus_lite_in_fresh_processes(cli_env, tmp_path):
    env = {**cli_env, "RAGQA_STORE": "milvus", "RAGQA_MILVUS_URI": str(tmp_path / "milvus.db")}
    assert cli_process(env, "ingest", str(SAMPLE_ARTICLE)).returncode == 0
    asked = cli_process(env, "ask", "What does Khalilzad claim about ISKP?")
    assert asked.returncode == 0 and "[1]" in asked.stdout
    assert asked.stderr == "", "no warning from pymilvus on every command"
    assert not (tmp_path / "index").exists(), "nothing written beside Milvus"


@needs_milvus
@pytest.mark.slow  # Milvus Lite: a few seconds each; the seed comparison below stays in the fast layer
def test_a_reader_never_gets_chunks_of_a_document_written_after_it_opened(settings, embedder, corpus, tmp_path,
                                                                          closed_clients):
    """Another process's ingest writes a document's chunks before its record: a reader opened before must not find
    them (a hit would name a document it does not know: KeyError, a failed answer)."""
    milvus = milvus_settings(settings, tmp_path)
    update_index([str(SAMPLE_ARTICLE)], milvus, embedder, progress=False)
    reader = open_store(milvus, embedder)
    update_index([str(corpus / "rivers.txt")], milvus, embedder, progress=False)  # as if still being written
    retriever = Retriever(reader, embedder)
    for method in METHODS:
        hits = retriever.search("river dam water farmers", 5, method)
        assert hits and {hit.chunk.doc_id for hit in hits} == {"khalilzad-on-iskp-ttp-and-pakistan"}, method
    assert "rivers" in open_store(milvus, embedder).documents, "a reader opened after sees it"


@needs_milvus
@pytest.mark.slow  # Milvus Lite: a few seconds each; the seed comparison below stays in the fast layer
def test_a_reader_never_gets_chunks_of_a_document_changed_after_it_opened(settings, embedder, corpus, tmp_path,
                                                                          closed_clients):
    """A changed document's new chunks hold offsets into its new text: a reader still holding the old text leaves
    them out rather than quote the wrong characters."""
    milvus = milvus_settings(settings, tmp_path)
    update_index([str(corpus)], milvus, embedder, progress=False)
    reader = open_store(milvus, embedder)
    write(corpus, "rivers.txt", "Rivers\n\nA new opening line. The river dam now holds less water for farmers.")
    update_index([str(corpus / "rivers.txt")], milvus, embedder, progress=False)
    retriever = Retriever(reader, embedder)
    for method in METHODS:
        for hit in retriever.search("river dam water farmers", 5, method):
            document = reader.documents[hit.chunk.doc_id]
            assert document.text[hit.chunk.start:hit.chunk.end] == hit.chunk.text, method
