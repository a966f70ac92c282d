"""Generations are snapshots: readers never fail while ingests swap them, kill -9 never loses the index, and a
damaged or tampered index is refused in one line naming the file and the fix, never rebuilt over.

(tests/test_robustness.py has the first kill -9 test, in the slow layer; the ones here add readers, kill points
measured within the ingest's work and every step of a save.)
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import numpy as np
import pytest

import index.store as store_module
from helpers import ROOT, SAMPLE_ARTICLE, cli_process
from index.build import open_store, update_index
from index.store import FaissStore
from qa.pipeline import QAPipeline
from schema import Chunk, Document, UserError

QUESTION = "What about the river dam?"
WORDS = "river dam water valley farm policy border trade army election court budget".split()


def write_article(folder, number: int, version: int = 0):
    """A small article about rivers and dams; each version has different text."""
    rng = random.Random(number * 1000 + version)
    body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(40)) + "." for _ in range(3))
    folder.mkdir(exist_ok=True)
    (folder / f"article-{number:03d}.txt").write_text(f"Article {number}\n\nThe river dam story. {body}")


def generation_files(index_dir) -> dict[str, bytes]:
    return {str(p.relative_to(index_dir)): p.read_bytes() for p in sorted(index_dir.glob("gen-*/*"))}


def live_generation(index_dir):
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def assert_answers(settings, embedder):
    store = open_store(settings, embedder)
    assert all(store.documents[c.doc_id].text[c.start:c.end] == c.text for c in store.chunks)
    assert QAPipeline(settings, embedder=embedder).ask(QUESTION).hits
    return store


def assert_tidy(index_dir):
    """One generation, the live one, and nothing left of earlier saves."""
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [live_generation(index_dir).name]


def one_line_error(result) -> str:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---- readers and a writer swapping generations ------------------------------------------------------------------

@pytest.fixture
def corpus(tmp_path, settings, embedder):
    """An index of three articles; the corpus folder it came from."""
    folder = tmp_path / "corpus"
    for number in range(3):
        write_article(folder, number)
    update_index([str(folder)], settings, embedder, progress=False)
    return folder


def test_a_save_landing_while_a_reader_opens_the_index_does_not_fail_it(corpus, settings, embedder, monkeypatch):
    """The reader read CURRENT and is opening gen-000001 when a save publishes gen-000002: it still reads
    gen-000001 whole (the old code deleted it under the reader: 'cannot read …/manifest.json')."""
    write_article(corpus, 3)
    read_json, saved = store_module._read_json, []

    def read_json_while_saving(path, *args):
        if path.name == "manifest.json" and not saved:
            saved.append("saving")  # the save's own load reads the manifest too
            saved[0] = update_index([str(corpus)], settings, embedder, progress=False)
        return read_json(path, *args)

    monkeypatch.setattr(store_module, "_read_json", read_json_while_saving)
    store = open_store(settings, embedder)
    monkeypatch.undo()
    assert saved[0].added == ["article-003"]
    assert len(store.documents) == 3, "the snapshot the reader started on"
    assert len(assert_answers(settings, embedder).documents) == 4
    write_article(corpus, 4)
    update_index([str(corpus)], settings, embedder, progress=False)
    assert_tidy(settings.index_dir)  # the generation the reader held is removed by the next save


def test_a_reader_whose_generation_was_removed_before_it_locked_it_follows_current(corpus, settings, embedder,
                                                                                monkeypatch):
    write_article(corpus, 3)
    lock_generation, saved = store_module._lock_generation, []

    def lock_after_a_save(path):
        if not saved:  # CURRENT was read; now a whole save runs and removes that generation
            saved.append("saving")
            update_index([str(corpus)], settings, embedder, progress=False)
        return lock_generation(path)

    monkeypatch.setattr(store_module, "_lock_generation", lock_after_a_save)
    assert len(open_store(settings, embedder).documents) == 4
    assert_tidy(settings.index_dir)


def test_readers_in_threads_never_fail_while_a_writer_saves_generations(corpus, settings, embedder):
    failures, reads, done = [], Counter(), threading.Event()

    def read(kind):
        while not done.is_set():
            try:
                if kind == "store":
                    assert open_store(settings, embedder).count > 0
                else:
                    assert QAPipeline(settings, embedder=embedder).ask(QUESTION).hits
            except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
                failures.append(f"{kind}: {exc!r}")
            reads[kind] += 1

    readers = [threading.Thread(target=read, args=(kind,)) for kind in ("store", "store", "pipeline")]
    for reader in readers:
        reader.start()
    try:
        for version in range(1, 31):
            write_article(corpus, version % 3, version)
            update_index([str(corpus)], settings, embedder, progress=False)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert failures == [] and reads["store"] >= 30 and reads["pipeline"] >= 5, (failures[:3], reads)


def _reads_during_cli_ingests(cli_env, settings, embedder, tmp_path, ingests: int):
    """`cli.py ingest` subprocesses, each changing or adding one article, while `cli.py ask` subprocesses and
    in-process loads (FaissStore, QAPipeline) read the same index in a loop: no read may fail."""
    corpus = tmp_path / "corpus"
    for number in range(5):
        write_article(corpus, number)
    update_index([str(corpus)], settings, embedder, progress=False)
    failures, reads, done = [], Counter(), threading.Event()

    def ask_cli():
        while not done.is_set():
            result = cli_process(cli_env, "ask", QUESTION, "--json")
            if result.returncode != 0 or not json.loads(result.stdout)["hits"]:
                failures.append(f"cli: {result.stderr.strip()}")
            reads["cli"] += 1

    def load_in_process():
        while not done.is_set():
            try:
                assert open_store(settings, embedder).count > 0
                assert QAPipeline(settings, embedder=embedder).ask(QUESTION).hits
            except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
                failures.append(f"in-process: {exc!r}")
            reads["in-process"] += 1
            time.sleep(0.01)  # leave the ingests some of the shared cores

    readers = [threading.Thread(target=ask_cli), threading.Thread(target=load_in_process)]
    for reader in readers:
        reader.start()
    try:
        for version in range(1, ingests + 1):
            write_article(corpus, 5 + version if version % 2 else version % 5, version)
            result = cli_process(cli_env, "ingest", corpus)
            assert result.returncode == 0, result.stderr
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert failures == [], failures[:3]
    assert reads["cli"] >= ingests // 3 and reads["in-process"] >= ingests, reads
    write_article(corpus, 0, version=ingests + 1)
    update_index([str(corpus)], settings, embedder, progress=False)
    assert_tidy(settings.index_dir)  # generations readers held while being opened go with the next save


def test_reads_never_fail_during_cli_ingests(cli_env, settings, embedder, tmp_path):
    _reads_during_cli_ingests(cli_env, settings, embedder, tmp_path, ingests=3)


@pytest.mark.slow
def test_reads_never_fail_during_25_cli_ingests(cli_env, settings, embedder, tmp_path):
    _reads_during_cli_ingests(cli_env, settings, embedder, tmp_path, ingests=25)


# ---- crashes -----------------------------------------------------------------------------------------------------

class _Crash(BaseException):
    """Stands for the process dying: BaseException, so no handler in the code under test catches it."""


SAVE_STEPS = ("_write_json", "_sync", "_fsync_dir", "_write_atomically", "_remove_unless_opened")


def _crash_at_step(monkeypatch, crash_at: int | None) -> Counter:
    """Count the steps of saving (file writes, syncs, renames, removals); raise _Crash at step `crash_at`."""
    steps = Counter()
    for name in SAVE_STEPS:
        original = getattr(store_module, name)

        def step(*args, _original=original, **kwargs):
            steps["all"] += 1
            if steps["all"] == crash_at:
                raise _Crash
            return _original(*args, **kwargs)

        monkeypatch.setattr(store_module, name, step)
    return steps


def test_a_crash_at_every_step_of_a_save_leaves_an_index_that_answers(corpus, settings, embedder, monkeypatch):
    write_article(corpus, 3)
    steps = _crash_at_step(monkeypatch, crash_at=None)
    update_index([str(corpus)], settings, embedder, progress=False)
    monkeypatch.undo()
    assert steps["all"] >= 10
    for crash_at in range(1, steps["all"] + 1):
        write_article(corpus, 10 + crash_at)
        before = set(open_store(settings, embedder).documents)
        _crash_at_step(monkeypatch, crash_at)
        with pytest.raises(_Crash):
            update_index([str(corpus)], settings, embedder, progress=False)
        monkeypatch.undo()
        assert before <= set(assert_answers(settings, embedder).documents), crash_at
    write_article(corpus, 3, version=1)
    report = update_index([str(corpus)], settings, embedder, progress=False)
    assert report.total_documents == len(list(corpus.iterdir()))
    assert_tidy(settings.index_dir)


def _start_ingest(cli_env, corpus):
    """A `cli.py ingest` subprocess, returned once it has loaded the index and begun reading the corpus: the kill
    points then fall in the work that matters, not in Python's start-up."""
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest", str(corpus)], env=cli_env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    while b"Reading" not in seen:
        output = os.read(process.stderr.fileno(), 4096)
        assert output, f"the ingest ended before reading: {seen.decode(errors='replace')}"
        seen += output
    return process


def _wait(process) -> int:
    returncode = process.wait()
    process.stderr.close()
    return returncode


def _kill_9_during_ingests(cli_env, settings, embedder, tmp_path, kills: int):
    corpus = tmp_path / "corpus"
    for number in range(10):
        write_article(corpus, number)
    update_index([str(corpus)], settings, embedder, progress=False)
    write_article(corpus, 10)
    process = _start_ingest(cli_env, corpus)
    started = time.monotonic()
    assert _wait(process) == 0
    work = time.monotonic() - started  # reading, embedding, saving: where the kill points go
    rng, killed, published = random.Random(9), 0, 0
    for attempt in range(1, 3 * kills):
        write_article(corpus, 10 + attempt)  # something new to save every time
        write_article(corpus, attempt % 10, attempt)
        before, current = set(open_store(settings, embedder).documents), (settings.index_dir / "CURRENT").read_text()
        process = _start_ingest(cli_env, corpus)
        time.sleep(rng.uniform(0, 1.2 * work))
        process.kill()
        killed += _wait(process) == -signal.SIGKILL
        published += (settings.index_dir / "CURRENT").read_text() != current
        assert before <= set(assert_answers(settings, embedder).documents), attempt
        if killed == kills:
            break
    assert killed == kills and published < attempt, (killed, published, attempt)
    final = update_index([str(corpus)], settings, embedder, progress=False)
    assert not final.failed and final.total_documents == len(list(corpus.iterdir()))
    assert_tidy(settings.index_dir)


def test_kill_9_at_random_points_of_ingests_never_breaks_the_index(cli_env, settings, embedder, tmp_path):
    _kill_9_during_ingests(cli_env, settings, embedder, tmp_path, kills=8)


@pytest.mark.slow
def test_kill_9_at_50_random_points_of_ingests_never_breaks_the_index(cli_env, settings, embedder, tmp_path):
    _kill_9_during_ingests(cli_env, settings, embedder, tmp_path, kills=50)


# ---- a damaged CURRENT or a lost generation ----------------------------------------------------------------------

def test_an_emptied_current_is_refused_and_the_ingest_deletes_nothing(run_cli, tmp_path):
    """`: > idx/CURRENT`, then an ingest: the old code printed "1 added … 1 articles" and deleted gen-000001."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    for number in range(3):
        write_article(corpus, number)
    assert run_cli("ingest", corpus).returncode == 0
    kept = generation_files(index_dir)
    (index_dir / "CURRENT").write_text("")
    write_article(tmp_path / "more", 7)
    error = one_line_error(run_cli("ingest", tmp_path / "more"))
    assert error == (f"error: the index at {index_dir} is damaged: {index_dir}/CURRENT is empty; restore it with: "
                     f"echo gen-000001 > {index_dir}/CURRENT, or rebuild it with: python cli.py ingest SOURCES "
                     f"--index {index_dir} --rebuild")
    assert generation_files(index_dir) == kept
    assert one_line_error(run_cli("ask", QUESTION)) == error
    restore = error.split("restore it with: ")[1].split(", or ")[0]
    subprocess.run(restore, shell=True, check=True)
    assert json.loads(run_cli("ask", QUESTION, "--json").stdout)["hits"]


def _incomplete_generation(index_dir):
    (index_dir / "gen-000009").mkdir()  # a folder, but no manifest: never a published generation
    (index_dir / "CURRENT").write_text("gen-000009")


def _outside_generation(index_dir):
    shutil.copytree(live_generation(index_dir), index_dir.parent / "elsewhere")
    (index_dir / "CURRENT").write_text("../elsewhere")


def _current_is_a_folder(index_dir):
    (index_dir / "CURRENT").unlink()
    (index_dir / "CURRENT").mkdir()


def _lost_manifest(index_dir):
    (live_generation(index_dir) / "manifest.json").unlink()


CURRENT_DAMAGE = {
    "empty": (lambda d: (d / "CURRENT").write_text(""), "is empty"),
    "garbage": (lambda d: (d / "CURRENT").write_text("latest please"), "does not name a generation ('latest please')"),
    "binary": (lambda d: (d / "CURRENT").write_bytes(bytes(range(256))), "does not name a generation"),
    "a staging folder": (lambda d: (d / "CURRENT").write_text("gen-000002.tmp"), "does not name a generation"),
    "a path outside": (_outside_generation, "does not name a generation ('../elsewhere')"),
    "a missing generation": (lambda d: (d / "CURRENT").write_text("gen-000009"),
                             "names gen-000009, which is missing or incomplete"),
    "an incomplete generation": (_incomplete_generation, "names gen-000009, which is missing or incomplete"),
    "a generation without manifest": (_lost_manifest, "names gen-000001, which is missing or incomplete"),
    "deleted": (lambda d: (d / "CURRENT").unlink(), "is missing"),
    "a folder": (_current_is_a_folder, "cannot be read (Is a directory)"),
}


@pytest.mark.parametrize("damage", CURRENT_DAMAGE)
def test_a_damaged_current_is_refused_by_readers_and_writers_alike(damage, corpus, settings, embedder, tmp_path):
    index_dir = settings.index_dir
    damage_index, problem = CURRENT_DAMAGE[damage]
    damage_index(index_dir)
    kept = generation_files(index_dir)
    for attempt in (lambda: open_store(settings, embedder),
                    lambda: update_index([str(corpus)], settings, embedder, prune=True, progress=False),
                    lambda: QAPipeline(settings, embedder=embedder).ask(QUESTION)):
        with pytest.raises(UserError) as error:
            attempt()
        message = str(error.value)
        assert f"{index_dir}/CURRENT {problem}" in message and "\n" not in message
        assert message.endswith(f"rebuild it with: python cli.py ingest SOURCES --index {index_dir} --rebuild")
    assert generation_files(index_dir) == kept, "nothing deleted, nothing written"
    restorable = damage != "a generation without manifest"
    assert ("restore it with: echo gen-000001 > " in message) == restorable


def test_a_rebuild_of_a_damaged_index_keeps_the_old_generation_until_the_new_one_is_complete(
        corpus, settings, embedder, monkeypatch):
    import faiss

    (settings.index_dir / "CURRENT").write_text("")
    kept = generation_files(settings.index_dir)

    def disk_full(*args):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(OSError):
        update_index([str(corpus)], settings, embedder, rebuild=True, progress=False)
    monkeypatch.undo()
    assert {k: v for k, v in generation_files(settings.index_dir).items() if k.startswith("gen-000001/")} == kept
    report = update_index([str(corpus)], settings, embedder, rebuild=True, progress=False)
    assert report.total_documents == 3 and len(assert_answers(settings, embedder).documents) == 3
    assert_tidy(settings.index_dir)


# ---- tampered generation files -----------------------------------------------------------------------------------

def _edit_json(name, change):
    """A tamper that loads one JSON file of the live generation, changes it in place and writes it back."""
    def tamper(generation):
        payload = json.loads((generation / name).read_text())
        change(payload)
        (generation / name).write_text(json.dumps(payload))
    return tamper


def _write(name, content):
    def tamper(generation):
        path = generation / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return tamper


def _faiss_file(make_index):
    def tamper(generation):
        import faiss
        vectors = np.load(generation / "vectors.npy")
        faiss.write_index(make_index(faiss, vectors), str(generation / "index.faiss"))
    return tamper


def _ivf(faiss, vectors):
    index = faiss.index_factory(vectors.shape[1], "IVF1,Flat", faiss.METRIC_INNER_PRODUCT)
    index.train(np.tile(vectors, (10, 1)))
    index.add(vectors)
    return index


def _flat(faiss, vectors, dimension=None, metric="IP"):
    vectors = np.ascontiguousarray(vectors[:, :dimension])
    index = (faiss.IndexFlatIP if metric == "IP" else faiss.IndexFlatL2)(vectors.shape[1])
    index.add(vectors)
    return index


def _drop_documents(manifest_too):
    def tamper(generation):
        _write("documents.json", "[]")(generation)
        if manifest_too:
            _edit_json("manifest.json", lambda m: m.update(documents=0))(generation)
    return tamper


def _twin_document(generation):
    _edit_json("documents.json", lambda docs: docs.append(dict(docs[0])))(generation)
    _edit_json("manifest.json", lambda m: m.update(documents=m["documents"] + 1))(generation)


def _vectors(change):
    def tamper(generation):
        np.save(generation / "vectors.npy", change(np.load(generation / "vectors.npy")))
    return tamper


def _first(key, value):
    return lambda records: records[0].update({key: value})


DEEP = "[" * 100_000 + "]" * 100_000
TAMPERS = {  # name: (tamper, the file the refusal names, a piece of its reason)
    "manifest says ivf, file is flat": (
        _edit_json("manifest.json", lambda m: m.update(index_type="ivf", index_params={"nlist": 1, "nprobe": 1})),
        "index.faiss", "holds a IndexFlatIP where the manifest says ivf"),
    "manifest says flat, file is ivf": (_faiss_file(_ivf), "index.faiss", "holds a IndexIVFFlat"),
    "index of another dimension": (_faiss_file(lambda f, v: _flat(f, v, 16)), "index.faiss", "dimension 16"),
    "index by L2 distance": (_faiss_file(lambda f, v: _flat(f, v, metric="L2")), "index.faiss", "IndexFlatL2"),
    "index missing a vector": (_faiss_file(lambda f, v: _flat(f, v[1:])), "index.faiss", "holds 6 vectors"),
    "unknown index type": (_edit_json("manifest.json", lambda m: m.update(index_type="hnsw")),
                           "manifest.json", "index_type 'hnsw'"),
    "ivf parameters not numbers": (
        _edit_json("manifest.json", lambda m: m.update(index_type="ivf", index_params={"nlist": "1", "nprobe": 1})),
        "manifest.json", "is not an index this program builds"),
    "counts not numbers": (_edit_json("manifest.json", lambda m: m.update(chunks="7")), "manifest.json", "not counts"),
    "manifest not an object": (_write("manifest.json", "[1, 2]"), "manifest.json", "not a JSON object"),
    "manifest nested deeply": (_write("manifest.json", DEEP), "manifest.json", "JSON nested too deeply"),
    "chunk count differs": (_edit_json("manifest.json", lambda m: m.update(chunks=6)), "chunks.json",
                            "7 records where the manifest says 6"),
    "unknown document field": (_edit_json("documents.json", _first("owner", "mallory")), "documents.json",
                               "record 1 has an unknown field 'owner'"),
    "document without hash": (_edit_json("documents.json", lambda docs: docs[0].pop("hash")), "documents.json",
                              "record 1 lacks the field 'hash'"),
    "documents nested deeply": (_write("documents.json", DEEP), "documents.json", "JSON nested too deeply"),
    "documents not UTF-8": (_write("documents.json", b'[{"id": "\xff\xfe"}]'), "documents.json", "can't decode"),
    "a number too long to read": (_write("documents.json", "[" + "9" * 5000 + "]"), "documents.json", "digits"),
    "documents not a list": (_write("documents.json", '{"id": "x"}'), "documents.json", "not a JSON list"),
    "document not an object": (_write("documents.json", '["x"]'), "documents.json", "record 1 is not a JSON object"),
    "document id a number": (_edit_json("documents.json", _first("id", 5)), "documents.json",
                             "record 1 has id of type int, not str"),
    "metadata a list": (_edit_json("documents.json", _first("metadata", [])), "documents.json",
                        "has metadata of type list"),
    "metadata not text": (_edit_json("documents.json", _first("metadata", {"author": ["x"]})), "documents.json",
                          "has metadata that is not text"),
    "block past the text": (_edit_json("documents.json", _first("blocks", [[0, 10 ** 9, "paragraph", ""]])),
                            "documents.json", "has a malformed block [0, 1000000000, 'paragraph', '']"),
    "block of strings": (_edit_json("documents.json", _first("blocks", [["0", "5", "paragraph", ""]])),
                         "documents.json", "malformed block"),
    "documents emptied": (_drop_documents(manifest_too=False), "documents.json", "0 records where the manifest says 1"),
    "documents and manifest emptied": (_drop_documents(manifest_too=True), "chunks.json",
                                       "belongs to document 'khalilzad-on-iskp-ttp-and-pakistan', which documents"),
    "two documents with one id": (_twin_document, "documents.json", "two records share an id"),
    "chunk text forged": (_edit_json("chunks.json", _first("text", "Forged quote.")), "chunks.json",
                          "differs from its document's text"),
    "chunk offset negative": (_edit_json("chunks.json", _first("start", -5)), "chunks.json", "differs"),
    "chunk index a boolean": (_edit_json("chunks.json", _first("index", True)), "chunks.json",
                              "has index of type bool, not int"),
    "chunk end NaN": (_edit_json("chunks.json", _first("end", float("nan"))), "chunks.json", "of type float"),
    "two chunks with one id": (_edit_json("chunks.json", lambda c: c[1].update(id=c[0]["id"])), "chunks.json",
                               "two records share an id"),
    "chunk field with a newline": (_edit_json("chunks.json", _first("evil\nline", 1)), "chunks.json",
                                   "unknown field 'evil\\nline'"),
    "chunks deleted": (lambda g: (g / "chunks.json").unlink(), "chunks.json", "No such file"),
    "vectors float64": (_vectors(lambda v: v.astype(np.float64)), "vectors.npy", "holds float64 (7, 512)"),
    "vectors missing a row": (_vectors(lambda v: v[1:]), "vectors.npy", "(6, 512), expected float32 (7, 512)"),
    "vectors flat": (_vectors(lambda v: v.ravel()), "vectors.npy", "(3584,)"),
    "vectors deleted": (lambda g: (g / "vectors.npy").unlink(), "vectors.npy", "No such file"),
}


@pytest.fixture
def sample_index(indexed):
    return live_generation(indexed.index_dir)


@pytest.mark.parametrize("tamper", TAMPERS)
def test_a_tampered_generation_is_refused_in_one_line_naming_the_file(tamper, sample_index, settings, embedder,
                                                                       tmp_path):
    change, name, reason = TAMPERS[tamper]
    change(sample_index)
    kept = generation_files(settings.index_dir)
    write_article(tmp_path / "more", 1)
    for attempt in (lambda: open_store(settings, embedder),
                    lambda: update_index([str(tmp_path / "more")], settings, embedder, progress=False)):
        with pytest.raises(UserError) as error:
            attempt()
        message = str(error.value)
        assert message.startswith(f"cannot read {sample_index / name}: ") and reason in message, message
        assert "\n" not in message and len(message) < 500
        assert message.endswith(f"; rebuild the index with: python cli.py ingest SOURCES --index "
                                f"{settings.index_dir} --rebuild")
    assert generation_files(settings.index_dir) == kept, "the ingest saved nothing over it"
    report = update_index([str(tmp_path / "more")], settings, embedder, rebuild=True, progress=False)
    assert report.added == ["more"] or report.added == ["article-001"]
    assert_tidy(settings.index_dir)


@pytest.mark.parametrize("tamper", ["manifest says ivf, file is flat", "unknown document field",
                                    "document without hash", "documents nested deeply", "documents not UTF-8",
                                    "documents and manifest emptied"])
def test_the_cli_refuses_a_tampered_index_in_one_line_and_never_saves_over_it(tamper, run_cli, tmp_path):
    """The issue's reproductions, as a user runs them: each gave a traceback, and an emptied documents.json plus
    an ingest saved orphan chunks after which every ask failed with KeyError."""
    index_dir = tmp_path / "index"
    assert run_cli("ingest", SAMPLE_ARTICLE).returncode == 0
    change, name, reason = TAMPERS[tamper]
    change(live_generation(index_dir))
    kept = generation_files(index_dir)
    write_article(tmp_path / "more", 1)
    error = one_line_error(run_cli("ingest", tmp_path / "more"))
    assert error.startswith(f"error: cannot read {live_generation(index_dir) / name}: ") and reason in error
    assert generation_files(index_dir) == kept
    assert one_line_error(run_cli("ask", QUESTION)) == error


# ---- and nothing inconsistent is ever written --------------------------------------------------------------------

def _tiny_store(embedder, chunk_doc_id="a", vector_rows=1):
    store = FaissStore({"embed_model": "hashing", "dimension": embedder.dimension, "chunk_tokens": 200,
                        "chunk_overlap": 40, "embed_title": True})
    document = Document(id="a", title="A", source="a.txt", text="River dam.")
    chunk = Chunk(id=f"{chunk_doc_id}#0", doc_id=chunk_doc_id, index=0, text="River dam.", start=0, end=10)
    store.add([(document, "hash-a", [chunk], embedder.embed_documents(["River dam."] * vector_rows), ["key"])])
    return store


@pytest.mark.parametrize("defect, problem", [
    ({"chunk_doc_id": "ghost"}, "chunk 'ghost#0' belongs to no document"),
    ({"vector_rows": 2}, "1 chunks, 1 embed keys, vectors (2, 512)"),
])
def test_an_inconsistent_store_is_never_saved(defect, problem, sample_index, settings, embedder):
    kept = generation_files(settings.index_dir)
    with pytest.raises(UserError) as error:
        _tiny_store(embedder, **defect).save(settings.index_dir)
    assert str(error.value) == f"refusing to save an inconsistent index to {settings.index_dir} ({problem}); the " \
                               f"index there is unchanged"
    assert generation_files(settings.index_dir) == kept and sorted(settings.index_dir.glob("gen-*")) == [sample_index]
    _tiny_store(embedder).save(settings.index_dir)
    assert list(open_store(settings, embedder).documents) == ["a"]


def test_record_fields_follow_the_schema():
    """A field added to Document or Chunk is written by save() and so must be expected by load()."""
    assert set(store_module.DOCUMENT_FIELDS) == set(Document.__dataclass_fields__) | {"hash"}
    assert set(store_module.CHUNK_FIELDS) == set(Chunk.__dataclass_fields__) | {"embed_key"}


def test_generations_a_killed_save_left_behind_are_removed_by_the_next_ingest_even_with_nothing_new(run_cli, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_article(corpus, 0)
    assert run_cli("ingest", corpus).returncode == 0
    live = live_generation(index_dir)
    shutil.copytree(live, index_dir / "gen-000000.removing")  # killed halfway through removing an old generation
    shutil.copytree(live, index_dir / "gen-000000")  # killed before renaming it away
    result = run_cli("ingest", corpus)
    assert result.returncode == 0 and "0 added" in result.stdout, result.stdout
    assert_tidy(index_dir)
