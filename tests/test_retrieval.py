"""Retrieval: metadata filters, MMR diversity and score fusion, on tiny corpora with the hashing embedder."""
import json

import pytest

from index.build import open_store, update_index
from index.search import Retriever, matching_documents
from schema import Document


def index_records(settings, embedder, tmp_path, records) -> Retriever:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    update_index([str(corpus)], settings, embedder, progress=False)
    return Retriever(open_store(settings, embedder), embedder)


RECORDS = [
    {"id": "old", "title": "Dams", "text": "River dams and water rights.", "author": "Ann Smith", "date": "2019-05-01"},
    {"id": "new", "title": "Rivers", "text": "Water rights on the river.", "author": "Bob Jones", "date": "2024-02-10"},
    {"id": "undated", "title": "Canals", "text": "Canal water rights.", "author": "Ann Smith"},
]


def test_filters_by_author_and_date_keep_only_matching_articles(settings, embedder, tmp_path):
    retriever = index_records(settings, embedder, tmp_path, RECORDS)

    def found(**filters):
        return sorted(h.chunk.doc_id for h in retriever.search("water rights", 5, **filters))

    assert found() == ["new", "old", "undated"]
    assert found(author="smith") == ["old", "undated"], "a case-insensitive part of the name"
    assert found(since="2020-01-01") == ["new"] and found(until="2019-05-01") == ["old"], "bounds are inclusive"
    assert found(author="smith", since="2020-01-01") == [], "filters combine"
    assert found(doc_ids={"old", "new"}, author="jones") == ["new"]
    for method in ("dense", "bm25", "hybrid", "rrf", "mmr"):
        assert [h.chunk.doc_id for h in retriever.search("water", 5, method=method, author="jones")] == ["new"]


def test_no_filter_means_every_article_and_missing_metadata_fails_a_filter():
    documents = {d: Document(d, d, "", "x", meta) for d, meta in
                 [("a", {"date": "2021-03-04T10:00:00"}), ("b", {})]}
    assert matching_documents(documents) is None
    assert matching_documents(documents, since="2021-03-04") == {"a"}, "a timestamp compares by its date"
    assert matching_documents(documents, author="x") == set()
    assert matching_documents(documents, doc_ids={"b"}) == {"b"}


NEAR_COPIES = [
    {"id": "a", "title": "A", "text": "River water rights between the two countries are disputed."},
    {"id": "b", "title": "B", "text": "River water rights between the two countries are disputed again."},
    {"id": "c", "title": "C", "text": "Farmers downstream lose their water rights when the disputed river is dammed."},
    {"id": "d", "title": "D", "text": "Soldiers and civilians lost their lives in the war."},
    {"id": "e", "title": "E", "text": "The election results were announced on Monday."},
]


def test_mmr_makes_room_for_other_evidence_instead_of_a_near_copy(settings, embedder, tmp_path):
    retriever = index_records(settings, embedder, tmp_path, NEAR_COPIES)
    question = "river water rights disputed"
    assert [h.chunk.doc_id for h in retriever.search(question, 3, method="hybrid")] == ["a", "b", "c"]
    diverse = retriever.search(question, 3, method="mmr")
    assert [h.chunk.doc_id for h in diverse] == ["a", "c", "b"]
    assert [h.rank for h in diverse] == [1, 2, 3]


def test_hybrid_rewards_agreement_of_dense_and_bm25(settings, embedder, tmp_path):
    retriever = index_records(settings, embedder, tmp_path, NEAR_COPIES)
    hits = retriever.search("war soldiers", 5, method="hybrid")
    assert hits[0].chunk.doc_id == "d" and hits[0].score == pytest.approx(1.0), "best in both: both normalise to 1"
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_a_common_slip_is_read_as_the_articles_spell_the_word():
    from index.lexical import spelled_as_held, typo_fixes

    held = {"emissions", "according", "directory", "difference", "rhodium"}.__contains__
    assert spelled_as_held("how much did US emisions fall acording to rhodium?", held) == \
        "how much did US emissions fall according to rhodium?"
    assert spelled_as_held("copy a directroy; the diference", held) == "copy a directory; the difference"
    assert spelled_as_held("install conda, Emisions, wdiff", held) == "install conda, Emisions, wdiff", \
        "a short word, a capitalised one: names and terms, not slips"
    assert typo_fixes("emisions")[:2] == ["eemisions", "emmisions"] and typo_fixes("conda") == []


def test_bm25_reads_a_word_in_the_spelling_the_articles_use(settings, embedder, tmp_path):
    from index.lexical import spelled_as_held, spelling_variants

    assert spelling_variants("coloured") == ["colored"] and spelling_variants("center") == ["centre"]
    assert spelling_variants("four") == [] and spelling_variants("travelled") == ["traveled"]
    held = {"color", "colored", "centre"}.__contains__
    assert spelled_as_held("Which option removes the coloured boxes in the center?", held) == \
        "Which option removes the colored boxes in the centre?"
    assert spelled_as_held("The colour of the color box", held) == "The color of the color box"
    retriever = index_records(settings, embedder, tmp_path, [
        {"id": "links", "title": "Links", "text": "The hidelinks option removes the color and border of links."},
        {"id": "rivers", "title": "Rivers", "text": "Water rights on the river and its border towns."}])
    assert retriever.search("colour", 1, method="bm25")[0].chunk.doc_id == "links"
