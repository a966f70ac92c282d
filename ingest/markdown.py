"""Markdown → blocks: headings, list items, quotes, tables and fenced code keep their kind; inline markup goes."""
from __future__ import annotations

import re

from ingest.structure import CODE, HEADING, ITEM, PARAGRAPH, QUOTE, ROW, Block

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*([-*+]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_blocks(text: str) -> list[Block]:
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # front matter
    blocks: list[Block] = []
    current: tuple[str, list[str]] | None = None  # (kind, lines) of the block being read
    fence: str | None = None

    def flush():
        nonlocal current
        if current and any(line.strip() for line in current[1]):
            kind, lines = current
            body = "\n".join(lines) if kind == CODE else " ".join(lines)
            blocks.append(Block(kind, body if kind == CODE else strip_inline(body)))
        current = None

    for line in text.split("\n"):
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
                flush()
            else:
                current[1].append(line)
            continue
        if _FENCE.match(line):
            flush()
            fence, current = _FENCE.match(line).group(1), (CODE, [])
            continue
        if not line.strip():
            flush()
            continue
        heading, item, quote = _HEADING.match(line), _ITEM.match(line), _QUOTE.match(line)
        if heading:
            flush()
            blocks.append(Block(HEADING, strip_inline(heading.group(2)), len(heading.group(1))))
        elif line.lstrip().startswith("|"):
            flush()
            if not _TABLE_RULE.match(line):
                blocks.append(Block(ROW, strip_inline(line.strip().strip("|"))))
        elif item:
            flush()
            current = (ITEM, [item.group(2)])
        elif quote:
            if not current or current[0] != QUOTE:
                flush()
                current = (QUOTE, [])
            current[1].append(quote.group(1))
        else:
            if current is None:
                current = (PARAGRAPH, [])
            current[1].append(line.strip())
    flush()
    return blocks


def strip_inline(text: str) -> str:
    """Keep the words of inline Markdown, drop its markup, so quotes read as prose."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    return re.sub(r"`([^`]+)`", r"\1", text)
