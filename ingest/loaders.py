"""Turn files, folders and URLs into Documents. A bad item yields a LoadFailure; the others still load."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ingest.clean import markdown_to_text, normalize, strip_furniture
from schema import Document

MAX_BYTES = 20 * 1024 * 1024  # bounds memory: one article never needs more
URL_TIMEOUT_S = 20
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".json", ".jsonl"}


@dataclass(frozen=True)
class LoadFailure:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class _Unloadable(Exception):
    """Raised inside a loader; becomes a LoadFailure for that one item."""


def iter_documents(sources: Iterable[str]) -> Iterator[Document | LoadFailure]:
    for source in sources:
        if re.match(r"^https?://", source, re.IGNORECASE):
            yield from _guard(source, lambda: load_url(source))
            continue
        path = Path(source)
        if not path.exists():
            yield LoadFailure(source, "no such file or folder")
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if not p.is_dir() and not _hidden(p, path)):
                if file.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield from _guard(str(file), lambda f=file: load_file(f))
        else:
            yield from _guard(source, lambda: load_file(path))


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def _guard(source: str, load) -> Iterator[Document | LoadFailure]:
    try:
        yield from load()
    except _Unloadable as exc:
        yield LoadFailure(source, str(exc))
    except OSError as exc:
        yield LoadFailure(source, exc.strerror or str(exc))


def load_file(path: Path) -> list[Document | LoadFailure]:
    suffix = path.suffix.lower()
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
    return _parse(data, suffix, source=str(path.resolve()), stem=path.stem)


def load_url(url: str) -> list[Document | LoadFailure]:
    request = urllib.request.Request(url, headers={"User-Agent": "article-qa/1.0"})
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT_S) as response:
            data = response.read(MAX_BYTES + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise _Unloadable(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _Unloadable(f"cannot fetch: {exc.reason}") from None
    except TimeoutError:
        raise _Unloadable(f"no answer within {URL_TIMEOUT_S} s") from None
    if len(data) > MAX_BYTES:
        raise _Unloadable(f"response is over the {MAX_BYTES // 2**20} MB limit")
    suffix = _suffix_for(content_type, url)
    stem = re.sub(r"\.[a-z0-9]+$", "", url.rstrip("/").rsplit("/", 1)[-1], flags=re.IGNORECASE) or "page"
    return _parse(data, suffix, source=url, stem=stem, url=url)


def _suffix_for(content_type: str, url: str) -> str:
    if "pdf" in content_type:
        return ".pdf"
    if "json" in content_type:
        return ".jsonl" if url.lower().endswith(".jsonl") else ".json"
    if content_type.startswith("text/plain"):
        return ".md" if url.lower().endswith((".md", ".markdown")) else ".txt"
    return ".html"


def _parse(data: bytes, suffix: str, source: str, stem: str, url: str = "") -> list[Document | LoadFailure]:
    if suffix == ".pdf":
        return [_from_pdf(data, source, stem, url)]
    if suffix in {".json", ".jsonl"}:
        return list(_from_records(decode(data), suffix, source, stem))
    if suffix in HTML_SUFFIXES:
        return [_from_html(decode(data), source, stem, url)]
    text = decode(data)
    if suffix in {".md", ".markdown"}:
        text = markdown_to_text(text)
    return [_from_plain_text(text, source, stem, url)]


def decode(data: bytes) -> str:
    """Text from bytes: UTF-8 or UTF-16 (with BOM), else Latin-1; binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if "\x00" in text or controls > len(text[:65536]) * 0.01:
        raise _Unloadable("binary data, not text")
    return text


def _from_plain_text(text: str, source: str, stem: str, url: str) -> Document:
    text = normalize(text)
    title, _, body = text.partition("\n")
    return _document(slugify(stem), title.strip(), strip_furniture(normalize(body)), source, {"url": url})


def _from_html(html: str, source: str, stem: str, url: str) -> Document:
    import trafilatura  # heavy: only when an HTML page is loaded

    extracted = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=True
    )
    if extracted is None or not (extracted.text or "").strip():
        raise _Unloadable("no article text found in the HTML")
    lines = [line for line in normalize(extracted.text).split("\n") if line.strip()]
    title = (extracted.title or "").strip() or (lines[0] if lines else stem)
    if lines and lines[0] == title:
        lines = lines[1:]
    meta = {"author": extracted.author or "", "date": extracted.date or "", "url": url or extracted.url or ""}
    return _document(slugify(stem), title, "\n\n".join(lines), source, meta)


def _from_pdf(data: bytes, source: str, stem: str, url: str) -> Document:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _Unloadable("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _Unloadable(f"not a readable PDF ({exc.__class__.__name__})") from None
    text = normalize("\n\n".join(pages))
    first_line, _, rest = text.partition("\n")
    title = str(info.get("/Title") or "").strip()
    body = text if title else rest
    meta = {"author": str(info.get("/Author") or ""), "url": url}
    return _document(slugify(stem), title or first_line.strip(), normalize(body), source, meta)


def _from_records(text: str, suffix: str, source: str, stem: str) -> Iterator[Document | LoadFailure]:
    if suffix == ".json":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Unloadable(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        records = payload if isinstance(payload, list) else [payload]
        numbered = [(n, r) for n, r in enumerate(records, 1)]
        where = "record"
    else:
        numbered, where = [], "line"
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                numbered.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                yield LoadFailure(f"{source}:{n}", f"invalid JSON ({exc.msg})")
    for n, record in numbered:
        try:
            yield _from_record(record, source, f"{stem}-{n}")
        except _Unloadable as exc:
            yield LoadFailure(f"{source} {where} {n}", str(exc))


def _from_record(record, source: str, fallback_id: str) -> Document:
    if not isinstance(record, dict):
        raise _Unloadable("not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _Unloadable("missing field 'text'")
    title = str(record.get("title") or "").strip()
    doc_id = str(record.get("id") or record.get("_id") or "").strip() or slugify(fallback_id)
    meta = {key: str(record.get(key) or "") for key in ("author", "date", "url")}
    return _document(doc_id, title or doc_id, normalize(text), source, meta)


def _document(doc_id: str, title: str, text: str, source: str, metadata: dict) -> Document:
    if not text.strip():
        raise _Unloadable("no text")
    return Document(id=doc_id, title=title, source=source, text=text,
                    metadata={k: v for k, v in metadata.items() if v})


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "article"
