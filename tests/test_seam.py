"""The seam between the front ends and the rest: `ui/`, `cli.py` and `app.py` go through `qa` (QAPipeline and its
Collection) and never into `index/`; parts are injected, not subclassed; the app is a ChatApp, `demo` untouched."""
import ast
import json
from dataclasses import replace

from helpers import ROOT, SAMPLE_ARTICLE
from index.build import StoreConfig, open_store, store_config
from qa.collection import Collection, IndexedArticle
from qa.pipeline import QAPipeline

FRONT_ENDS = [ROOT / "cli.py", ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]
SAMPLE_ID = "khalilzad-on-iskp-ttp-and-pakistan"
QUESTION = "What does the author say about Bagram?"


def imported_modules(path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    return modules


def reached_through(path) -> list[str]:
    """`pipeline.retriever`, `….store`: the pipeline's parts, which front ends are not to touch."""
    return [ast.unparse(node) for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)
            and (node.attr == "store" or node.attr == "retriever" and "pipeline" in ast.unparse(node.value))]


def test_front_ends_import_nothing_from_index_and_reach_into_no_pipeline_parts():
    for path in FRONT_ENDS:
        reached = sorted(m for m in imported_modules(path) if m == "index" or m.startswith("index."))
        assert not reached, f"{path.relative_to(ROOT)} imports {reached}: go through qa.collection"
        assert not reached_through(path), f"{path.relative_to(ROOT)} reaches through {reached_through(path)}"


def test_the_collection_lists_adds_and_deletes_articles_and_names_each_generation(settings, embedder, tmp_path):
    collection = Collection(settings, embedder)
    assert not collection.has_index() and collection.generation is None
    collection.add([str(SAMPLE_ARTICLE)])
    first = collection.generation
    assert collection.has_index() and first == (settings.index_dir / "CURRENT").read_text().strip()
    (tmp_path / "dams.md").write_text("# Dams\n\nThe new dam holds back the river for the valley's farms.")
    report = collection.add([str(tmp_path / "dams.md")])
    assert report.added == ["dams"] and collection.generation != first
    listing = {article.id: article for article in collection.articles()}
    assert listing["dams"] == IndexedArticle(id="dams", title="Dams", source=str(tmp_path / "dams.md"), author="",
                                             date="", url="", chunks=1)
    assert listing["dams"].as_dict()["chunks"] == 1, "the JSON the /articles endpoint gives"
    assert collection.count == sum(article.chunks for article in listing.values())
    assert collection.delete({"dams", "never-indexed"}) == ["dams"]
    assert list(collection.documents()) == [SAMPLE_ID], "a reader sees the new generation"


def test_a_pipeline_searches_a_store_it_is_given_without_reading_the_index_folder(settings, embedder, tmp_path):
    Collection(settings, embedder).add([str(SAMPLE_ARTICLE)])
    store = open_store(settings, embedder)
    elsewhere = replace(settings, index_dir=tmp_path / "no-index-here")
    pipeline = QAPipeline(elsewhere, embedder=embedder, store=store)
    assert pipeline.collection.has_index() and pipeline.retriever.store is store
    answer = pipeline.ask(QUESTION)
    assert answer.answered and answer.citations[0].doc_id == SAMPLE_ID
    assert not elsewhere.index_dir.exists(), "nothing read or written there"


def test_the_store_config_record_writes_the_manifest_as_before(settings, embedder):
    config = store_config(settings, embedder)
    assert config == StoreConfig(embed_model="hashing", dimension=512, chunk_tokens=settings.chunk_tokens,
                                 chunk_overlap=settings.chunk_overlap, embed_title=settings.embed_title)
    Collection(settings, embedder).add([str(SAMPLE_ARTICLE)])
    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text()
    manifest = json.loads((generation / "manifest.json").read_text())
    # the keys a generation is checked against, first and in this order, as indexes written before hold them
    assert list(manifest)[:5] == ["embed_model", "dimension", "chunk_tokens", "chunk_overlap", "embed_title"]
    assert {key: manifest[key] for key in config.as_dict()} == config.as_dict()


def test_the_app_is_a_chat_app_whose_demo_carries_nothing_of_its_own(settings, embedder):
    import app

    assert app.demo is app.chat_app.demo, "the module-level demo Hugging Face Spaces serves"
    chat_app = app.ChatApp(QAPipeline(settings, embedder=embedder))
    assert not {"library", "pipeline"} & set(vars(chat_app.demo)), "nothing bolted onto the gr.Blocks"
    assert chat_app.library.collection is chat_app.pipeline.collection, "one view of the index"
    assert chat_app.ask_tab.question.elem_id == "question" and chat_app.articles_tab.table.elem_id == "articles-table"
