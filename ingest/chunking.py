"""Split a Document into overlapping Chunks sized in the embedding model's tokens, keeping character offsets."""
from __future__ import annotations

import re
from collections.abc import Callable

from ingest.structure import HEADING, span_at, spans_from_records
from schema import Chunk, Document
from settings import overlap_problem

# Paragraphs, then lines, then sentence ends, then clauses, then words: the splitter tries them in order.
SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?…])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


def make_splitter(chunk_tokens: int, chunk_overlap: int, count_tokens: Callable[[str], int],
                  count_tokens_many: Callable[[list[str]], list[int]] | None = None) -> CountedSplitter:
    """A splitter measuring pieces with `count_tokens`; `count_tokens_many`, the same counts for many texts in one
    call, makes it fast (a fast tokenizer encodes a batch in one call, on every core)."""
    if why := overlap_problem(chunk_overlap, chunk_tokens):  # Settings refuse such values: a caller's mistake
        raise ValueError(f"chunk_overlap={chunk_overlap} {why}")
    counts = TokenCounts(count_tokens, count_tokens_many)
    # counts.__getitem__ is a dict lookup in C: the splitter measures every piece, most of them three times
    return CountedSplitter(plain_splitter(chunk_tokens, chunk_overlap, counts.__getitem__), counts, chunk_tokens)


def plain_splitter(chunk_tokens: int, chunk_overlap: int, length_function: Callable[[str], int]):
    """langchain's splitter as this project configures it, calling length_function at every measurement."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=length_function,
        strip_whitespace=True,
    )


class CountedSplitter:
    """langchain's RecursiveCharacterTextSplitter, with the token counts of a document's pieces made ahead in a few
    batches instead of one tokenizer call per measurement: the same chunks, about 2 times faster on prose and 15-50
    times on text it cuts into characters (no spaces, as in Chinese); bench/run.py's "Chunking" section."""

    def __init__(self, splitter, counts: TokenCounts, chunk_tokens: int):
        self.splitter, self.counts, self.chunk_tokens = splitter, counts, chunk_tokens

    def split_text(self, text: str) -> list[str]:
        self.counts.clear()  # one document's pieces at a time: memory stays bounded
        try:
            count_ahead(text, self.counts, self.chunk_tokens)
            return self.splitter.split_text(text)
        finally:
            self.counts.clear()


class TokenCounts(dict):
    """Token counts by text, filled in batches ahead of the splitter; a text not counted ahead is counted on first
    use with the very function the splitter was given, so the chunks never depend on the counting ahead."""

    BATCH = 512  # texts per tokenizer call: bounds the memory of the token ids it returns

    def __init__(self, count_one: Callable[[str], int], count_many: Callable[[list[str]], list[int]] | None):
        super().__init__()
        self._count_one = count_one
        self._count_many = count_many or (lambda texts: [count_one(text) for text in texts])

    def __missing__(self, text: str) -> int:
        self[text] = count = self._count_one(text)
        return count

    def learn(self, texts: list[str]) -> None:
        new = [text for text in dict.fromkeys(texts) if text not in self]
        for at in range(0, len(new), self.BATCH):
            batch = new[at:at + self.BATCH]
            self.update(zip(batch, self._count_many(batch)))


def count_ahead(text: str, counts: TokenCounts, chunk_tokens: int) -> None:
    """Count, one batch per level, the pieces RecursiveCharacterTextSplitter will measure: the text cut at the first
    of SEPARATORS it contains, then every piece of chunk_tokens or more cut again at the separators after that one."""
    counts.learn([""])  # the splitter measures the separator it joins pieces with: "" when pieces keep their own
    parts = [(text, SEPARATORS)]
    while parts:
        cuts = [_cut(part, separators) for part, separators in parts]
        counts.learn([piece for pieces, _ in cuts for piece in pieces])
        parts = [(piece, rest) for pieces, rest in cuts if rest for piece in pieces if counts[piece] >= chunk_tokens]


def _cut(text: str, separators: list[str]) -> tuple[list[str], list[str]]:
    """The splitter's pieces of `text`, and the separators left to cut them further: cut at the first separator
    found, each separator kept at the end of the piece before it; with none left, single characters."""
    for i, separator in enumerate(separators):
        if separator and re.search(separator, text):
            parts = re.split(f"({separator})", text)
            pieces = [parts[j] + parts[j + 1] for j in range(0, len(parts) - 1, 2)] + [parts[-1]]
            return [piece for piece in pieces if piece], separators[i + 1:]
        if not separator:
            break
    return list(text), []


def chunk_document(document: Document, splitter) -> list[Chunk]:
    """Chunks whose text is exactly document.text[start:end]."""
    chunks, search_from = [], 0
    spans = spans_from_records(document.blocks)
    for index, piece in enumerate(splitter.split_text(document.text)):
        start = document.text.find(piece, search_from)
        if start < 0:  # the splitter only strips whitespace, so this means a bug, not bad input
            raise AssertionError(f"chunk {index} of {document.id} is not a substring of its document")
        end = start + len(piece)
        chunks.append(Chunk(id=f"{document.id}#{index}", doc_id=document.id, index=index,
                            text=piece, start=start, end=end, section=_section(spans, start, end)))
        search_from = start + 1
    return chunks


def _section(spans, start: int, end: int) -> str:
    """The heading path of the chunk's first block that is not itself a heading (a chunk that opens with a
    heading is in that heading's section)."""
    block = span_at(spans, start)
    while block is not None and block.kind == HEADING and block.end < end:
        block = span_at(spans, block.end + 1)
    return block.section if block else ""
