"""Quotable units of a document: its sentences of prose, code blocks and table rows, each an exact character span.

Pure text logic, below the index: the index computes every chunk's units at ingest (and stores their vectors), the
answer path computes the same units at question time (qa/evidence.py), with this one code, so they always agree.
"""
from __future__ import annotations

import re

from ingest.structure import (CODE, DEFINITION, ITEM, PARAGRAPH, PROSE, ROW, SUPERSCRIPT_DIGITS, document_spans,
                               spans_between)
from schema import Chunk, Document

# A sentence ends at . ! ? or … (with closing quotes, brackets or footnote marks *†‡¹²³) followed by space and a
# capital, digit or quote, or, in technical text, an option (--prune) or a TeX command (\setlength).
_CAPITAL = "A-Z0-9À-ÖØ-ÞĀ-ŽΑ-ΩА-ЯЁ"  # Latin, Greek and Cyrillic capitals
_SENTENCE_END = re.compile(
    rf"(?<=[.!?…])([\"'”’)\]*†‡{SUPERSCRIPT_DIGITS}]*)\s+"
    rf"(?=[\"'“‘«(\[]?(?:[{_CAPITAL}]|--?[a-z]|\\[a-zA-Z]))"
    r"|(?<=[。！？])([」』）]*)\s*(?=\S)")  # Chinese and Japanese full stops need no space after them
_ABBREVIATION = re.compile(r"(\b(mr|mrs|ms|dr|prof|st|jr|sr|gen|col|lt|sgt|rep|sen|gov|no|vs|etc|inc|ltd|co|fig|"
                           r"eg|ie|cf|viz|approx|resp)"
                           r"|(?-i:\b[A-Z])|\b(?:[A-Za-z]\.)+[A-Za-z])\.$", re.IGNORECASE)  # "J." is an initial, "d." no
_MONTH_ABBREVIATION = re.compile(r"\b(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.$", re.IGNORECASE)
# Sentences opening with these lean on the one before; it is quoted with them so the quote stands alone.
_DEPENDENT_OPENING = re.compile(
    r"^(this|these|that|those|it|its|he|she|they|his|her|their|such|conversely|however|but|and|so|"
    r"furthermore|moreover|instead|yet|in response|as a result|thus|therefore)\b", re.IGNORECASE)
# "If the script exits with this code, …", "When these fail, …": the opening clause points at the sentence before.
_POINTING_CLAUSE = re.compile(r"^[^,;:.]{0,60}?\b(this|these|those|such)\s+\w+[^,;:.]*,", re.IGNORECASE)
_BULLET = re.compile(r"\s*(?:[•◦▪▸►‣∙·–—*-]\s+)?")  # "• ", "- "; never the dash of an option ("-x")
_WIDE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

MAX_WHOLE_BLOCK_CHARS = 600  # a longer code block or table row is never quoted: too long to be the answer
MAX_LIST_QUOTE_CHARS = 1000  # a sentence introducing a list is quoted with its items up to this length
MIN_QUOTE_WORDS = 4  # a shorter piece of prose is a fragment, not a sentence
MIN_STANDALONE_WORDS = 12  # a shorter sentence (often a topic sentence) is quoted with the one after it
# "You can shorthand it with" / `$ git diff HEAD` / "which does the above.": a sentence that a code block or a
# displayed formula interrupts ends its block with a word or comma, and the block that goes on with it opens in
# lower case; it is one unit again, across at most this many blocks, unless longer than a quote may be
MAX_INTERRUPTED_BLOCKS = 4
_UNFINISHED = re.compile(r"[\w,]\s*$")
_GOES_ON = re.compile(r"[a-z]|\\[a-zA-Z]")


MAX_QUOTATION_CHARS = 300  # a quotation of several sentences is one unit, with who said it, up to this length


def _inside_quotation(paragraph: str, start: int, at: int) -> bool:
    """Whether a sentence end at `at` falls inside a quotation that opened in this sentence (after `start`) and
    closes soon after, so the quotation is quoted whole with its attribution."""
    if paragraph.count("“", start, at) > paragraph.count("”", start, at):
        closes = paragraph.find("”", at)
    elif paragraph.count('"', start, at) % 2:  # straight quotes: an odd number so far is an open one
        closes = paragraph.find('"', at)
    else:
        return False
    return 0 <= closes - start <= MAX_QUOTATION_CHARS


def sentence_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph start) of each sentence; paragraph breaks always end a sentence."""
    spans = []
    for paragraph in re.finditer(r"[^\n]+", text):
        start, base = paragraph.start(), paragraph.start()
        for boundary in _SENTENCE_END.finditer(paragraph.group()):
            before = paragraph.group()[max(0, boundary.start() - 12):boundary.start()]
            if _ABBREVIATION.search(before) or (_MONTH_ABBREVIATION.search(before)
                                                and paragraph.group()[boundary.end():][:1].isdigit()):
                continue  # "Dr. Smith", "U.S. policy", "J. Smith", "on Nov. 1": not a sentence end
            closing = 1 if boundary.group(1) is not None else 2
            if _inside_quotation(paragraph.group(), start - base, boundary.end(closing)):
                continue  # “A guy who gets high … with his wife. It was a big stretch,” he said: one quotation
            spans.append((start, base + boundary.end(closing), base))
            start = base + boundary.end()
        spans.append((start, paragraph.end(), base))
    return [(s, e, p) for s, e, p in spans if text[s:e].strip()]


def document_units(document: Document, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """(start, end, block start) of every quotable unit of the blocks overlapping [start, end) of a document: the
    sentences of its prose blocks (a definition's first sentence carries its term), each code block or table row
    whole; headings and bare terms never. Documents without blocks fall back to one paragraph per line."""
    end = len(document.text) if end is None else end
    if not document.blocks:
        region_start = document.text.rfind("\n", 0, start) + 1
        region_end = document.text.find("\n", end) % (len(document.text) + 1)  # -1 (no newline): the end
        return [(s + region_start, e + region_start, p + region_start)
                for s, e, p in sentence_spans(document.text[region_start:region_end])]
    return _block_units(document.text, spans_between(document_spans(document.blocks), start, end))


def _block_units(text: str, blocks) -> list[tuple[int, int, int]]:
    units = []
    for block in blocks:
        if block.kind in PROSE:
            units += _prose_units(text, block)
        elif block.kind in (CODE, ROW) and block.end - block.start <= MAX_WHOLE_BLOCK_CHARS:
            units.append((block.start, block.end, block.start))
    for chain in _interrupted_sentences(text, blocks):
        units = _rejoined(text, units, chain)
    return units


def _interrupted_sentences(text: str, blocks) -> list[list]:
    """The blocks of each sentence that code, a displayed formula or a lone command interrupts or ends: the first
    is prose that ends unfinished; each prose block after it, past at most one code block or lone command each
    time, opens in lower case or with a command ("\\bond{3} instead."); a code block with no such prose after it
    ends the sentence ("To set the margins just specify" / "\\setmargins[2cm]")."""
    chains, i = [], 0
    while i < len(blocks):
        chain = _interrupted_from(text, blocks, i) if blocks[i].kind in (PARAGRAPH, ITEM) else [i]
        if len(chain) > 1:
            chains.append([blocks[j] for j in chain])
            last = blocks[chain[-1]]
            # its last sentence may begin another
            i = chain[-1] + (last.kind == CODE or not _unfinished(text, last))
        else:
            i += 1
    return chains


def _interrupted_from(text: str, blocks, i: int) -> list[int]:
    """The indices of the blocks of the sentence that block i ends unfinished, or [i]."""
    chain = [i]
    # a command set as a paragraph of its own interrupts as code does: "For instance," / "\newcommand{\sectionbreak}
    # {\clearpage}" / "makes sections begin a new page."
    while ((_unfinished(text, blocks[chain[-1]]) or len(chain) > 1 and _lone_command(text, blocks[chain[-1]]))
           and len(chain) < MAX_INTERRUPTED_BLOCKS):
        j = chain[-1] + 1
        if j < len(blocks) and blocks[j].kind == CODE:
            if not (j + 1 < len(blocks) and _goes_on(text, blocks[j + 1])):
                return chain + [j]  # the code it introduces ends it
            chain.append(j)
            j += 1
        if j >= len(blocks) or not _goes_on(text, blocks[j]):
            return chain
        chain.append(j)
        if len(sentence_spans(text[blocks[j].start:blocks[j].end])) > 1:
            break  # "which does the above. Then run": the sentence ends in it, the next one starts anew
    return chain


def _unfinished(text: str, block) -> bool:
    return block.kind != CODE and bool(_UNFINISHED.search(text, block.start, block.end))


def _lone_command(text: str, block) -> bool:
    """Whether the block is a paragraph of one command and nothing else ("\\newcommand{\\sectionbreak}{\\clearpage}"),
    which interrupts a sentence as a code block does."""
    return (block.kind == PARAGRAPH and text.startswith("\\", block.start)
            and len(text[block.start:block.end].split()) == 1)


def _goes_on(text: str, block) -> bool:
    return block.kind == PARAGRAPH and bool(_GOES_ON.match(text, block.start))


def _rejoined(text: str, units: list[tuple[int, int, int]], chain: list) -> list[tuple[int, int, int]]:
    """The units with the pieces of one interrupted sentence (the first block's last sentence, the prose between,
    the last block's first sentence or whole code) made one unit, unless longer than a quote may be; code in it
    stays a unit of its own too."""
    first, last = chain[0], chain[-1]
    between = {block.start for block in chain[1:-1] if block.kind != CODE}
    pieces = [u for u in units if (u[2] == first.start and u[1] == first.end) or u[2] in between
              or (last.kind != CODE and u[2] == last.start and u[0] == last.start)]
    if not pieces or pieces[0][2] != first.start:
        return units
    start, end = pieces[0][0], last.end if last.kind == CODE else pieces[-1][1]
    if (end == pieces[0][1] or end - start > MAX_WHOLE_BLOCK_CHARS
            or last.kind == CODE and _word_count(text[start:pieces[0][1]]) < MIN_QUOTE_WORDS):
        return units  # too long to quote as one; "Example" over a listing introduces nothing
    return sorted([u for u in units if u not in pieces] + [(start, end, first.start)])


def _prose_units(text: str, block) -> list[tuple[int, int, int]]:
    start = block.start
    if block.kind == ITEM:  # "• If the margin ratio is not specified, …": the bullet is no part of the sentence
        start += len(_BULLET.match(text, start, block.end).group())
    if block.kind == DEFINITION:
        term_end = text.find("\n", block.start, block.end)
        if term_end < 0:
            return []  # a term with no description: a bare signature is no answer
        start = term_end + 1
    units = [(s + start, e + start, block.start) for s, e, _ in sentence_spans(text[start:block.end])]
    if block.kind == DEFINITION and units:
        units[0] = (block.start, units[0][1], block.start)  # the term stays with its description
    return units


def unit_texts(document: Document, chunk: Chunk) -> list[str]:
    """The texts of the chunk's units as an answer may quote them (qa/evidence.py), once each (two sentences may
    widen to the same quote): what ingest embeds and stores, so questions need not."""
    return list(dict.fromkeys(document.text[start:end] for start, end, *_ in chunk_units(document, chunk)))


def chunk_units(document: Document, chunk: Chunk, standalone: bool = True) -> list[tuple[int, int, int, bool]]:
    """(start, end, paragraph start, whole block) of the quotable units a chunk holds or cuts, fragments left out: a
    sentence the chunk's edge cuts is quoted whole from it (quoted from neither chunk, it was lost). With
    `standalone`, each is made to stand alone as a quote: a sentence that leans on the one before is quoted with it,
    a very short one with the next (which may reach past the chunk)."""
    # the blocks a little before and past the chunk too: a sentence the chunk cuts may begin before it, interrupted
    # by code ("For instance," / "\newcommand{…}" / "makes sections begin a new page."), and a list its last
    # sentence introduces may go on after it
    blocks = spans_between(document_spans(document.blocks), max(0, chunk.start - MAX_WHOLE_BLOCK_CHARS),
                           chunk.end + MAX_LIST_QUOTE_CHARS)
    # units of whole blocks (a unit's neighbours are there), or the lines around the chunk of a blockless document
    spans = _block_units(document.text, blocks) if blocks else document_units(document, chunk.start, chunk.end)
    whole_blocks = {(b.start, b.end) for b in blocks if b.kind in (CODE, ROW)}
    block_ends = {end for _, end in whole_blocks}  # a quote ending with a code block may end in a colon ("web:")
    items = {b.start for b in blocks if b.kind == ITEM}
    units = []
    for i, (start, end, paragraph) in enumerate(spans):
        if end <= chunk.start or start >= chunk.end:
            continue
        if standalone and (start, end) not in whole_blocks:
            start, end = _standalone_span(document.text, spans, i, items)
            if _introduces(document.text[start:end]) and end not in block_ends:
                continue  # "run the following command:" with no quotable command after it
        if (start, end) not in whole_blocks and _word_count(document.text[start:end]) < MIN_QUOTE_WORDS:
            continue  # "∗deceased", "Figure 3": a fragment, never an answer
        units.append((start, end, paragraph, (start, end) in whole_blocks))
    return units


def _word_count(text: str) -> int:
    """Words, counting two characters of a script written without spaces (Chinese, Japanese, Korean) as one."""
    return len(text.split()) + len(_WIDE_SCRIPT.findall(text)) // 2


def _leans_back(sentence: str) -> bool:
    return bool(_DEPENDENT_OPENING.match(sentence) or _POINTING_CLAUSE.match(sentence))


def _standalone_span(text: str, spans: list[tuple[int, int, int]], i: int,
                     items: set[int] = frozenset()) -> tuple[int, int]:
    """The span of a sentence of prose made to stand alone as a quote; `items` are the starts of list items."""
    start, end, paragraph = spans[i]
    before = i - 1  # the sentence before: in its paragraph, or one joined across code that ends in it
    while before > 0 and spans[before - 1][0] <= spans[before][0] and spans[before][1] <= spans[before - 1][1]:
        before -= 1  # the code inside a sentence joined across it
    if before >= 0 and (spans[before][2] == paragraph or spans[before][1] > paragraph) \
            and _leans_back(text[start:end]):
        start = spans[before][0]
    following = i + 1
    short = len(text[start:end].split()) < MIN_STANDALONE_WORDS
    if following < len(spans) and spans[following][2] == paragraph and short:
        end = spans[following][1]
        following += 1
    if (following < len(spans) and _introduces(text[start:end]) and not text[end:spans[following][0]].strip()
            and spans[following][1] - start <= MAX_WHOLE_BLOCK_CHARS):
        end = spans[following][1]  # "… issue the following command:" is quoted with what it introduces
        following += 1
        # "The main differences are:" with its list: as many whole items as a quote can hold
        item_end = end if _ends_item(spans, following) else None
        while (following < len(spans) and spans[following - 1][2] in items and spans[following][2] in items
               and spans[following][1] - start <= MAX_LIST_QUOTE_CHARS):
            end = spans[following][1]
            following += 1
            item_end = end if _ends_item(spans, following) else item_end
        end = item_end or end  # never stopped inside an item of two sentences
    return start, end


def _ends_item(spans: list[tuple[int, int, int]], following: int) -> bool:
    """Whether the sentence before `following` is the last of its paragraph or item."""
    return following >= len(spans) or spans[following][2] != spans[following - 1][2]


def _introduces(quote: str) -> bool:
    """Whether a quote ends in a colon: it announces what follows and says nothing by itself."""
    return quote.rstrip().endswith(":")
