"""Markdown for the chat and HTML for the sources panel. Article text and questions are untrusted: every piece of
them is escaped here, so nothing a user or an article writes is ever rendered as markup or run."""
from __future__ import annotations

import html
import re
from pathlib import PurePath
from urllib.parse import urlparse

from schema import Answer, Citation, Document

PASSAGE_CONTEXT = 200  # characters of the paragraph shown on each side of the quote, at most

# Characters markdown (or gradio's LaTeX and HTML handling) would act on; a backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")
# What would start a list, a rule or a heading underline at the start of a line: "- ", "+ ", "1. ", "---", "===".
_BLOCK_MARKER_AT_LINE_START = re.compile(r"^([ \t]*)(?:([-+=])|(\d+)([.)])(?=\s|$))", re.MULTILINE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")  # an escaped [n] citation marker
# A quote that spans lines (a definition-list term and its description, a code block) starts on a line of its own
# after the lead-in or the previous marker, and what follows it starts on a new line after its marker, so the
# term is not glued to the sentence before it. Only single newlines: paragraphs ("\n\n") are left as written.
_MULTILINE_QUOTE_START = re.compile(r"(\[\d+\]|”:|writes:) (?=(?:(?!\[\d+\])[^\n])+\n(?!\n))")
_MULTILINE_QUOTE_END = re.compile(r"((?<!\n)\n(?!\n)(?:(?!\[\d+\])[^\n])+\[\d+\]) (?=\S)")
# Quoted (offline) answers open with the lead-in naming the article; an LLM's own line breaks are left alone.
_QUOTED_ANSWER = re.compile(r"According to “|[^\n]{0,200}?, the author of “")


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
    cited = None if answer is None else {c.n for c in answer.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if cited is not None and n not in cited:
            return match.group(0)
        return f"[\\[{n}\\]](#{source_id(turn, n)})"

    if _QUOTED_ANSWER.match(text):
        text = _MULTILINE_QUOTE_END.sub("\\1\n", _MULTILINE_QUOTE_START.sub("\\1\n", text))
    body = _MARKER.sub(link, escape_markdown(text))
    if answer is not None and answer.query and answer.query != answer.question:
        body = f"*Searched for: {escape_markdown(answer.query)}*\n\n{body}"
    if answer is not None and answer.unsupported:  # LLM sentences no passage backs: say so beside the answer
        claims = " ".join(f"“{escape_markdown(claim)}”" for claim in answer.unsupported)
        body += f"\n\n⚠️ *No passage supports these sentences; check them before relying on them:* {claims}"
    return body


def sources_html(turns: list, documents: dict[str, Document]) -> str:
    """Sources of every answered turn, newest first; only the newest is expanded, so the panel stays short while
    [n] links in older answers can still open theirs."""
    answered = [(i, t) for i, t in enumerate(turns) if t.answer is not None]
    if not answered:
        return ('<div class="sources-empty">Sources appear here. Each [n] in an answer links to the passage it '
                'quotes, with the quoted sentence highlighted.</div>')
    sections = [_turn_section(i, t.answer, documents, open_=(k == 0))
                for k, (i, t) in enumerate(reversed(answered))]
    return '<div class="sources">' + "".join(sections) + "</div>"


def _turn_section(turn: int, answer: Answer, documents: dict[str, Document], open_: bool) -> str:
    searched = ""
    if answer.query and answer.query != answer.question:
        searched = f'<p class="searched">Searched for: <q>{escape_html(answer.query)}</q></p>'
    if answer.citations:
        body = '<ol class="source-list">' + "".join(
            _card(turn, c, documents.get(c.doc_id)) for c in answer.citations) + "</ol>"
    else:
        body = '<p class="no-sources">No passage in the indexed articles answers this, so nothing is cited.</p>'
    return (f'<details class="turn-sources"{" open" if open_ else ""}>'
            f'<summary>Sources for <q>{escape_html(answer.question)}</q></summary>{searched}{body}</details>')


def _card(turn: int, citation: Citation, document: Document | None) -> str:
    metadata = document.metadata if document else {}
    before, quote, after = passage_parts(document.text if document else citation.quote, citation)
    return (f'<li class="source-card" id="{source_id(turn, citation.n)}" tabindex="-1">'
            f'<div class="source-head"><span class="source-n">{citation.n}</span>'
            f'<span class="source-name"><span class="source-title">{escape_html(citation.title)}</span>'
            f'{_section_tag(citation)}</span></div>'
            f'<div class="source-meta">{_meta_line(metadata, citation.source)}</div>'
            f'<blockquote class="passage">{escape_html(before)}<mark>{escape_html(quote)}</mark>'
            f'{escape_html(after)}</blockquote></li>')


def _section_tag(citation: Citation) -> str:
    if not citation.section:
        return ""
    # "›" is kept with the section's first word, never left dangling at the end of the title's line
    return f'<span class="source-section"> ›&nbsp;{escape_html(citation.section)}</span>'


def _meta_line(metadata: dict, source: str) -> str:
    values = [str(metadata[key]).strip() for key in ("site", "author", "date") if metadata.get(key)]
    # a publication credited as its own author ("Wikimedia Foundation · Wikimedia Foundation") is named once
    values = [v for i, v in enumerate(values) if v and v.casefold() not in {w.casefold() for w in values[:i]}]
    parts = [escape_html(value) for value in values]
    url = next((u for u in (metadata.get("url"), source) if is_web_url(u)), None)
    if url:
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


def articles_rows(articles: list[dict]) -> list[list]:
    return [[a["title"], a.get("author", ""), a.get("date", ""), a["chunks"],
             a.get("url") or short_source(a["source"])] for a in articles]
