"""The Articles tab as a new user met it: same-named articles told apart, uploads kept with their index, result
lines in plain words, a delete that asks first. The app's own functions, with the hashing embedder."""
import re
from pathlib import Path

import pytest

from helpers import SAMPLE_ARTICLE
from qa.collection import Collection
from qa.pipeline import QAPipeline
from ui.library import Library, shown_source
from ui.render import articles_rows

SAMPLE_ID = "khalilzad-on-iskp-ttp-and-pakistan"
EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]")  # symbols and emoji, and their emoji selector


@pytest.fixture
def chat_app(library):
    import app

    chat_app = app.ChatApp(QAPipeline(library.settings, embedder=library.collection.embedder))
    chat_app.library = library
    return chat_app


def test_same_named_articles_show_their_path_below_the_ingested_folder_and_pickers_tell_them_apart(
        library, chat_app, tmp_path):
    source = tmp_path / "src"  # ingested by `cli.py ingest src`, outside the articles folder
    for part in ("a", "b"):
        (source / "dup" / part).mkdir(parents=True)
        (source / "dup" / part / "README.md").write_text(f"# Read me\n\nThe {part} tool builds the {part} project.\n")
    (tmp_path / "alone.txt").write_text("Alone\n\nA file ingested on its own is shown by its name.\n")
    library.collection.add([str(source), str(tmp_path / "alone.txt")])

    rows = {row[4]: row for row in articles_rows(library.articles())}
    assert {"dup/a/README.md", "dup/b/README.md", "alone.txt", SAMPLE_ARTICLE.name} == set(rows)
    labels = dict((value, label) for label, value in chat_app.delete_choices()[0].choices)
    assert labels["dup/a/readme"] == "Read me (dup/a/readme)" and labels["dup/b/readme"] == "Read me (dup/b/readme)"
    assert labels["alone"] == "Alone", "a title no other article has is shown alone"


def test_a_source_is_shown_below_its_ingested_folder_only_when_its_id_is_that_path():
    settings = type("S", (), {"articles_dir": "/srv/articles", "index_dir": "/srv/index"})()
    assert shown_source("/tmp/src/dup/a/README.md", settings, "dup/a/readme") == "dup/a/README.md"
    assert shown_source("/tmp/src/My Notes/Q&A.md", settings, "my-notes/q-a") == "My Notes/Q&A.md"
    assert shown_source("/tmp/src/records.jsonl", settings, "x/record-7") == "records.jsonl", "a record's own id"
    assert shown_source("/srv/articles/howto/logging.md", settings, "howto/logging") == "howto/logging.md"
    assert shown_source("https://example.org/a/b", settings, "b") == "https://example.org/a/b"
    assert shown_source("/a.txt", settings, "x/y/a") == "a.txt", "never more parts than the path has"


def test_each_index_keeps_its_uploads_in_its_own_folder(settings, embedder, tmp_path):
    from dataclasses import replace

    (tmp_path / "notes.md").write_text("# Kabul notes\n\nThe embassy in Kabul reopened under guard.\n")
    for index in ("idx", "idx2"):  # two indexes in one parent folder
        library = Library(Collection(replace(settings, index_dir=tmp_path / index), embedder))
        [added] = library.add_uploads([str(tmp_path / "notes.md")])
        assert "notes.md" in added and "added" in added.lower()
        assert (tmp_path / index / "uploads" / "notes.md").is_file()
        assert [a.source for a in library.articles()] == ["uploads/notes.md"]
    assert not (tmp_path / "uploads").exists(), "no uploads folder shared by the indexes beside it"


def test_an_index_whose_uploads_are_in_the_old_folder_still_shows_and_deletes_them(library, tmp_path):
    old = tmp_path / "uploads"  # beside the index folder, where uploads went before
    old.mkdir()
    (old / "onion.txt").write_text("Onion prices double\n\nOnion prices doubled after the floods in the valley.\n")
    library.collection.add([str(old / "onion.txt")])  # as the app then indexed an upload
    assert {a.id: a.source for a in library.articles()}["onion"] == "uploads/onion.txt"
    library.delete_article("onion")
    assert not (old / "onion.txt").exists(), "its copy goes with it, as before"
    assert (library.settings.articles_dir / SAMPLE_ARTICLE.name).exists()


def test_uploads_are_listed_first_newest_first_so_the_table_shows_what_was_just_added(library, tmp_path):
    import os

    (tmp_path / "dams.txt").write_text("Dams\n\nThe river dams overflowed after the rain.\n")
    (tmp_path / "roads.txt").write_text("Roads\n\nThe mountain roads reopened in spring.\n")
    library.add_uploads([str(tmp_path / "dams.txt")])
    uploads = library.settings.index_dir / "uploads"
    os.utime(uploads / "dams.txt", ns=(1, 1))  # uploaded long ago
    library.add_uploads([str(tmp_path / "roads.txt")])
    assert [a.title for a in library.articles()] == ["Roads", "Dams", "Khalilzad on ISKP, TTP, and Pakistan"]
    os.utime(uploads / "dams.txt")  # its copy's time is when it was added
    assert [a.title for a in library.articles()][:2] == ["Dams", "Roads"]


def test_upload_results_are_plain_words_one_paragraph_each_not_emoji_in_bullets(chat_app, tmp_path):
    (tmp_path / "notes.md").write_text("# Kabul notes\n\nThe embassy in Kabul reopened under guard.\n")
    (tmp_path / "tool.exe").write_bytes(b"MZ")
    shown = chat_app.add_files([str(tmp_path / "notes.md"), str(tmp_path / "tool.exe")], progress=lambda *a, **k: None)
    result = shown[0]
    assert result.split("\n\n") == [
        "**Added:** notes.md",
        "**Failed:** tool.exe — .exe is not supported: use .txt, .md, .html, .htm, .pdf"]
    deleted = chat_app.library.delete_article("notes")
    assert not EMOJI.search(result + deleted), "no emoji: a browser without an emoji font shows empty boxes"


def test_delete_asks_first_and_a_second_click_on_the_same_article_deletes_it(chat_app, tmp_path):
    (tmp_path / "onion.txt").write_text("Onion prices double\n\nOnion prices doubled after the floods in the valley.\n")
    chat_app.library.add_uploads([str(tmp_path / "onion.txt")])
    copy = chat_app.library.documents()["onion"].source

    asked, confirming, button, *_ = chat_app.delete("onion", None)
    assert asked == "Delete “Onion prices double” and its uploaded copy? Click “Confirm delete” to take it out of " \
                    "the index."
    assert confirming == "onion" and button.value == "Confirm delete"
    assert "onion" in chat_app.library.documents() and Path(copy).is_file(), "one click deletes nothing"

    choices, confirming, button = chat_app.delete_choices()  # the table changed (an upload): the question is dropped
    assert choices.value is None and confirming is None and button.value == "Delete"

    asked, confirming, *_ = chat_app.delete(SAMPLE_ID, "onion")  # another article chosen meanwhile: asked afresh
    assert asked.startswith("Delete “Khalilzad") and "uploaded copy" not in asked and confirming == SAMPLE_ID

    done, confirming, button, *_ = chat_app.delete("onion", "onion")
    assert done == "Deleted “Onion prices double”: its passages are no longer searched."
    assert confirming is None and button.value == "Delete"
    assert "onion" not in chat_app.library.documents() and not Path(copy).exists()
    assert SAMPLE_ID in chat_app.library.documents()


def test_the_readme_says_how_to_change_the_port_next_to_the_run_command():
    from helpers import ROOT

    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "python app.py" in quick_start
    assert "GRADIO_SERVER_PORT=" in quick_start and "GRADIO_SERVER_NAME=" in quick_start


def test_example_questions_are_found_once_per_index_generation(library, chat_app, tmp_path, monkeypatch):
    asked = []
    ask = chat_app.pipeline.ask
    monkeypatch.setattr(chat_app.pipeline, "ask", lambda question, **options: asked.append(question) or
                        ask(question, **options))
    first = chat_app.examples()
    assert first and asked, "each candidate is asked before it is offered"
    tries = len(asked)
    assert chat_app.examples() == first and len(asked) == tries, "a second page visit asks nothing again"
    (tmp_path / "dam.txt").write_text("Dam notes\n\nThe Kabul river dam holds water for the dry months.\n")
    library.collection.add([str(tmp_path / "dam.txt")])
    chat_app.examples()
    assert len(asked) > tries, "a new generation gets its own examples"
