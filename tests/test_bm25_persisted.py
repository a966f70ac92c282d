"""BM25 is built at ingest and saved with the generation: the first question after a start builds nothing and gets
the hits the in-memory index gave; an older generation without it still answers; a damaged BM25 file is refused in
one line naming it."""
import json
import subprocess
import sys

import bm25s
import numpy as np
import pytest
import Stemmer
from helpers import ROOT, PicklePayload, write

from index.build import open_store, update_index
from index.lexical import Bm25
from index.search import Retriever
from index.store import BM25_FILES, FaissStore
from qa.pipeline import QAPipeline
from schema import UserError

QUERIES = ["What did Khalilzad say about Pakistan?", "TTP attacks on the border", "river dam water rights",
           "the of and", "Kabul Kabul airbase", "zzzqx unknownword", "negotiations with the Taliban in Doha"]
METHODS = ["dense", "bm25", "hybrid", "rrf", "mmr"]
WORDS = ["Pakistan", "Khalilzad", "rivers", "the", "zzzqx", "negotiating"]


@pytest.fixture
def ingested(corpus, settings, embedder):
    update_index([str(corpus)], settings, embedder, progress=False)
    return settings.index_dir / (settings.index_dir / "CURRENT").read_text()


class _OldBm25:
    """BM25 exactly as Retriever built and used it before it was saved: bm25s over every chunk at first use."""

    def __init__(self, texts):
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"),
                                        show_progress=False), show_progress=False)
        self.count = len(texts)

    def scores(self, query):
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False,
                                return_ids=False)
        if not tokens[0]:
            return np.zeros(self.count, dtype=np.float32)
        return self.model.get_scores(tokens[0])

    def holds(self, word):
        tokens = bm25s.tokenize([word], stopwords=[], stemmer=Stemmer.Stemmer("english"), show_progress=False,
                                return_ids=False)
        return all(token in self.model.vocab_dict for token in tokens[0])


class _OldRetriever(Retriever):
    _old_bm25 = None

    @property
    def lexical(self):
        if self._old_bm25 is None:
            self._old_bm25 = _OldBm25(self.store.embed_texts(self.with_title))
        return self.store.lexical_search(self.with_title, self._old_bm25)


def answers_of(retriever):
    """Every hit (chunk, score, rank) for every query and method, and which words the index holds."""
    hits = {(query, method): [(h.chunk.id, h.score, h.rank) for h in retriever.search(query, 8, method)]
            for query in QUERIES for method in METHODS}
    return hits, {word: retriever.mentions(word) for word in WORDS}


def make_old(generation):
    """The generation as the code before this change wrote it: no BM25 files, no "bm25" in the manifest."""
    for name in BM25_FILES.values():
        (generation / name).unlink()
    manifest = json.loads((generation / "manifest.json").read_text())
    del manifest["bm25"]
    (generation / "manifest.json").write_text(json.dumps(manifest))


def test_bm25_scores_are_bit_for_bit_those_of_bm25s(settings, embedder, ingested):
    texts = open_store(settings, embedder).embed_texts()
    ours, old = Bm25.build(texts), _OldBm25(texts)
    for query in QUERIES:
        assert np.array_equal(ours.scores(query), old.scores(query)), query
    assert [ours.holds(w) for w in WORDS] == [old.holds(w) for w in WORDS] == [True, True, True, False, False, True]


def test_hits_are_identical_in_memory_after_a_restart_and_from_an_older_generation(settings, embedder, ingested):
    before = answers_of(_OldRetriever(open_store(settings, embedder), embedder))
    store = open_store(settings, embedder)
    assert store.bm25_saved and isinstance(store.bm25.indices, np.memmap), "loaded, memory-mapped"
    assert answers_of(Retriever(store, embedder)) == before
    assert any(hits for hits in before[0].values()) and any(before[1].values())
    make_old(ingested)
    store = open_store(settings, embedder)
    assert not store.bm25_saved
    assert answers_of(Retriever(store, embedder)) == before, "an older generation builds it in memory"
    untitled = answers_of(_OldRetriever(store, embedder, with_title=False))
    assert answers_of(Retriever(open_store(settings, embedder), embedder, with_title=False)) == untitled != before


def test_the_first_question_after_a_restart_builds_no_bm25(settings, embedder, ingested, monkeypatch):
    def no_building(*args, **kwargs):
        raise AssertionError("BM25 built at a question")

    monkeypatch.setattr(bm25s.BM25, "index", no_building)
    retriever = Retriever(open_store(settings, embedder), embedder)
    assert retriever.search("river dam water", 3, "hybrid")[0].chunk.doc_id == "rivers"
    assert retriever.search("river dam water", 3, "bm25")[0].chunk.doc_id == "rivers"
    assert retriever.mentions("Pakistan") and not retriever.mentions("zzzqx")
    answer = QAPipeline(settings, embedder=embedder).ask("What do farmers along the river want?")
    assert answer.answered and answer.citations[0].doc_id == "rivers"
    make_old(ingested)
    with pytest.raises(AssertionError, match="BM25 built at a question"):
        Retriever(open_store(settings, embedder), embedder).search("river dam water", 3, "hybrid")


def test_a_new_process_answers_without_building_bm25(ingested, cli_env, settings):
    """A restart as a user makes one: `cli.py ask` in a fresh process, with bm25s unable to build an index."""
    script = ("import sys, runpy, bm25s\n"
              "def no_building(*a, **k): raise SystemExit('BM25 built at a question')\n"
              "bm25s.BM25.index = no_building\n"
              "sys.argv = ['cli.py', 'ask', 'What do farmers along the river want?']\n"
              f"runpy.run_path({str(ROOT / 'cli.py')!r}, run_name='__main__')\n")
    assert cli_env["RAGQA_INDEX_DIR"] == str(settings.index_dir)
    done = subprocess.run([sys.executable, "-c", script], env=cli_env, cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0 and "farmers along the river" in done.stdout.lower(), done.stderr


def test_every_ingest_saves_the_bm25_of_all_its_chunks(corpus, settings, embedder, ingested):
    write(corpus, "border.txt", "Border\n\nTrade across the border rose again. Markets reopened in spring.")
    write(corpus, "courts.txt", "Courts\n\nThe court ruled on the budget and the election.")
    (corpus / "rivers.txt").unlink()
    report = update_index([str(corpus)], settings, embedder, prune=True, progress=False)
    assert (report.added, report.updated, report.removed) == (["courts"], ["border"], ["rivers"])
    store = open_store(settings, embedder)
    fresh = Bm25.build(store.embed_texts())
    assert store.bm25_saved and store.bm25.vocab == fresh.vocab and store.bm25.count == store.count
    assert all(np.array_equal(saved, fresh.arrays()[name]) for name, saved in store.bm25.arrays().items())
    assert Retriever(store, embedder).search("budget election court", 1, "bm25")[0].chunk.doc_id == "courts"
    assert not Retriever(store, embedder).mentions("farmers"), "the pruned article's words are gone"


def test_an_ingest_of_nothing_new_gives_an_older_generation_its_bm25(corpus, settings, embedder, ingested):
    make_old(ingested)
    report = update_index([str(corpus)], settings, embedder, progress=False)
    assert report.chunks_embedded == 0 and len(report.unchanged) == 3
    upgraded = (settings.index_dir / "CURRENT").read_text()
    assert upgraded != ingested.name and open_store(settings, embedder).bm25_saved
    update_index([str(corpus)], settings, embedder, progress=False)
    assert (settings.index_dir / "CURRENT").read_text() == upgraded, "a generation with BM25 is not saved again"


def test_a_manifest_naming_other_bm25_settings_is_rebuilt_in_memory_not_trusted(settings, embedder, ingested):
    before = answers_of(Retriever(open_store(settings, embedder), embedder))
    manifest = json.loads((ingested / "manifest.json").read_text())
    manifest["bm25"] = {**manifest["bm25"], "k1": 0.9}
    (ingested / "manifest.json").write_text(json.dumps(manifest))
    store = open_store(settings, embedder)
    assert not store.bm25_saved and answers_of(Retriever(store, embedder)) == before


def test_an_index_without_a_word_bm25_can_read_answers(tmp_path, settings, embedder, cli_env):
    """bm25s cannot index chunks holding only stop words; the first question used to end in a traceback."""
    write(tmp_path / "corpus", "x.txt", "The\n\nAn a of the. It is.")
    update_index([str(tmp_path / "corpus")], settings, embedder, progress=False)
    store = open_store(settings, embedder)
    assert store.bm25_saved and store.bm25.vocab == {}
    retriever = Retriever(store, embedder)
    assert [h.chunk.doc_id for h in retriever.search("what is it", 3, "hybrid")] == ["x"]
    assert not retriever.mentions("it")
    empty = FaissStore(store.config)
    empty.save(tmp_path / "empty")
    assert Retriever(FaissStore.load(tmp_path / "empty", store.config), embedder).search("anything", 3) == []


def _save_array(name, change):
    def tamper(generation):
        path = generation / BM25_FILES[name]
        np.save(path, change(np.load(path)), allow_pickle=False)
    return tamper


def _edit_vocab(change):
    def tamper(generation):
        path = generation / BM25_FILES["vocab"]
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
    return tamper


def _first_term(value):
    return lambda vocab: {**vocab, next(iter(vocab)): value}


TAMPERS = {  # name: (tamper, the part whose file the refusal names, a piece of its reason)
    "scores deleted": (lambda g: (g / BM25_FILES["data"]).unlink(), "data", "No such file"),
    "vocabulary deleted": (lambda g: (g / BM25_FILES["vocab"]).unlink(), "vocab", "No such file"),
    "pointers deleted": (lambda g: (g / BM25_FILES["indptr"]).unlink(), "indptr", "No such file"),
    "scores float64": (_save_array("data", lambda a: a.astype(np.float64)), "data", "holds float64"),
    "scores a matrix": (_save_array("data", lambda a: a.reshape(1, -1)), "data", "expected a float32 vector"),
    "a chunk past the last": (_save_array("indices", lambda a: a + 1000), "indices", "names chunks outside"),
    "a negative chunk": (_save_array("indices", lambda a: a - 1), "indices", "names chunks outside"),
    "chunks as floats": (_save_array("indices", lambda a: a.astype(np.float32)), "indices", "expected integers"),
    "one chunk entry short": (_save_array("indices", lambda a: a[1:]), "indices", "expected integers"),
    "pointers past the scores": (_save_array("indptr", lambda a: a + 1), "indptr", "does not span"),
    "pointers out of order": (_save_array("indptr", lambda a: a[::-1]), "indptr", "does not span"),
    "pointers empty": (_save_array("indptr", lambda a: a[:0]), "indptr", "expected a vector of integers"),
    "a term past the last column": (_edit_vocab(_first_term(10 ** 6)), "vocab", "other than a column"),
    "a term as text": (_edit_vocab(_first_term("3")), "vocab", "other than a column"),
    "a term as true": (_edit_vocab(_first_term(True)), "vocab", "other than a column"),
    "vocabulary a list": (_edit_vocab(lambda vocab: list(vocab)), "vocab", "not a JSON object"),
    "vocabulary not JSON": (lambda g: (g / BM25_FILES["vocab"]).write_text("{'a': 1"), "vocab", "Expecting"),
}


@pytest.mark.parametrize("tamper", TAMPERS)
def test_a_damaged_bm25_file_is_refused_in_one_line_naming_it(tamper, settings, embedder, ingested, corpus):
    change, part, reason = TAMPERS[tamper]
    change(ingested)
    kept = {p.name: p.read_bytes() for p in ingested.iterdir()}
    write(corpus, "more.txt", "More\n\nA new article about the valley.")
    for attempt in (lambda: open_store(settings, embedder),
                    lambda: QAPipeline(settings, embedder=embedder).ask("river dam"),
                    lambda: update_index([str(corpus)], settings, embedder, progress=False)):
        with pytest.raises(UserError) as error:
            attempt()
        message = str(error.value)
        assert message.startswith(f"cannot read {ingested / BM25_FILES[part]}: ") and reason in message, message
        assert "\n" not in message and message.endswith(f"--index {settings.index_dir} --rebuild")
    assert {p.name: p.read_bytes() for p in ingested.iterdir()} == kept, "nothing saved over it"
    report = update_index([str(corpus)], settings, embedder, rebuild=True, progress=False)
    assert len(report.added) == 4 and open_store(settings, embedder).bm25_saved


@pytest.mark.parametrize("part", ["data", "indices", "indptr"])
def test_a_pickle_planted_in_a_bm25_file_is_refused_and_never_run(part, settings, embedder, ingested, tmp_path):
    array = np.empty(1, dtype=object)
    array[0] = PicklePayload(tmp_path / "pickle-ran")
    np.save(ingested / BM25_FILES[part], array, allow_pickle=True)
    with pytest.raises(UserError) as error:
        open_store(settings, embedder)
    assert str(error.value).startswith(f"cannot read {ingested / BM25_FILES[part]}: ")
    assert not (tmp_path / "pickle-ran").exists()
