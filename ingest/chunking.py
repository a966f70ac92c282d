"""Split a Document into overlapping Chunks sized in the embedding model's tokens, keeping character offsets."""
from __future__ import annotations

from typing import Callable

from ingest.structure import HEADING, span_at, spans_from_records
from schema import Chunk, Document

# Paragraphs, then lines, then sentence ends, then clauses, then words: the splitter tries them in order.
SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?…])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


def make_splitter(chunk_tokens: int, chunk_overlap: int, count_tokens: Callable[[str], int]):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if not 0 <= chunk_overlap < chunk_tokens:
        raise ValueError(f"chunk overlap {chunk_overlap} must be below the chunk size {chunk_tokens}")
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=count_tokens,
        strip_whitespace=True,
    )


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
