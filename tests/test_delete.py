"""Deleting an article from the app's index: it and its answers go, every other article stays as it was."""
import shutil
from dataclasses import replace

import pytest

from helpers import SAMPLE_ARTICLE
from qa.collection import Collection
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings
from ui.library import Library, uploads_dir

ONION = "Onion prices double\n\nOnion prices doubled after the floods in the valley, the growers' union said today.\n"
ONION_QUESTION = "What happened to onion prices after the floods?"


@pytest.fixture
def library(settings, embedder, tmp_path):
    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    library = Library(Collection(settings, embedder))
    library.ensure_ready()
    (tmp_path / "onion.txt").write_text(ONION)
    assert library.add_uploads([str(tmp_path / "onion.txt")]) == ["Added: onion.txt"]
    return library


def test_deleting_an_uploaded_article_removes_it_its_answers_and_its_copy(library, embedder):
    pipeline = QAPipeline(library.settings, embedder=embedder)  # another reader of the library's index
    assert pipeline.ask(ONION_QUESTION).citations[0].doc_id == "onion"
    before = {a.id: a for a in library.articles()}
    deleted = library.delete_article("onion")
    assert deleted == "Deleted “Onion prices double”: its passages are no longer searched."
    after = {a.id: a for a in library.articles()}
    assert after == {k: v for k, v in before.items() if k != "onion"}, "the other articles are untouched"
    answer = pipeline.ask(ONION_QUESTION)
    assert all(hit.chunk.doc_id != "onion" for hit in answer.hits)
    assert not any(c.doc_id == "onion" for c in answer.citations)
    assert list(uploads_dir(library.settings).iterdir()) == [], "no copy of a deleted upload is kept"
    assert "1 article indexed" in library.status()


def test_deleting_a_curated_article_leaves_the_operators_file_and_reopening_keeps_it_deleted(library, embedder):
    library.delete_article("khalilzad-on-iskp-ttp-and-pakistan")
    assert (library.settings.articles_dir / SAMPLE_ARTICLE.name).exists()
    reopened = Library(Collection(library.settings, embedder))
    reopened.ensure_ready()  # an index exists: the articles folder is not ingested again
    assert [a.id for a in reopened.articles()] == ["onion"]


def test_the_last_article_can_go_and_the_empty_index_still_opens(library, embedder):
    library.delete_article("onion")
    library.delete_article("khalilzad-on-iskp-ttp-and-pakistan")
    assert library.articles() == [] and library.status().endswith("0 articles indexed (0 chunks).")
    assert QAPipeline(library.settings, embedder=embedder).ask(ONION_QUESTION).answered is False


def test_an_unknown_article_and_switched_off_deletion_are_one_line_errors(library):
    with pytest.raises(UserError, match="^choose an indexed article to delete$"):
        library.delete_article("no-such-article")
    library.settings = replace(library.settings, allow_delete=False)
    with pytest.raises(UserError, match="^deleting articles is switched off on this deployment$"):
        library.delete_article("onion")
    assert len(library.articles()) == 2


def test_allow_delete_is_a_setting(monkeypatch):
    monkeypatch.setenv("RAGQA_ALLOW_DELETE", "false")
    assert Settings.from_env().allow_delete is False
    monkeypatch.setenv("RAGQA_ALLOW_DELETE", "maybe")
    with pytest.raises(UserError, match="RAGQA_ALLOW_DELETE='maybe' is not a valid allow_delete"):
        Settings.from_env()


def test_deletion_switched_off_shows_no_delete_box(settings, embedder):
    import app

    ids = {block.elem_id for block in app.ChatApp(QAPipeline(replace(settings, allow_delete=False),
                                                             embedder)).demo.blocks.values()}
    assert "delete" not in ids and "articles-table" in ids
    assert "delete" in {block.elem_id for block in app.ChatApp(QAPipeline(settings, embedder)).demo.blocks.values()}
