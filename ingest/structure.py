"""A document's structure: the blocks a loader finds (headings, paragraphs, list items, definitions, code, table
rows), laid out as one text with each block's exact span and the heading path it sits under.

Every loader ends here, so every format gives the same shape: blocks separated by one blank line, prose with its
soft line wraps joined, code kept line for line. Later stages read the spans to know what a sentence is (code and
table rows are never split into sentences, headings are never quoted as answers) and which section a chunk is in.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# Kinds of block. PROSE is split into sentences; the others are quoted whole or not at all.
HEADING, PARAGRAPH, ITEM, DEFINITION, CODE, ROW, QUOTE = (
    "heading", "paragraph", "item", "definition", "code", "row", "quote")
PROSE = frozenset({PARAGRAPH, ITEM, DEFINITION, QUOTE})
SECTION_SEPARATOR = " › "
# Raised digits, as footnote marks and exponents are written once read ("by hand.⁷", "x²"; ingest/clean.py
# superscript); with *∗†‡§, a footnote's mark ends a title or heading ("Publication quality tables in LaTeX∗").
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
TRAILING_FOOTNOTE_MARK = re.compile(rf"\s*[∗*†‡§{SUPERSCRIPT_DIGITS}]+$")


@dataclass(frozen=True)
class Block:
    kind: str
    text: str  # a DEFINITION is "term\ndescription": the term (a signature, an option) on its own first line
    level: int = 0  # headings: 1 is the top level
    term: str = ""  # the definition a block belongs to ("-a, --all"): its section ends with it


@dataclass(frozen=True)
class Span:
    """Where a block stands in the document's text, and the headings above it."""
    start: int
    end: int
    kind: str
    section: str = ""


# groff (man pages) writes every hyphen as U+2010, the typographic one, and breaks lines after it, both where a word
# was hyphenated and where it has a hyphen ("well‐known"): the two halves are joined with the hyphen kept
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_]\u2010)[ \t]*\n\s*(?=[a-z])")


def join_wrapped(text: str) -> str:
    """One paragraph from text whose lines were wrapped by the source (HTML source, PDF lines, a man page): a word
    broken after U+2010 at a line's end is one word again ("ex‐" + "amples": "ex‐amples", not "ex‐ amples")."""
    return " ".join(_LINE_END_HYPHEN.sub("", text).split())


def assemble(blocks: list[Block]) -> tuple[str, list[Span]]:
    """The document text (blocks separated by a blank line) and each block's span with its heading path."""
    parts, spans, headings, offset = [], [], [], 0
    for block in blocks:
        text = _tidy(block)
        if not text:
            continue
        if block.kind == HEADING:
            level = max(1, block.level)
            headings = [h for h in headings if h[0] < level] + [(level, _label(text))]
        if parts:
            offset += 2  # the blank line between blocks
        section = SECTION_SEPARATOR.join([h for _, h in headings] + ([join_wrapped(block.term)] if block.term else []))
        spans.append(Span(offset, offset + len(text), block.kind, section))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), spans


def _label(heading: str) -> str:
    """A heading as a section's name: without a footnote's mark ("3 Colour¹", "Results*")."""
    text = join_wrapped(heading)
    return TRAILING_FOOTNOTE_MARK.sub("", text) or text


def _tidy(block: Block) -> str:
    if block.kind == CODE:
        lines = [line.rstrip() for line in block.text.replace("\t", "    ").split("\n")]
        return "\n".join(lines).strip("\n")
    if block.kind == DEFINITION:
        term, _, description = block.text.strip().partition("\n")
        term, description = join_wrapped(term), join_wrapped(description)
        return f"{term}\n{description}" if description else term
    if block.kind == ROW:
        return " | ".join(join_wrapped(cell) for cell in block.text.split("|") if cell.strip())
    return join_wrapped(block.text)


def plain_blocks(text: str) -> list[Block]:
    """Blocks of text with no markup: each paragraph (or, where the text has no blank lines, each line) one block;
    a line underlined with "=====" or "-----" is a heading."""
    if re.search(r"\n\s*\n", text):
        pieces = re.split(r"\n\s*\n", text)
    else:
        pieces = _line_groups(text.split("\n"))
    return [block for piece in pieces for block in _piece_blocks(piece)]


def _piece_blocks(piece: str) -> list[Block]:
    """A paragraph, or a heading over its underline and the text after it."""
    lines = piece.split("\n")
    level, count = setext_heading_at(lines, 0)
    heading = [Block(HEADING, lines[count - 2].strip(), level)] if level else []
    rest = "\n".join(lines[count:])
    return heading + ([Block(PARAGRAPH, rest)] if rest.strip() else [])


def _line_groups(lines: list[str]) -> list[str]:
    """Each line alone, but a heading's lines (its underline, and an overline) together."""
    groups, i = [], 0
    while i < len(lines):
        count = setext_heading_at(lines, i)[1] or 1
        groups.append("\n".join(lines[i:i + count]))
        i += count
    return groups


# Markdown's and reStructuredText's "setext" headings: a short line over a line of "=" (level 1) or "-" (level 2).
MAX_SETEXT_HEADING_CHARS = 80  # a longer line over a rule is a paragraph's last line, not a heading
_UNDERLINE = re.compile(r"[ \t]{0,3}(?:={3,}|-{3,})[ \t]*")


def underline_level(line: str) -> int:
    """1 for a line of "=" only, 2 for one of "-" only (three at least), else 0."""
    return 0 if not _UNDERLINE.fullmatch(line) else (1 if "=" in line else 2)


def setext_level(line: str, underline: str) -> int:
    """The level of `line` as a heading over `underline`, or 0: a separator or a long line is no heading."""
    text = line.strip()
    if not re.search(r"[^\W_]", text) or len(text) > MAX_SETEXT_HEADING_CHARS:
        return 0
    return underline_level(underline)


def setext_heading_at(lines: list[str], i: int) -> tuple[int, int]:
    """(level, lines it takes) of the heading starting at lines[i], its text the line before its underline; an
    overline of the same rule may stand over it ("=====", "TITLE", "====="). (0, 0) when none starts there."""
    if i + 2 < len(lines) and underline_level(lines[i]) and lines[i].strip()[0] == lines[i + 2].strip()[:1]:
        level = setext_level(lines[i + 1], lines[i + 2])
        return (level, 3) if level else (0, 0)
    level = setext_level(lines[i], lines[i + 1]) if i + 1 < len(lines) else 0
    return (level, 2) if level else (0, 0)


def spans_to_records(spans: list[Span]) -> list[list]:
    """Compact JSON form kept on the Document: [start, end, kind, section]."""
    return [[s.start, s.end, s.kind, s.section] for s in spans]


def spans_from_records(records) -> list[Span]:
    return [Span(int(r[0]), int(r[1]), str(r[2]), str(r[3]) if len(r) > 3 else "") for r in records or []]


def span_at(spans: list[Span], offset: int) -> Span | None:
    """The block containing `offset` (or the next one, when it falls on a separator)."""
    i = span_index(spans, offset)
    return spans[i] if i < len(spans) else (spans[-1] if spans else None)


def span_index(spans: list[Span], offset: int) -> int:
    """The index of the block containing `offset`, or of the next one (len(spans) past the last)."""
    return bisect.bisect_right(spans, offset, key=lambda span: span.end)


def spans_between(spans: list[Span], start: int, end: int) -> list[Span]:
    """The blocks overlapping [start, end)."""
    first = bisect.bisect_right(spans, start, key=lambda span: span.end)
    last = bisect.bisect_left(spans, end, lo=first, key=lambda span: span.start)
    return spans[first:last]


_PARSED: dict[int, tuple[list, list[Span]]] = {}  # id(document.blocks) -> (that list, its spans)
_PARSED_LIMIT = 4096


def document_spans(blocks: list) -> list[Span]:
    """The spans of a document's block records, parsed once: answering asks for them on every question."""
    cached = _PARSED.get(id(blocks))
    if cached is not None and cached[0] is blocks:
        return cached[1]
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    spans = spans_from_records(blocks)
    _PARSED[id(blocks)] = (blocks, spans)
    return spans


def code_within(blocks, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The parts of [start, end) that are code blocks, of a document given its block records."""
    return tuple((max(span.start, start), min(span.end, end))
                 for span in spans_between(document_spans(blocks), start, end) if span.kind == CODE)


def section_at(blocks, offset: int) -> str:
    """The heading path at `offset` of a document given its block records."""
    span = span_at(document_spans(blocks), offset)
    return span.section if span else ""
