"""Faithful text from a PDF: lines rebuilt from pypdf's positioned runs of text, then joined into blocks.

pypdf gives a PDF's text line by line, and prose needs paragraphs. Every run of text comes with its position, size
and font, so paragraph breaks come from the layout (more space than between lines, an indented first line, a short
line that ends a sentence), running headers, footers and page numbers are the lines at the page edges that repeat
or carry the page's number, footnotes go after their paragraph, and a paragraph cut by a page or column break is
joined again. Words hyphenated at a line's end are rejoined and ligature characters spelled out.
"""
from __future__ import annotations

import io
import itertools
import logging
import math
import re
import statistics
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest.clean import superscript
from ingest.structure import (CODE, HEADING, ITEM, PARAGRAPH, ROW, SUPERSCRIPT_DIGITS, TRAILING_FOOTNOTE_MARK,
                               Block)

# What pypdf raises on a damaged file besides its own errors.
_READ_ERRORS = (PyPdfError, KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError)
# Ligatures and invisible characters only: NFKC on the whole text would also turn "²" into "2" and "…" into "...".
_CHARACTER_FIXES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                                  "\ufb05": "st", "\ufb06": "st", "\u00a0": " ", "\u00ad": None, "\u200b": None,
                                  "\ufeff": None, **{code: None for code in range(32) if code != 9}})
_MONOSPACE = re.compile(r"mono|nimbusmon|courier|cursor|consol|typewriter|menlo|monaco|(^|\+)(cm|sf|lm|ec|tc)?tt\d",
                        re.I)
_BOLD = re.compile(r"bold|black|heavy|demi|cmbx|cmssbx", re.I)
_NARROW, _WIDE = frozenset("ijlt.,;:'’‘!|()[]/` "), frozenset("mwMW—")
_BULLET = re.compile(r"^([•◦▪▸►‣∙·*–—-]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s")
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+)*|[A-Z](\.\d+)+)\.?\s+[A-Z]")
_PAGE_NUMBER = re.compile(r"^((page|seite|p\.)\s*)?(\d{1,4}|[ivxlc]{1,7})(\s*(of|/|von)\s*\d{1,4})?$", re.I)
_PAGE_REFERENCE = re.compile(r"\s(\d{1,4}|[ivxlc]{1,6})$", re.I)
_DOT_LEADERS = re.compile(r"(\.\s?){4,}\s*([\divxlc]{1,6}(\s*,\s*[\divxlc]{1,6})*)?$", re.I)  # "… . . 6, 55" too
# a line ending a sentence (closing quotes and footnote marks may follow); "see https:" runs on
_SENTENCE_END = re.compile(rf"([.!?]|(?<!http)(?<!https):)['\"’”)\]*†‡{SUPERSCRIPT_DIGITS}]*$")
# A footnote mark or an exponent set raised and small after a word ("by hand.⁷", "(n − l)²"): kept as the superscript
# it is, since glued on as a digit it reads as part of the word ("calc1") and hides a sentence's end.
_RAISED_MARK = re.compile(r"[−-]?\d{1,3}(,\d{1,3})*")
_RUN = "\x00"  # marks where a run starts in a line's text until the line is finished (text holds no NUL)
_EMAIL = re.compile(r"\S@[\w-]+\.\w|\w \(?(at|AT)\)? [\w-]+(\.[\w-]+)*\.[a-z]{2,}\b")  # "tal197 at users.sf.net" too
_DATE_WORDS = re.compile(r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
                         r"oct(ober)?|nov(ember)?|dec(ember)?|printed|revised|updated|version|draft)\b\.?", re.I)
_FILE_NAME = re.compile(r"\.(dvi|tex|docx?|pdf|ps|rtf|odt|indd|pptx?|xlsx?|txt|md)$|^microsoft \w+ - |^untitled", re.I)


@dataclass(frozen=True)
class PdfText:
    title: str
    author: str
    blocks: list[Block]
    date: str = ""  # ISO date the PDF says it was made (its CreationDate), "" when it says none


def read_pdf(data: bytes) -> PdfText:
    """The title, author and blocks of a PDF; ValueError with a one-line reason when it cannot be read."""
    with _pypdf_warnings_silenced():
        reader = _open(data)
        try:
            font_widths: dict[str, list[float]] = {}
            pages = [_page_lines(page, number, font_widths) for number, page in enumerate(reader.pages)]
        except _READ_ERRORS as exc:  # the list of pages itself is damaged
            raise ValueError(f"not a readable PDF ({exc.__class__.__name__})") from None
        title, author, labels = _metadata(reader, len(pages))
        date = _creation_date(reader)
    _estimate_line_ends(pages, font_widths)
    groups, layout = _groups(pages, labels)
    title = _sensible(title)
    author = _person(_sensible(author, max_length=100), title)
    placed = _with_words_apart(_without_index_or_repeats(_to_blocks(groups, layout, author)))
    if not title:  # the first page's title is read from its largest lines, and only then joined (_title_joined)
        placed = _title_joined(placed)
    if not author:
        author, placed = _byline_under_title(placed)
    title = title or _first_page_title(placed)
    return PdfText(TRAILING_FOOTNOTE_MARK.sub("", title), _without_emails(author),
                   [block for _, block in placed], date)


@contextmanager
def _pypdf_warnings_silenced():
    """pypdf logs a warning for every odd operator of real-world files: noise to whoever loads them."""
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not _decrypts(reader)
    except _READ_ERRORS as exc:
        raise ValueError(f"not a readable PDF ({exc.__class__.__name__})") from None
    if locked:
        raise ValueError("the PDF is encrypted")
    return reader


def _metadata(reader: PdfReader, page_count: int) -> tuple[str, str, list[str]]:
    """Title, author and the pages' printed numbers ("iv", "12"); plain page numbers where those are damaged."""
    try:
        info = reader.metadata
        title, author = (str(info.title or ""), str(info.author or "")) if info else ("", "")
    except _READ_ERRORS:
        title, author = "", ""
    try:
        labels = [label.lower() for label in reader.page_labels]
    except _READ_ERRORS:
        labels = []
    return title, author, labels if len(labels) == page_count else [str(n) for n in range(1, page_count + 1)]


def _person(author: str, title: str) -> str:
    """The metadata's author unless it names the software or its project, not a person: one word in lower case
    ("gnuplot", "root") or one word of the title ("gnuplot" of "gnuplot documentation")."""
    word = author.strip()
    if " " not in word and (word.islower() or word.lower() in title.lower().split()):
        return ""
    return author


def _creation_date(reader: PdfReader) -> str:
    """The metadata's CreationDate as YYYY-MM-DD; "" when missing, damaged or implausible (before PDF existed)."""
    try:
        made = reader.metadata.creation_date if reader.metadata else None
    except _READ_ERRORS:
        return ""
    return made.date().isoformat() if made and made.year >= 1993 else ""


def _decrypts(reader: PdfReader) -> bool:
    """Many PDFs are encrypted with an empty password, only to forbid printing or copying."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - e.g. AES needs the optional cryptography package
        return False


# ---- lines ----

@dataclass(eq=False)  # lines are told apart by identity: two can have the same text at the same place
class _Line:
    page: int
    x: float  # left edge
    y: float  # baseline, growing upwards
    text: str = ""
    end: float = 0.0  # right edge, estimated: pypdf tells where a run of text starts, not where it ends
    last_run: tuple[str, float, float, float] = ("", -math.inf, 0.0, 0.0)  # the rightmost: font, x, width, size
    sizes: Counter = field(default_factory=Counter)  # characters per font size
    fonts: Counter = field(default_factory=Counter)  # characters per font
    size: float = 0.0  # the size of most of its characters
    mono: bool = False
    bold: bool = False
    marked: bool = False  # starts with a raised mark, as a footnote does
    cells: list = field(default_factory=list)  # (x, offset in text, after a gap) of each run but the first
    run_before: tuple[float, float, float] = (0.0, 0.0, 1.0)  # the latest run's x, nominal width and size
    row: str = ""  # in a table: "start" for a row's first line, "more" for its wrapped lines
    in_margin: bool = False  # a note set in the margin beside the text column
    first_x: float = 0.0  # where its first run starts: not its left edge when the content stream went back left

    def finish(self) -> None:
        text, cells, previous_x = "", [], self.first_x
        for (x, gap), run in zip([(None, False), *self.cells], re.sub(r"\s+", " ", self.text).split(_RUN)):
            if text.endswith(" ") and run.startswith(" "):
                run = run[1:]
            elif x is not None and x < previous_x - 2 * max(self.sizes) and text[-1:] not in " ([{" and run[:1].isalnum():
                run = " " + run  # written after a run further right: "[Function]" then "int asn1_create…"
            previous_x = previous_x if x is None else x
            if x is not None and run.strip():
                cells.append((x, len(text) + len(run) - len(run.lstrip()), gap))
            text += run
        lead = len(text) - len(text.lstrip())
        self.text = text.strip()
        self.cells = [(x, at - lead, gap) for x, at, gap in cells if 0 <= at - lead < len(self.text)]
        self.size = self.sizes.most_common(1)[0][0]
        letters = sum(self.fonts.values())
        monospace = sum(n for font, n in self.fonts.items() if _MONOSPACE.search(font)) >= 0.8 * letters
        self.mono = monospace and not self.text.startswith(("•", "◦", "▪", "‣"))  # a list of names is no code
        self.bold = sum(n for font, n in self.fonts.items() if _BOLD.search(font)) >= 0.9 * letters


def _page_lines(page, number: int, font_widths: dict[str, list[float]]) -> list[_Line]:
    """A page's lines in content order (upright text only); `font_widths` collects, per font, how far the next
    run starts from a run's start, against the run's `_nominal_width`."""
    lines: list[_Line] = []

    def visit(text, cm, tm, font, font_size):
        text = text.replace("\n", "").translate(_CHARACTER_FIXES)
        if not text.strip():
            return
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        x, y = tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = round(font_size * scale, 1)
        if size <= 0:
            return  # invisible text
        line = lines[-1] if lines else None
        if line is None or not _same_line(line, text, x, y, size):
            line = _Line(number, x, y, first_x=x)
            lines.append(line)
            text = text.lstrip()
        elif size > max(line.sizes) and y < line.y:
            line.y, line.marked = y, len(line.text) <= 3  # the line began with a superscript
            if line.marked and _RAISED_MARK.fullmatch(line.text.strip()):
                line.text = superscript(line.text.strip()) + " "  # a footnote's number: "² User feedback …"
        elif _raised_mark(line, text, y, size):
            text = superscript(text)
        font_name = str((font or {}).get("/BaseFont", ""))
        run_font, run_x, run_width, run_size = line.last_run
        if run_width >= 2 and x > run_x:
            font_widths.setdefault(run_font, []).append((x - run_x) / (run_width * run_size))
        if line.text:  # where each run starts: a table's cells start at its columns
            line.text += _RUN
            # after a gap wider than a word space, even if the run before is wider than its letters' nominal width
            before_x, before_width, before_size = line.run_before
            line.cells.append((x, (x - before_x) / before_size - 1.2 * before_width > 1.0))
        line.run_before = (x, _nominal_width(text), size)
        line.text += text
        line.x = min(line.x, x)
        if x >= run_x:
            line.last_run = (font_name, x, _nominal_width(text), size)
        line.sizes[size] += len(text) - text.count(" ")
        line.fonts[font_name] += len(text) - text.count(" ")

    try:
        page.extract_text(visitor_text=visit, orientations=(0,))
    except _READ_ERRORS:
        return []  # one damaged page costs its own text only
    for line in lines:
        line.finish()
    return [line for line in lines if line.text]


def _raised_mark(line: _Line, text: str, y: float, size: float) -> bool:
    body = max(line.sizes)
    return size <= 0.8 * body and y - line.y >= 0.2 * body and bool(_RAISED_MARK.fullmatch(text.strip()))


def _same_line(line: _Line, text: str, x: float, y: float, size: float) -> bool:
    """Whether a run of text goes on `line`: at its height, or, if it is a subscript or a big operator of inline
    math (small or short), a little off it but further right; a new line starts further left."""
    em, (_, run_x, run_width, run_size) = max(size, *line.sizes), line.last_run
    if abs(y - line.y) <= 0.5 * em:
        return True
    reach = em if len(text.strip()) <= 2 else 0.6 * em if size < 0.9 * em else 0  # how far off the line it may be
    return abs(y - line.y) <= reach and x > run_x + 0.8 * run_width * run_size


def _estimate_line_ends(pages: list[list[_Line]], font_widths: dict[str, list[float]]) -> None:
    scale = {font: statistics.median(widths) for font, widths in font_widths.items() if len(widths) >= 5}
    for line in (line for lines in pages for line in lines):
        font, x, width, size = line.last_run
        line.end = x + scale.get(font, 1.0) * width * size


def _nominal_width(text: str) -> float:
    """Width in ems in a typical text face: enough to tell a full line from a short one."""
    return sum(0.3 if ch in _NARROW else 0.85 if ch in _WIDE else 0.7 if ch.isupper() else 0.5 for ch in text)


# ---- what is not text: running headers and footers, page numbers, tables of contents ----

def _without_furniture(pages: list[list[_Line]], labels: list[str]) -> list[list[_Line]]:
    """Drops page numbers, and the lines at a page's top or bottom that repeat on several pages or carry the
    page's number (a running header such as "12 Introduction" or "CONTENTS iii")."""
    def key(line):
        return re.sub(r"\d+", "#", line.text.lower()), round(line.y)

    at_edges = [sorted(lines, key=lambda line: line.y) for lines in pages]
    seen_on = Counter(k for lines in at_edges for k in {key(line) for line in lines[:2] + lines[-2:]})
    repeats = 2 if len(pages) <= 4 else 3  # a chapter's running title repeats over that chapter's pages only
    kept_pages = []
    for lines, by_height, label in zip(pages, at_edges, labels):
        body_size = statistics.median(line.size for line in lines) if lines else 0

        def is_furniture(line):
            words = line.text.lower().split()
            numbered = label in (words[0], words[-1]) and line.size <= body_size and not line.bold
            return numbered or _PAGE_NUMBER.match(line.text) or seen_on[key(line)] >= repeats

        dropped = {id(line) for line in lines if line.text.lower() == label}  # even with a figure below it
        for edge in (by_height[::-1], by_height):
            for line in edge[:2]:  # the line next to the edge only when the edge line is furniture too
                if not is_furniture(line):
                    break
                dropped.add(id(line))
        kept_pages.append([line for line in lines if id(line) not in dropped])
    return kept_pages


def _without_contents(lines: list[_Line]) -> list[_Line]:
    """Drops tables of contents: lines ending in dot leaders, and the entries after a "Contents" title."""
    kept, in_contents, entry_size = [], False, 0.0
    for index, line in enumerate(lines):
        if re.fullmatch(r"(table of )?contents", line.text, re.I):
            in_contents, entry_size = True, 0.0
        elif in_contents and line.size > 0.9 * entry_size:  # smaller lines are footnotes among the entries
            following = lines[index + 1].text if index + 1 < len(lines) else ""
            in_contents = any(_PAGE_REFERENCE.search(text) for text in (line.text, following))  # or a wrapped entry
            entry_size = min(entry_size or line.size, line.size) if in_contents else entry_size
        if not (in_contents and line.size > 0.9 * entry_size or _DOT_LEADERS.search(line.text)):
            kept.append(line)
    return kept


# ---- lines into groups, one per block ----

@dataclass(frozen=True)
class _Layout:
    body: float  # font size of the body text
    pitch: float  # baseline to baseline distance of body lines
    body_font: str
    margins: dict[int, set[int]]  # per page: where at least three body lines start

    def kind(self, line: _Line) -> str:
        if line.mono:
            return "code"
        return "large" if line.size > 1.12 * self.body else "small" if line.size < 0.88 * self.body else "body"

    def styled(self, line: _Line) -> bool:
        """Wholly in another font than the body text (bold, sans serif...), not smaller, and mostly not monospace
        (a heading may name a command): a heading's look."""
        styled = sum(n for font, n in line.fonts.items() if font != self.body_font and not _MONOSPACE.search(font))
        other_font = not line.fonts[self.body_font] and styled >= 0.5 * sum(line.fonts.values())
        return other_font and self.kind(line) in ("body", "large")

    def at_margin(self, line: _Line) -> bool:
        return any(abs(line.x - margin) <= 2 for margin in self.margins.get(line.page, ()))


def _groups(pages: list[list[_Line]], labels: list[str]) -> tuple[list[list[_Line]], _Layout]:
    """Lines grouped into blocks, in reading order, with footnotes after the group their page ends in."""
    pages_kept: list[list[_Line]] = [[] for _ in pages]
    for line in _without_contents([line for lines in _without_furniture(pages, labels) for line in lines]):
        pages_kept[line.page].append(line)
    layout = _measure(pages_kept)
    pages_kept = [_with_margin_notes_apart(lines, layout) for lines in pages_kept]
    for lines in pages_kept:
        _mark_table_rows(lines, layout)
    notes = [_in_order(lines, _column_feet(lines, layout) + [line for line in lines if line.in_margin])
             for lines in pages_kept]
    groups = _group_lines([line for lines, feet in zip(pages_kept, notes) for line in lines if line not in feet],
                          layout)
    last_group_on = {line.page: index for index, group in enumerate(groups) for line in group}
    after: dict[int, list[list[_Line]]] = {}
    for page, feet in enumerate(notes):
        anchor = max((index for p, index in last_group_on.items() if p <= page), default=-1)
        after.setdefault(anchor, []).extend(_group_lines(feet, layout))
    ordered = after.get(-1, [])
    for index, group in enumerate(groups):
        ordered += [group, *after.get(index, [])]
    return ordered, layout


def _mark_table_rows(lines: list[_Line], layout: _Layout) -> None:
    """Marks a page's table rows: lines with a cell at a column where cells of at least two other lines start,
    each row with the lines after it that start in one of its later columns (its wrapped last cell). A table's
    rows are its units: an option's name and its description, never all the options as one paragraph."""
    def at_column(x: float) -> bool:
        return any(abs(c - x) <= 1.5 for c in columns)

    counts = Counter(x for line in lines if layout.kind(line) != "code"
                     for x in {round(x) for x, _, gap in line.cells if gap})
    columns = [x for x, n in counts.items() if n >= 3]
    previous, table = None, []
    for line in lines + [None]:
        if line is None or layout.kind(line) not in ("body", "small"):
            previous = None
        elif any(gap and at_column(x) and x > line.x + line.size for x, _, gap in line.cells):
            line.row, previous = "start", line
        elif previous and at_column(line.x) and line.x > previous.x + line.size:
            line.row = "more"
        else:
            previous = None
        if line is not None and line.row:
            table.append(line)
            continue
        starts = [row for row in table if row.row == "start"]
        for row in table if len(starts) < 2 else ():  # one aligned line by chance is no table
            row.row = ""
        for row in starts if len(starts) >= 2 else ():
            row.text = _with_cell_bars(row, at_column)
        table = []


def _with_cell_bars(line: _Line, at_column) -> str:
    """A row's text with " | " between its cells, as table rows from HTML and Markdown have."""
    text, bars = line.text, [at for x, at, _ in line.cells if at_column(x) and x > line.x + line.size]
    for at in reversed(bars):
        text = text[:at].rstrip() + " | " + text[at:]
    return text


def _measure(pages: list[list[_Line]]) -> _Layout:
    every_line = [line for lines in pages for line in lines]
    sizes = Counter()
    for line in every_line:
        sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    fonts = Counter()
    for line in every_line:
        fonts.update(line.fonts if line.size == body and not line.mono else {})
    gaps = [a.y - b.y for lines in pages for a, b in zip(lines, lines[1:]) if a.size == b.size == body
            and 0 < a.y - b.y < 3 * body]
    usual = Counter(round(2 * gap) / 2 for gap in gaps).most_common(1)[0][0] if gaps else 1.2 * body
    pitch = statistics.median([gap for gap in gaps if abs(gap - usual) < 0.5] or [usual])
    starts = [Counter(round(line.x) for line in lines if line.size == body) for lines in pages]
    margins = {page: {x for x, n in counter.items() if n >= 3} for page, counter in enumerate(starts)}
    return _Layout(body, pitch, fonts.most_common(1)[0][0] if fonts else "", margins)


def _with_margin_notes_apart(lines: list[_Line], layout: _Layout) -> list[_Line]:
    """A page's lines with the notes set in a margin, right of a text column ("New description 1996/12/01") or left
    of them all ("\\cmidrule" beside the sentence that explains it), as lines of their own, marked `in_margin`:
    read on the line beside them, they break into its paragraph ("equiva-1996/10/29lent", "for\\cmidrule which")."""
    edges = _column_edges(lines, layout)
    text_starts = min(edges, default=None)
    kept = []
    for line in lines:
        edge = max((edge for start, edge in edges.items() if start <= line.x + 1), default=None)
        if edge is not None and line.x > edge + 2 or _left_of_text(line.x, line.end, text_starts):
            line.in_margin = True
            kept.append(line)
        else:
            kept += _split_at_note(line, edge, text_starts)
    return kept


_ARGUMENTS = ("[", "{", "〈", "⟨", "(", "*")  # how a command's syntax line goes on after its name


def _left_of_text(left: float, right: float, text_starts: float | None) -> bool:
    """Whether text from `left` to `right` stands in the left margin: it ends before the page's text columns start."""
    return text_starts is not None and left < text_starts - 2 and right <= text_starts + 2


def _split_at_note(line: _Line, edge: float | None, text_starts: float | None) -> list[_Line]:
    """The line, or its text and the margin note the content stream put on it: before the text, a note right of
    the column (written before the line beside it); after it, one right of the column in smaller type or one left
    of the text (written after the line it stands by)."""
    if edge is not None and line.first_x > edge + 2:
        cut = next((at for x, at, _ in line.cells if x <= edge), None)
        if cut is not None:
            return [_piece(line, 0, cut, line.first_x, in_margin=True), _piece(line, cut, len(line.text), line.end)]
    cut = None if edge is None else next((at for x, at, _ in line.cells if x > edge + 2), None)
    if cut is not None and not (line.last_run[3] < 0.95 * line.size and len(line.text) - cut >= 3):
        cut = None  # the line's own end (a full stop, an overfull word), not a note in smaller type
    if cut is None:  # a note that fits left of the text, not an outdented line
        cut = next((at for x, at, _ in line.cells
                    if _left_of_text(x, x + _nominal_width(line.text[at:]) * line.size, text_starts)), None)
    if cut is None:
        return [line]
    text_end = line.end if edge is None else edge  # where the note's run starts is no guide to the text's end
    text, note = _piece(line, 0, cut, text_end), _piece(line, cut, len(line.text), line.end, in_margin=True)
    if note.x < line.first_x and text.text.startswith(_ARGUMENTS):
        return [_followed_by(note, text)]  # a command's name left of its arguments: "\SetProtrusion [⟨options⟩]…"
    return [text, note]


def _followed_by(first: _Line, second: _Line) -> _Line:
    """One line reading `first`, then `second`."""
    shift = len(first.text) + 1
    cells = [*first.cells, (second.first_x, shift, True), *[(x, at + shift, gap) for x, at, gap in second.cells]]
    return replace(second, x=first.x, first_x=first.x, text=f"{first.text} {second.text}", cells=cells,
                   in_margin=False)


def _piece(line: _Line, start: int, end: int, right: float, in_margin: bool = False) -> _Line:
    """The part of a line from offset `start` to `end`, with the runs that start in it, ending at `right`."""
    runs = [(x, at - start, gap) for x, at, gap in [(line.first_x, 0, False), *line.cells] if start <= at < end]
    text = line.text[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    cells = [(x, at - lead, gap) for x, at, gap in runs[1:] if 0 < at - lead < len(text)]
    return replace(line, x=min(x for x, _, _ in runs), text=text, end=right, cells=cells, first_x=runs[0][0],
                   in_margin=in_margin)


def _column_edges(lines: list[_Line], layout: _Layout) -> dict[float, float]:
    """Where each text column of a page ends, by where it starts: the median end of its long body lines, once more
    without those whose rightmost run is in smaller type near or past that end (a margin note beside the line)."""
    edges = {}
    for start in sorted(layout.margins.get(lines[0].page, ())) if lines else ():
        long = [line for line in lines if layout.kind(line) == "body" and len(line.text) >= 40
                and start - 1 <= line.x <= start + 3 * layout.body]
        if len(long) >= 3:
            rough = statistics.median(line.end for line in long)
            unnoted = [line.end for line in long
                       if line.last_run[1] < rough - layout.body or line.last_run[3] >= 0.95 * line.size]
            edges[start] = statistics.median(unnoted or [rough])
    return edges


def _in_order(lines: list[_Line], chosen: list[_Line]) -> list[_Line]:
    chosen_ids = {id(line) for line in chosen}
    return [line for line in lines if id(line) in chosen_ids]


def _column_feet(lines: list[_Line], layout: _Layout) -> list[_Line]:
    """Footnotes: runs of small lines that end a page or a column (the line after them is higher up)."""
    feet, start = [], 0
    for end in range(len(lines) + 1):
        if end < len(lines) and layout.kind(lines[end]) == "small":
            continue
        run = lines[start:end]
        if run and (end == len(lines) or lines[end].y > run[0].y) and (start == 0 or lines[start - 1].y > run[0].y):
            feet += run
        start = end + 1
    return feet


def _group_lines(lines: list[_Line], layout: _Layout) -> list[list[_Line]]:
    groups: list[list[_Line]] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if groups and not _starts_block(groups[-1], line, following, layout):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _starts_block(group: list[_Line], line: _Line, following: _Line | None, layout: _Layout) -> bool:
    prev = group[-1]
    if line.row or prev.row:  # a table's row is a block of its own
        return line.row != "more"
    if line.page != prev.page or prev.y - line.y < 0.3 * line.size:  # a new page or column
        return not _continues_across(group, line, following, layout)
    if prev.y - line.y > 1.14 * layout.pitch * line.size / layout.body:
        return True  # more space than between the lines of a paragraph
    if re.search(r"[a-z]-$", prev.text) and line.text[:1].islower():
        return False  # a word hyphenated across the line break
    kind, group_kind = layout.kind(line), layout.kind(group[0])
    if kind == "code" and group_kind != "code" and _inline_code(prev, line, following):
        kind = group_kind
    if kind != group_kind or (kind != "code" and _opens_item(prev, line)):
        return True
    if kind == "code":
        return False  # code keeps its own indentation
    if len(group) == 1 and layout.styled(prev) and not layout.styled(line) and _short_title(prev.text):
        return True  # a heading in bold or another font, with no more space below it than between lines
    if layout.styled(line) and not layout.styled(prev) and _short_title(line.text) and _SENTENCE_END.search(prev.text):
        return True  # and such a heading right after a finished sentence
    return _indent_breaks(group, line, following, layout)


def _continues_across(group: list[_Line], line: _Line, following: _Line | None, layout: _Layout) -> bool:
    """A paragraph goes on at the top of the next page or column when its last sentence is unfinished, or, where
    paragraphs start indented, when the new page's first line is not indented."""
    prev, em = group[-1], line.size
    if layout.kind(line) != layout.kind(prev) or layout.kind(group[0]) == "large" or _opens_item(prev, line):
        return False
    if line.mono or not _SENTENCE_END.search(prev.text):
        return True
    indented_paragraph = len(group) > 1 and group[0].x > group[1].x + 0.6 * em
    flush = following is not None and following.page == line.page and abs(following.x - line.x) < 0.6 * em
    full = prev.end > max(l.end for l in group) - 6 * em
    return indented_paragraph and flush and full and not layout.styled(line)


def _opens_item(prev: _Line, line: _Line) -> bool:
    """A bullet, or a number or dash at a line's start where no sentence runs on into it; or a footnote's mark."""
    if line.marked:
        return True
    if not _BULLET.match(line.text):
        return False
    typographic = line.text[0] in "•◦▪▸►‣∙"
    return typographic or abs(line.x - prev.x) > 0.6 * line.size or bool(re.search(r"[.!?:;]$", prev.text))


def _inline_code(prev: _Line, line: _Line, following: _Line | None) -> bool:
    """A lone monospace line (a long URL or command) inside a sentence that goes on across it."""
    alone = following is None or not following.mono or following.page != line.page
    return alone and line.x < prev.x + 0.6 * line.size and not _SENTENCE_END.search(prev.text)


def _indent_breaks(group: list[_Line], line: _Line, following: _Line | None, layout: _Layout) -> bool:
    prev, first, em = group[-1], group[0], line.size
    sentence_ends = bool(_SENTENCE_END.search(prev.text))
    if _BULLET.match(first.text):  # an item's wrapped lines hang under its text, or start where its bullet does
        return line.x < first.x - 0.6 * em or line.x < first.x + 0.5 * em and sentence_ends
    short = prev.end < max(l.end for l in group + [line]) - 6 * em  # line ends are estimates: a wide margin
    if line.x > prev.x + 0.6 * em:  # an indented first line, unless the lines after it hang as far in
        hanging = following and following.page == line.page and abs(following.x - line.x) < 0.6 * em
        return (sentence_ends or short) and not (hanging and 0.3 * em < line.y - following.y < 1.14 * layout.pitch)
    if line.x < prev.x - 0.6 * em:  # only the line after an indented first line comes back
        return len(group) > 1 or line.x < prev.x - 3 * em
    return sentence_ends and short


# ---- groups into blocks ----

def _to_blocks(groups: list[list[_Line]], layout: _Layout, author: str = "") -> list[tuple[list[_Line], Block]]:
    vocabulary = {word for group in groups for line in group for word in re.findall(r"[\w-]+", line.text.lower())}
    kinds = [_block_kind(group, layout, author) for group in groups]
    for index, group in enumerate(groups[:-1]):  # a figure's labels are no headings: a heading has text below
        if kinds[index] == kinds[index + 1] == HEADING and layout.kind(group[0]) != "large":
            kinds[index] = PARAGRAPH
    # A section's title is unique: one seen three times is in pictures of slides or pages.
    titles = Counter(group[0].text for group, kind in zip(groups, kinds) if kind == HEADING)
    kinds = [PARAGRAPH if kind == HEADING and titles[group[0].text] >= 3 else kind
             for group, kind in zip(groups, kinds)]
    heading_sizes = sorted({group[0].size for group, kind in zip(groups, kinds) if kind == HEADING}, reverse=True)
    placed = []
    for group, kind in zip(groups, kinds):
        if not any(ch.isalpha() for line in group for ch in line.text):
            continue  # page numbers, arrows and numbers of a figure
        if kind == CODE:
            left = min(line.x for line in group)
            text = "\n".join(" " * round((line.x - left) / (0.525 * line.size)) + line.text for line in group)
            placed.append((group, Block(CODE, text)))
        else:
            level = heading_sizes.index(group[0].size) + 1 if kind == HEADING else 0
            placed.append((group, Block(kind, _joined(group, vocabulary), level)))
    return placed


def _block_kind(group: list[_Line], layout: _Layout, author: str = "") -> str:
    first, text = group[0], " ".join(line.text for line in group)
    if first.row:
        return ROW
    if len(group) > 1 and all(line.mono for line in group):
        return CODE
    if not (_has_words(text) or _NUMBERED_HEADING.match(text) and not re.search(r"\d{4}", text)) \
            or _title_page_line(text, author, first.page):
        # its large type names no section ("v3.0f 2022/06/23"), though a numbered one may ("1.1. Version")
        return ITEM if _BULLET.match(text) else PARAGRAPH
    if _SENTENCE_INSIDE.search(text):  # "… through other commands. In this case, use": prose, whatever its type
        return ITEM if _BULLET.match(text) else PARAGRAPH
    if layout.kind(first) == "large" and len(text.split()) <= 25:
        return HEADING
    if len(group) == 1 and _short_title(text) and layout.at_margin(first):
        return HEADING if layout.styled(first) or _NUMBERED_HEADING.match(text) else PARAGRAPH
    return ITEM if _BULLET.match(text) else PARAGRAPH


# a sentence ends and another goes on in lower case ("… commands. In this case, use"; not "Prof. Jane Doe")
_SENTENCE_INSIDE = re.compile(r"[a-z]{2}[.!?]\s+[A-Z][a-z]*\s+[a-z]")


def _has_words(text: str) -> bool:
    """Whether `text` holds a word a heading could name, not only a version, date or web address ("v3.0f
    2022/06/23", "Printed January 14, 2020", "https://github.com/…" in a title page's large type)."""
    without_addresses = _DATE_WORDS.sub(" ", re.sub(r"\S*(://|www\.|@)\S*", " ", text))
    return bool(re.search(r"(?<![\w.])[^\W\d_]{3,}", without_addresses))


_WEB_ADDRESS = re.compile(r"https?://|\bwww\.")


def _title_page_line(text: str, author: str, page: int) -> bool:
    """A title page's author, affiliation or rights line: an e-mail or web address, the metadata's author, names with
    affiliation marks ("Sebastian Rahtz∗ Heiko Oberdiek†"), a statement ending in a full stop ("All rights
    reserved.") or, on the first three pages (a cover, a copyright page, the title), a list of names ("Till
    Tantau, Joseph Wright, Vedran Miletić")."""
    plain = " ".join(TRAILING_FOOTNOTE_MARK.sub("", text).split())
    names = [" ".join(name.split()) for name in re.split(r"[;,&]|\band\b", _without_emails(author))]
    parts = _name_parts(plain)
    listed = len(parts) >= 2 and all(2 <= len(words) <= 4 and all(w[0].isupper() for w in words) for words in parts)
    return bool(_EMAIL.search(text) or _WEB_ADDRESS.search(text) or len(re.findall(r"\w[∗*†‡§]", text)) >= 2
                or plain.endswith(".")
                or any(len(name.split()) >= 2 and name.casefold() in plain.casefold() for name in names)
                or listed and page <= 2)


def _name_parts(text: str) -> list[list[str]]:
    """The words of each name in a list of names ("Till Tantau, Joseph Wright and Vedran Miletić")."""
    return [part.split() for part in re.split(r",|\band\b", text)]


def _short_title(text: str) -> bool:
    return len(text.split()) <= 12 and not re.search(r"[.,;:-]$|\d$", text) and text[0] not in "•◦▪‣∙*–—-"


# "Index", "15 Index", Texinfo's "Function and Variable Index"; not "11.1.21 index"
_INDEX_KIND = (r"(general|concept|function|variable|environment variable|command|option|program|key|keyword|type|"
               r"data type|data|subject|symbol|macro|package|class|method|file|author|name)")
# a paragraph of an index whose heading the PDF does not mark: terms each followed by their pages ("abs, 37 acos, 37
# acosh, 37 …"), a quarter of its words or more a term's first page
_INDEX_PAGES = re.compile(r"\d+([–-]\d+)?,?")
_INDEX_HEADING = re.compile(rf"(\d+\s+)?({_INDEX_KIND}(\s+and\s+{_INDEX_KIND})?\s+)?index", re.IGNORECASE)
REPEATS_IN_PICTURES = 10  # a statement made this often is a picture's: a document repeats its own notes less


def _without_index_or_repeats(placed: list[tuple[list[_Line], Block]]) -> list[tuple[list[_Line], Block]]:
    """The blocks without the back-of-book index ("\\above, 17, 32": page numbers, no prose; a section named
    Index in the last quarter) and without the second and later copies of a short statement made ten times or
    more: the text of pictures of slides ("The proof uses reductio ad absurdum." 70 times in a guide to slides)."""
    seen = Counter(" ".join(block.text.split()) for _, block in placed if block.kind in (PARAGRAPH, ITEM))
    kept, index_level, shown = [], None, set()
    for number, (group, block) in enumerate(placed):
        if block.kind == HEADING and (index_level is None or block.level <= index_level):
            at_end = number >= 0.75 * len(placed)
            index_level = block.level if at_end and _INDEX_HEADING.fullmatch(block.text.strip()) else None
        text = " ".join(block.text.split())
        if block.kind in (PARAGRAPH, ITEM) and number >= 0.75 * len(placed) and _index_entries(text):
            continue
        repeated = (block.kind in (PARAGRAPH, ITEM) and seen[text] >= REPEATS_IN_PICTURES
                    and 4 <= len(text.split()) <= 12 and not text.endswith(":"))
        if index_level is None and not (repeated and text in shown):
            kept.append((group, block))
            shown.add(text)
    return kept


def _index_entries(text: str) -> bool:
    """Terms each followed by their pages: a page number after a word and its comma ("acos, 37"), not after another
    number ("baud rates 300, 600, 1200, …" is a list)."""
    words = text.split()
    terms = sum(bool(_INDEX_PAGES.fullmatch(word)) and before.endswith(",") and not _INDEX_PAGES.fullmatch(before)
                for before, word in zip(words, words[1:]))
    return terms >= 4 and terms >= len(words) / 4


# ---- words a PDF sets without spaces between them ----

_FUNCTION_WORDS = frozenset("a an the of to and in is it its be are was by or on at as if we you for can not from "
                            "this that with which".split())
_GLUED = re.compile(r"(?<![\\\w])[A-Za-z][a-z]{11,}(?!\w)")  # "Inadditiontothecurrentpagenumber", no \command


def _with_words_apart(placed: list[tuple[list[_Line], Block]]) -> list[tuple[list[_Line], Block]]:
    """Prose whose words a PDF set apart by position alone, too little for pypdf to see a space
    ("Thesolutiontothisproblemisactuallyverysimple"), spaced again with the document's own words. Only a run that
    is no word of the document and splits into at least three of its words, two of them words like "the" or "to",
    is split: names and commands ("beameroutertheme", "addtopdfcreator") stay whole."""
    prose = [block.text for _, block in placed if block.kind in (PARAGRAPH, ITEM, HEADING)]
    counts = Counter(word.lower() for text in prose for word in re.findall(r"[A-Za-z]+", text))
    everywhere = Counter(word.lower() for _, block in placed for word in re.findall(r"[A-Za-z]+", block.text))
    total = sum(counts.values()) or 1

    def spaced(match: re.Match) -> str:
        run = match.group()
        pieces = _likeliest_words(run.lower(), counts, total) if everywhere[run.lower()] == 1 else None
        if not pieces or len(pieces) < 3 or sum(piece in _FUNCTION_WORDS for piece in pieces) < 2:
            return run
        ends = list(itertools.accumulate(len(piece) for piece in pieces))
        return " ".join(run[start:end] for start, end in zip([0, *ends], ends))  # the run's own capitals

    return [(group, replace(block, text=_GLUED.sub(spaced, block.text)) if block.kind in (PARAGRAPH, ITEM, HEADING)
             else block) for group, block in placed]


def _likeliest_words(run: str, counts: Counter, total: int) -> list[str] | None:
    """The split of `run` into words the document uses at least twice that is likeliest under their frequencies
    (a unigram model: "are set" rather than "a reset"), or None."""
    best: list[tuple[float, list[str]] | None] = [(0.0, [])] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - 25), end):
            piece, before = run[start:end], best[start]
            if before is None or counts[piece] < 2 or len(piece) < 3 and piece not in _FUNCTION_WORDS:
                continue
            cost = before[0] - math.log(counts[piece] / total)
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, before[1] + [piece])
    return best[-1][1] if best[-1] else None


def _joined(group: list[_Line], vocabulary: set[str]) -> str:
    """The group's lines as one text, a word hyphenated at a line's end made whole again. Only the line before is
    looked at and the pieces are joined once, so a group of thousands of lines stays linear."""
    pieces = [group[0].text]
    for line in group[1:]:
        hyphenated = re.search(r"(\w+)-$", pieces[-1])
        if re.search(r"[A-Za-z0-9]_$", pieces[-1]) and line.text[:1].isalnum():
            pieces.append(line.text)  # a name broken after an underscore: "ASN1_" + "NAME_SIZE"
            continue
        if not hyphenated:
            pieces += ["\n", line.text]
            continue
        rest = re.match(r"[\w-]*", line.text).group()
        if _hyphen_splits_word(hyphenated.group(1), rest, vocabulary):
            pieces[-1] = pieces[-1][:-1]
        pieces.append(line.text)
    return "".join(pieces)


def _hyphen_splits_word(fragment: str, rest: str, vocabulary: set[str]) -> bool:
    """Whether "frag-" ending a line and "ment" starting the next are one word, or a compound keeping its hyphen."""
    whole, compound = (fragment + rest).lower(), f"{fragment}-{rest}".lower()
    if (whole in vocabulary) != (compound in vocabulary):
        return whole in vocabulary  # the document spells it so where no line break is in the way
    return fragment.isalpha() and fragment.islower() and rest[:1].islower() and "-" not in rest  # not black-on-white


def _title_joined(placed: list[tuple[list[_Line], Block]]) -> list[tuple[list[_Line], Block]]:
    """The first page's largest heading with the headings of its size right after it, as one: a title whose last
    line changes font ("Customizing lists / with the" over "enumitem package") is read as two groups."""
    if not placed:
        return placed
    top = _first_page_top(placed)
    group, block = placed[top]
    end = top + 1
    while (end < len(placed) and placed[end][0][0].page == group[0].page and placed[end][1].kind == HEADING
           == block.kind and abs(placed[end][0][0].size - group[0].size) < 0.5):
        group, block = group + placed[end][0], replace(block, text=f"{block.text}\n{placed[end][1].text}")
        end += 1
    return placed[:top] + [(group, block)] + placed[end:]


def _first_page_title(placed: list[tuple[list[_Line], Block]]) -> str:
    """The largest text on the first page with text: a title when the metadata names none."""
    if not placed:
        return ""
    group, block = placed[_first_page_top(placed)]
    return " ".join((block.text if block.kind == HEADING else group[0].text).split())


def _first_page_top(placed: list[tuple[list[_Line], Block]]) -> int:
    """Where the largest text of the first page with text stands in `placed` (the first of its size)."""
    first_page = [i for i, (group, _) in enumerate(placed) if group[0].page == placed[0][0][0].page]
    return max(first_page, key=lambda i: placed[i][0][0].size)


_NAME_WORD = re.compile(r"[A-Z][a-zà-ÿ'’-]+|[A-Z]\.")  # "Hideo", "O’Neil", an initial "P."


def _byline_under_title(placed: list[tuple[list[_Line], Block]]) -> tuple[str, list[tuple[list[_Line], Block]]]:
    """The author a PDF without one in its metadata prints under its title ("Hideo Umeki"), and the blocks with that
    line as text, no section. Names only: two to four capitalised words a part, none of them a word the document
    also writes in lower case ("Reference Manual" under a title is no author)."""
    headings = [i for i, (group, block) in enumerate(placed[:6]) if block.kind == HEADING and group[0].page <= 2]
    if not headings:
        return "", placed
    # words the document writes in lower case, but not in an address ("pieter@cs.uu.nl" names no ordinary word)
    lower = {word for _, b in placed for word in re.findall(r"\b[a-zà-ÿ]+\b", re.sub(r"\S+@\S+|\S*(https?://|www\.)\S*",
                                                                                " ", b.text))}
    # the name may follow an affiliation line ("X Desktop Group (http://www.freedesktop.org)")
    for at in range(headings[0] + 1, min(headings[0] + 3, len(placed))):
        group, block = placed[at]
        # the block, or its first line over an affiliation ("Pieter van Oostrum∗ | Dept. of Computer Science")
        for text in dict.fromkeys((block.text, block.text.split("\n", 1)[0])):
            parts = [words for words in _name_parts(" ".join(TRAILING_FOOTNOTE_MARK.sub("", text).split())) if words]
            if parts and all(_reads_as_name(words, lower) for words in parts):
                byline = replace(block, kind=PARAGRAPH, level=0)
                return "; ".join(" ".join(words) for words in parts), placed[:at] + [(group, byline)] + placed[at + 1:]
        if not _title_page_line(block.text, "", group[0].page):
            break
    return "", placed


_PARTICLES = frozenset("van von der den de del della di da du dos das le la ten ter".split())


def _reads_as_name(words: list[str], lower: set[str]) -> bool:
    """Two to five words, each capitalised and never written in lower case by the document, but for a particle
    inside ("Pieter van Oostrum")."""
    return 2 <= len(words) <= 5 and all(
        (_NAME_WORD.fullmatch(word) and word.lower() not in lower) or (0 < i < len(words) - 1 and word in _PARTICLES)
        for i, word in enumerate(words))


def _without_emails(author: str) -> str:
    """"R Schlicht <w.m.l@gmx.net>" is R Schlicht: the address is no part of a name shown as the author."""
    names = [re.sub(r"<[^<>]*>|\S+@\S+", "", name).strip(" ,") for name in re.split(r"\s*;\s*", author)]
    return "; ".join(name for name in names if name)


def _sensible(value, max_length: int = 300) -> str:
    """Metadata worth showing: not a file name, a producer's placeholder or a licence notice."""
    text = " ".join(str(value or "").split())
    if not re.search(r"[^\W\d_]", text) or len(text) > max_length or _FILE_NAME.search(text):
        return ""
    return "" if re.search(r"©|copyright|rights reserved", text, re.I) else text
