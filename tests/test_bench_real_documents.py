import json

from bench.real_documents import COLUMNS, cell, row_cells
from evaluation.datasets import read_dataset


def test_every_nth_question_is_a_fixed_sample_over_the_same_articles(tmp_path):
    def paragraph(context: str, ids: list[str]) -> dict:
        return {"context": context, "qas": [{"id": i, "question": f"{i}?", "answers": [
            {"text": context.split()[0], "answer_start": 0}]} for i in ids]}

    data = {"version": "1.1", "data": [
        {"title": "A", "paragraphs": [paragraph("Alpha one.", ["a1", "a2", "a3"]), paragraph("Beta two.", [])]},
        {"title": "B", "paragraphs": [paragraph("Gamma three.", ["b1", "b2"]), paragraph("Delta four.", ["b3"])]}]}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data))
    whole, sample = read_dataset(path), read_dataset(path, every=2)
    assert [q.id for q in sample.questions] == [q.id for q in whole.questions[::2]] == ["a1", "a3", "b2"]
    assert sample.articles == whole.articles  # so both are indexed alike


def test_cells_show_before_and_now_and_mark_missed_targets():
    assert cell("news-html", "recall@5", 0.9) == "1.000 → 0.900 ✗"  # target 0.95
    assert cell("git-html", "false_abstention", 0.0667) == "0.200 → 0.067"  # target at most 0.07
    assert cell("git-html", "chunks", 120) == "120"  # no before figure, no target
    assert cell("squad", "answer_hit", 0.895) == "0.845 → 0.895"  # before + 0.05
    assert cell("squad", "answer_hit", 0.894) == "0.845 → 0.894 ✗"


def test_a_skipped_row_says_why():
    cells = row_cells("news-html", "skipped: ../x/questions.jsonl missing")
    assert cells[0] == "skipped: ../x/questions.jsonl missing" and len(cells) == len(COLUMNS)
