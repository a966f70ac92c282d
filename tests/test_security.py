"""What SECURITY.md promises and no other test shows: a key never reaches the page, the API, errors or logs; nothing
on disk is unpickled and a tampered index is refused; oversized files are never read; gradio's upload route is
limited; upload names stay inside the upload folder and never overwrite each other; an upload landing mid-answer
does not change what the answer quotes."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest

from helpers import ROOT, SAMPLE_ARTICLE, PicklePayload
from index.build import open_store
from qa.generators import OpenAICompatibleGenerator, free_port
from qa.collection import Collection
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings
from ui.chat import AskOptions, chat_messages, respond
from ui.library import Library
from ui.uploads import MAX_NAME_CHARS, safe_filename, stage_uploads


# ---- secrets: only from the environment, only in the Authorization header ---------------------------------

class BrokenLLM:
    """A loopback 'LLM server' that records each request's headers, then answers with something that is not HTTP."""

    def __init__(self):
        self.headers: list[str] = []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    piece = connection.recv(65536)
                    if not piece:
                        break
                    received += piece
                self.headers.append(received.split(b"\r\n\r\n")[0].decode("latin-1"))
                connection.sendall(b"not an HTTP reply\r\n\r\n")

    def close(self):
        self.socket.close()


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.read().decode("utf-8", errors="replace")


@pytest.mark.parametrize("llm", ["unreachable", "broken"])
def test_the_api_key_never_reaches_the_page_the_api_errors_or_logs(llm, tmp_path, monkeypatch, capfd, caplog):
    import logging

    import app
    from gradio_client import Client

    secret = f"sk-test-{uuid.uuid4().hex}"
    server = BrokenLLM() if llm == "broken" else None
    base_url = server.url if server else f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    (tmp_path / "articles").mkdir()
    shutil.copy(SAMPLE_ARTICLE, tmp_path / "articles")
    for name, value in {"EMBED_MODEL": "hashing", "INDEX_DIR": tmp_path / "index",
                        "ARTICLES_DIR": tmp_path / "articles", "ANSWER_MODE": "llm", "LLM_BACKEND": "openai",
                        "LLM_BASE_URL": base_url, "LLM_MODEL": "tiny-model", "LLM_API_KEY": secret}.items():
        monkeypatch.setenv(f"RAGQA_{name}", str(value))
    caplog.set_level(logging.DEBUG)
    chat_app = app.ChatApp(QAPipeline(Settings.from_env()))
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        url = chat_app.demo.local_url.rstrip("/")
        seen = {path: fetch(url + path) for path in ("/", "/config", "/gradio_api/info", "/gradio_api/openapi.json")}
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        seen["view_api"] = json.dumps(client.view_api(print_info=False, return_format="dict"))
        with pytest.raises(Exception) as api_error:
            client.predict("What does the author say about Bagram?", 5, api_name="/ask")
        seen["api error"] = str(api_error.value)
        chat = respond(chat_app.pipeline, "What does the author say about Bagram?", [], AskOptions(mode="llm"))
        seen["chat"] = json.dumps(chat_messages(list(chat)[-1]))
        client.close()
    finally:
        chat_app.demo.close()
        if server:
            server.close()
    captured = capfd.readouterr()
    seen.update(stdout=captured.out, stderr=captured.err, log=caplog.text)

    assert "LLM (openai · tiny-model)" in seen["/config"], "the page names the backend and model"
    if server:  # the key was in use, in the Authorization header, and the broken reply is one clear sentence
        assert any(f"Authorization: Bearer {secret}" in headers for headers in server.headers)
        assert f"the LLM at {base_url} sent a broken reply" in seen["api error"]
    else:
        assert f"cannot reach the LLM at {base_url}" in seen["api error"]
        assert "annot reach the LLM at" in seen["chat"]
    assert [where for where, text in seen.items() if secret in text] == []


def test_a_broken_llm_reply_is_one_clear_error():
    server = BrokenLLM()
    try:
        with pytest.raises(UserError, match=f"the LLM at {server.url}"):
            list(OpenAICompatibleGenerator(server.url, "m", "key").stream([{"role": "user", "content": "hi"}], 5))
    finally:
        server.close()


# ---- nothing on disk is unpickled ---------------------------------------------------------------------------

_UNSAFE = re.compile(r"\bimport pickle\b|\bpickle\.loads?\(|torch\.load\(|joblib|\bdill\b|shelve|marshal\.load|"
                     r"allow_pickle=True|yaml\.load\(|\beval\(|\bexec\(")
# Folders of code that is not the project's: tests, installed packages, build output (hidden folders such as .git,
# .venv and .tox, and virtual environments under any name, are skipped too).
_NOT_PROJECT = {"tests", "venv", "env", "site-packages", "dist-packages", "node_modules", "__pycache__", "build",
                "dist"}


def project_sources(root: Path) -> list[Path]:
    sources = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in _NOT_PROJECT
                         and not (Path(folder, name) / "pyvenv.cfg").exists()]
        sources += [Path(folder, name) for name in files if name.endswith(".py")]
    return sources


def unpickling_sources(root: Path) -> dict[str, list[str]]:
    return {str(p.relative_to(root)): _UNSAFE.findall(text) for p in project_sources(root)
            if _UNSAFE.search(text := p.read_text(encoding="utf-8", errors="replace"))}


def test_no_code_unpickles():
    assert len(project_sources(ROOT)) > 10
    assert unpickling_sources(ROOT) == {}


def test_the_unpickling_scan_reads_the_project_not_installed_packages(tmp_path):
    """A clone with a .venv inside it (the README's pip install habit) still passes; project code is still read."""
    for third_party in (".venv/lib/python3/site-packages/x.py", "venv/lib/x.py", "myenv/lib/x.py", ".tox/py/x.py",
                        "site-packages/x.py", "build/lib/x.py", "tests/x.py"):
        (tmp_path / third_party).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / third_party).write_text("import pickle\npickle.loads(b'')\n")
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "safe.py").write_text("import json\n")
    assert unpickling_sources(tmp_path) == {}
    (tmp_path / "qa" / "bad.py").write_text("data = pickle.loads(blob)\n")
    assert unpickling_sources(tmp_path) == {"qa/bad.py": ["pickle.loads("]}


def test_every_index_file_reads_without_pickle(indexed, settings, embedder):
    import faiss

    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()
    assert sorted(p.name for p in generation.iterdir()) == \
        ["bm25.data.npy", "bm25.indices.npy", "bm25.indptr.npy", "bm25.vocab.json",
         "chunks.json", "documents.json", "index.faiss", "manifest.json",
         "units.counts.npy", "units.keys.npy", "units.vectors.npy", "vectors.npy"]
    for name in ("chunks.json", "documents.json", "manifest.json", "bm25.vocab.json"):
        json.loads((generation / name).read_text())
    assert np.load(generation / "vectors.npy", allow_pickle=False).dtype == np.float32
    for name in ("bm25.data.npy", "bm25.indices.npy", "bm25.indptr.npy", "units.counts.npy", "units.vectors.npy"):
        assert np.load(generation / name, allow_pickle=False).dtype.kind in "fi"
    assert faiss.read_index(str(generation / "index.faiss")).ntotal == 7


def plant(kind: str, generation: Path, marker: Path) -> None:
    import pickle

    if kind == "object array":  # an .npy file whose array holds a pickled object
        array = np.empty(1, dtype=object)
        array[0] = PicklePayload(marker)
        np.save(generation / "vectors.npy", array, allow_pickle=True)
    elif kind == "bare pickle":
        (generation / "vectors.npy").write_bytes(pickle.dumps(PicklePayload(marker)))
    else:  # a FAISS file that is not one
        (generation / "index.faiss").write_bytes(b"IxF2" + bytes(range(256)))


@pytest.fixture
def planted(request, indexed, settings, tmp_path):
    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()
    marker = tmp_path / "pickle-ran"
    plant(request.param, generation, marker)
    return generation, marker


@pytest.mark.parametrize("planted", ["object array", "bare pickle"], indirect=True)
def test_a_planted_pickle_is_never_run(planted, settings, embedder):
    generation, marker = planted
    with pytest.raises(Exception):
        open_store(settings, embedder)
    assert not marker.exists()


@pytest.mark.parametrize("planted", ["object array", "bare pickle", "broken faiss"], indirect=True)
def test_a_tampered_index_file_is_refused_in_one_line_naming_it(planted, settings, embedder):
    generation, _ = planted
    with pytest.raises(UserError) as error:
        open_store(settings, embedder)
    message = str(error.value)
    assert "\n" not in message and str(generation) in message


# ---- inputs are bounded ------------------------------------------------------------------------------------

def test_oversized_files_are_refused_unread(cli_env, tmp_path):
    """Four 1 GB files (sparse: no disk used) beside one good article: each is refused by its size alone, the good
    one is indexed, and the ingest's peak memory stays far below the size of any one of them."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Good article\n\nThe river dam holds water for the valley farms.")
    for name in ("huge.txt", "huge.jsonl", "huge.pdf", "huge.html"):
        with open(corpus / name, "wb") as handle:
            handle.truncate(2**30)
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries over the forking parent's (pytest's) peak through exec.
    measure = ("import atexit, re, runpy, sys; atexit.register(lambda: print('peak-kb', re.search("
               "r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr)); "
               f"sys.argv = ['cli.py', 'ingest', {str(corpus)!r}]; runpy.run_path({str(ROOT / 'cli.py')!r}, "
               "run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", measure], capture_output=True, text=True, env=cli_env, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "1 added" in result.stdout and "4 failed" in result.stdout
    for name in ("huge.txt", "huge.jsonl", "huge.pdf", "huge.html"):
        assert f"{name}: file is 1024.0 MB, over the 20 MB limit" in result.stderr
    peak_mb = int(re.search(r"peak-kb (\d+)", result.stderr).group(1)) / 1024
    assert peak_mb < 512, f"peak memory {peak_mb:.0f} MB"


# ---- upload names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "/etc/passwd.txt", "../../../../etc/cron.d/x.md", "C:\\Windows\\System32\\evil.html", "evil\x00.txt",
    "nul\x00/../../x.txt", "a" * 5000 + ".txt", "..", ".", "", "...txt", "../", "%2e%2e%2fetc%2fpasswd.txt",
    "\u202etxt.exe.md", "ｆｕｌｌ／ｗｉｄｔｈ.txt", " .txt", "-rf.pdf",
])
def test_hostile_upload_names_stay_in_the_upload_folder(name, tmp_path):
    uploads = tmp_path / "uploads"
    safe = safe_filename(name)
    assert safe and not safe.startswith((".", "-")) and not re.search(r"[/\\\x00\s]", safe)
    assert len(safe) <= MAX_NAME_CHARS + len(".html")
    assert (uploads / safe).resolve().parent == uploads.resolve()


@pytest.mark.parametrize("allow_uploads", [True, False])
def test_the_upload_route_refuses_files_over_the_limit_and_forgets_the_rest(allow_uploads, settings, embedder):
    """gradio's upload route is open whatever the page shows; with uploads off it takes nothing over 1 KB."""
    from dataclasses import replace

    import httpx

    import app

    chat_app = app.ChatApp(QAPipeline(replace(settings, allow_uploads=allow_uploads, max_upload_mb=1), embedder))
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    demo = chat_app.demo
    try:
        def upload(size: int) -> int:
            return httpx.post(demo.local_url + "gradio_api/upload", files={"files": ("a.txt", b"x" * size)},
                              timeout=60).status_code
        assert upload(500) == 200
        assert upload(5 * 2**20 if allow_uploads else 2048) == 413
    finally:
        demo.close()
    frequency, age = demo.delete_cache
    assert frequency <= 3600 and age <= 86400, "gradio's copies of uploads are deleted"


def test_an_expired_upload_is_reported_not_a_crash(tmp_path):
    staged = stage_uploads([str(tmp_path / "gone.txt")], tmp_path / "uploads", max_mb=1)
    assert staged[0].problem == "the uploaded copy has expired: add the file again"


def test_uploads_whose_names_clash_are_all_kept(settings, embedder, tmp_path):
    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    library = Library(Collection(settings, embedder))
    library.ensure_ready()
    paths = []
    for folder, name, text in [("one", "a b.txt", "Dams\n\nThe river dam holds water for the valley farms."),
                               ("two", "a_b.txt", "Onions\n\nOnion prices doubled after the floods."),
                               ("three", "a_b.txt", "Roads\n\nThe mountain road reopened after the snow.")]:
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / name)
        paths[-1].write_text(text)
    staged = stage_uploads([str(p) for p in paths], tmp_path / "staged", max_mb=1)
    assert [s.path.read_text() for s in staged] == [p.read_text() for p in paths], "no copy overwrote another"
    assert library.add_uploads([str(p) for p in paths]) == ["Added: a b.txt", "Added: a_b.txt",
                                                            "Added: a_b.txt"]
    assert {"Dams", "Onions", "Roads"} <= {a.title for a in library.articles()}


# ---- an upload landing while a question is answered -------------------------------------------------------

def test_an_article_replaced_mid_answer_is_quoted_from_the_version_searched(indexed, settings, embedder, tmp_path):
    title, body = SAMPLE_ARTICLE.read_text().split("\n", 1)
    changed = tmp_path / SAMPLE_ARTICLE.name
    preface = " ".join(f"Onion prices rose for the {n}th week running." for n in range(4, 60))
    changed.write_text(f"{title}\n\n{preface}\n{body}")  # every later sentence moves along
    pipeline = QAPipeline(settings, embedder=embedder)
    search = pipeline.retriever.search

    def search_then_another_user_uploads(*args, **kwargs):
        hits = search(*args, **kwargs)
        pipeline.collection.add([str(changed)])
        return hits

    pipeline.retriever.search = search_then_another_user_uploads
    answer = pipeline.ask("What does the author say about Bagram?")
    searched = {hit.chunk.id: hit.chunk.text for hit in answer.hits}
    assert answer.citations and all(c.quote in searched[c.chunk_id] for c in answer.citations), answer.text
