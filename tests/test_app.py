"""The app's logic with a fake pipeline, the index it keeps, and the app itself on loopback through gradio_client."""
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakes import DOCUMENT, QUOTE, TEXT, FakePipeline, ScriptedGenerator, citation
from helpers import ROOT, SAMPLE_ARTICLE, minimal_pdf
from qa.answer import answer_to_dict
from qa.collection import Collection
from qa.pipeline import QAPipeline
from schema import Answer, Chunk, Citation, Document, Hit, UserError
from settings import Settings
from ui.chat import UNEXPECTED, AskOptions, Turn, chat_messages, pipeline_history, respond
from ui.examples import example_questions
from ui.library import Library, uploads_dir
from ui.render import answer_markdown, escape_html, passage_parts, sources_html
from ui.uploads import safe_filename, stage_uploads

def unescaped(characters: str, markdown: str) -> list[str]:
    """Characters of `characters` in `markdown` without a backslash before them, which markdown would act on."""
    return re.findall(r"(?<!\\)[" + re.escape(characters) + "]", markdown)


def test_app_help_explains_and_starts_nothing_and_an_unknown_argument_is_one_line(tmp_path):
    def app(*args):
        return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=60, env={"PATH": "", "RAGQA_INDEX_DIR": str(tmp_path / "index")})

    shown = app("--help")
    assert shown.returncode == 0 and "RAGQA_INDEX_DIR" in shown.stdout and "GRADIO_SERVER_PORT" in shown.stdout
    refused = app("--port", "8080")
    assert refused.returncode == 2 and "unrecognized arguments: --port 8080" in refused.stderr.splitlines()[-1]
    assert not (tmp_path / "index").exists()


def test_respond_streams_then_ends_with_the_answer():
    fake = FakePipeline()
    steps = list(respond(fake, "  What about   Bagram? ", [], AskOptions(mode="offline", k=3, doc_ids=("doc",))))
    assert steps[0] == [Turn("What about Bagram?")], "the question shows before any answer"
    partial = [s[-1].text for s in steps[1:-1]]
    assert len(partial) > 3 and all(s[-1].answer is None for s in steps[1:-1])
    assert all(len(a) < len(b) for a, b in zip(partial, partial[1:])), "the text grows as it streams"
    assert steps[-1][-1].answer.citations[0].quote == QUOTE
    assert fake.calls == [("What about Bagram?", {"history": [], "k": 3, "doc_ids": {"doc"}, "mode": "offline"})]


def test_follow_up_passes_history_and_shows_the_standalone_query():
    fake = FakePipeline()
    first = list(respond(fake, "What about Bagram?", [], AskOptions()))[-1]
    second = list(respond(fake, "Why there?", first, AskOptions()))[-1]
    assert fake.calls[1][1]["history"] == [{"role": "user", "content": "What about Bagram?"},
                                           {"role": "assistant", "content": first[0].answer.text}]
    assert fake.calls[1][1]["doc_ids"] is None
    messages = chat_messages(second)
    assert "Searched for: Why there? (Bagram)" in messages[-1]["content"]
    assert "Searched for" not in messages[1]["content"]
    assert '<p class="searched">Searched for: <q>Why there? (Bagram)</q></p>' in sources_html(second, {})


def test_user_error_is_one_plain_sentence_in_the_chat_and_blank_input_is_ignored():
    fake = FakePipeline()
    turns = list(respond(fake, "fail", [], AskOptions()))[-1]
    assert turns[-1].error == "No LLM is configured: see 'LLM answers' in the README."
    assert chat_messages(turns)[-1] == {"role": "assistant", "content": turns[-1].error}
    assert pipeline_history(turns) == [], "a failed turn is not history"
    assert list(respond(fake, "   ", turns, AskOptions())) == []
    crashed = list(respond(fake, "crash", turns, AskOptions()))[-1]
    assert crashed[-1].error == UNEXPECTED and "/srv/secret" not in str(chat_messages(crashed))


def test_llm_mode_streams_the_draft_then_shows_checked_citations_and_flags_the_rest(indexed, settings, embedder):
    reply = ("His suggestion that the base’s future could be resolved through negotiations suggests the US is not "
             "ready to leave [1]. The moon is made of green cheese [2].")
    pipeline = QAPipeline(settings, embedder=embedder, generator=ScriptedGenerator(reply))
    steps = list(respond(pipeline, "What does the author say about Bagram?", [], AskOptions(mode="llm")))
    assert steps[2][-1].text == reply[:14] and steps[2][-1].answer is None, "the LLM's draft streams as written"
    final = chat_messages(steps[-1])[-1]["content"]
    assert "leave. [\\[1\\]](#src-0-1) The moon" in final, "the checked citation links its source"
    assert final.endswith("check them before relying on them:* “The moon is made of green cheese.”")
    assert "strategic footprint" in sources_html(steps[-1], pipeline.collection.documents())


def test_markers_link_to_their_source_cards_and_text_is_escaped():
    answer = Answer(question="q", text=f"Lead: {QUOTE} [1] and [7]", answered=True, citations=[citation()], hits=[])
    markdown = answer_markdown(answer.text, turn=2, answer=answer)
    assert "[\\[1\\]](#src-2-1)" in markdown
    assert "\\[7\\]" in markdown and "#src-2-7" not in markdown, "only markers that name a citation link"
    assert "\\<b\\>" in markdown and "\\$" in markdown and not unescaped("<$", markdown)
    user = chat_messages([Turn("<img src=x onerror=alert(1)> *hi* # 1. [x](javascript:y)")])[0]["content"]
    assert user == "\\<img src=x onerror=alert(1)\\> \\*hi\\* \\# 1. \\[x\\](javascript:y)"
    assert not unescaped("<>*#[]", user)


def test_a_quoted_listing_keeps_its_lines_and_indentation_in_the_chat():
    text = "According to “fs”: Read it line by line:\n\nfor await (const line of file) {\n  console.log(line);\n} [1]"
    assert "{\n\u00a0\u00a0console.log(line);\n}" in answer_markdown(text, turn=0)
    doctest = "According to “Sorting”: Like this:\n>>> for key in keys:\n...     xs.sort(key=key) [1]"
    assert "...\u00a0\u00a0\u00a0\u00a0\u00a0xs.sort" in answer_markdown(doctest, turn=0), "the indent after a prompt"
    quote = "Loop over rows:\n    print(row[1])"
    answer = Answer(question="q", text=f"According to “fs”: {quote} [1]", answered=True, hits=[],
                    citations=[Citation(n=1, chunk_id="f#0", doc_id="f", title="fs", source="s", start=0,
                                        end=len(quote), quote=quote)])
    assert "\u00a0\u00a0\u00a0\u00a0print(row\\[1\\]) [\\[1\\]](#src-0-1)" in answer_markdown(answer.text, 0, answer), \
        "the listing's own [1] stays text"


def test_a_quoted_code_block_is_shown_as_code_and_kept_when_the_chat_is_restored(tmp_path):
    from ingest.loaders import load_file
    from qa.answer import compose
    from qa.evidence import candidate_sentences
    from ui.conversation import restored, saved_form

    path = tmp_path / "counter.md"
    path.write_text("# Counter\n\nCount words like this:\n\n```\n>>> for w in words:\n...     cnt[w] += 1  # `w`, *not* [1]\n"
                    "```\n\nThat is all.\n")
    document = load_file(path)[0]
    chunk = Chunk("counter#0", document.id, 0, document.text, 0, len(document.text))
    evidence = [e for e in candidate_sentences([Hit(chunk, 1.0, 1)], {document.id: document}) if "cnt" in e.text]
    answer = compose("q", evidence[:1], {document.id: document}, [])
    block = ">>> for w in words:\n...     cnt[w] += 1  # `w`, *not* [1]"
    (citation,) = answer.citations
    assert [document.text[s:e] for s, e in citation.code] == [block]
    markdown = answer_markdown(answer.text, 0, answer)
    assert f"\n```\n{block}\n```\n" in markdown, "verbatim, unescaped, fenced on lines of its own"
    assert "Count words like this:" in markdown and "[\\[1\\]](#src-0-1)" in markdown
    card = sources_html([Turn("q", answer.text, answer)], {document.id: document})
    assert '>Count words like this:\n\n<code class="passage-code">&gt;&gt;&gt; for w in words:' in card
    saved = json.loads(json.dumps(saved_form([Turn("q", answer.text, answer)])))  # as the browser keeps it
    assert restored(saved)[0].answer.citations[0].code == citation.code
    saved[0]["answer"]["citations"][0]["code"] = [["0", 5]]
    assert restored(saved) == [], "a malformed span leaves the turn out"


def test_a_code_block_is_fenced_where_its_quote_stands_and_place_holder_characters_are_text():
    def cited(n, quote, start, code):
        return Citation(n=n, chunk_id="g#0", doc_id="g", title="git stash", source="g.md", start=start,
                        end=start + len(quote), quote=quote, code=code)
    block = "git stash"
    quote = f"Save your work:\n\n{block}"
    answer = Answer(question="q", text=f"According to “git stash”: {quote} [1]", answered=True, hits=[],
                    citations=[cited(1, quote, 100, ((117, 126),))])
    markdown = answer_markdown(answer.text, 0, answer)
    assert markdown.startswith("According to “git stash”:") and markdown.count("```") == 2
    assert "Save your work:\n\n\n\n```\ngit stash\n```" in markdown, "the quote's block, not the title's words"
    llm = replace(answer, text="Run `git stash` to save your work [1].")  # words the passage its own way
    assert "```" not in answer_markdown(llm.text, 0, llm)
    hostile = "A stray \ue0021\ue003 and \ue0009\ue001 in the text."
    answer = Answer(question="q", text=f"According to “W”: {hostile} [1]", answered=True, hits=[],
                    citations=[cited(1, hostile, 0, ())])
    markdown = answer_markdown(answer.text, 0, answer)  # no IndexError, no link to a citation 9
    assert "\ufffd1\ufffd" in markdown and "#src-0-9" not in markdown and "[\\[1\\]](#src-0-1)" in markdown


def test_a_marker_the_document_itself_writes_inside_a_quote_is_no_link():
    def cited(n, quote):
        return Citation(n=n, chunk_id="w#0", doc_id="w", title="W", source="w.md", start=0, end=len(quote), quote=quote)
    quotes = ["As shown before [2], the dam holds.", "The river rose."]
    answer = Answer(question="q", text=f"According to “W”: {quotes[0]} [1] {quotes[1]} [2]", answered=True,
                    citations=[cited(1, quotes[0]), cited(2, quotes[1])], hits=[])
    markdown = answer_markdown(answer.text, turn=0, answer=answer)
    assert "before \\[2\\], the dam holds. [\\[1\\]](#src-0-1) The river rose. [\\[2\\]](#src-0-2)" in markdown


def test_source_card_shows_title_meta_and_the_highlighted_quote_escaped():
    turns = [Turn("q", answer=Answer(question="q", text="", answered=True, citations=[citation()], hits=[]))]
    html = sources_html(turns, {"doc": DOCUMENT})
    card = re.search(r'<section class="source-article">.*?</section>', html).group(0)
    assert "On &lt;Bagram&gt;" in card and "A. Writer · 2025-01-02" in card
    assert '<mark id="src-0-1" data-n="1" tabindex="-1">It is a &lt;b&gt;hub&lt;/b&gt; for &#36;&#123;watching&#125; ' \
           "&#123;&#123;the region&#125;&#125;.</mark>" in card
    assert "The base may be negotiated. <mark" in card, "the quote is shown within its paragraph"
    assert "Intro paragraph" not in card
    assert "javascript:" not in card and "<a " not in card, "only http(s) addresses become links"
    assert "doc.txt" in card and "/srv/secret" not in card, "a file source shows its name, not the server path"


def test_source_link_and_older_turns_collapsed():
    web = Document(id="doc", title="T", source="/srv/doc.html", text=TEXT, metadata={"url": "https://example.org/a?x=1&y=2"})
    answer = Answer(question="q", text="", answered=True, citations=[citation()], hits=[])
    html = sources_html([Turn("a", answer=answer), Turn("b", answer=answer)], {"doc": web})
    assert '<a href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer">' in html
    assert html.index('id="src-1-1"') < html.index('id="src-0-1"'), "newest first"
    assert html.count("<details") == 2 and html.count("<details class=\"turn-sources\" open>") == 1


def test_abstention_says_so_plainly():
    answer = Answer(question="Capital of France?", text="The indexed articles don't cover this.", answered=False,
                    citations=[], hits=[])
    html = sources_html([Turn("Capital of France?", text=answer.text, answer=answer)], {})
    assert "No passage in the indexed articles answers this" in html
    assert chat_messages([Turn("x", text=answer.text, answer=answer)])[1]["content"].startswith("The indexed")


def test_long_paragraph_is_trimmed_around_the_quote():
    text = "word " * 200 + "THE QUOTE." + " more" * 200
    start = text.index("THE QUOTE.")
    quoted = Citation(1, "c", "d", "t", "s", start, start + 10, "THE QUOTE.")
    before, quote, after = passage_parts(text, quoted)
    assert quote == "THE QUOTE." and before.startswith("…") and after.endswith("…")
    assert len(before) < 220 and len(after) < 220
    assert passage_parts("other text", quoted) == ("", "THE QUOTE.", ""), "changed text: the quote alone"


def test_escape_html_neutralises_template_syntax():
    assert escape_html('<a href="x">${1}{{2}}</a>') == \
        "&lt;a href=&quot;x&quot;&gt;&#36;&#123;1&#125;&#123;&#123;2&#125;&#125;&lt;/a&gt;"


def test_example_questions_come_from_the_article():
    text = SAMPLE_ARTICLE.read_text()
    title, body = text.split("\n", 1)
    questions = example_questions([Document("k", title, "s", body.strip())])
    assert questions[0] == "What does the author say about Bagram Airbase?"
    assert f"What is “{title}” about?" in questions  # "What is the main argument of …" would not fit the button
    assert example_questions([]) == []
    description = ("The Garbage Collector prunes loose objects older than a date, as it does for every repository "
                   "that grows large enough to need it, and packs the rest into a single pack file that the "
                   "repository keeps until the next run.")
    manual = Document("m", "git-gc(1)", "s", f"--prune\n{description}",
                      blocks=[[0, 8 + len(description), "definition", "--prune"]])
    assert example_questions([manual])[0] == "What does the text say about the Garbage Collector?", \
        "no author to quote"
    page = "npm-audit @11.19.1\n\nRun a security audit.\n\nAudit signatures\n\nTo ensure the integrity of packages."
    command = Document("a", "npm-audit", "s", page, blocks=[[0, 18, "heading", 1], [20, 41, "paragraph"],
                                                            [43, 59, "heading", 2], [61, len(page), "paragraph"]])
    offered = example_questions([command])
    assert offered[0].endswith("say about audit signatures?") and not any("@11.19.1" in q for q in offered), \
        "the title is no section of itself"


@pytest.mark.parametrize("name, safe", [
    ("../../etc/passwd.txt", "passwd.txt"), ("..\\..\\win.ini.md", "win_ini.md"), (".hidden.txt", "hidden.txt"),
    ("Résumé (final).PDF", "Resume_final.pdf"), ("....", "upload"), ("a b;rm -rf.html", "a_b_rm_-rf.html"),
])
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_stage_uploads_one_message_per_rejected_file(tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "good.txt").write_text("Good\n\nA good article.")
    (incoming / "tool.exe").write_bytes(b"MZ")
    (incoming / "big.md").write_bytes(b"x" * (2 * 2**20))
    (incoming / "empty.html").write_bytes(b"")
    staged = stage_uploads([str(incoming / n) for n in ("good.txt", "tool.exe", "big.md", "empty.html")],
                           tmp_path / "uploads", max_mb=1)
    assert [(s.name, s.path is not None) for s in staged] == \
        [("good.txt", True), ("tool.exe", False), ("big.md", False), ("empty.html", False)]
    assert staged[0].path == tmp_path / "uploads" / "good.txt" and staged[0].path.read_text().startswith("Good")
    assert staged[1].problem == ".exe is not supported: use .txt, .md, .html, .htm, .pdf"
    assert staged[2].problem == "the file is 2.0 MB, over the 1 MB limit"
    assert staged[3].problem == "the file is empty"


@pytest.fixture
def sample_settings(settings):
    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    return settings


def test_library_builds_the_index_on_first_start_and_says_so(sample_settings, embedder):
    library = Library(Collection(sample_settings, embedder))
    assert not library.has_index() and library.articles() == []
    library.ensure_ready()
    assert library.status() == f"First start: built the index from {sample_settings.articles_dir.name}/, " \
                               "1 article indexed (7 chunks)."
    assert Library(Collection(sample_settings, embedder)).status() == "1 article indexed (7 chunks)."


def test_library_without_articles_asks_for_uploads(settings, embedder):
    library = Library(Collection(settings, embedder))
    with pytest.raises(UserError, match="no index yet and no articles in articles/: add some in the Articles tab"):
        library.ensure_ready()
    assert library.status() == "No articles are indexed yet: add some in the Articles tab."


def test_library_uploads_report_each_file(sample_settings, embedder, tmp_path):
    library = Library(Collection(sample_settings, embedder))
    library.ensure_ready()
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "notes.md").write_text("# Kabul notes\n\nThe embassy in Kabul reopened under guard.")
    (incoming / "broken.pdf").write_bytes(b"not a pdf")
    (incoming / "paper.pdf").write_bytes(minimal_pdf(["Water rights matter to Pakistan."], title="Water"))
    (incoming / "copy.txt").write_bytes(SAMPLE_ARTICLE.read_bytes())
    (incoming / "x.exe").write_bytes(b"MZ")
    progress = []
    lines = library.add_uploads([str(incoming / n) for n in ("notes.md", "broken.pdf", "paper.pdf", "copy.txt",
                                                              "x.exe")], progress=lambda f, desc: progress.append(desc))
    assert lines[1].startswith("Failed: broken.pdf — not a readable PDF")
    assert lines[:1] + lines[2:] == [
        "Added: notes.md", "Added: paper.pdf",
        "Skipped: copy.txt — same text as article 'khalilzad-on-iskp-ttp-and-pakistan'",
        "Failed: x.exe — .exe is not supported: use .txt, .md, .html, .htm, .pdf"]
    assert progress[0] == "Indexing notes.md" and len(progress) == 5
    assert sorted(p.name for p in uploads_dir(sample_settings).iterdir()) == ["notes.md", "paper.pdf"]
    assert {a.title for a in library.articles()} >= {"Kabul notes", "Water"}
    assert "3 articles indexed" in library.status()


def test_an_upload_the_index_refuses_leaves_no_copy(sample_settings, embedder, tmp_path, monkeypatch):
    library = Library(Collection(sample_settings, embedder))
    library.ensure_ready()
    (tmp_path / "notes.md").write_text("# Kabul notes\n\nThe embassy in Kabul reopened under guard.")

    def locked(sources, progress=False):
        raise UserError("another ingest is writing to this index")

    monkeypatch.setattr(library.collection, "add", locked)
    assert library.add_uploads([str(tmp_path / "notes.md")]) == ["Failed: notes.md — another ingest is writing to this index"]
    assert list(uploads_dir(sample_settings).iterdir()) == []


def test_uploads_switched_off(sample_settings, embedder):
    library = Library(Collection(replace(sample_settings, allow_uploads=False), embedder))
    with pytest.raises(UserError, match="uploads are switched off on this deployment"):
        library.add_uploads([str(SAMPLE_ARTICLE)])


# ---- the app on loopback, through gradio_client: the contract scripts and `cli.py eval --app` rely on ----

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import app
    from bench.screenshot import free_port
    from index.embedders import HashingEmbedder

    root = tmp_path_factory.mktemp("served")
    settings = Settings(index_dir=root / "index", articles_dir=root / "articles", embed_model="hashing")
    settings.articles_dir.mkdir()
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    chat_app = app.ChatApp(QAPipeline(settings, embedder=HashingEmbedder()))
    chat_app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield SimpleNamespace(url=chat_app.demo.local_url, settings=settings)
    chat_app.demo.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served.url, verbose=False, analytics_enabled=False, download_files=False)


def test_ask_endpoint_returns_the_cli_json(client, served, embedder):
    payload = client.predict("What does the author say about Bagram?", 4, api_name="/ask")
    assert payload["answered"] is True and len(payload["hits"]) == 4
    text = served.settings.articles_dir.joinpath(SAMPLE_ARTICLE.name).read_text()
    for cited in payload["citations"]:
        assert f"[{cited['n']}]" in payload["answer"] and cited["quote"] in text
    expected = QAPipeline(served.settings, embedder=embedder).ask("What does the author say about Bagram?", k=4)
    shown = answer_to_dict(expected, lambda source: source.rsplit("/", 1)[-1])  # files below articles/: by name
    assert payload == shown, "the JSON of `cli.py ask --json`, sources shown relative to the articles folder"


def test_articles_endpoint_and_only_named_endpoints_are_public(client):
    listing = client.predict(api_name="/articles")
    assert [(a["id"], a["chunks"]) for a in listing] == [("khalilzad-on-iskp-ttp-and-pakistan", 7)]
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask", "/articles"}


def test_ask_endpoint_reports_user_errors_as_one_line(client):
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", 5, api_name="/ask")


def test_a_late_restore_never_wipes_a_question_asked_on_the_page(indexed, embedder):
    """On a slow first start the browser's kept conversation may come back after the visitor asked: the question
    and its working indicator stayed hidden until the answer came (a browser test caught it in CI)."""
    import gradio as gr

    import app
    from ui.conversation import saved_form

    chat_app = app.ChatApp(QAPipeline(indexed, embedder=embedder))
    earlier = Turn("Who wrote it?", text="Someone did.", stopped=True)
    kept = saved_form([earlier])
    assert chat_app.restore(kept, app.Visit())[2] == [earlier], "a reload shows the kept conversation"
    visit = app.Visit()
    steps = chat_app.ask_in_chat("What about Bagram?", [], kept, visit, "offline", 4, None, "", "", "",
                                 SimpleNamespace(session_hash="late-restore"))
    asked = next(steps)[2]
    assert [turn.question for turn in asked] == ["Who wrote it?", "What about Bagram?"], "asked before the restore"
    assert all(update == gr.skip() for update in chat_app.restore(kept, visit)), "the restore comes too late"
    assert list(steps)[-1][2][-1].answer.answered
    cleared = app.Visit()
    chat_app.new_chat(cleared)
    assert all(update == gr.skip() for update in chat_app.restore(kept, cleared)), "New chat was pressed first"


def test_uploads_off_hides_the_upload_box(settings, embedder):
    import app

    demo = app.ChatApp(QAPipeline(replace(settings, allow_uploads=False), embedder=embedder)).demo
    ids = {block.elem_id for block in demo.blocks.values()}
    assert "uploads-off" in ids and "upload" not in ids
    assert "upload" in {block.elem_id for block in app.ChatApp(QAPipeline(settings, embedder)).demo.blocks.values()}


def test_building_the_page_makes_no_temporary_folder(settings, embedder):
    import tempfile

    import app

    def exports():
        return set(Path(tempfile.gettempdir()).glob("ragqa-exports-*"))

    before = exports()
    app.ChatApp(QAPipeline(settings, embedder=embedder))
    assert exports() == before, "the exports' folder is made at the first export, and removed at exit"


def test_exports_survive_their_folder_being_cleaned_away(sample_settings):
    import app
    from ui.chat import Turn

    exports = app.Exports(sample_settings)
    turns = [Turn("Where?", error="No index yet.")]
    def exported() -> Path | None:
        value = exports.buttons(turns)[1].value  # gradio's file data: {"path": ...}
        return Path(value["path"]) if value else None

    first = exported()
    shutil.rmtree(exports.folder)  # a temp cleaner, while the app runs
    again = exported()
    assert again and again.is_file() and again.name == first.name
