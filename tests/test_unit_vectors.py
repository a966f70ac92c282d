"""The vectors of every chunk's quotable units are made at ingest and saved with the generation: a question embeds
none of its candidate sentences, answers stay what they were, an older generation without them still answers the
same, re-ingest reuses them, a deleted article takes its units along, and a damaged units file is refused."""
import json
import shutil

import numpy as np
import pytest
from helpers import SAMPLE_ARTICLE, PicklePayload

from index import search
from index.build import open_store, update_index
from index.store import UNIT_FILES, text_key
from qa.evidence import candidate_sentences
from qa.pipeline import QAPipeline
from schema import Hit, UserError

QUESTIONS = ["What did Khalilzad say about Pakistan?", "What does the article say about the TTP?",
             "Who controls the river dam?", "What does the author think the US wants from Bagram?"]


class CountingEmbedder:
    """The hashing embedder, recording every text it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.texts: list[str] = []

    def embed_documents(self, texts, show_progress=False):
        self.texts += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        self.texts.append(text)
        return self.inner.embed_query(text)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "rivers.txt").write_text("Rivers\n\nThe river dam holds water for the valley. Water rights are disputed "
                                       "between the farmers and the town.\n\nThe provincial water board controls the "
                                       "river dam and sets the share of each village every spring.")
    shutil.copy(SAMPLE_ARTICLE, folder / "khalilzad.txt")
    return folder


def generation(settings):
    return settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()


def as_older_generation(settings) -> None:
    """The generation as the code before units were saved wrote it: no units files, no "units" in the manifest."""
    folder = generation(settings)
    for name in UNIT_FILES.values():
        (folder / name).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["units"]
    (folder / "manifest.json").write_text(json.dumps(manifest))


def stored_texts(store) -> list[str]:
    """The text of every unit row, in order, as the question path makes them (one chunk at a time)."""
    return [c.text for chunk in store.chunks for c in candidate_sentences([Hit(chunk, 0.0, 1)], store.documents)]


def test_every_chunks_units_are_saved_with_their_vectors(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    store = open_store(settings, embedder)
    texts = stored_texts(store)
    assert len(texts) == len(store.unit_keys) == int(store.unit_counts.sum()) > store.count
    assert [key.decode() for key in store.unit_keys] == [text_key("hashing", text) for text in texts]
    assert np.array_equal(store.unit_vectors, embedder.embed_documents(texts))
    assert isinstance(store.unit_vectors, np.memmap)  # mapped, like the chunk vectors


def test_a_question_embeds_none_of_its_candidates(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    counting = CountingEmbedder(embedder)
    pipeline = QAPipeline(settings, embedder=counting)
    for question in QUESTIONS:
        counting.texts.clear()
        answer = pipeline.ask(question)
        assert answer.answered and answer.citations
        assert set(counting.texts) <= {question, "Khalilzad say about Pakistan?", "the TTP?"}  # its readings only


def test_an_older_generation_without_units_answers_the_same_embedding_its_candidates(corpus, settings, embedder,
                                                                                     monkeypatch):
    update_index([str(corpus)], settings, embedder, progress=False)
    monkeypatch.setattr(search, "UNIT_WEIGHT", 0.0)  # without units, hybrid retrieval ranks by the chunk vectors alone
    now = [QAPipeline(settings, embedder=embedder).ask(question) for question in QUESTIONS]
    as_older_generation(settings)
    counting = CountingEmbedder(embedder)
    older = [QAPipeline(settings, embedder=counting).ask(question) for question in QUESTIONS]
    assert older == now
    assert len(counting.texts) > 3 * len(QUESTIONS)  # the candidates were embedded at question time


def test_an_ingest_told_not_to_embed_units_stores_none_and_answers_the_same(corpus, settings, embedder,
                                                                           monkeypatch):
    from dataclasses import replace

    update_index([str(corpus)], settings, embedder, progress=False)
    monkeypatch.setattr(search, "UNIT_WEIGHT", 0.0)  # without units, hybrid retrieval ranks by the chunk vectors alone
    now = [QAPipeline(settings, embedder=embedder).ask(question) for question in QUESTIONS]
    bulk = replace(settings, unit_vectors=False)  # RAGQA_UNIT_VECTORS=false
    counting = CountingEmbedder(embedder)
    update_index([str(corpus)], bulk, counting, rebuild=True, progress=False)
    store = open_store(bulk, embedder)
    assert store.unit_counts.sum() == 0 and np.isnan(store.best_unit_scores([0, 1], embedder.embed_query("x"))).all()
    assert len(counting.texts) == open_store(bulk, embedder).count  # the chunks only
    assert [QAPipeline(bulk, embedder=embedder).ask(question) for question in QUESTIONS] == now


def test_re_ingest_embeds_only_the_units_of_changed_text(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    rivers = corpus / "rivers.txt"
    rivers.write_text(rivers.read_text() + "\n\nA new weir was finished last year upstream of the old mill.")
    counting = CountingEmbedder(embedder)
    update_index([str(corpus)], settings, counting, progress=False)
    assert "A new weir was finished last year upstream of the old mill." in counting.texts
    assert "The provincial water board controls the river dam and sets the share of each village every spring." \
        not in counting.texts  # a unit of unchanged text: its vector reused
    store = open_store(settings, embedder)
    assert np.array_equal(store.unit_vectors, embedder.embed_documents(stored_texts(store)))


def test_a_deleted_article_takes_its_units_along(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    (corpus / "rivers.txt").unlink()
    update_index([str(corpus)], settings, embedder, prune=True, progress=False)
    store = open_store(settings, embedder)
    assert set(store.documents) == {"khalilzad"}
    texts = stored_texts(store)
    assert [key.decode() for key in store.unit_keys] == [text_key("hashing", text) for text in texts]
    assert len(store.unit_counts) == store.count and not any("river dam" in text for text in texts)


@pytest.mark.parametrize("part, damage", [
    ("vectors", "truncate"), ("keys", "truncate"), ("counts", "wrong sum"), ("keys", "wrong type"),
    ("vectors", "missing")])
def test_a_damaged_units_file_is_refused_in_one_line_naming_it(corpus, settings, embedder, part, damage):
    update_index([str(corpus)], settings, embedder, progress=False)
    path = generation(settings) / UNIT_FILES[part]
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "wrong sum":
        counts = np.load(path)
        counts[0] += 1
        np.save(path, counts)
    elif damage == "wrong type":
        np.save(path, np.load(path).astype("S12"))
    else:
        path.unlink()
    with pytest.raises(UserError) as refused:
        open_store(settings, embedder)
    message = str(refused.value)
    assert str(path) in message and "--rebuild" in message and "\n" not in message


@pytest.mark.parametrize("part", ["counts", "keys", "vectors"])
def test_a_pickle_planted_in_a_units_file_is_refused_and_never_run(corpus, settings, embedder, part, tmp_path):
    update_index([str(corpus)], settings, embedder, progress=False)
    path, marker = generation(settings) / UNIT_FILES[part], tmp_path / "pickle-ran"
    array = np.empty(1, dtype=object)
    array[0] = PicklePayload(marker)
    np.save(path, array, allow_pickle=True)
    with pytest.raises(UserError) as refused:
        open_store(settings, embedder)
    assert str(path) in str(refused.value) and not marker.exists()


def test_replacing_the_unit_rows_resets_where_each_chunks_rows_start(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    store = open_store(settings, embedder)
    texts = stored_texts(store)
    first, last = store.chunks[0], store.chunks[-1]
    assert store.unit_vectors_of([(first.id, texts[0])])[0] is not None  # the row offsets are built here
    kept = int(store.unit_counts[-1])  # only the last chunk keeps its rows, now the store's first ones
    counts = np.zeros(store.count, dtype=np.int64)
    counts[-1] = kept
    vectors = np.array(store.unit_vectors[-kept:])
    store.replace_units(counts, store.unit_keys[-kept:], vectors)
    assert store.unit_vectors_of([(first.id, texts[0])]) == [None]
    assert np.array_equal(store.unit_vectors_of([(last.id, texts[-1])])[0], vectors[-1])
    with pytest.raises(ValueError, match="do not fit"):
        store.replace_units(counts[1:], store.unit_keys, vectors)
