"""HTML pages → blocks: trafilatura finds the main content; its XML tree gives us the page's own structure.

trafilatura's plain text loses what readers rely on: soft-wrapped source lines look like paragraphs, a definition
list's term drifts away from its description, code reads as prose. Walking the tree it returns (head, p, list/item,
quote, code, table/row/cell) keeps each of those as one block.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from ingest.clean import (is_furniture_block, is_furniture_heading, strip_permalink, superscript,
                          without_reference_sections, without_teaser_lists)
from ingest.metadata import is_furniture_element, page_metadata
from ingest.structure import CODE, DEFINITION, HEADING, ITEM, PARAGRAPH, QUOTE, ROW, Block
from ingest.tex import readable_tex

_BLOCK_TAGS = {"head", "p", "list", "item", "quote", "code", "table", "row", "cell", "graphic", "div", "lb"}
_BLOCKS_BESIDE_TEXT = _BLOCK_TAGS - {"code", "lb"}  # a list item holding one of these holds no inline text alone
MIN_DEFINITION_TERMS = 3  # a page with fewer <dt> has no definition list worth a second reading


@dataclass
class HtmlText:
    title: str
    blocks: list[Block]
    metadata: dict = field(default_factory=dict)


def read_html(html: str, url: str = "") -> HtmlText | None:
    """The page's main content as blocks, with its metadata; None when the page has no article text."""
    extracted = _extracted(html, url)
    if extracted is None or extracted.body is None:
        return None
    blocks = without_reference_sections([b for b in without_teaser_lists(
        [b for b in body_blocks(extracted.body) if not is_furniture_block(b) and not _contents_heading(b)])
        if not is_furniture_heading(b)])
    if not any(b.kind != HEADING for b in blocks):
        return None
    metadata = page_metadata(html, extracted, url)
    title = strip_permalink(metadata.pop("title", "") or "")
    author = metadata.get("author", "")
    blocks = _without_masthead(_with_page_headings(blocks, html, author), metadata.get("site", ""))
    blocks = [b for b in blocks if not (b.kind == HEADING and author and _squeezed(b.text) == _squeezed(author))]
    return HtmlText(title=title, blocks=blocks, metadata=metadata)


def _extracted(html: str, url: str):
    """trafilatura's reading of the page. Its default, precise reading loses the definition lists of DocBook and
    Texinfo manuals (each option's name gone, its description left as a paragraph): such a page is read again
    favouring recall, which keeps them, and is used if it does. Not for every page: on news pages the recall reading
    keeps more furniture."""
    import trafilatura  # heavy: only when an HTML page is loaded
    from trafilatura.settings import set_date_params

    prepared = _prepared(html)

    def extraction(favor_recall: bool):
        # htmldate's extensive search reads a date into a copyright line or a bare year: the date must be stated
        return trafilatura.bare_extraction(prepared, url=url or None, with_metadata=True,
                                           include_comments=False, include_tables=True, include_formatting=True,
                                           favor_recall=favor_recall,
                                           date_extraction_params=set_date_params(extensive=False))

    extracted = extraction(favor_recall=False)
    terms = len(re.findall(r"<dt[\s>]", html, re.IGNORECASE))
    if terms >= MIN_DEFINITION_TERMS and _terms_kept(extracted) < terms / 2:
        again = extraction(favor_recall=True)
        if _terms_kept(again) > _terms_kept(extracted):
            return again
    return extracted


def _terms_kept(extracted) -> int:
    if extracted is None or extracted.body is None:
        return 0
    return len(extracted.body.xpath(".//item[starts-with(@rend, 'dt')]"))


def _with_page_headings(blocks: list[Block], html: str, author: str = "") -> list[Block]:
    """The page's own headings put back where trafilatura dropped them (outside <article> or <section>, as in
    DocBook and Texinfo pages, it keeps few or none): each before the block that begins with the text following it
    on the page, in the page's order. A heading whose text is followed by nothing kept (a sidebar's) stays out."""
    if not re.search(r"<h[2-6][\s>]", html, re.IGNORECASE):
        return blocks
    kept = {_squeezed(b.text) for b in blocks if b.kind == HEADING} | {_squeezed(author)}  # a title page's author
    tree = _parsed(html)
    if tree is None:
        return blocks
    keys = [_squeezed(b.text)[:_MATCHED] for b in blocks]
    placed, start = [], 0
    for heading in tree.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        text = strip_permalink(" ".join(heading.text_content().split()))
        if not text or _squeezed(text) in kept or text.endswith((".", "!")) or is_furniture_block(Block(PARAGRAPH, text)):
            continue  # kept already; a sentence set large ("Read this in Turkish."), an "Advertisement" label
        following = _squeezed(" ".join(heading.xpath("following::text()[normalize-space()][position() <= 8]")))
        at = next((i for i in range(start, len(blocks)) if len(keys[i]) >= 12 and following.startswith(keys[i])),
                  None)
        if at is not None:
            placed.append((at, Block(HEADING, text, int(heading.tag[1]))))
            start = at + 1
    for at, heading in reversed(placed):
        blocks.insert(at, heading)
    return blocks


_MATCHED = 40  # characters of a block's opening (letters and digits) that must follow the heading on the page


def _squeezed(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _contents_heading(block: Block) -> bool:
    """A heading over the page's table of contents ("Table of contents", "On this page"): its links are dropped
    as navigation, and it would head every section of the page."""
    return block.kind == HEADING and bool(
        re.fullmatch(r"(table of )?contents|on this page|in this (article|page|section)", block.text.strip(), re.I))


def _without_masthead(blocks: list[Block], site: str) -> list[Block]:
    """The blocks without the site's name printed as a heading above the page's own ("Node.js v20.20.2
    documentation" over "Path"): it is no section of the page."""
    lead = 0
    while (lead < len(blocks) - 1 and blocks[lead].kind == HEADING and site
           and _squeezed(blocks[lead].text) == _squeezed(site)):
        lead += 1
    return blocks[lead:]


def _prepared(html: str) -> str:
    """The page as trafilatura should read it (each step below says what it fixes); a page with nothing to change
    is given back as it was."""
    if not any(tag in html for tag in ("<sup", "<pre", "<table", "<math", "<figure", 'href="#', "<br", "navbox",
                                       "sidebar", "editsection", "noprint", "<ul", "<ol", "<dl",
                                       "footnote-reference")):
        return html
    tree = _parsed(html)
    if tree is None:
        return html
    changes = (_without_page_tools(tree) + _raise_note_marks(tree) + _without_permalinks(tree)
               + _without_hidden_lines(tree) + _text_divs_as_paragraphs(tree) + _broken_text_as_paragraphs(tree)
               + _loose_text_as_paragraphs(tree)
               + _code_variants_apart(tree) + _mark_preformatted_as_code(tree) + _listings_as_blocks(tree)
               + _admonitions_as_text(tree) + _formulas_as_text(tree))
    from lxml import html as lxml_html

    return lxml_html.tostring(tree, encoding="unicode") if changes else html


def _parsed(html: str):
    """The page's lxml tree, or None when lxml cannot read it."""
    from lxml import etree, html as lxml_html

    try:  # lxml refuses text that declares its encoding (XHTML's "<?xml … encoding=…?>"): it is text already
        return lxml_html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))
    except (etree.ParserError, ValueError):
        return None


def _raise_note_marks(tree) -> int:
    """Each link to a footnote ("<sup><a href="#fn-2">[2]</a></sup>", or "<a href="#fn-2"><sup>2</sup></a>")
    as the superscript it stands for ("²"), a "[citation needed]" dropped: as text, "research,[2]" reads like one
    of the answer's own citations and "Line.2 Warren" hides a sentence's end. A wiki's citation of a source
    ("#cite_note-2") is dropped with the reference list it points to. Returns how many were changed."""
    changed = 0
    for mark in tree.xpath('//sup[a[starts-with(@href, "#")]] | //a[starts-with(@href, "#")][sup]'
                           ' | //a[contains(concat(" ", normalize-space(@class), " "), " footnote-reference ")]'):
        label = mark.text_content().strip().strip("[]").strip()
        if mark.xpath('.//@href[starts-with(., "#cite_note") or starts-with(., "#cite-note")]') or (
                mark.get("href") or "").startswith(("#cite_note", "#cite-note")):
            pass  # a citation of a source the page lists at its end (dropped there): it says nothing here
        elif re.fullmatch(r"\d{1,3}", label):
            mark.tail = superscript(label) + (mark.tail or "")
        elif not re.fullmatch(r"[a-z]|citation needed|note \d+|nb \d+", label, re.IGNORECASE):
            continue
        mark.drop_tree()
        changed += 1
    return changed


# classes a page gives its tools, not its text: navigation boxes, sidebars, a wiki's "[edit]" links, what print omits
_TOOL_CLASSES = ("navbox", "vertical-navbox", "sidebar", "mw-editsection", "noprint", "no-print")


def _without_page_tools(tree) -> int:
    """The page's navigation boxes and sidebars (a wiki's "Machine learning and data mining" box above the
    article), edit links and what it hides from print: furniture a reader skips, by the classes it is given."""
    tests = " or ".join(f'contains(concat(" ", normalize-space(@class), " "), " {name} ")' for name in _TOOL_CLASSES)
    tools = [element for element in tree.xpath(f"//*[{tests}]") if element.tag not in ("html", "body", "main",
                                                                                         "article")]
    for element in tools:
        if element.getparent() is not None:
            element.drop_tree()
    return len(tools)


_PERMALINK_MARKS = frozenset({"", "#", "¶", "§", "🔗", "link", "permalink"})


def _without_permalinks(tree) -> int:
    """Each link to its own page that shows only a mark: read with its heading, "Windows vs. POSIX#" and
    "path.basename(path[, suffix])#" are no names of anything."""
    marks = [a for a in tree.xpath('//a[starts-with(@href, "#")][not(.//img)]')
             if a.text_content().strip().casefold() in _PERMALINK_MARKS]
    for mark in marks:
        mark.drop_tree()  # its tail stays
    return len(marks)


def _without_hidden_lines(tree) -> int:
    """The lines of a listing the page does not show (mdBook's "boring" lines: the `fn main() {` around an
    example), so a quote holds the code the reader saw."""
    hidden = tree.xpath('//pre//*[contains(concat(" ", normalize-space(@class), " "), " boring ")]')
    for element in hidden:
        element.drop_tree()
    return len(hidden)


def _code_variants_apart(tree) -> int:
    """A listing given in several variants, one <code> each in one <pre> (CommonJS and ES module, one shown at a
    time), as one <pre> each: together they run into one line ("…require('node:path');import path from …")."""
    changed = 0
    for pre in tree.xpath("//pre[count(code) > 1]"):
        for code in reversed(pre.xpath("code")[1:]):
            variant = pre.makeelement("pre")
            code.tail = None
            variant.append(code)
            pre.addnext(variant)
            changed += 1
    return changed


def _listings_as_blocks(tree) -> int:
    """Each figure holding a listing or a table as plain blocks, its caption a paragraph after them ("Listing 8-1:
    Creating a new, empty vector"): trafilatura drops figures whole, code and all. A figure of a picture stays a
    figure: its caption is no body text."""
    figures = tree.xpath("//figure[.//pre or .//table]")
    for figure in figures:
        figure.tag = "div"
        for caption in figure.xpath(".//figcaption"):
            caption.tag = "p"
    return len(figures)


_PROSE = frozenset({"p", "pre", "ul", "ol", "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})


def _text_divs_as_paragraphs(tree) -> int:
    """Each <div> of text alone (no block inside) set among the paragraphs of the text, as a paragraph:
    trafilatura drops such a div ("Stability: 0 - Deprecated: Use fs.stat() instead." under an API's heading).
    Not one whose class or id names furniture (share, newsletter, related…), nor one inside such. A <span> of text
    set right under a heading is its subtitle ("Run a security audit" under npm-audit's <h1>), read the same way."""
    changed = 0
    for div in tree.xpath("//div[not(div | p | ul | ol | dl | table | pre | blockquote | figure | section)]"
                          " | //span[not(*)][preceding-sibling::*[1][self::h1 or self::h2]]"):
        beside, text = (div.getprevious(), div.getnext()), " ".join(div.text_content().split())
        if (_reads_as_statement(text) and any(b is not None and b.tag in _PROSE for b in beside)
                and not is_furniture_element(div)):
            div.tag = "p"
            changed += 1
    return changed


# the elements that hold a page's text laid out with blank lines ("…at all times, <b>the contract…</b><br><br>")
_TEXT_BOXES = ("div", "section", "article", "main", "body", "blockquote", "center")
# elements that break the text around them: never inside a paragraph
_BREAKING = frozenset({"div", "p", "ul", "ol", "dl", "table", "pre", "blockquote", "figure", "section", "article",
                       "aside", "header", "footer", "nav", "form", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "iframe"})
_EMPHASIS = frozenset({"b", "strong", "em", "i", "u", "span", "font"})
_INLINE = _EMPHASIS | {"a", "mark", "small", "big", "cite", "abbr", "q", "s", "strike", "ins", "del"}


def _broken_text_as_paragraphs(tree) -> int:
    """Text a page lays out with blank lines (two <br> or more) instead of paragraphs, read as one paragraph per
    line: trafilatura starts a new paragraph at each link, italic or bold in such text ("Morales had just signed on
    to guard" | "Queen Miri, the $70 million yacht"), and runs the text on over a picture set between two lines
    ("exciting news.\"From now on"). So the line's links and emphasis become plain text, and the text after a
    block starts a line of its own."""
    boxes = [box for box in tree.xpath("|".join(f"//{tag}[count(br) > 1]" for tag in _TEXT_BOXES))
             if _blank_line_laid(box)]
    for box in boxes:
        _as_lines(box)
    return len(boxes)


MIN_LOOSE_WORDS = 3  # fewer words after a block are a separator or a label ("|", "Advertisement"), not text
# inline elements that go on with the loose text after a block ("… are split into words … <code>$var</code> loop")
_RUNNING = _INLINE | {"code", "tt", "kbd", "var", "samp", "sub", "sup", "br"}
_ENDS_TEXT = frozenset({"hr", "nav", "footer", "aside", "form"})  # what follows them is a page's footer, not text


def _loose_text_as_paragraphs(tree) -> int:
    """Text left loose after a block, with the inline elements that go on with it, as a paragraph: a <pre> or a
    list inside a <p> (as YODL writes the zsh FAQ) ends the paragraph, while a reader sees it go on ("… such as
    <pre>var="foo bar"</pre> are split into words …"), and trafilatura drops text outside any paragraph. Not in a
    box laid out with blank lines (_broken_text_as_paragraphs reads those), nor after a rule or a footer."""
    changed = 0
    for box in tree.xpath("|".join(f"//{tag}" for tag in _TEXT_BOXES)):
        if _blank_line_laid(box):
            continue
        for block in list(box):
            if block.tag not in _BREAKING or block.tag in _ENDS_TEXT:
                continue
            run = list(itertools.takewhile(lambda e: e.tag in _RUNNING, block.itersiblings()))
            if sum(map(_words_of_text, run), len((block.tail or "").split())) < MIN_LOOSE_WORDS:
                continue
            paragraph = box.makeelement("p")
            paragraph.text, block.tail = block.tail, None
            paragraph.extend(run)  # moved, each with the text after it
            block.addnext(paragraph)
            changed += 1
    return changed


def _words_of_text(element) -> int:
    """Words an inline element adds to loose text, the text after it included: none for a link ("Jump to
    navigation") or small print ("Zsh version 5.9, released on …" under the page), which are no text of its own."""
    small = element.tag == "small" or element.tag == "font" and (element.get("size") or "").startswith("-")
    inside = 0 if small or element.tag == "a" else len(element.text_content().split())
    return inside + len((element.tail or "").split())


def _blank_line_laid(box) -> bool:
    """Whether the box holds prose of its own (not only in child elements) parted by blank lines."""
    own_text = (box.text or "") + "".join(child.tail or "" for child in box)
    breaks, blank_line = 0, False
    for child in box:
        breaks = breaks + 1 if child.tag == "br" else 0
        blank_line = blank_line or breaks > 1
        if (child.tail or "").strip():
            breaks = 0
    return blank_line and len(own_text.split()) >= 20


def _as_lines(box) -> None:
    """The box's links and emphasis as plain text, a line of bold alone as a heading, and a line of its own for
    the text after a block."""
    for child in box:
        if child.tag in _EMPHASIS and not child.xpath(".//a") and _line_of_its_own(child) \
                and _reads_as_heading(child.text_content()):
            child.tag = "h3"  # '<span class="BoldGrey">Journey to "the dark side"</span>' between blank lines
    while inline := [child for child in box if child.tag in _INLINE]:
        for child in inline:
            child.drop_tag()  # its text and children stay in the box
    for child in box:
        if child.tag in _BREAKING and (child.tail or "").strip():
            line = box.makeelement("br")
            line.tail, child.tail = child.tail, None
            child.addnext(line)


def _line_of_its_own(element) -> bool:
    """Whether an element of a box's text is all of its line: nothing but a line break or the box's edge on
    either side."""
    before, after = element.getprevious(), element.getnext()
    text_before = before.tail if before is not None else element.getparent().text
    return (not (text_before or "").strip() and not (element.tail or "").strip()
            and (before is None or before.tag == "br") and (after is None or after.tag == "br"))


def _reads_as_heading(text: str) -> bool:
    """A few words not ending as a sentence or clause does: "Spying, stealing diapers, and burglary plans"."""
    words = text.split()
    return 0 < len(words) <= 12 and not text.rstrip().endswith((".", ",", ";", ":", "!"))


def _reads_as_statement(text: str) -> bool:
    """Three words or more, not all in capitals: not a label ("Advertisement") nor a shouted promotion."""
    return len(re.findall(r"\w+", text)) >= 3 and text != text.upper()


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
    """Each MathML formula as the TeX its `alttext` gives, written plainly ("{\\displaystyle x_{i}}" as "x_i"):
    trafilatura drops formulas, leaving "the conditional probability, , that would pick"."""
    changed = 0
    for formula in tree.xpath("//math[@alttext]"):
        tex = re.sub(r"^\{\\displaystyle\s*(.*)\}$", r"\1", formula.get("alttext").strip(), flags=re.DOTALL)
        outer = formula  # Wikipedia wraps it, with a fallback image, in a span of class mwe-math-element
        for ancestor in formula.iterancestors():
            if "mwe-math-element" in (ancestor.get("class") or ""):
                outer = ancestor
                break
        outer.tail = readable_tex(tex) + (outer.tail or "")
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
    elif tag == "p" and _bold_alone(element):  # "<p><b>(19) INSERT is really slow</b></p>": a FAQ's question
        blocks.append(Block(HEADING, inline_text(element), BOLD_HEADING_LEVEL))
    elif tag == "p":
        _walk_container(element, blocks, in_quote)
    elif tag == "list":
        _walk_list(element, blocks)
    elif tag == "quote":
        _walk_container(element, blocks, in_quote=True)
    elif tag == "code":
        blocks.append(Block(CODE, "".join(_code_text(element))))
    elif tag == "table":
        _walk_table(element, blocks)
    elif tag not in ("graphic", "lb"):
        _walk_container(element, blocks, in_quote)


def _walk_table(table, blocks: list[Block]) -> None:
    """Each row a row of cells; a row whose cells hold paragraphs of prose or code is layout (a FAQ's question and
    answer, a note beside its icon), read as the blocks in its cells: as a row, all but the cells' loose text would
    be lost. (Cells of lists or short lines are a sidebar's links and titles more often than text.)"""
    for row in table.iter("row"):
        cells = list(row.iterchildren("cell"))
        if any(child.tag in ("p", "quote") and len("".join(child.itertext()).split()) >= 8
               or child.tag == "code" and _is_block(child) for cell in cells for child in cell):
            for cell in cells:
                _walk_container(cell, blocks, in_quote=False)
        else:
            blocks.append(Block(ROW, " | ".join(inline_text(cell) for cell in cells)))


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
        elif rend.startswith("dd") and terms and all(_LIST_MARKER.fullmatch(t) for t in terms):
            _walk_numbered(item, " ".join(terms), blocks)  # man2html's "<dt>1.</dt><dd>If the command …"
            terms = []
        elif rend.startswith("dd") and terms:
            _walk_description(item, ", ".join(t for t in terms if t), blocks)
            terms = []
        else:
            _walk_item(item, blocks)
    if terms:
        blocks.append(Block(DEFINITION, ", ".join(terms)))


# a term that is only a list's number ("1.", "b)", "iv."): its description is an item of a list, not a definition
# (a symbol is a term: git's "* for a successfully fetched new ref", the regular expression "*")
_LIST_MARKER = re.compile(r"\s*(?:\d{1,3}|[a-zA-Z]|[ivxlIVXL]{1,5})[.)]\s*")


def _walk_numbered(item, marker: str, blocks: list[Block]) -> None:
    """A list item laid out as a definition: "1. If the command terminates …", not an option named "1."."""
    inner: list[Block] = []
    _walk_item(item, inner)
    if inner and inner[0].kind == ITEM:
        inner[0] = replace(inner[0], text=f"{marker} {inner[0].text}")
    blocks.extend(inner)


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
    more is a block, and so is code with no text just before or after it that spans lines or stands outside an
    element of inline text (a definition's term "<dt><code>--dry-run</code></dt>" is inline)."""
    if child.tag != "code":
        return child.tag in _BLOCK_TAGS
    parent = child.getparent()
    lines = "".join(child.itertext()).strip().count("\n") + 1
    alone = not _text_before(child).strip() and not (child.tail or "").strip()
    return lines >= 3 or alone and (lines > 1 or not _holds_inline_text(parent))


def _holds_inline_text(element) -> bool:
    """A paragraph, heading or cell, or a list item of no other blocks (a term "<dt><code>-p</code> spec</dt>")."""
    return element.tag in ("p", "head", "cell") or element.tag == "item" and not any(
        child.tag in _BLOCKS_BESIDE_TEXT for child in element)


def _text_before(child) -> str:
    """The inline text before an element in its parent, back to the block before it ("Default: " in
    "<hi>Default:</hi> <code>64 * 1024</code>")."""
    pieces = []
    for sibling in child.itersiblings(preceding=True):
        pieces.append(sibling.tail or "")
        if sibling.tag in _BLOCK_TAGS or sibling.tag == "code" and "\n" in "".join(sibling.itertext()).strip():
            return "".join(pieces)
        pieces.append("".join(sibling.itertext()))
    return "".join(pieces) + (child.getparent().text or "")


def _code_text(element):
    yield element.text or ""
    for child in element:
        if child.tag == "lb":
            yield "\n"
        else:
            yield from _code_text(child)
        yield child.tail or ""


BOLD_HEADING_LEVEL = 6  # a bold line heads what follows it, under every real heading of the page
MAX_BOLD_HEADING_WORDS = 25


def _bold_alone(element) -> bool:
    """Whether a paragraph is one bold phrase and nothing else, ending no statement ("The default port is 8080."
    is one; a FAQ's question may end in "?"): a heading styled by hand."""
    children = list(element)
    if len(children) != 1 or children[0].tag != "hi" or children[0].get("rend") != "#b":
        return False
    text = " ".join(element.itertext()).strip()
    return (not (element.text or "").strip() and not (children[0].tail or "").strip() and 0 < len(text.split())
            <= MAX_BOLD_HEADING_WORDS and not _ends_statement(text)
            and not is_furniture_block(Block(PARAGRAPH, text)))  # a bold byline still goes as a byline


def _reads_as_sentence(text: str) -> bool:
    return len(text.split()) >= 8 and _ends_statement(text)


def _ends_statement(text: str) -> bool:
    return text.rstrip("”’\"')").endswith((".", "!"))


def _heading_level(element) -> int:
    match = re.fullmatch(r"h([1-6])", element.get("rend") or "")
    return int(match.group(1)) if match else 2
