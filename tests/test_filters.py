"""The author and date filters of Retriever.search, as the CLI, the API and eval take them."""
import json
from types import SimpleNamespace

import pytest

from qa.filters import ArticleFilter, iso_date
from schema import UserError

RECORDS = [
    {"id": "onions", "title": "Onion prices", "author": "Jane Doe", "date": "2025-03-03",
     "text": "Onion prices doubled after the floods in the valley, the growers' union said."},
    {"id": "dams", "title": "River dams", "author": "Omar Khan", "date": "2023-06-01",
     "text": "The floods in the valley came after the river dams overflowed, the engineers said."},
]
QUESTION = "What happened after the floods in the valley?"


@pytest.mark.parametrize("value, last_day, expected", [
    ("2025-03-03", False, "2025-03-03"), ("2025-3-3", True, "2025-03-03"), ("2025", False, "2025-01-01"),
    ("2025", True, "2025-12-31"), ("2024-02", True, "2024-02-29"), (" ", True, ""), (None, False, ""),
])
def test_dates_are_read_as_iso_days(value, last_day, expected):
    assert iso_date(value, "--since", last_day) == expected


@pytest.mark.parametrize("since, until, message", [
    ("yesterday", "", "--since must be a date such as 2025-03-31, 2025-03 or 2025, not 'yesterday'"),
    ("", "2025-13", "--until must be a date such as 2025-03-31, 2025-03 or 2025, not '2025-13'"),
    ("2025-02-30", "", "--since must be a date such as 2025-03-31, 2025-03 or 2025, not '2025-02-30'"),
    ("2025-04", "2025-03", "--since 2025-04-01 is after --until 2025-03-31"),
])
def test_a_bad_date_is_one_line_naming_the_field(since, until, message):
    with pytest.raises(UserError) as raised:
        ArticleFilter.checked(since=since, until=until, fields=("--author", "--since", "--until"))
    assert str(raised.value) == message


def test_the_filter_keeps_the_matching_articles_and_says_when_none_does():
    documents = {r["id"]: SimpleNamespace(metadata={"author": r["author"], "date": r["date"]}) for r in RECORDS}
    assert ArticleFilter.checked().ids(documents) is None
    assert ArticleFilter.checked(author="  jane ").ids(documents) == {"onions"}
    assert ArticleFilter.checked(since="2024").ids(documents) == {"onions"}
    assert ArticleFilter.checked(until="2023-06").ids(documents) == {"dams"}
    assert ArticleFilter.checked(["dams", "onions"], until="2024").ids(documents) == {"dams"}
    with pytest.raises(UserError, match="^no indexed article matches author 'Nobody', dated from 2020-01-01$"):
        ArticleFilter.checked(author="Nobody", since="2020").ids(documents)


def test_cli_ask_filters_by_author_and_date(run_cli, tmp_path):
    records = tmp_path / "articles.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    assert run_cli("ingest", records).returncode == 0
    by_author = run_cli("ask", QUESTION, "--author", "omar", "--json")
    assert by_author.returncode == 0, by_author.stderr
    assert {hit["doc_id"] for hit in json.loads(by_author.stdout)["hits"]} == {"dams"}
    by_date = run_cli("ask", QUESTION, "--since", "2025-01", "--until", "2025", "--json")
    assert {hit["doc_id"] for hit in json.loads(by_date.stdout)["hits"]} == {"onions"}
    bad = run_cli("ask", QUESTION, "--since", "March")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "error: --since must be a date such as 2025-03-31, 2025-03 or 2025, not 'March'\n"
    nobody = run_cli("ask", QUESTION, "--author", "Nobody")
    assert nobody.returncode == 2 and nobody.stderr == "error: no indexed article matches author 'Nobody'\n"


def test_eval_searches_only_the_filtered_articles(settings, embedder, tmp_path):
    from index.build import update_index
    from evaluation import run as evaluate

    records = tmp_path / "articles.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    update_index([str(records)], settings, embedder, progress=False)
    dataset = tmp_path / "dev.jsonl"
    dataset.write_text(json.dumps({"id": "q1", "question": "Why did onion prices double?", "answers": ["doubled"],
                                   "evidence": ["Onion prices doubled"], "doc_id": "onions", "answerable": True}))

    def recall(**filters):
        articles = ArticleFilter.checked(**filters)
        report = evaluate.run(str(dataset), settings, retrievers=["hybrid"], progress=False, articles=articles)
        return report.runs[0].metrics["recall@5"]

    assert recall() == 1.0 and recall(author="Jane") == 1.0
    assert recall(author="Omar") == 0.0, "the onion article is filtered out"
    with pytest.raises(UserError, match="filter a local index"):
        evaluate.run(str(dataset), settings, retrievers=["hybrid"], app="http://127.0.0.1:9/",
                     articles=ArticleFilter.checked(author="Jane"))


def test_api_ask_takes_author_and_dates_and_refuses_a_bad_date_in_one_line(settings, embedder, tmp_path):
    import app
    from bench.screenshot import free_port
    from gradio_client import Client
    from index.build import update_index
    from qa.pipeline import QAPipeline

    records = tmp_path / "articles.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    update_index([str(records)], settings, embedder, progress=False)
    chat_app = app.ChatApp(QAPipeline(settings, embedder=embedder))
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(chat_app.demo.local_url, verbose=False, analytics_enabled=False, download_files=False)
        everything = client.predict(QUESTION, 5, api_name="/ask")
        assert {hit["doc_id"] for hit in everything["hits"]} == {"onions", "dams"}, "the filters are optional"
        by_author = client.predict(QUESTION, 5, "offline", "Omar", api_name="/ask")
        assert {hit["doc_id"] for hit in by_author["hits"]} == {"dams"}
        by_date = client.predict(QUESTION, 5, api_name="/ask", since="2024", until="2025-12-31")
        assert {hit["doc_id"] for hit in by_date["hits"]} == {"onions"}
        with pytest.raises(Exception) as raised:
            client.predict(QUESTION, 5, api_name="/ask", until="soon")
        assert "until must be a date such as 2025-03-31, 2025-03 or 2025, not 'soon'" in str(raised.value)
    finally:
        chat_app.demo.close()
