"""The CLI as a user runs it, in-process through cli.main: exit codes, what goes to stdout and to stderr."""
import json
from pathlib import Path

from helpers import SAMPLE_ARTICLE, cli_process


def test_ingest_then_ask_json(run_cli):
    ingest = run_cli("ingest", SAMPLE_ARTICLE)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("1 added, 0 updated, 0 unchanged")
    assert ingest.stdout.count("\n") == 1, "one summary line on stdout"
    assert "Embedding" in ingest.stderr, "progress goes to stderr"

    ask = run_cli("ask", "What does the author say about Bagram?", "--json", "--k", "4")
    assert ask.returncode == 0, ask.stderr
    payload = json.loads(ask.stdout)
    assert payload["answered"] is True and len(payload["hits"]) == 4
    text = SAMPLE_ARTICLE.read_text()
    for citation in payload["citations"]:
        assert f"[{citation['n']}]" in payload["answer"]
        assert citation["quote"] in text and citation["doc_id"] == "khalilzad-on-iskp-ttp-and-pakistan"


def test_ask_plain_text_lists_sources(run_cli):
    run_cli("ingest", SAMPLE_ARTICLE)
    ask = run_cli("ask", "What does the author say about Bagram?")
    assert ask.returncode == 0
    assert "[1] Khalilzad on ISKP, TTP, and Pakistan (" in ask.stdout


def test_user_errors_are_one_line_without_traceback(run_cli):
    cases = [
        (("ask", "anything"), "error: no index at"),
        (("ask", "x", "--k", "lots"), "error: argument --k: invalid int value"),
        (("ingest",), "error: the following arguments are required: SOURCE"),
        (("frobnicate",), "error: argument command: invalid choice"),
    ]
    for args, message in cases:
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert result.stderr.startswith(message), (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help_exits_0(run_cli):
    result = run_cli("ask", "--help")
    assert result.returncode == 0 and "--retriever {dense,bm25,hybrid,rrf,mmr}" in result.stdout


def test_ingest_with_a_bad_file_exits_nonzero_but_indexes_the_rest(run_cli, tmp_path):
    (tmp_path / "good.txt").write_text("Good\n\nA good article.")
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    result = run_cli("ingest", tmp_path, "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == ["good"] and len(summary["failed"]) == 1
    assert "failed: " in result.stderr and "bad.pdf: not a readable PDF" in result.stderr


def test_same_named_files_in_sub_folders_are_all_indexed_by_path(run_cli, tmp_path):
    for folder in ("howto", "library"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "logging.txt").write_text(f"Logging {folder}\n\nHow {folder} pages describe logging.")
    result = run_cli("ingest", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)["added"]) == ["howto/logging", "library/logging"]


def test_files_whose_names_make_the_same_id_are_all_indexed_under_ids_that_stay(run_cli, tmp_path):
    (tmp_path / "FAQ.html").write_text("<html><head><title>FAQ</title></head><body><p>See faq.html.</p></body></html>")
    (tmp_path / "faq.html").write_text("<html><head><title>Questions</title></head><body><p>"
                                       + "Valgrind reports uninitialised values when a program reads them. " * 3
                                       + "</p></body></html>")
    (tmp_path / "intro.md").write_text("# Intro\n\nThe introduction in Markdown.\n")
    (tmp_path / "intro.txt").write_text("Intro\n\nThe introduction as plain text, written differently.\n")
    result = run_cli("ingest", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    added = sorted(json.loads(result.stdout)["added"])
    assert len(added) == 4 and added[0] == "faq" and added[2] == "intro", added
    assert added[1].startswith("faq-") and added[3].startswith("intro-")
    again = run_cli("ingest", tmp_path, "--json")
    assert sorted(json.loads(again.stdout)["unchanged"]) == added


def test_a_file_ingested_again_on_its_own_or_through_a_sub_folder_updates_its_article(run_cli, tmp_path):
    docs = tmp_path / "docs"
    (docs / "news").mkdir(parents=True)
    story = docs / "news" / "story.txt"
    story.write_text("Tattoo\n\nThe man is 32 years old.")
    assert json.loads(run_cli("ingest", docs, "--json").stdout)["added"] == ["news/story"]

    again = run_cli("ingest", docs / "news", "--json")  # the same file through its own folder: id "story"
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["unchanged"] == ["news/story"]

    story.write_text("Tattoo\n\nThe man is 33 years old.")
    edited = run_cli("ingest", story, "--json")
    assert edited.returncode == 0, edited.stderr
    summary = json.loads(edited.stdout)
    assert summary["updated"] == ["news/story"] and summary["added"] == [] and summary["total_documents"] == 1
    answer = json.loads(run_cli("ask", "How old is the man?", "--json").stdout)
    assert {hit["doc_id"] for hit in answer["hits"]} == {"news/story"} and "33" in answer["answer"]


def test_a_file_named_like_an_indexed_one_neither_replaces_it_nor_drops_it(run_cli, tmp_path):
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    (project / "README.md").write_text("# Top project\n\nThe top level readme explains the project layout.\n")
    (project / "sub" / "README.md").write_text("# Sub module\n\nThe sub module readme explains the parser.\n")
    assert json.loads(run_cli("ingest", project / "sub" / "README.md", "--json").stdout)["added"] == ["readme"]
    result = run_cli("ingest", project, "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(run_cli("ask", "What does the sub module readme explain?", "--json").stdout)["hits"]
    assert {hit["doc_id"] for hit in listing} == {"readme", "sub/readme"}
    assert json.loads(result.stdout)["total_documents"] == 2


def test_only_ids_made_from_a_files_path_are_kept_for_that_file():
    from index.build import _id_from_path

    assert _id_from_path("news/story", "/data/news/story.txt") and _id_from_path("c-tips", "/data/C# tips.md")
    assert not _id_from_path("r1", "/data/records.jsonl") and not _id_from_path("r1", "/data/r1.json")
    assert not _id_from_path("articles", "https://example.org/api/articles")
    assert not _id_from_path("r1", "/data/export.txt")


def test_a_skipped_duplicate_is_named_and_makes_the_exit_code_nonzero(run_cli, tmp_path):
    (tmp_path / "a.txt").write_text("Same\n\nThe very same article text.")
    (tmp_path / "b.txt").write_text("Same\n\nThe very same article text.")
    result = run_cli("ingest", tmp_path)
    assert result.returncode == 1
    assert "1 skipped" in result.stdout and "b.txt: same text as article 'a'" in result.stderr


def test_an_index_from_before_path_ids_names_the_rebuild_command(run_cli, tmp_path):
    run_cli("ingest", SAMPLE_ARTICLE)
    index = tmp_path / "index"
    manifest = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"schema_version": 2', '"schema_version": 1'))
    result = run_cli("ask", "Bagram?")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "schema version 1" in result.stderr and "--rebuild" in result.stderr


def test_index_from_another_model_explains_how_to_rebuild(run_cli, env):
    run_cli("ingest", SAMPLE_ARTICLE)
    env.setenv("RAGQA_CHUNK_TOKENS", "120")
    result = run_cli("ask", "Bagram?")
    assert result.returncode == 2
    assert "chunk_tokens 200 (now 120)" in result.stderr and "--rebuild" in result.stderr


def test_python_cli_py_exits_with_mains_code(cli_env):
    """The one test that needs the process: `python cli.py` exits with what main returned, error on stderr."""
    result = cli_process({**cli_env, "RAGQA_TOP_K": "many"}, "ask", "x")
    assert result.returncode == 2
    assert result.stderr == "error: environment variable RAGQA_TOP_K='many' is not a valid top_k (a whole number)\n"
    assert not Path(cli_env["RAGQA_INDEX_DIR"]).exists()


def test_a_question_naming_its_document_is_searched_in_that_document(run_cli, tmp_path):
    (tmp_path / "booktabs.md").write_text("# Publication quality tables\n\nNever use vertical rules in a table; "
                                          "space the columns well instead and the reader follows them.\n")
    (tmp_path / "beamer.md").write_text("# The beamer class\n\nVertical lines in a table uncovered row by row cause "
                                        "problems in beamer slides, so leave vertical lines out of such a table.\n")
    assert run_cli("ingest", tmp_path).returncode == 0
    answer = json.loads(run_cli("ask", "What does the booktabs documentation say about vertical lines in a table?",
                                "--json").stdout)
    assert answer["answered"] and {hit["doc_id"] for hit in answer["hits"]} == {"booktabs"}
    assert {citation["doc_id"] for citation in answer["citations"]} == {"booktabs"}
