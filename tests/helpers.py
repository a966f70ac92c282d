"""Test data paths, the CLI as a process, and small builders for test inputs that are awkward to write inline."""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
# Copies of ../shared's sample article and seed questions: the tests run in a clone with nothing beside it.
SAMPLE_ARTICLE = DATA / "khalilzad-on-iskp-ttp-and-pakistan.txt"
SEED_DEV = DATA / "seed_dev.jsonl"


def cli_process(env: dict, *args, **options) -> subprocess.CompletedProcess:
    """`python cli.py ARGS` in a process of its own, for tests where the process is the point (kill -9, other
    processes reading, what a library prints outside Python); the others run `cli.main` in-process (`run_cli`)."""
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, **options)


@contextlib.contextmanager
def http_server(handler):
    """An HTTP server on 127.0.0.1 with `handler` on a free port, its `base` URL set, stopped on leaving (it checks
    for shutdown every 50 ms, not the default 500)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def minimal_pdf(lines: list[str], title: str = "") -> bytes:
    """A valid one-page PDF showing `lines` in Helvetica, with correct xref offsets."""
    text_ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({pdf_string(line)}) '" for line in lines) + " ET"
    return one_page_pdf(text_ops, f"<< /Title ({title}) >>" if title else "<< >>")


def pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def one_page_pdf(content: str, info: str = "<< >>") -> bytes:
    """A valid one-page PDF (Letter, Helvetica as /F1, Times-Roman as /F2) whose page draws the content stream
    `content`."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R /F2 << /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >> >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info,
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class PicklePayload:
    """Unpickling this makes the folder `marker`: proof that a pickle ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.mkdir, (str(self.marker),)


def require_browser() -> None:
    """Skip without Chromium or Playwright, except in CI, where their absence is a failure."""
    from bench.screenshot import CHROMIUM

    missing = None if os.path.exists(CHROMIUM) else f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = missing or "playwright is not installed (pip install -r requirements-dev.txt)"
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{missing}: .ci/run must install it")
    if missing:
        pytest.skip(missing)


# The Milvus half of the store tests: skipped, naming the package, without requirements-scale.txt.
MILVUS_MISSING = next((name for name in ("pymilvus", "milvus_lite") if importlib.util.find_spec(name) is None), None)
needs_milvus = pytest.mark.skipif(MILVUS_MISSING is not None, reason=f"the Milvus half needs the package {MILVUS_MISSING} "
                                                               f"(pip install -r requirements-scale.txt)")


def milvus_settings(settings, tmp_path):
    return dataclasses.replace(settings, store="milvus", milvus_uri=str(tmp_path / "milvus.db"))


def records(store):
    """What a store holds, as plain values: documents, hashes, every chunk and its vector."""
    chunk_ids = [f"{doc_id}#{n}" for doc_id, count in sorted(store.chunk_counts().items()) for n in range(count)]
    return ({doc_id: dataclasses.asdict(doc) for doc_id, doc in store.documents.items()}, dict(store.doc_hashes),
            [dataclasses.asdict(store.chunk(chunk_id)) for chunk_id in chunk_ids], store.count)


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
