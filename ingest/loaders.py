"""Turn files, folders and URLs into Documents. A bad item yields a LoadFailure; the others still load."""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Collection, Iterable, Iterator
from urllib.parse import urlsplit

from ingest.clean import normalize, one_line, strip_furniture, without_surrogates
from ingest.fetch import FetchError, fetch, public_url
from ingest.html import read_html
from ingest.markdown import markdown_blocks
from ingest.metadata import BYLINE_LINES, plain_text_byline, read_bylines
from ingest.structure import (HEADING, PARAGRAPH, ROW, Block, assemble, plain_blocks, setext_heading_at,
                               spans_to_records)
from schema import Document

MAX_BYTES = 20 * 1024 * 1024  # bounds memory: one article never needs more
URL_TIMEOUT_S = 20
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TITLE_SEARCH_BLOCKS = 3  # where a page's headline may stand, after a kicker or dateline
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".json", ".jsonl"}


@dataclass(frozen=True)
class LoadFailure:
    source: str
    reason: str

    def __str__(self) -> str:  # one line whatever a file name or a message holds
        return one_line(f"{self.source}: {self.reason}")


@dataclass(frozen=True)
class LoadSkip(LoadFailure):
    """An item left out on purpose (a link out of an ingested folder): reported, never read."""


class _Unloadable(Exception):
    """Raised inside a loader; becomes a LoadFailure for that one item."""


def is_url(source: str) -> bool:
    """Whether a source is a web address (fetched) rather than a file or folder."""
    return source.lower().startswith(("http://", "https://"))


def iter_documents(sources: Iterable[str]) -> Iterator[Document | LoadFailure]:
    for source in sources:
        if is_url(source):
            yield from _guard(source, load_url, source)
            continue
        path = Path(source)
        try:
            found, folder = path.exists(), path.is_dir()
        except OSError as exc:  # e.g. a name too long for the file system
            yield LoadFailure(source, failure_reason(exc))
            continue
        if not found:
            yield LoadFailure(source, "no such file or folder")
        elif folder:
            taken: set[str] = set()
            for file in _folder_files(path):
                if isinstance(file, LoadFailure):
                    yield file
                else:
                    taken.add(doc_id := path_id(file, path, taken))
                    yield from _guard(str(file), load_file, file, doc_id=doc_id)
        else:
            yield from _guard(source, load_file, path)  # named by the user: read even if it is a link


def _folder_files(root: Path) -> Iterator[Path | LoadFailure]:
    """The supported files below root in path order, hidden ones left out. A link that leads out of the folder is
    reported and not followed: a link in an articles folder must not publish /etc/passwd."""
    found, unreadable = [], []
    for folder, subfolders, files in os.walk(root, onerror=unreadable.append):  # never enters linked folders
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder, name) for name in subfolders + files if not name.startswith(".")]
    inside = root.resolve()
    for path in sorted(found):
        if path.is_symlink() and path.exists() and not path.resolve().is_relative_to(inside):
            if path.is_dir() or path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield LoadSkip(str(path), f"a link to {path.resolve()}, outside the folder: not followed")
        elif not path.is_dir() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path  # a linked folder inside is not entered: its files are reached by their own path
    for error in unreadable:
        yield LoadFailure(str(error.filename), error.strerror or str(error))


def path_id(file: PurePath, root: PurePath, taken: Collection[str] = ()) -> str:
    """An id unique within a folder: the path below it without the suffix ("howto/logging", "library/logging").
    Where that is `taken` by another file of the folder ("FAQ.html" beside "faq.html", "intro.pdf" beside
    "intro.html"), a short hash of the exact path is added ("faq-1c2e9b"): the same on every ingest."""
    relative = file.relative_to(root)
    plain = "/".join(slugify(part) for part in relative.with_suffix("").parts)
    if plain not in taken:
        return plain
    return f"{plain}-{hashlib.sha1(relative.as_posix().encode()).hexdigest()[:6]}"


def ingested_folder(path: PurePath, doc_id: str) -> PurePath | None:
    """The folder an ingest gave the file at `path` the id `doc_id` from (by path_id), or None when the id was not
    made from the file's path (a JSON record names itself)."""
    depth = doc_id.count("/") + 1
    if not doc_id or depth >= len(path.parts):
        return None
    folder = PurePath(*path.parts[:-depth])
    plain = path_id(path, folder)
    return folder if doc_id in (plain, path_id(path, folder, {plain})) else None


def _guard(source: str, load, *args, **kwargs) -> Iterator[Document | LoadFailure]:
    try:
        items = load(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - whatever one item raises is that item's failure; the others go on
        items = [LoadFailure(source, failure_reason(exc))]
    yield from items


_REASONS = {RecursionError: "nesting too deep", MemoryError: "too large to read in memory"}


def failure_reason(exc: Exception) -> str:
    """Why an item could not be read, in a few words, whatever was raised while reading it."""
    if isinstance(exc, _Unloadable):
        return str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid {exc.encoding} text"
    if type(exc).__name__ == "LimitReachedError":  # pypdf's guard against decompression bombs
        return "PDF stream too large (decompression limit)"
    named = next((reason for kind, reason in _REASONS.items() if isinstance(exc, kind)), None)
    detail = str(exc).strip().split("\n", 1)[0][:120]
    return named or f"cannot read it ({type(exc).__name__}{': ' + detail if detail else ''})"


def load_file(path: Path, doc_id: str | None = None) -> list[Document | LoadFailure]:
    suffix = path.suffix.lower()
    if without_surrogates(str(path)) != str(path):
        raise _Unloadable("the file name is not valid UTF-8: rename the file")
    if not path.exists():
        raise _Unloadable("broken link" if path.is_symlink() else "no such file or folder")
    if not path.is_file():
        raise _Unloadable("not a regular file")  # a FIFO or device would block or never end
    if suffix not in SUPPORTED_SUFFIXES:
        raise _Unloadable(f"unsupported file type '{suffix or 'none'}' (use {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise _Unloadable(f"file is {size / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB limit")
    data = path.read_bytes()
    return _parse(data, suffix, source=str(path.resolve()), stem=doc_id or slugify(path.stem))


def load_url(url: str) -> list[Document | LoadFailure]:
    """A URL's articles, or its one-line failure. Both name it by its public form: no credentials, no tokens."""
    shown = public_url(url)
    try:
        page = fetch(url, deadline_s=URL_TIMEOUT_S, max_bytes=MAX_BYTES)
        path = urlsplit(shown).path
        stem = re.sub(r"\.[a-z0-9]+$", "", shown.rstrip("/").rsplit("/", 1)[-1], flags=re.IGNORECASE) or "page"
        return _parse(page.data, _suffix_for(page.content_type, path), source=shown, stem=slugify(stem), url=shown)
    except (FetchError, _Unloadable) as exc:
        return [LoadFailure(shown, str(exc))]
    except Exception as exc:  # noqa: BLE001 -- this URL alone fails, named without the secrets its raw form holds
        return [LoadFailure(shown, failure_reason(exc))]


def _suffix_for(content_type: str, path: str) -> str:
    if "pdf" in content_type:
        return ".pdf"
    if "json" in content_type:
        return ".jsonl" if path.lower().endswith(".jsonl") else ".json"
    if content_type.startswith("text/plain"):
        return ".md" if path.lower().endswith((".md", ".markdown")) else ".txt"
    return ".html"


def _parse(data: bytes, suffix: str, source: str, stem: str, url: str = "") -> list[Document | LoadFailure]:
    """`stem` is the document's id (records in a JSON file number theirs after it)."""
    if suffix == ".pdf":
        return [_from_pdf(data, source, stem, url)]
    if suffix in {".json", ".jsonl"}:
        return list(_from_records(decode(data), suffix, source, stem))
    if suffix in HTML_SUFFIXES:
        return [_from_html(decode(data), source, stem, url)]
    if suffix in {".md", ".markdown"}:
        return [_from_markdown(normalize(decode(data), keep_indent=True), source, stem, url)]
    return [_from_plain_text(normalize(decode(data)), source, stem, url)]


def decode(data: bytes) -> str:
    """Text from bytes: UTF-8 or UTF-16 (with BOM), else Latin-1; binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _Unloadable("starts as UTF-16 text (byte order mark) but is not valid UTF-16") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if "\x00" in text or controls > len(text[:65536]) * 0.01:
        raise _Unloadable("binary data, not text")
    return text


def _from_plain_text(text: str, source: str, doc_id: str, url: str) -> Document:
    """The first line is the title, the rest the body; a file of one line is all body, titled by its start."""
    title, body = _first_line(text.strip())
    if not body.strip():
        title, body = _short_title(title), title
    byline, body = plain_text_byline(body)  # "By NAME | March 3, 2025" under the title: metadata, not text
    return _document(doc_id, title.strip(), plain_blocks(strip_furniture(normalize(body))), source,
                     {"url": url, **byline})


def _first_line(text: str) -> tuple[str, str]:
    """The first line and the rest; a title written over an underline ("TRIGGERS" over "========") leaves it out."""
    lines = text.split("\n")
    level, count = setext_heading_at(lines, 0)
    if level:
        return lines[count - 2].strip(), "\n".join(lines[count:])
    return lines[0], "\n".join(lines[1:])


def _short_title(line: str, words: int = 10) -> str:
    parts = line.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _from_markdown(text: str, source: str, doc_id: str, url: str) -> Document:
    blocks = markdown_blocks(text)
    top = _title_heading(blocks)
    title, byline = (blocks[top].text if top is not None else ""), {}
    if title:
        byline, below = _byline_blocks(blocks[top + 1:])
        blocks = blocks[:top] + below
    elif len(blocks) > 1 and (blocks[0].kind == HEADING or _reads_as_title(blocks[0].text)):
        title = blocks[0].text
        byline, blocks = _byline_blocks(blocks[1:])
    elif len(blocks) > 1:  # an opening paragraph is body: the file is named by its name
        title = _named_stem(source) or doc_id
    else:  # one block and no heading: all body, as for plain text
        title = _short_title(blocks[0].text) if blocks else doc_id
    return _document(doc_id, title, blocks, source, {"url": url, **byline})


def _byline_blocks(blocks: list[Block]) -> tuple[dict, list[Block]]:
    """The author and date of the byline paragraphs under a title ("By NAME | DATE"), and the blocks without them:
    the rule plain text follows."""
    top = list(itertools.takewhile(lambda block: block.kind == PARAGRAPH, blocks[:BYLINE_LINES]))
    found, bylines = read_bylines([block.text for block in top])
    return found, [block for number, block in enumerate(blocks) if number not in bylines]


def _title_heading(blocks: list[Block]) -> int | None:
    """Where a Markdown file's title stands: its first level-1 heading, when that opens the file (in its first
    three blocks, or after a table at the top: a README's table of build badges)."""
    for i, block in enumerate(blocks):
        if block.kind == HEADING and block.level == 1:
            return i
        if i >= 2 and block.kind != ROW:
            return None
    return None


def _reads_as_title(text: str, words: int = 12) -> bool:
    """A short line that ends no sentence: "Zebra migration notes", not "Sodium is a new library."."""
    return len(text.split()) <= words and not re.search(r"[.!?:;,]$", text.strip())


def _named_stem(source: str) -> str:
    """The name of the file or web page `source` without its suffix ("C# tips" of "/data/C# tips.md")."""
    if is_url(source):
        return Path(urlsplit(source).path).stem
    return Path(source).stem


def _from_html(html: str, source: str, doc_id: str, url: str) -> Document:
    page = read_html(html, url)
    if page is None:
        raise _Unloadable("no article text found in the HTML")
    title = page.title or (page.blocks[0].text if page.blocks else doc_id)
    # a page fetched from a URL is linked there; its own canonical claim only names a saved file's origin
    return _document(doc_id, title, page.blocks, source, {**page.metadata, "url": url or page.metadata.get("url", "")})


def _from_pdf(data: bytes, source: str, doc_id: str, url: str) -> Document:
    from ingest.pdf import read_pdf  # pypdf is heavy: only when a PDF is loaded

    _silence_pypdf()
    try:
        pdf = read_pdf(data)
    except ValueError as exc:
        raise _Unloadable(str(exc)) from None
    except (RecursionError, MemoryError):  # a hostile file's object graph: that file fails, the others go on
        raise _Unloadable("not a readable PDF (too deeply nested or too large)") from None
    return _document(doc_id, pdf.title or doc_id, pdf.blocks, source,
                     {"author": pdf.author, "date": pdf.date, "url": url})


def _silence_pypdf() -> None:
    """pypdf logs what it finds odd in a damaged file ("Advanced encoding … not implemented yet") on its own;
    the user sees the file's text or its one-line failure instead."""
    log = logging.getLogger("pypdf")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())


def _from_records(text: str, suffix: str, source: str, stem: str) -> Iterator[Document | LoadFailure]:
    if suffix == ".json":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Unloadable(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        records = payload if isinstance(payload, list) else [payload]
        if not records:
            raise _Unloadable("no records")
        numbered = [(n, r) for n, r in enumerate(records, 1)]
        where = "record"
    elif not text.strip():
        raise _Unloadable("no records")
    else:
        numbered, where = [], "line"
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                numbered.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                yield LoadFailure(f"{source}:{n}", f"invalid JSON ({exc.msg})")
            except Exception as exc:  # noqa: BLE001 - e.g. nesting too deep: this line fails, the others load
                yield LoadFailure(f"{source}:{n}", failure_reason(exc))
    for n, record in numbered:
        try:
            yield _from_record(record, source, f"{stem}-{n}")
        except Exception as exc:  # noqa: BLE001 - one record's failure, the file's other records still load
            yield LoadFailure(f"{source} {where} {n}", failure_reason(exc))


def _from_record(record, source: str, fallback_id: str) -> Document:
    if not isinstance(record, dict):
        raise _Unloadable("not a JSON object")
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        raise _Unloadable(f"field 'text' must be a string, not {_json_type(text)}")
    if not text or not text.strip():
        raise _Unloadable("missing field 'text'")
    for key in ("title", "author", "date", "url", "id", "_id"):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            raise _Unloadable(f"field '{key}' must be a string, not {_json_type(value)}")
    title = str(record.get("title") or "").strip()
    # without an id of its own, a record is named by its file's id (already a slug) and its number
    doc_id = str(record.get("id") or record.get("_id") or "").strip() or fallback_id
    meta = {key: str(record.get(key) or "") for key in ("author", "date", "url")}
    return _document(doc_id, title or doc_id, plain_blocks(normalize(text)), source, meta)


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", bool: "true or false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _document(doc_id: str, title: str, blocks: list[Block], source: str, metadata: dict) -> Document:
    headline = next((i for i, b in enumerate(blocks[:TITLE_SEARCH_BLOCKS])
                     if b.kind == HEADING and _letters(b.text) == _letters(title)), None)
    if headline is not None:  # the title heading (after a kicker line, perhaps) names the document: no section
        blocks = blocks[:headline] + blocks[headline + 1:]
    text, spans = assemble(blocks)
    if not text.strip():
        raise _Unloadable("no text")
    # one character for one: the spans stay true, and the index can always be written as UTF-8
    return Document(id=without_surrogates(doc_id), title=without_surrogates(" ".join(title.split())),
                    source=without_surrogates(source), text=without_surrogates(text),
                    metadata={k: without_surrogates(v) for k, v in metadata.items() if v},
                    blocks=spans_to_records(spans))


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def slugify(name: str) -> str:
    """Lower case, runs of anything but letters and digits (in any script: "北京", "москва") made one "-"."""
    slug = re.sub(r"[\W_]+", "-", name.lower()).strip("-")
    return slug or "article"
