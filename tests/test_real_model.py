"""The slow layer: the real packaged all-MiniLM-L6-v2 on the sample article."""
import json

import pytest

from helpers import SAMPLE_ARTICLE, SEED_DEV
from index.build import open_store, update_index
from index.embedders import make_embedder
from qa.pipeline import QAPipeline
from settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_pipeline(tmp_path_factory):
    settings = Settings(index_dir=tmp_path_factory.mktemp("real") / "index")
    embedder = make_embedder(settings.embed_model)
    update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    return QAPipeline(settings, embedder=embedder)


def test_packaged_model_loads_offline_and_chunks_fit_its_window(real_pipeline):
    embedder = real_pipeline.embedder
    assert embedder.dimension == 384 and embedder.max_tokens == 256
    store = open_store(real_pipeline.settings, embedder)
    for chunk in store.chunks:
        title = store.documents[chunk.doc_id].title
        assert embedder.count_tokens(f"{title}\n{chunk.text}") + 2 <= embedder.max_tokens  # + [CLS] [SEP]


def test_bagram_question_cites_the_bagram_paragraph(real_pipeline):
    answer = real_pipeline.ask("What does the author say about Bagram?")
    text = SAMPLE_ARTICLE.read_text()
    paragraph = next(p for p in text.split("\n\n") if "Bagram" in p)
    assert answer.answered
    assert any("strategic footprint" in c.quote for c in answer.citations)
    documents = real_pipeline.retriever.store.documents
    for citation in answer.citations:
        assert citation.quote == documents[citation.doc_id].text[citation.start:citation.end]
        assert citation.quote in paragraph
    assert answer.hits[0].chunk.text in text and "Bagram" in answer.hits[0].chunk.text


@pytest.mark.parametrize("case", [json.loads(line) for line in SEED_DEV.read_text().splitlines() if line.strip()],
                         ids=lambda case: case["id"])
def test_seed_dev_questions(real_pipeline, case):
    answer = real_pipeline.ask(case["question"])
    if not case["answerable"]:
        assert not answer.answered and not answer.citations
        return
    assert answer.answered
    hit_texts = [h.chunk.text for h in answer.hits[:5]]
    assert any(ev in t for ev in case["evidence"] for t in hit_texts), "evidence is in the top 5 passages"
    assert any(a.lower() in answer.text.lower() for a in case["answers"])
    assert any(any(ev in c.quote or c.quote in ev for ev in case["evidence"]) for c in answer.citations)


def test_follow_up_about_there_retrieves_the_bagram_paragraph(real_pipeline):
    history = [{"role": "user", "content": "What does the author say about Bagram?"},
               {"role": "assistant", "content": real_pipeline.ask("What does the author say about Bagram?").text}]
    answer = real_pipeline.ask("Why would the US want personnel there?", history=history)
    assert "Bagram" in answer.query
    assert "Bagram" in answer.hits[0].chunk.text
    assert answer.answered and any("operational hub" in c.quote or "embassy" in c.quote for c in answer.citations)


def test_who_is_a_full_name_is_answered_by_a_sentence_naming_them(real_pipeline, tmp_path):
    """A long quote ending "…,” says Antony Loewenstein, author of The Palestine Laboratory" is little like the
    question, yet tells who he is (it was declined); a name no sentence gives is still declined."""
    article = tmp_path / "surveillance.txt"
    article.write_text(
        "Surveillance in the West Bank\n\n“That’s a key aspect of the defense sector, showing that it’s possible to "
        "maintain and manage an occupation for over half a century, which can then be exported like flat-pack "
        "repression to other nations across the globe,” says Antony Loewenstein, author of The Palestine Laboratory. "
        "Soldiers photograph residents with a smartphone app. The images fill a database that guards consult at "
        "checkpoints.\n")
    settings = Settings(index_dir=tmp_path / "index")
    update_index([str(article)], settings, real_pipeline.embedder, progress=False)
    pipeline = QAPipeline(settings, embedder=real_pipeline.embedder)
    answer = pipeline.ask("Who is Antony Loewenstein?")
    assert answer.answered and "author of The Palestine Laboratory" in answer.citations[0].quote
    assert not pipeline.ask("Who is Antony Blinken?").answered
