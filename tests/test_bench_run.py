"""bench/run.py's pieces that need no model: the SQuAD corpus it ingests (the evaluation's reader). The markdown
written from its records: tests/test_bench_run_report.py."""
import json

import bench.run as bench_run
from bench.run import article_text, squad_articles


def test_the_ingested_squad_articles_and_their_questions_come_from_the_evaluations_reader(tmp_path, monkeypatch):
    def paragraph(context, *questions):
        return {"context": context, "qas": [{"id": q, "question": f"{q}?", "answers": [
            {"text": context.split()[0], "answer_start": 0}]} for q in questions]}

    squad = tmp_path / "dev.json"
    squad.write_text(json.dumps({"data": [
        {"title": "Super_Bowl", "paragraphs": [paragraph("Denver  won.", "a1"), paragraph("It was cold.", "a2")]},
        {"title": "Oxygen", "paragraphs": [paragraph("Oxygen is O.", "b1")]}]}))
    monkeypatch.setattr(bench_run, "SQUAD", squad)
    articles, questions = squad_articles(1)
    assert questions == ["a1?", "a2?"], "only the questions on the articles ingested"
    assert [article_text(a) for a in articles] == ["Super Bowl\n\nDenver won.\n\nIt was cold."]
    assert len(squad_articles()[0]) == 2


def test_a_synthetic_stores_copies_share_their_originals_unit_rows_for_the_while(corpus, settings, embedder):
    import numpy as np

    from bench.run import _units_shared_with, synthetic_store
    from index.build import open_store, update_index
    from ingest.units import chunk_units

    update_index([str(corpus)], settings, embedder, progress=False)
    real = open_store(settings, embedder)
    store = synthetic_store(real, 2 * real.count + 1, np.random.default_rng(0))
    copy = store.chunks[-1]  # of the third copy
    original = real.chunk(copy.id.replace("~2#", "#"))
    document = store.documents[copy.doc_id]
    unit = next(document.text[start:end] for start, end, *_ in chunk_units(document, copy))
    with _units_shared_with(store, real):
        shared = store.unit_vectors_of([(copy.id, unit)])[0]
        assert np.array_equal(shared, real.unit_vectors_of([(original.id, unit)])[0])
    assert store.unit_vectors_of([(copy.id, unit)]) == [None], "the copies' own (no) rows back"
