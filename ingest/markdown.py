"""Markdown → blocks: headings, list items, quotes, tables and fenced code keep their kind; inline markup goes."""
from __future__ import annotations

import re

from ingest.structure import CODE, HEADING, ITEM, PARAGRAPH, QUOTE, ROW, Block, setext_level, underline_level

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+(.*))?$")
_ITEM = re.compile(r"^\s*([-*+]|\d{1,3}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_THEMATIC_BREAK = re.compile(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # "---", "* * *": a rule, no text
# Badges and logos: images, linked images ("[![Build Status](…svg)](…)"), <img> and other bare HTML tags.
_TARGET = r"(?:\([^()]*\)|\[[^\[\]]*\])"  # "(url)" or a reference "[name]"
_IMAGE = rf"!\[[^\[\]]*\]{_TARGET}?"  # "![alt]" alone names a reference of the same name
_PICTURE = re.compile(rf"\[\s*{_IMAGE}\s*\]{_TARGET}|{_IMAGE}")
_HTML_TAG = r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|<!--.*?-->"  # "<img …>", "</p>"; never an autolink "<https://…>"
_MARKUP_ONLY = re.compile(rf"(?:\s|{_PICTURE.pattern}|{_HTML_TAG})+")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\[\]]+\]:(?:\s|$)")  # "[build]: https://…": a link's target


def markdown_blocks(text: str) -> list[Block]:
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # front matter
    blocks: list[Block] = []
    current: tuple[str, list[str]] | None = None  # (kind, lines) of the block being read
    fence: str | None = None

    def flush():
        nonlocal current
        if current and current[0] == PARAGRAPH and _LINK_DEFINITION.match(current[1][0]):
            current = None  # link targets ("[logo]:", its URL and title on the lines below): no text
        if current and current[0] != CODE:
            current = (current[0], [line for line in current[1] if not is_markup_only(line)])
        if current and any(line.strip() for line in current[1]):
            kind, lines = current
            # inline markup is stripped line by line: its patterns then never scan a whole paragraph
            body = "\n".join(lines) if kind == CODE else " ".join(strip_inline(line) for line in lines)
            blocks.append(Block(kind, body))
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
        if underline_level(line) or _THEMATIC_BREAK.match(line):
            level = setext_level(" ".join(current[1]), line) if current and current[0] == PARAGRAPH else 0
            if level:  # "Introduction" over "=====": the paragraph above is a heading
                blocks.append(Block(HEADING, heading_text(" ".join(current[1])), level))
                current = None
            flush()  # a rule under anything else is no text
            continue
        heading, item, quote = _HEADING.match(line), _ITEM.match(line), _QUOTE.match(line)
        if heading:
            flush()
            blocks.append(Block(HEADING, heading_text(_closing_hashes(heading.group(2) or "")), len(heading.group(1))))
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


def is_markup_only(line: str) -> bool:
    """A line with no words of its own: badges, a logo, bare HTML tags or comments."""
    return bool(line.strip()) and len(line) <= 10_000 and _MARKUP_ONLY.fullmatch(line) is not None


def heading_text(text: str) -> str:
    """A heading's words without its badges; a heading that is only a logo keeps the logo's alt text."""
    words = _PICTURE.sub("", text)
    return strip_inline(words if re.search(r"[^\W_]", strip_inline(words)) else text).strip()


def _closing_hashes(text: str) -> str:
    """"Title ##" → "Title": the optional closing run of an ATX heading, when a space stands before it."""
    text = text.rstrip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1].isspace()) else text


def strip_inline(text: str) -> str:
    """Keep the words of inline Markdown, drop its markup, so quotes read as prose."""
    # no "[" in the text, no "(" in the target: each try stops at the next one, so "[[[[…" costs linear time
    text = re.sub(r"!\[([^\[\]]*)\]\([^()]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\[\]]+)\]\([^()]*\)", r"\1", text)  # links
    # emphasis spans are bounded, so an unclosed marker costs a bounded look-ahead, not the rest of the line
    text = re.sub(r"(\*\*|__)(.{1,200}?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.{1,200}?)(?<!\s)[*_](?![\w*])", r"\1", text)
    return re.sub(r"`([^`]+)`", r"\1", text)
