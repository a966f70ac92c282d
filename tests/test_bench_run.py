"""bench/run.py's pieces that need no model: the SQuAD corpus it ingests (the evaluation's reader) and the targets
table written from the figures record."""
import json

import bench.run as bench_run
from bench.run import AppStart, AtSize, Figures, article_text, squad_articles, targets_section


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


def test_targets_are_judged_from_the_figures_the_sections_measured():
    figures = Figures("bf16", ingest_ratio=2.31, embed_ratio=2.5, cosine_min=0.99871, ndcg_diff=0.006,
                      sizes={100_000: AtSize("flat", 0.012, 1.0, 0.03, 0.1, 0.5, (0.012, 0.130)),
                             1_000_000: AtSize("ivf", 0.06, 0.94, 0.08, 0.3, 0.4, (0.020, 0.030))},
                      app=AppStart(3.2, 20.5, 21.7))
    rows = targets_section(figures).splitlines()[4:]
    assert rows == [
        "| ingest >= 2.5x plain sentence-transformers (bf16 CPUs) | 2.31x full ingest, 2.50x embedder alone (bf16) "
        "| **not met** |",
        "| SciFact nDCG@10 within 0.005 of plain | 0.0060 | **not met** |",
        "| retrieval p50 < 20 ms at 100,000 chunks | 12.0 ms vector search (flat); 30 ms with the question's "
        "embedding | met |",
        "| retrieval p50 < 50 ms at 1,000,000 chunks | 60.0 ms vector search (ivf); 80 ms with the question's "
        "embedding | **not met** |",
        "| offline answer p50 <= 50 ms, p95 <= 120 ms at 100,000 chunks | 12 / 130 ms | **not met** |",
        "| offline answer p50 <= 150 ms at 1,000,000 chunks | 20 / 30 ms | met |",
        "| approximate recall@10 >= 0.95 | 0.940 (lowest size) | **not met** |",
        "| cold start < 5 s to a ready page | `import app` (page built) 3.2 s; index and model loaded 20.5 s; "
        "first answer 21.7 s | met |"]
    unmeasured = targets_section(Figures("fp32", 1.0, 1.0, 0.999999)).splitlines()[4:]
    assert unmeasured == ["| ingest >= 2.5x plain sentence-transformers (bf16 CPUs) | 1.00x full ingest, 1.00x "
                          "embedder alone (fp32) | **not met** |",
                          "| SciFact nDCG@10 within 0.005 of plain | same fp32 vectors (cosine min 0.999999) | met |"]
