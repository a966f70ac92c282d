"""HTML pages → blocks: trafilatura finds the main content; its XML tree gives us the page's own structure.

trafilatura's plain text loses what readers rely on: soft-wrapped source lines look like paragraphs, a definition
list's term drifts away from its description, code reads as prose. Walking the tree it returns (head, p, list/item,
quote, code, table/row/cell) keeps each of those as one block.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest.clean import is_furniture_block, strip_permalink, superscript
from ingest.metadata import page_metadata
from ingest.structure import CODE, DEFINITION, HEADING, ITEM, PARAGRAPH, QUOTE, ROW, Block

_BLOCK_TAGS = {"head", "p", "list", "item", "quote", "code", "table", "row", "cell", "graphic", "div", "lb"}


@dataclass
class HtmlText:
    title: str
    blocks: list[Block]
    metadata: dict = field(default_factory=dict)


def read_html(html: str, url: str = "") -> HtmlText | None:
    """The page's main content as blocks, with its metadata; None when the page has no article text."""
    import trafilatura  # heavy: only when an HTML page is loaded
    from trafilatura.settings import set_date_params

    # htmldate's extensive search reads a date into a copyright line or a bare year: the date must be stated
    extracted = trafilatura.bare_extraction(_prepared(html), url=url or None, with_metadata=True,
                                            include_comments=False, include_tables=True, include_formatting=True,
                                            date_extraction_params=set_date_params(extensive=False))
    if extracted is None or extracted.body is None:
        return None
    blocks = [b for b in body_blocks(extracted.body) if not is_furniture_block(b)]
    if not any(b.kind != HEADING for b in blocks):
        return None
    metadata = page_metadata(html, extracted, url)
    title = strip_permalink(metadata.pop("title", "") or "")
    return HtmlText(title=title, blocks=blocks, metadata=metadata)


def _prepared(html: str) -> str:
    """The page as trafilatura should read it (`_raise_note_marks`, `_mark_preformatted_as_code`,
    `_admonitions_as_text`, `_formulas_as_text`); a page with nothing to change is given back as it was."""
    if not any(tag in html for tag in ("<sup", "<pre", "<table", "<math")):
        return html
    from lxml import etree, html as lxml_html

    try:  # lxml refuses text that declares its encoding (XHTML's "<?xml … encoding=…?>"): it is text already
        tree = lxml_html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))
    except (etree.ParserError, ValueError):
        return html
    changes = (_raise_note_marks(tree) + _mark_preformatted_as_code(tree) + _admonitions_as_text(tree)
               + _formulas_as_text(tree))
    return lxml_html.tostring(tree, encoding="unicode") if changes else html


def _raise_note_marks(tree) -> int:
    """Each link to a footnote ("<sup><a href="#cite_note-2">[2]</a></sup>", or "<a href="#fn-2"><sup>2</sup></a>")
    as the superscript it stands for ("²"), a "[citation needed]" dropped: as text, "research,[2]" reads like one
    of the answer's own citations and "Line.2 Warren" hides a sentence's end. Returns how many were changed."""
    changed = 0
    for mark in tree.xpath('//sup[a[starts-with(@href, "#")]] | //a[starts-with(@href, "#")][sup]'):
        label = mark.text_content().strip().strip("[]").strip()
        if re.fullmatch(r"\d{1,3}", label):
            mark.tail = superscript(label) + (mark.tail or "")
        elif not re.fullmatch(r"[a-z]|citation needed|note \d+|nb \d+", label, re.IGNORECASE):
            continue
        mark.drop_tree()
        changed += 1
    return changed


def _mark_preformatted_as_code(tree) -> int:
    """Each <pre> without <code> (a command's synopsis, a terminal session) given a <code> inside: trafilatura
    keeps that line for line, where a bare <pre> becomes a quote whose lines run together."""
    changed = 0
    for pre in tree.xpath("//pre[not(.//code)]"):
        code = pre.makeelement("code")
        code.text, pre.text = pre.text, None
        for child in list(pre):
            code.append(child)
        pre.append(code)
        changed += 1
    return changed


_ADMONITIONS = frozenset({"note", "tip", "hint", "important", "warning", "caution", "attention", "danger"})


def _admonitions_as_text(tree) -> int:
    """Each note laid out as a one-row table (a "Note" cell beside its text, as AsciiDoc writes them) as a block
    opening "Note: ": trafilatura reads such a table into "NoteThis is a potentially" + "dangerous"."""
    changed = 0
    for table in tree.xpath("//table[count(.//tr) = 1 and count(.//td) = 2]"):
        label_cell, content = table.xpath(".//td")
        label = " ".join(label_cell.text_content().split())
        if label.lower() not in _ADMONITIONS:
            continue
        blocks_inside = content.xpath(".//p | .//div | .//pre | .//ul | .//ol | .//dl | .//table")
        note = table.makeelement("div" if blocks_inside else "p")  # a <p>: trafilatura keeps inline text in one
        note.text = f"{label}: {content.text or ''}"
        note.extend(list(content))
        note.tail = table.tail
        table.getparent().replace(table, note)
        changed += 1
    return changed


def _formulas_as_text(tree) -> int:
    """Each MathML formula as the TeX its `alttext` gives ("{\\displaystyle x_{i}}" as "x_{i}"): trafilatura drops
    formulas, leaving "the conditional probability, , that would pick"."""
    changed = 0
    for formula in tree.xpath("//math[@alttext]"):
        tex = re.sub(r"^\{\\displaystyle\s*(.*)\}$", r"\1", formula.get("alttext").strip(), flags=re.DOTALL)
        outer = formula  # Wikipedia wraps it, with a fallback image, in a span of class mwe-math-element
        for ancestor in formula.iterancestors():
            if "mwe-math-element" in (ancestor.get("class") or ""):
                outer = ancestor
                break
        outer.tail = " ".join(tex.split()) + (outer.tail or "")
        outer.drop_tree()
        changed += 1
    return changed


def body_blocks(body) -> list[Block]:
    blocks: list[Block] = []
    for element in body:
        _walk(element, blocks)
    return [b for b in blocks if b.text.strip()]


def _walk(element, blocks: list[Block], in_quote: bool = False) -> None:
    tag = element.tag
    if tag == "head":
        text = strip_permalink(inline_text(element))
        if _reads_as_sentence(text):  # a bold lead sentence styled as a heading is still prose
            blocks.append(Block(PARAGRAPH, text))
        else:
            blocks.append(Block(HEADING, text, _heading_level(element)))
    elif tag == "p":
        _walk_container(element, blocks, in_quote)
    elif tag == "list":
        _walk_list(element, blocks)
    elif tag == "quote":
        _walk_container(element, blocks, in_quote=True)
    elif tag == "code":
        blocks.append(Block(CODE, "".join(_code_text(element))))
    elif tag == "table":
        blocks.extend(Block(ROW, " | ".join(inline_text(cell) for cell in row)) for row in element.iter("row"))
    elif tag not in ("graphic", "lb"):
        _walk_container(element, blocks, in_quote)


def _walk_container(element, blocks: list[Block], in_quote: bool) -> None:
    """An element that may hold text of its own and block children: each run of loose text between them is a
    block, in the page's order (an option's description before the example that follows it)."""
    kind, run = QUOTE if in_quote else PARAGRAPH, []
    for piece in _pieces(element):
        if isinstance(piece, str):
            run.append(piece)
        elif piece.tag != "graphic":
            _add_text(kind, run, blocks)
            _walk(piece, blocks, in_quote)
            run = []
    _add_text(kind, run, blocks)


def _add_text(kind: str, run: list[str], blocks: list[Block]) -> None:
    text = "".join(run)
    if text.strip():
        blocks.append(Block(kind, text))


def _walk_list(element, blocks: list[Block]) -> None:
    terms: list[str] = []  # a definition may have several terms ("-u", "--include-untracked")
    for item in element.iterchildren("item"):
        rend = item.get("rend") or ""
        if rend.startswith("dt"):
            terms.append(strip_permalink(inline_text(item)))
        elif rend.startswith("dd") and terms:
            _walk_description(item, ", ".join(t for t in terms if t), blocks)
            terms = []
        else:
            _walk_item(item, blocks)
    if terms:
        blocks.append(Block(DEFINITION, ", ".join(terms)))


def _walk_description(item, term: str, blocks: list[Block]) -> None:
    """The term stays with the first paragraph of its description; later paragraphs follow as their own blocks,
    each knowing the term it describes (its section ends with it)."""
    inner: list[Block] = []
    _walk_container(item, inner, in_quote=False)
    if inner and inner[0].kind == PARAGRAPH:
        blocks.append(Block(DEFINITION, f"{term}\n{inner[0].text}", term=term))
        inner = inner[1:]
    else:
        blocks.append(Block(DEFINITION, term, term=term))
    blocks.extend(replace(b, term=b.term or term) for b in inner)


def _walk_item(item, blocks: list[Block]) -> None:
    inner: list[Block] = []
    _walk_container(item, inner, in_quote=False)
    blocks.extend(Block(ITEM, b.text) if b.kind == PARAGRAPH else b for b in inner)


def inline_text(element) -> str:
    """The element's text without its block children; <lb/> becomes a line break."""
    return "".join(piece for piece in _pieces(element) if isinstance(piece, str))


def _pieces(element):
    """The element's content in order: its inline text as strings (<lb/> as a line break) and its block children."""
    yield element.text or ""
    for child in element:
        if child.tag == "lb":
            yield "\n"
        else:
            yield child if _is_block(child) else "".join(child.itertext())
        yield child.tail or ""


def _is_block(child) -> bool:
    """Code inside a sentence (`git gc`, even wrapped over two source lines) is inline; code of three lines or
    more is a block, and so is code with no text just before or after it that spans lines or stands outside a
    paragraph, heading or cell."""
    if child.tag != "code":
        return child.tag in _BLOCK_TAGS
    parent = child.getparent()
    lines = "".join(child.itertext()).strip().count("\n") + 1
    before = parent.text if child.getprevious() is None else child.getprevious().tail
    alone = not (before or "").strip() and not (child.tail or "").strip()
    return lines >= 3 or alone and (lines > 1 or parent.tag not in ("p", "head", "cell"))


def _code_text(element):
    yield element.text or ""
    for child in element:
        if child.tag == "lb":
            yield "\n"
        else:
            yield from _code_text(child)
        yield child.tail or ""


def _reads_as_sentence(text: str) -> bool:
    return len(text.split()) >= 8 and text.rstrip("”’\"')").endswith((".", "!"))


def _heading_level(element) -> int:
    match = re.fullmatch(r"h([1-6])", element.get("rend") or "")
    return int(match.group(1)) if match else 2
