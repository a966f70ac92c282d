"""The app under hostile use (issue 11): uploads never replace an article, a stalled LLM holds up nobody and ends
at its deadline, k is capped, no server path is shown, and an index written by `cli.py ingest` is picked up."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

import qa.collection
from fakes import ScriptedGenerator, StalledGenerator, wait_for_llm_threads
from helpers import ROOT, SAMPLE_ARTICLE
from index.build import update_index
from qa.generators import LlmBusy, LlmLane, LlmTimedOut
from qa.pipeline import QAPipeline
from settings import Settings
from ui.chat import AskOptions, respond
from ui.library import hide_paths, uploads_dir

QUESTION = "What does the author say about Bagram?"
SAMPLE_ID = "khalilzad-on-iskp-ttp-and-pakistan"
QUOKKAS = "Quokkas\n\nQuokkas live on Rottnest Island. Quokkas eat leaves, grasses and stems of shrubs.\n"


def quoted_because(reason: str) -> str:
    return f" ({reason}, so this answer quotes the articles.)"


@pytest.fixture
def stalled():
    generator = StalledGenerator()
    yield generator
    generator.release.set()
    wait_for_llm_threads()


# ---- defect 5: an upload never replaces an article ------------------------------------------------------------

def test_an_upload_named_like_a_curated_article_is_added_beside_it(library, tmp_path):
    curated = library.documents()[SAMPLE_ID]
    forged = tmp_path / "incoming" / SAMPLE_ARTICLE.name
    forged.parent.mkdir()
    forged.write_text("Khalilzad on ISKP\n\nThe author says Bagram was sold to the highest bidder.")
    assert library.add_uploads([str(forged)]) == [
        f"Added: {SAMPLE_ARTICLE.name} as a new article '{SAMPLE_ID}-2': uploads never replace the article "
        f"'{SAMPLE_ID}' (the operator's `cli.py ingest` does)"]
    documents = library.documents()
    assert documents[SAMPLE_ID].text == curated.text and documents[SAMPLE_ID].source == curated.source
    assert "highest bidder" in documents[f"{SAMPLE_ID}-2"].text


def test_uploads_of_one_name_at_different_times_are_all_kept(library, tmp_path):
    versions = []
    for number, name in enumerate(["notes.md", "notes.md", "Notes.md"], 1):
        upload = tmp_path / f"upload-{number}" / name
        upload.parent.mkdir()
        upload.write_text(f"# Notes {number}\n\nThe convoy number {number} left Kabul at dawn.")
        versions.append(library.add_uploads([str(upload)])[0])
    assert versions[0] == "Added: notes.md" and "notes.md as a new article 'notes-2'" in versions[1]
    assert "Notes.md as a new article 'notes-3'" in versions[2], "Notes.md has the id notes too"
    kept = {path.name: path.read_text() for path in uploads_dir(library.settings).iterdir()}
    assert kept == {"notes.md": "# Notes 1\n\nThe convoy number 1 left Kabul at dawn.",
                    "notes-2.md": "# Notes 2\n\nThe convoy number 2 left Kabul at dawn.",
                    "Notes-3.md": "# Notes 3\n\nThe convoy number 3 left Kabul at dawn."}
    assert {"Notes 1", "Notes 2", "Notes 3"} <= {a.title for a in library.articles()}


# ---- defect 7: an LLM answer in its own lane, with a deadline ---------------------------------------------------

def test_the_llm_lane_ends_streams_at_their_deadline_and_frees_a_slot_only_when_its_thread_ends(stalled):
    lane = LlmLane(1)
    started = time.monotonic()
    pieces = []
    with pytest.raises(LlmTimedOut):
        for piece in lane.stream(stalled, [], 10, deadline=time.monotonic() + 0.3):
            pieces.append(piece)
    assert pieces == ["Bagram is "] and 0.3 <= time.monotonic() - started < 1.5
    with pytest.raises(LlmBusy):  # the stalled thread still holds the one slot: no waiting behind it
        next(lane.stream(ScriptedGenerator("never asked"), [], 10, deadline=time.monotonic() + 5))
    stalled.release.set()
    wait_for_llm_threads()
    assert "".join(lane.stream(ScriptedGenerator("Freed again."), [], 10, time.monotonic() + 5)) == "Freed again."


def test_an_endless_llm_stream_ends_at_the_deadline():
    class Endless:
        name = "endless"

        def stream(self, messages, max_tokens):
            while True:
                time.sleep(0.001)
                yield "more "

    started = time.monotonic()
    with pytest.raises(LlmTimedOut):
        for _ in LlmLane(1).stream(Endless(), [], 10, deadline=time.monotonic() + 0.3):
            pass
    assert time.monotonic() - started < 1.5


def test_offline_answers_do_not_wait_for_a_stalled_llm_which_is_quoted_at_its_deadline(indexed, embedder, stalled):
    pipeline = QAPipeline(indexed, embedder=embedder, generator=stalled, llm_deadline_s=1.5, llm_lanes=1)
    result = {}

    def ask_the_llm():
        started = time.monotonic()
        result["answer"] = pipeline.ask(QUESTION, mode="llm")
        result["seconds"] = time.monotonic() - started

    writing = threading.Thread(target=ask_the_llm)
    writing.start()
    assert stalled.started.wait(10)
    offline = pipeline.ask(QUESTION, mode="offline")
    second_llm = pipeline.ask(QUESTION, mode="llm")  # the lane's one slot is taken: quoted at once
    assert writing.is_alive(), "both were answered while the LLM was still writing"
    writing.join(10)
    assert offline.answered and offline.citations
    assert second_llm.text == offline.text + quoted_because("The LLM is busy with other questions")
    assert result["answer"].text == offline.text + quoted_because("The LLM did not answer within 1.5 s")
    assert result["answer"].citations == offline.citations
    assert 1.5 <= result["seconds"] < 3.5


def test_a_follow_up_whose_rewrite_stalls_is_quoted_at_the_deadline(indexed, embedder, stalled):
    pipeline = QAPipeline(indexed, embedder=embedder, generator=stalled, llm_deadline_s=1)
    history = [{"role": "user", "content": "Who is Khalilzad?"}, {"role": "assistant", "content": "An envoy."}]
    started = time.monotonic()
    answer = pipeline.ask(QUESTION, history=history, mode="llm")
    assert time.monotonic() - started < 3
    assert answer.citations and answer.text.endswith(quoted_because("The LLM did not answer within 1 s"))


# ---- defect 12: an index written by another process is picked up, and only then reopened -----------------------

def test_the_index_is_reopened_only_when_current_names_a_new_generation(indexed, embedder, monkeypatch, tmp_path):
    opened = []
    real_open = qa.collection.open_store
    monkeypatch.setattr(qa.collection, "open_store", lambda *args: opened.append(args) or real_open(*args))
    pipeline = QAPipeline(indexed, embedder=embedder)
    pipeline.ask(QUESTION)
    pipeline.ask(QUESTION)
    pipeline.collection.articles()
    assert len(opened) == 1, "an unchanged index is not reloaded per question"
    (tmp_path / "quokkas.txt").write_text(QUOKKAS)
    update_index([str(tmp_path / "quokkas.txt")], indexed, embedder, progress=False)  # another writer
    assert "quokkas" in {article.id for article in pipeline.collection.articles()} and len(opened) == 2


# ---- the app on loopback ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import app
    from bench.screenshot import free_port
    from index.embedders import HashingEmbedder

    root = tmp_path_factory.mktemp("served")
    settings = Settings(index_dir=root / "data" / "index", articles_dir=root / "data" / "articles",
                        embed_model="hashing")
    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    generator = StalledGenerator()
    pipeline = QAPipeline(settings, embedder=HashingEmbedder(), generator=generator, llm_deadline_s=3, llm_lanes=1)
    chat_app = app.ChatApp(pipeline)
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield SimpleNamespace(url=chat_app.demo.local_url, settings=settings, root=root, library=chat_app.library,
                          pipeline=pipeline, generator=generator)
    generator.release.set()
    chat_app.demo.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served.url, verbose=False, analytics_enabled=False, download_files=False)


@pytest.fixture
def served_stalled(served):
    served.generator.started, served.generator.release = threading.Event(), threading.Event()
    yield served.generator
    served.generator.release.set()
    wait_for_llm_threads()


def test_offline_ask_is_answered_while_a_stalled_llm_writes_and_the_llm_ends_at_its_deadline(client, served_stalled):
    started = time.monotonic()
    writing = client.submit(QUESTION, 5, "llm", api_name="/ask")
    assert served_stalled.started.wait(60)
    offline = client.predict(QUESTION, 5, "offline", api_name="/ask")
    assert not writing.done(), "the offline answer came while the LLM was still writing"
    llm = writing.result(timeout=30)
    assert offline["answered"] and llm["answer"] == offline["answer"] + quoted_because(
        "The LLM did not answer within 3 s")
    assert 3 <= time.monotonic() - started < 8


def test_ask_caps_k_at_the_sliders_limit(client):
    for k in (10**6, 21, 0, 2.5):
        with pytest.raises(Exception, match=r"k must be a whole number from 1 to 20, not ") as error:
            client.predict(QUESTION, k, api_name="/ask")
        assert "\n" not in str(error.value).strip()
    assert len(client.predict(QUESTION, 20, api_name="/ask")["hits"]) == 7, "every chunk of the one article"


def test_sources_are_shown_relative_to_the_articles_folder_never_as_server_paths(client, served, tmp_path):
    payload = client.predict(QUESTION, 5, api_name="/ask")
    assert payload["citations"] and {c["source"] for c in payload["citations"]} == {SAMPLE_ARTICLE.name}
    upload = tmp_path / "Field notes.md"
    upload.write_text("# Field notes\n\nThe convoy left Kabul at dawn.")
    served.library.add_uploads([str(upload)])
    listing = client.predict(api_name="/articles")
    assert {(a["id"], a["source"]) for a in listing} >= {(SAMPLE_ID, SAMPLE_ARTICLE.name),
                                                          ("field-notes", "uploads/Field_notes.md")}
    for shown in (payload, listing, served.library.status()):
        assert str(served.root) not in json.dumps(shown) and str(ROOT) not in json.dumps(shown)


def test_errors_show_no_server_paths(client, served):
    client.predict(QUESTION, 5, api_name="/ask")  # the first question builds the index
    current = served.settings.index_dir / "CURRENT"
    os.rename(current, current.with_name("CURRENT.away"))  # the index is damaged: the error names its folder
    try:
        with pytest.raises(Exception, match="index at .* is damaged") as error:
            client.predict(QUESTION, 5, api_name="/ask")
        turns = list(respond(served.pipeline, QUESTION, [], AskOptions()))[-1]
    finally:
        os.rename(current.with_name("CURRENT.away"), current)
    for message in (str(error.value), turns[-1].error):
        assert "index" in message and str(served.root) not in message and " /" not in message, message
    assert client.predict(QUESTION, 5, api_name="/ask")["answered"], "answers again once the index is back"


def test_hide_paths_keeps_urls_and_relative_paths():
    settings = Settings(index_dir=ROOT / "data" / "index", articles_dir=ROOT / "data" / "articles")
    message = (f"cannot read {ROOT}/data/index/gen-000073/vectors.npy: see /srv/other/place/x.txt, "
               "http://127.0.0.1:8080/v1 and data/index and 1 / 2")
    assert hide_paths(message, settings) == ("cannot read data/index/gen-000073/vectors.npy: see x.txt, "
                                             "http://127.0.0.1:8080/v1 and data/index and 1 / 2")


def test_an_index_written_by_cli_ingest_is_answered_from_without_an_upload(client, served, tmp_path, cli_env):
    article = tmp_path / "quokkas.txt"
    article.write_text(QUOKKAS)
    env = {**cli_env, "RAGQA_INDEX_DIR": str(served.settings.index_dir)}
    done = subprocess.run([sys.executable, "cli.py", "ingest", str(article)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ("quokkas", "quokkas.txt") in {(a["id"], a["source"]) for a in client.predict(api_name="/articles")}
    payload = client.predict("What do quokkas eat?", 5, api_name="/ask")
    assert payload["answered"] and payload["citations"][0]["doc_id"] == "quokkas"
