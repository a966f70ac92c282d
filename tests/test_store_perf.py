"""The FAISS index type follows the corpus size, is recorded in the manifest, and survives save and load."""
import json

import numpy as np
import pytest

import index.store as store_module
from index.store import FLAT_LIMIT, FaissStore, choose_index, search_index
from schema import Chunk, Document

CONFIG = {"embed_model": "hashing", "dimension": 16, "chunk_tokens": 200, "chunk_overlap": 40, "embed_title": True}


def test_exact_search_up_to_the_limit_then_ivf():
    assert choose_index(10) == {"type": "flat"}
    assert choose_index(FLAT_LIMIT) == {"type": "flat"}
    assert choose_index(100_000) == {"type": "ivf", "nlist": 512, "nprobe": 32}
    assert choose_index(1_000_000) == {"type": "ivf", "nlist": 2048, "nprobe": 128}
    for count in (FLAT_LIMIT + 1, 300_000, 5_000_000):
        spec = choose_index(count)
        assert spec["type"] == "ivf" and spec["nlist"] & (spec["nlist"] - 1) == 0, "a power of two"
        assert 32 <= spec["nprobe"] <= spec["nlist"] and count / spec["nlist"] >= 39, "lists are trainable"


def clustered_store(count: int, seed: int = 0) -> FaissStore:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, CONFIG["dimension"]))
    vectors = centres[rng.integers(0, 20, count)] + 0.3 * rng.standard_normal((count, CONFIG["dimension"]))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    store = FaissStore(CONFIG)
    entries = []
    for d in range(0, count, 50):
        text = " ".join(f"w{i}" for i in range(d, min(d + 50, count)))
        document = Document(id=f"doc{d}", title=f"Doc {d}", source=f"doc{d}.txt", text=text)
        chunks, offset = [], 0
        for i in range(d, min(d + 50, count)):
            word = f"w{i}"
            chunks.append(Chunk(id=f"doc{d}#{i - d}", doc_id=document.id, index=i - d, text=word,
                                start=offset, end=offset + len(word)))
            offset += len(word) + 1
        entries.append((document, f"hash{d}", chunks, vectors[d:d + 50], [f"key{i}" for i in range(d, d + 50)]))
    store.add(entries)
    return store


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(store_module, "FLAT_LIMIT", 500)


def manifest_of(folder):
    return json.loads((folder / (folder / "CURRENT").read_text() / "manifest.json").read_text())


def test_a_small_store_is_flat_and_says_so(tmp_path):
    store = clustered_store(200)
    store.save(tmp_path)
    manifest = manifest_of(tmp_path)
    assert (manifest["index_type"], manifest["index_params"]) == ("flat", {})


def test_a_large_store_is_ivf_with_its_parameters_in_the_manifest_and_after_load(tmp_path, small_limit):
    store = clustered_store(2000)
    assert store.index_spec == choose_index(2000) and store.index_type == "ivf"
    queries = store.vectors[:20].copy()
    before = [store.search(q, 10) for q in queries]
    assert all(hits[0][0] == i for i, hits in enumerate(before)), "each vector finds itself first"
    store.save(tmp_path)
    manifest = manifest_of(tmp_path)
    assert manifest["index_type"] == "ivf"
    assert manifest["index_params"] == {k: v for k, v in choose_index(2000).items() if k != "type"}
    loaded = FaissStore.load(tmp_path, CONFIG)
    assert loaded.index_spec == store.index_spec and loaded.faiss_index.nprobe == manifest["index_params"]["nprobe"]
    assert [loaded.search(q, 10) for q in queries] == before
    loaded.save(tmp_path / "again")  # written whole, not as a reference to the first generation's file
    assert [FaissStore.load(tmp_path / "again", CONFIG).search(q, 10) for q in queries] == before


def test_approximate_search_finds_most_of_the_exact_top_10(small_limit):
    store = clustered_store(3000)
    exact = store_module.build_faiss_index(store.vectors, {"type": "flat"})
    rng = np.random.default_rng(1)
    recalls = []
    for q in store.vectors[rng.choice(3000, 30, replace=False)] + 0.05:
        q = q / np.linalg.norm(q)
        truth = {p for p, _ in search_index(exact, q, 10)}
        recalls.append(len(truth & {p for p, _ in store.search(q, 10)}) / 10)
    assert store.index_type == "ivf" and np.mean(recalls) >= 0.95


def test_loaded_vectors_are_memory_mapped_and_edits_still_work(tmp_path):
    store = clustered_store(100)
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, CONFIG)
    assert isinstance(loaded.vectors, np.memmap) and not loaded.vectors.flags.writeable
    top = loaded.search(loaded.vectors[3], 1)
    loaded.delete({"doc50"})
    loaded.add([(e[0], "hash-new", e[2], e[3], e[4]) for e in [_entry_of(clustered_store(50, seed=2), "doc0", "new")]])
    assert loaded.count == 100 and top[0][0] == 3
    assert loaded.search(loaded.vectors[-1], 1)[0][0] == 99
    loaded.save(tmp_path)
    assert FaissStore.load(tmp_path, CONFIG).count == 100


def _entry_of(store, doc_id, new_id):
    positions = [i for i, c in enumerate(store.chunks) if c.doc_id == doc_id]
    document = store.documents[doc_id]
    chunks = [Chunk(id=f"{new_id}#{c.index}", doc_id=new_id, index=c.index, text=c.text, start=c.start, end=c.end)
              for c in (store.chunks[p] for p in positions)]
    return (Document(id=new_id, title=document.title, source=document.source, text=document.text), None, chunks,
            store.vectors[positions], [store.embed_keys[p] for p in positions])


def test_search_restores_the_faiss_thread_count():
    import faiss

    before = faiss.omp_get_max_threads()
    store = clustered_store(100)
    store.search(store.vectors[0], 5)
    assert faiss.omp_get_max_threads() == before
