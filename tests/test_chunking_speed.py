"""Fast chunking (issue 12): the splitter's token counts are made ahead in a few batches per document, and the chunks
stay exactly those of langchain's splitter calling the tokenizer at every measurement."""
from dataclasses import replace
from types import SimpleNamespace

import pytest
from helpers import SAMPLE_ARTICLE

from index.build import open_store, update_index
from index.embedders import (
    HashingEmbedder,
    SentenceTransformerEmbedder,
    _resolve_model_path,
)
from ingest.chunking import chunk_document, make_splitter, plain_splitter
from schema import Document
from settings import DEFAULT_MODEL

PROSE = " ".join(f"Sentence {i} has a clause; then another, and a comma, before it ends." for i in range(40))
TEXTS = {
    "sample article": SAMPLE_ARTICLE.read_text(),
    "paragraphs, short and long": "\n\n".join(["A short one.", PROSE, "Line one\nline two\n" * 30, "Tail…  end!"]),
    "one line of words": " ".join(f"word{i}" for i in range(700)),
    "no whitespace at all": "-".join(f"w{i}" for i in range(600)),  # only the empty separator cuts it
    "CJK without spaces": "北京是中华人民共和国的首都，也是政治中心。" * 60,
    "odd whitespace": "\r\n".join(f"\tIndented\u00a0line {i}.\u2003Next, part" for i in range(200)) + "   \n\n  ",
    "code": "\n".join(f"    def f{i}(x):\n        return x * {i}" for i in range(120)),
    "empty": "",
    "blank": " \n\n \t ",
}
SIZES = [(200, 40), (30, 5), (8, 0), (5, 4)]


class Recording:
    """A token counter that records every call: one text at a time, or a batch."""

    def __init__(self, count):
        self.count, self.singles, self.batches = count, [], []

    def one(self, text: str) -> int:
        self.singles.append(text)
        return self.count(text)

    def many(self, texts: list[str]) -> list[int]:
        self.batches.append(list(texts))
        return [self.count(text) for text in texts]


@pytest.mark.parametrize("size, overlap", SIZES)
def test_chunks_are_those_of_the_splitter_counting_every_piece(size, overlap):
    embedder = HashingEmbedder()
    ours = make_splitter(size, overlap, embedder.count_tokens, embedder.count_tokens_many)
    plain = plain_splitter(size, overlap, embedder.count_tokens)
    for name, text in TEXTS.items():
        assert ours.split_text(text) == plain.split_text(text), name


@pytest.mark.parametrize("size, overlap", SIZES)
def test_every_piece_is_counted_ahead_in_a_few_batches(size, overlap):
    counter = Recording(HashingEmbedder().count_tokens)
    splitter = make_splitter(size, overlap, counter.one, counter.many)
    for name, text in TEXTS.items():
        counter.batches.clear()
        splitter.split_text(text)
        assert counter.singles == [], f"{name}: pieces counted one call each"
        counted = [piece for batch in counter.batches for piece in batch]
        assert len(counted) == len(set(counted)), f"{name}: a piece counted twice"
        assert len(counter.batches) <= 10, f"{name}: {len(counter.batches)} batches"
        assert not splitter.counts, "a document's counts are dropped once it is split"


def test_without_a_batch_counter_each_distinct_piece_is_counted_once():
    counter = Recording(HashingEmbedder().count_tokens)
    splitter = make_splitter(30, 5, counter.one)  # e.g. an embedder wrapper with count_tokens only
    for text in TEXTS.values():
        counter.singles.clear()
        splitter.split_text(text)
        assert len(counter.singles) == len(set(counter.singles))


class OneAtATimeForbidden(HashingEmbedder):
    def count_tokens(self, text: str) -> int:
        raise AssertionError("ingest counted a piece on its own")


class NoBatchCounter:
    """An embedder wrapper that offers count_tokens only (as evaluation/run.py's caching wrapper does)."""

    def __init__(self):
        inner = HashingEmbedder()
        self.name, self.dimension = inner.name, inner.dimension
        self.embed_documents, self.embed_query, self.count_tokens = (inner.embed_documents, inner.embed_query,
                                                                     inner.count_tokens)


def test_ingest_counts_in_batches_and_a_wrapper_without_them_gives_the_same_chunks(settings, tmp_path):
    articles = tmp_path / "in"
    articles.mkdir()
    for name, text in TEXTS.items():
        if text.strip():
            (articles / f"{name.replace(' ', '-').replace(',', '')}.txt").write_text(f"Title {name}\n\n{text}")
    chunks = []
    for number, embedder in enumerate((OneAtATimeForbidden(), NoBatchCounter())):
        each = replace(settings, index_dir=tmp_path / f"index{number}")
        report = update_index([str(articles)], each, embedder, progress=False)
        assert not report.failed, report.failed
        chunks.append(open_store(each, embedder).chunks)
    assert chunks[0] == chunks[1] and len(chunks[0]) > len(TEXTS)


@pytest.fixture(scope="module")
def real_tokenizer_embedder():
    """The packaged model's own tokenizer behind SentenceTransformerEmbedder's counting, without loading the model."""
    from transformers import AutoTokenizer

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    path = _resolve_model_path(DEFAULT_MODEL)
    embedder._model = SimpleNamespace(tokenizer=AutoTokenizer.from_pretrained(path))
    embedder._counting_tokenizer = AutoTokenizer.from_pretrained(path)  # as loading the model makes it
    return embedder


def test_batch_counts_equal_single_counts_even_after_a_truncating_encode(real_tokenizer_embedder):
    embedder = real_tokenizer_embedder
    texts = list(TEXTS.values()) + [PROSE * 3, "a", " ", "naïve café…"]
    # sentence-transformers encodes with truncation to the model window; that must not cap the splitter's counts
    embedder.model.tokenizer(["long " * 400], truncation=True, max_length=8)
    assert embedder.count_tokens_many(texts) == [embedder.count_tokens(text) for text in texts]
    assert embedder.count_tokens(PROSE * 3) > 512


@pytest.mark.parametrize("size, overlap", [(200, 40), (60, 15)])
def test_real_tokenizer_chunks_are_identical_exact_and_within_the_budget(real_tokenizer_embedder, size, overlap):
    embedder = real_tokenizer_embedder
    counter = Recording(embedder.count_tokens)
    ours = make_splitter(size, overlap, counter.one, embedder.count_tokens_many)
    plain = plain_splitter(size, overlap, embedder.count_tokens)
    for name, text in TEXTS.items():
        document = Document(name, name, "test", text)
        chunks = chunk_document(document, ours)
        assert [c.text for c in chunks] == plain.split_text(text), name
        assert all(document.text[c.start:c.end] == c.text for c in chunks)
        assert all(embedder.count_tokens(c.text) <= size for c in chunks), name
    assert counter.singles == []
