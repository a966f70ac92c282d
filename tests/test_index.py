import json

import numpy as np
import pytest

from helpers import SAMPLE_ARTICLE
from index.build import open_store, update_index
from index.search import Retriever
from index.store import FaissStore, writer_lock
from schema import UserError


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_ingest_builds_an_index_with_manifest_and_no_pickles(settings, embedder):
    report = update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    assert (len(report.added), report.total_documents) == (1, 1)
    assert report.chunks_embedded == report.total_chunks > 1
    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text()
    manifest = json.loads((generation / "manifest.json").read_text())
    assert manifest["embed_model"] == "hashing" and manifest["dimension"] == 512
    assert manifest["chunk_tokens"] == settings.chunk_tokens and manifest["chunks"] == report.total_chunks
    assert manifest["schema_version"] == 2 and manifest["index_type"] == "flat"
    assert sorted(p.name for p in generation.iterdir()) == [
        "bm25.data.npy", "bm25.indices.npy", "bm25.indptr.npy", "bm25.vocab.json",
        "chunks.json", "documents.json", "index.faiss", "manifest.json",
        "units.counts.npy", "units.keys.npy", "units.vectors.npy", "vectors.npy"]
    store = open_store(settings, embedder)
    document = store.documents["khalilzad-on-iskp-ttp-and-pakistan"]
    assert all(document.text[c.start:c.end] == c.text for c in store.chunks)
    assert np.allclose(np.linalg.norm(store.vectors, axis=1), 1.0, atol=1e-5)


def test_reingest_is_idempotent_and_reuses_embeddings(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Alpha\n\nThe alpha article talks about airbases. It has two sentences.")
    write(corpus, "b.txt", "Beta\n\nThe beta article talks about rivers.\n\nA second paragraph on water rights.")
    update_index([str(corpus)], settings, embedder, progress=False)
    generation = (settings.index_dir / "CURRENT").read_text()

    again = update_index([str(corpus)], settings, embedder, progress=False)
    assert (again.added, again.updated, sorted(again.unchanged)) == ([], [], ["a", "b"])
    assert again.chunks_embedded == 0
    assert (settings.index_dir / "CURRENT").read_text() == generation, "nothing changed, nothing rewritten"

    write(corpus, "b.txt", "Beta\n\nThe beta article talks about rivers.\n\nA new paragraph on dams.")
    changed = update_index([str(corpus)], settings, embedder, progress=False)
    assert changed.updated == ["b"] and changed.unchanged == ["a"]
    store = open_store(settings, embedder)
    assert "dams" in store.documents["b"].text and "water rights" not in store.documents["b"].text
    assert all("water rights" not in c.text for c in store.chunks)


def test_prune_removes_articles_whose_files_are_gone(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Alpha\n\nAlpha body.")
    gone = write(corpus, "b.txt", "Beta\n\nBeta body.")
    update_index([str(corpus)], settings, embedder, progress=False)
    gone.unlink()
    kept = update_index([str(corpus)], settings, embedder, progress=False)
    assert kept.total_documents == 2, "without --prune nothing is removed"
    pruned = update_index([str(corpus)], settings, embedder, prune=True, progress=False)
    assert pruned.removed == ["b"] and pruned.total_documents == 1
    assert {c.doc_id for c in open_store(settings, embedder).chunks} == {"a"}


def test_same_text_under_two_names_is_indexed_once(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "first.txt", "Same\n\nIdentical body text.")
    write(corpus, "second.txt", "Same\n\nIdentical body text.")
    report = update_index([str(corpus)], settings, embedder, progress=False)
    assert report.added == ["first"] and report.total_documents == 1
    assert report.skipped == [f"{corpus / 'second.txt'}: same text as article 'first'"]


def test_failures_are_reported_and_good_files_still_indexed(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "good.txt", "Good\n\nA good article body.")
    write(corpus, "empty.txt", "")
    report = update_index([str(corpus), str(tmp_path / "nope")], settings, embedder, progress=False)
    assert report.added == ["good"]
    assert sorted(f.reason for f in report.failed) == ["no such file or folder", "no text"]


def test_index_built_with_other_settings_is_refused_with_rebuild_hint(indexed, settings, embedder):
    from dataclasses import replace
    other = replace(settings, chunk_tokens=99)
    with pytest.raises(UserError, match=r"chunk_tokens 200 \(now 99\).*--rebuild"):
        open_store(other, embedder)
    rebuilt = update_index([str(SAMPLE_ARTICLE)], other, embedder, rebuild=True, progress=False)
    assert rebuilt.added and open_store(other, embedder).count > 0


def test_missing_index_says_how_to_build_one(settings, embedder):
    with pytest.raises(UserError, match=r"no index at .*python cli.py ingest"):
        open_store(settings, embedder)


def test_crash_while_saving_keeps_previous_index(indexed, settings, embedder, tmp_path, monkeypatch):
    before = open_store(settings, embedder).count
    write(tmp_path / "more", "new.txt", "New\n\nA new article about something else entirely.")
    import faiss

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        update_index([str(tmp_path / "more")], settings, embedder, progress=False)
    monkeypatch.undo()
    assert open_store(settings, embedder).count == before
    report = update_index([str(tmp_path / "more")], settings, embedder, progress=False)
    assert report.added == ["new"] and report.total_documents == 2
    assert len(list(settings.index_dir.glob("gen-*"))) == 1, "stale generations are cleaned up"


def test_second_writer_is_refused(settings):
    with writer_lock(settings.index_dir):
        with pytest.raises(UserError, match="another ingest is writing"):
            with writer_lock(settings.index_dir):
                pass


def test_retrievers_rank_the_matching_chunk_first(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "air.txt", "Airbases\n\nBagram airbase negotiations and the strategic footprint.")
    write(corpus, "water.txt", "Water\n\nRiver water rights between the two countries.")
    write(corpus, "army.txt", "Army\n\nSoldiers and civilians lost their lives in the war.")
    update_index([str(corpus)], settings, embedder, progress=False)
    retriever = Retriever(open_store(settings, embedder), embedder)
    for method in ("dense", "bm25", "hybrid", "rrf"):
        hits = retriever.search("water rights of rivers", k=2, method=method)
        assert hits[0].chunk.doc_id == "water", method
        assert [h.rank for h in hits] == [1, 2]
    only_army = retriever.search("water rights", k=3, doc_ids={"army"})
    assert {h.chunk.doc_id for h in only_army} == {"army"}
    with pytest.raises(ValueError, match="retriever 'magic' is not one of dense, bm25"):
        retriever.search("x", 1, method="magic")


def test_empty_store_searches_to_nothing(embedder):
    store = FaissStore({"dimension": embedder.dimension})
    assert Retriever(store, embedder).search("anything", 5) == []


@pytest.mark.parametrize("title, site, read", [
    ("Macros", "The Rust Programming Language", "Macros - The Rust Programming Language\nMacros write code."),
    ("Git - git-stash Documentation", "Git", "Git - git-stash Documentation\nMacros write code."),
    ("Macros", "", "Macros\nMacros write code."),
])
def test_a_chunk_is_read_with_its_title_and_the_site_name_the_title_no_longer_carries(title, site, read):
    from index.store import embed_text
    from schema import Chunk, Document

    document = Document("macros", title, "macros.html", "Macros write code.", {"site": site} if site else {})
    chunk = Chunk("macros#0", "macros", 0, "Macros write code.", 0, 18)
    assert embed_text(document, chunk, with_title=True) == read
    assert embed_text(document, chunk, with_title=False) == "Macros write code."
