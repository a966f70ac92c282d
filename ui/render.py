"""Markdown for the chat and HTML for the sources panel. Article text and questions are untrusted: every piece of
them is escaped here, so nothing a user or an article writes is ever rendered as markup or run."""
from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import PurePath
from urllib.parse import urlparse

from ingest.structure import CODE, HEADING, document_spans
from qa.answer import LEAD_IN_END, lead_in_pattern
from qa.collection import IndexedArticle
from schema import Answer, Citation, Document

PASSAGE_CONTEXT = 200  # characters of the paragraph shown on each side of the quote, at most

# Characters markdown (or gradio's LaTeX and HTML handling) would act on; a backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")
# What would start a list, a rule or a heading underline at the start of a line: "- ", "+ ", "1. ", "---", "===".
_BLOCK_MARKER_AT_LINE_START = re.compile(r"^([ \t]*)(?:([-+=])|(\d+)([.)])(?=\s|$))", re.MULTILINE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")  # an escaped [n] citation marker
_RAW_MARKER = re.compile(r"\[(\d+)\]")
_PLACED_MARKER = re.compile("\ue000(\\d+)\ue001")  # a citation's marker kept apart from the text by _placed_markers
_CODE_PLACE = re.compile("\ue002(\\d+)\ue003")  # a quoted code block kept apart by _code_set_apart
_PLACE_HOLDERS = {code: "\ufffd" for code in range(0xE000, 0xE004)}
# A quote that spans lines (a definition-list term and its description, a code block) starts on a line of its own
# after the lead-in or the previous marker, and what follows it starts on a new line after its marker, so the
# term is not glued to the sentence before it. Only single newlines: paragraphs ("\n\n") are left as written.
_MULTILINE_QUOTE_START = re.compile(rf"(\[\d+\]|{LEAD_IN_END}) (?=(?:(?!\[\d+\])[^\n])+\n(?!\n))")
_MULTILINE_QUOTE_END = re.compile(r"((?<!\n)\n(?!\n)(?:(?!\[\d+\])[^\n])+\[\d+\]) (?=\S)")
_INDENT = re.compile(r"(?<=\n) +|(?<=\n\.\.\.) +|(?<=\n>>>) +")  # a line's indent, or the one after a prompt
# Quoted (offline) answers open with the lead-in naming the article; an LLM's own line breaks are left alone.
_QUOTED_ANSWER = re.compile(lead_in_pattern())


def escape_html(text: str) -> str:
    """HTML-escape, and also neutralise `$`, `{` and `}`, which gradio's HTML templates would interpret."""
    return html.escape(text, quote=True).replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def escape_markdown(text: str) -> str:
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _BLOCK_MARKER_AT_LINE_START.sub(_escape_block_marker, text)


def _escape_block_marker(match: re.Match) -> str:
    indent, sign, number, dot = match.groups()
    return f"{indent}\\{sign}" if sign else f"{indent}{number}\\{dot}"  # "\1." would show its backslash


def source_id(turn: int, n: int) -> str:
    """The element id of citation n of a turn; the [n] links in that turn's answer point at it."""
    return f"src-{turn}-{n}"


def answer_markdown(text: str, turn: int, answer: Answer | None = None) -> str:
    """The answer as escaped markdown whose [n] markers link to their source cards. While the answer streams
    (`answer` is None) every marker links; once it is complete, only markers that name a citation do."""
    def link(match: re.Match) -> str:
        n = int(match.group(1))
        return f"[\\[{n}\\]](#{source_id(turn, n)})"

    # the place-holders below are private-use characters: a document's own are shown as "\ufffd" (same length)
    text = text.translate(_PLACE_HOLDERS)
    if answer is not None:
        answer = replace(answer, citations=[replace(c, quote=c.quote.translate(_PLACE_HOLDERS))
                                            for c in answer.citations])
    if _QUOTED_ANSWER.match(text):
        text = _MULTILINE_QUOTE_END.sub("\\1\n", _MULTILINE_QUOTE_START.sub("\\1\n", text))
    code = []
    if answer is None:  # still streaming: every marker links
        body = _MARKER.sub(link, escape_markdown(text))
    else:
        marked, code = _code_set_apart(_placed_markers(text, answer), answer)
        body = _PLACED_MARKER.sub(link, escape_markdown(marked))
    if _QUOTED_ANSWER.match(text):  # markdown drops a line's leading spaces: a listing keeps them as no-break ones
        body = _INDENT.sub(lambda m: "\u00a0" * len(m.group()), body)
    body = _CODE_PLACE.sub(lambda m: _fenced(code[int(m[1])]), body)
    if answer is not None and answer.query and answer.query != answer.question:
        body = f"*Searched for: {escape_markdown(answer.query)}*\n\n{body}"
    if answer is not None and answer.unsupported:  # LLM sentences no passage backs: say so beside the answer
        claims = " ".join(f"“{escape_markdown(claim)}”" for claim in answer.unsupported)
        body += f"\n\n⚠️ *No passage supports these sentences; check them before relying on them:* {claims}"
    return body


def _code_set_apart(text: str, answer: Answer) -> tuple[str, list[str]]:
    """The text with each code block its citations quote put in a place-holder, and those blocks: they are shown
    as code, in a fixed-width font with their own spacing, not as escaped prose. Each block is taken from where its
    quote stands in the text, never from a lead-in or another quote that happens to hold the same words."""
    spans, at = [], 0
    for citation in answer.citations:
        if not citation.code or (quoted := text.find(citation.quote, at)) < 0:
            continue  # an LLM's answer words the passages its own way: it quotes no code block as such
        at = quoted + len(citation.quote)
        for start, end in citation.code:
            start = quoted + max(start - citation.start, 0)
            end = quoted + min(end - citation.start, len(citation.quote))
            while start < end and text[start] == "\n":
                start += 1
            while end > start and text[end - 1] == "\n":
                end -= 1
            if start < end:
                spans.append((start, end))
    blocks = [text[start:end] for start, end in spans]
    for n, (start, end) in reversed(list(enumerate(spans))):
        text = f"{text[:start]}\ue002{n}\ue003{text[end:]}"
    return text, blocks


def _fenced(block: str) -> str:
    """A fenced code block on lines of its own; its fence is longer than any run of backticks inside it."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", block)), default=0))
    return f"\n\n{fence}\n{block}\n{fence}\n\n"


def _placed_markers(text: str, answer: Answer) -> str:
    """The text with each marker that names a citation, outside the quotes, put in place-holders: a "[4]" that a
    document itself writes inside a quoted sentence stays text, never a link to citation 4."""
    cited = {c.n for c in answer.citations}
    quoted = [(at, at + len(c.quote)) for c in answer.citations if c.quote and (at := text.find(c.quote)) >= 0]
    return _RAW_MARKER.sub(lambda m: f"\ue000{m[1]}\ue001" if int(m[1]) in cited and not any(
        start <= m.start() < end for start, end in quoted) else m[0], text)


def sources_html(turns: list, documents: dict[str, Document]) -> str:
    """Sources of every answered turn, newest first; only the newest is expanded, so the panel stays short while
    [n] links in older answers can still open theirs. A newest turn without sources (being answered, stopped,
    failed) says so at the top: an older answer's sources are never shown as if they were this one's."""
    if not turns:
        return ('<div class="sources-empty">Sources appear here. Each [n] in an answer links to the passage it '
                'quotes, with the quoted sentence highlighted.</div>')
    newest = len(turns) - 1
    shown = [(i, t) for i, t in enumerate(turns) if t.answer is not None or i == newest]
    sections = [_turn_section(i, t, documents, open_=(k == 0)) for k, (i, t) in enumerate(reversed(shown))]
    copies = "".join(f'<pre class="copy-text" hidden data-turn="{i}">{escape_html(copy_text(t, documents))}</pre>'
                     for i, t in shown if t.answer is not None or t.error or t.stopped)
    return '<div class="sources">' + "".join(sections) + copies + "</div>"


def _turn_section(turn: int, entry, documents: dict[str, Document], open_: bool) -> str:
    answer, searched = entry.answer, ""
    if answer is None:
        body = f'<p class="no-sources">{_why_no_sources(entry)}</p>'
    elif answer.citations:
        if answer.query and answer.query != answer.question:
            searched = f'<p class="searched">Searched for: <q>{escape_html(answer.query)}</q></p>'
        body = "".join(_article(turn, group, documents.get(group[0].doc_id)) for group in by_article(answer.citations))
    elif answer.answered and answer.hits and (document := documents.get(answer.hits[0].chunk.doc_id)):
        body = _details_only(document)  # "Who wrote the article about …?": told from its page's byline and date
    else:
        body = '<p class="no-sources">No passage in the indexed articles answers this, so nothing is cited.</p>'
    return (f'<details class="turn-sources"{" open" if open_ else ""}>'
            f'<summary>Sources for <q>{escape_html(entry.question)}</q></summary>{searched}{body}</details>')


def _details_only(document: Document) -> str:
    return (f'<section class="source-article">{_article_head(document.title, document.metadata, document.source)}'
            '<p class="no-sources">Answered from the article\'s details (byline, date, publication), which its '
            'page gives apart from the text, so no passage is quoted.</p></section>')


def _article_head(title: str, metadata: dict, source: str) -> str:
    """An article's title and meta line (site, author, date, link) atop its sources."""
    return (f'<div class="source-title">{escape_html(title)}</div>'
            f'<div class="source-meta">{_meta_line(metadata, source)}</div>')


def _why_no_sources(entry) -> str:
    if entry.error:
        return "Not answered, so nothing is cited."
    if entry.stopped:
        return "Stopped before the answer was complete, so nothing is cited."
    return "Finding the passages that answer this…"


def by_article(citations: list[Citation]) -> list[list[Citation]]:
    """The citations grouped by article, articles in the order they are first cited."""
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.doc_id, []).append(citation)
    return list(groups.values())


def by_passage(citations: list[Citation], text: str) -> list[list[Citation]]:
    """One article's citations grouped by the paragraph they quote (in reading order): one card per passage."""
    groups: dict[tuple, list[Citation]] = {}
    for citation in sorted(citations, key=lambda c: (c.start, c.n)):
        found = text[citation.start:citation.end] == citation.quote
        key = _paragraph(text, citation.start, citation.end) if found else ("alone", citation.n)
        groups.setdefault(key, []).append(citation)
    return list(groups.values())


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    paragraph_end = text.find("\n", end)
    return text.rfind("\n", 0, start) + 1, len(text) if paragraph_end < 0 else paragraph_end


def _article(turn: int, citations: list[Citation], document: Document | None) -> str:
    """An article's title and meta line once, then one card per passage it is quoted from."""
    first = citations[0]
    text = document.text if document else ""
    cards = "".join(_card(turn, group, text) for group in by_passage(citations, text))
    head = _article_head(first.title, document.metadata if document else {}, first.source)
    return f'<section class="source-article">{head}<ol class="source-list">{cards}</ol></section>'


def _card(turn: int, citations: list[Citation], text: str) -> str:
    numbers = "".join(f'<span class="source-n">{c.n}</span>' for c in sorted(citations, key=lambda c: c.n))
    first = citations[0]
    opener = ""
    if text[first.start:first.end] == first.quote:  # the article is at hand: it can be opened at the quote
        request = escape_html(json.dumps({"doc": first.doc_id, "start": first.start, "end": first.end}))
        opener = f'<button type="button" class="open-article" data-open="{request}">Open the article here</button>'
    return (f'<li class="source-card"><div class="source-head">{numbers}{_section_tag(first)}{opener}</div>'
            f'<blockquote class="passage">{passage_html(turn, citations, text)}</blockquote></li>')


def passage_html(turn: int, citations: list[Citation], text: str) -> str:
    """The paragraph around the quotes, each quote a <mark> with its citation's id; long stretches between two
    quotes are shortened. Citations are in reading order; a quote that repeats an earlier one gets an empty anchor."""
    if len(citations) == 1 or text[citations[0].start:citations[0].end] != citations[0].quote:
        before, quote, after = passage_parts(text, citations[0])
        return f'{escape_html(before)}{_mark(turn, citations[0], quote, citations[0].start)}{escape_html(after)}'
    before, _, _ = passage_parts(text, citations[0])
    pieces, cursor = [escape_html(before)], citations[0].start
    for citation in citations:
        start = max(citation.start, cursor)
        pieces.append(escape_html(_shortened(text[cursor:start])))
        pieces.append(_mark(turn, citation, text[start:citation.end], start))
        cursor = max(cursor, citation.end)
    _, _, after = passage_parts(text, replace(citations[-1], start=cursor, end=cursor, quote=""))
    return "".join(pieces) + escape_html(after)


def _mark(turn: int, citation: Citation, quote: str, at: int) -> str:
    """The quote (document offset `at`) highlighted, with the code blocks it holds set as code."""
    ident = f'id="{source_id(turn, citation.n)}" data-n="{citation.n}" tabindex="-1"'
    if not quote:
        return f'<span class="cite-anchor" {ident}></span>'
    pieces, cursor = [], 0
    for start, end in citation.code:
        start, end = max(start - at, cursor), min(end - at, len(quote))
        if start < end:
            code = escape_html(quote[start:end])
            pieces += [escape_html(quote[cursor:start]), f'<code class="passage-code">{code}</code>']
            cursor = end
    return f'<mark {ident}>{"".join(pieces)}{escape_html(quote[cursor:])}</mark>'


def _shortened(between: str) -> str:
    if len(between) <= 2 * PASSAGE_CONTEXT:
        return between
    return between[:PASSAGE_CONTEXT].rsplit(" ", 1)[0] + " … " + between[-PASSAGE_CONTEXT:].split(" ", 1)[-1]


def article_html(request: str, documents: dict[str, Document]) -> str:
    """The whole cleaned article a card's "Open the article here" asks for (`request` is its JSON: document id and
    the quote's span), the quote marked; a request for what the index no longer holds says so."""
    try:
        wanted = json.loads(request)
        document, start, end = documents.get(wanted["doc"]), wanted["start"], wanted["end"]
        nonce = str(wanted.get("nonce", ""))[:40]  # the page's way to tell this reply from an earlier one
        valid = document is not None and type(start) is int and type(end) is int
        valid = valid and 0 <= start < end <= len(document.text)
    except (ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        return '<p class="reader-missing">This article is no longer in the index.</p>'
    return (f'<h2 class="reader-title">{escape_html(document.title)}</h2>'
            f'<div class="source-meta">{_meta_line(document.metadata, document.source)}</div>'
            f'<div class="reader-text">{_reader_body(document, start, end, nonce)}</div>')


_READER_TAGS = {HEADING: "h3", CODE: "pre"}  # every other block is a paragraph


def _reader_body(document: Document, start: int, end: int, nonce: str) -> str:
    """The article's text with the quote [start, end) marked; laid out by its blocks (headings as headings, code
    as code) when it has them. A quote over several blocks is marked in each; the first mark is the anchor."""
    text = document.text
    anchor = f'id="reader-mark" tabindex="-1" data-nonce="{escape_html(nonce)}"'
    spans = document_spans(document.blocks) if document.blocks else []
    plain = f'{escape_html(text[:start])}<mark {anchor}>{escape_html(text[start:end])}</mark>{escape_html(text[end:])}'
    if not any(span.start <= start < span.end for span in spans):  # no blocks, or the quote in none of them
        return plain
    pieces, cursor = [], 0
    for span in spans:
        if span.start < cursor:  # blocks never overlap; a damaged record is shown once
            continue
        low, high = max(span.start, start), min(span.end, end)
        if low < high:
            inner = (f'{escape_html(text[span.start:low])}<mark {anchor}>{escape_html(text[low:high])}</mark>'
                     f'{escape_html(text[high:span.end])}')
            anchor = 'class="reader-more"'
        else:
            inner = escape_html(text[span.start:span.end])
        tag = _READER_TAGS.get(span.kind, "p")
        pieces.append(f'<{tag} class="reader-{escape_html(span.kind)}">{inner}</{tag}>')
        cursor = span.end
    return plain if anchor.startswith("id=") else "".join(pieces)  # no mark written: the quote in no block shown


def copy_text(entry, documents: dict[str, Document]) -> str:
    """What Copy puts on the clipboard for one turn: the answer as plain text with its [n] markers and, below it,
    the numbered sources (title › section, the quote, a link or the file name)."""
    if entry.error:
        return entry.error
    text = entry.answer.text if entry.answer is not None else entry.text
    if entry.stopped:
        return f"{text} (stopped)".strip()
    if not entry.answer.citations:
        return text
    lines = [text, "", "Sources:"]
    for citation in entry.answer.citations:
        document = documents.get(citation.doc_id)
        section = f" › {citation.section}" if citation.section else ""
        lines += [f"[{citation.n}] {citation.title}{section}", f"    “{' '.join(citation.quote.split())}”",
                  f"    {source_link(document.metadata if document else {}, citation.source)}"]
    return "\n".join(lines)


def source_link(metadata: dict, source: str) -> str:
    """A web address for the article when it has one, else its file name."""
    url = next((u for u in (metadata.get("url"), source) if is_web_url(u)), None)
    return url or short_source(source)


def _section_tag(citation: Citation) -> str:
    return f'<span class="source-section">{escape_html(citation.section)}</span>' if citation.section else ""


def _meta_line(metadata: dict, source: str) -> str:
    values = [str(metadata[key]).strip() for key in ("site", "author", "date") if metadata.get(key)]
    # a publication credited as its own author ("Wikimedia Foundation · Wikimedia Foundation") is named once
    values = [v for i, v in enumerate(values) if v and v.casefold() not in {w.casefold() for w in values[:i]}]
    parts = [escape_html(value) for value in values]
    url = source_link(metadata, source)
    if is_web_url(url):
        parts.append(f'<a href="{escape_html(url)}" target="_blank" rel="noopener noreferrer">'
                     f'{escape_html(short_source(url))} ↗</a>')
    else:
        parts.append(f'<span class="source-file">{escape_html(short_source(source))}</span>')
    return " · ".join(parts)


def passage_parts(text: str, citation: Citation) -> tuple[str, str, str]:
    """(before, quote, after): the quote within its paragraph, trimmed to PASSAGE_CONTEXT characters a side."""
    start, end = citation.start, citation.end
    if text[start:end] != citation.quote:  # text not at hand or changed: show the quote alone
        return "", citation.quote, ""
    paragraph_start = text.rfind("\n", 0, start) + 1
    paragraph_end = text.find("\n", end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    before = text[max(paragraph_start, start - PASSAGE_CONTEXT):start]
    after = text[end:min(paragraph_end, end + PASSAGE_CONTEXT)]
    if start - PASSAGE_CONTEXT > paragraph_start:
        before = "…" + before.split(" ", 1)[-1]  # cut at a word boundary
    if end + PASSAGE_CONTEXT < paragraph_end:
        after = after.rsplit(" ", 1)[0] + "…"
    return before, text[start:end], after


def is_web_url(value) -> bool:
    return isinstance(value, str) and urlparse(value).scheme in ("http", "https") and bool(urlparse(value).netloc)


def short_source(source: str) -> str:
    """A web address without its scheme, or a file's name: server paths are nobody's business."""
    if is_web_url(source):
        parsed = urlparse(source)
        return (parsed.netloc + parsed.path).rstrip("/")
    return PurePath(source.replace("\\", "/")).name or source


def articles_rows(articles: list[IndexedArticle]) -> list[list]:
    """The Articles table's rows, from Library.articles (its sources already as visitors see them)."""
    return [[a.title, a.author, a.date, a.chunks, a.url or a.source] for a in articles]


def article_choices(articles: list[IndexedArticle]) -> list[tuple[str, str]]:
    """(label, id) of each article for the pickers: its title, with its id beside a title two articles share."""
    shared = {title for title, count in Counter(a.title for a in articles).items() if count > 1}
    return [(f"{a.title} ({a.id})" if a.title in shared else a.title, a.id) for a in articles]
