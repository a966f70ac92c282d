"""The Gradio front end: a chat with cited, streamed answers beside their sources, an articles view with
uploads, and the named API endpoints `ask` and `articles`. Run `python app.py`: the page is served while the model
and the index load in the background (its status line says how far they got). Importing this module loads no model
and builds no index (the first page load or API call does)."""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr

from qa.answer import answer_to_dict
from qa.filters import ArticleFilter
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings
from ui.chat import AskOptions, Turn, chat_messages, plain_sentence, respond, stop
from ui.conversation import export_json, export_markdown, restored, saved_form
from ui.examples import example_questions
from ui.library import Library, hide_paths, shown_source
from ui.render import article_html, articles_rows, escape_html, escape_markdown, sources_html
from ui.uploads import ALLOWED_SUFFIXES

STATIC = Path(__file__).resolve().parent / "ui" / "static"
CSS = (STATIC / "app.css").read_text()
JS = (STATIC / "app.js").read_text()
# System fonts: nothing is fetched from a font service, so the page looks the same offline and inside iframes.
THEME = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate",
                       font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]).set(
    # WCAG AA (4.5:1) for every text: Soft's indigo-500 and slate-400 text reach only 2.5 to 4.3:1 (dark mode's
    # accent is lighter, in app.css)
    color_accent="*primary_700", body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_400",
    block_label_text_color="*primary_700", block_title_text_color="*primary_700",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_600",
    button_primary_background_fill_dark="*primary_700", checkbox_label_background_fill_selected="*primary_700",
    checkbox_label_background_fill_selected_dark="*primary_700")
ARTICLE_HEADERS = ["Title", "Author", "Date", "Chunks", "Source"]
PRIVATE = {"api_visibility": "private"}  # UI plumbing stays out of the public API
MAX_PASSAGES = 20  # k, on the slider and through the API: it bounds the work and the size of one answer
# gradio's /gradio_api/upload route takes files from anyone, whatever the page shows: its copies are deleted after an
# hour (the app copies the ones it indexes at once), and with uploads off it takes nothing over 1 KB.
UPLOAD_CACHE = (3600, 3600)  # delete_cache: every hour, files older than an hour
# Offline answers computed at once: one per core, as each is mostly one model call on one thread (index/embedders.py).
# On 2 cores, 2, 4 and 8 at once gave the same answers per second under 30 users (bench/load_test.py).
OFFLINE_ANSWERS = os.cpu_count() or 1
PROGRESS_EVERY_S = 0.25  # how often a page waiting for the model and index checks how far they got
EXPORTS_KEPT_S = 3600  # exported conversations are written per request and removed after an hour
WORKING = ('<div class="working-dots" aria-hidden="true"><span></span><span></span><span></span></div>'
           '<span>Writing the answer…</span>')


def build_demo(pipeline: QAPipeline) -> gr.Blocks:
    library = Library(pipeline)
    settings = pipeline.settings
    # Answers (chat and /ask) share one queue with OFFLINE_ANSWERS places more than the LLM lane has: LLM answers
    # hold at most pipeline.llm_lane.slots of them (a question beyond is quoted at once) for at most their deadline,
    # so offline answers never wait behind an LLM writing.
    answers = {"concurrency_id": "answers", "concurrency_limit": OFFLINE_ANSWERS + pipeline.llm_lane.slots}
    with gr.Blocks(title="Article QA", analytics_enabled=False, delete_cache=UPLOAD_CACHE) as demo:
        demo.library = library  # for launch() and tests
        gr.HTML('<h1>Article QA</h1><p>Ask about the articles; every claim cites the sentence it quotes.</p>',
                elem_id="header", js_on_load=None)
        status = gr.Markdown("Starting…", elem_id="status")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask_tab = _ask_tab(settings, pipeline)
            with gr.Tab("Articles", id="articles"):
                articles_tab = _articles_tab(settings)
        listing = [status, articles_tab["table"], ask_tab["examples"], ask_tab["article_filter"]]

        def on_load():
            loading, shown = library.load_in_background(), None
            while loading.is_alive():  # the page is up: say how far the model and index got
                if library.stage != shown:
                    shown = library.stage
                    yield escape_markdown(shown), *[gr.skip()] * 3
                loading.join(PROGRESS_EVERY_S)
            try:  # ready now, or the cause it is not; a damaged index is named here, not in gradio's generic error
                library.ensure_ready()
            except UserError as exc:
                yield escape_markdown(plain_sentence(hide_paths(str(exc), settings))), *[gr.skip()] * 3
                return
            yield _listing(library)

        def add_files(files, progress=gr.Progress()):
            if not files:
                return ("Choose one or more files first.", *[gr.skip()] * 4, gr.skip())
            try:
                lines = library.add_uploads(files, progress=progress)
            except UserError as exc:
                return (escape_markdown(plain_sentence(hide_paths(str(exc), settings))), *[gr.skip()] * 4, None)
            # file names come from the visitor's browser: escaped like all other text
            return ("\n".join(f"- {escape_markdown(line)}" for line in lines), *_listing(library), None)

        # every visitor sees the progress, none waits for another's page to load (waiting is no work)
        demo.load(on_load, outputs=listing, concurrency_limit=None, **PRIVATE)
        _chat(demo, pipeline, library, ask_tab, answers)
        if settings.allow_uploads:
            articles_tab["add"].click(add_files, articles_tab["files"],
                                      [articles_tab["result"], *listing, articles_tab["files"]], **PRIVATE)
        if settings.allow_delete:
            _wire_delete(library, articles_tab, listing)
        _api(pipeline, library, answers)
    return demo


def _chat(demo: gr.Blocks, pipeline: QAPipeline, library: Library, ask_tab: dict, answers: dict) -> None:
    """The Ask tab's events: a question streams its answer (the box keeps a draft typed meanwhile), Stop ends it,
    New chat starts over, the conversation is kept in the browser and exported, the filter shows as chips."""
    turns = gr.State([])
    # the conversation as JSON in the visitor's localStorage, so a reload keeps it (encrypted by gradio)
    saved = gr.BrowserState([], storage_key="ragqa-conversation")
    exports = _Exports(library)
    stopped_in: set[str] = set()  # sessions whose answer Stop ended; their answering generator ends at its next step
    # what a settled conversation updates: the chat, the sources, the turns here and in the browser, the
    # working indicator (hidden) and the two exports
    settled_outputs = [ask_tab["chatbot"], ask_tab["sources"], turns, saved, ask_tab["working"],
                       ask_tab["export_md"], ask_tab["export_json"]]

    def settled(updated: list[Turn]) -> tuple:
        return (chat_messages(updated), sources_html(updated, library.documents()), updated, saved_form(updated),
                gr.Row(visible=False), *exports.buttons(updated))

    def ask_in_chat(question, current, mode, k, doc_ids, author, since, until, request: gr.Request):
        try:  # the author and date inputs narrow the articles chosen; a bad date is said in the chat
            doc_ids = _filtered_ids(library, doc_ids, author, since, until)
        except UserError as exc:
            if str(question or "").strip():  # blank input starts no turn, as in respond
                yield settled([*current, Turn(" ".join(str(question).split()), error=plain_sentence(str(exc)))])
            return
        options = AskOptions(mode=mode, k=int(k), doc_ids=tuple(doc_ids or ()))
        stopped_in.discard(request.session_hash)
        steps = respond(pipeline, question, current, options)
        for step, updated in enumerate(steps):
            if request.session_hash in stopped_in:  # Stop: this yield, not a late one, is the last word
                stopped_in.discard(request.session_hash)
                steps.close()  # closes the pipeline's stream, and so the LLM's connection
                yield settled(stop(updated))
                return
            if updated[-1].settled:
                yield settled(updated)
                continue
            if step == 0:  # the question shows at once, with the indicator, even while the index is built
                yield (chat_messages(updated), sources_html(updated, library.documents()), updated, gr.skip(),
                       gr.Row(visible=True), gr.skip(), gr.skip())
                _ready_or_let_the_pipeline_say_why(library)
            else:
                yield chat_messages(updated), gr.skip(), updated, *[gr.skip()] * 4

    def take_question(question):
        """Empties the box as the question is sent, and only then: a draft typed while the answer streams stays."""
        return "", question

    demo.load(lambda kept: settled(restored(kept)), saved, settled_outputs, concurrency_limit=None, **PRIVATE)
    asked = gr.State("")
    chat_inputs = [asked, turns, ask_tab["mode"], ask_tab["k"], ask_tab["article_filter"], ask_tab["author"],
                   ask_tab["since"], ask_tab["until"]]
    # the page's script sends one question at a time (app.js queues the next), so an answer never waits on gradio's
    # record of the one Stop just ended: "multiple"
    answer = {"show_progress": "hidden", "trigger_mode": "multiple", **answers, **PRIVATE}
    answering = ask_tab["question"].submit(
        take_question, ask_tab["question"], [ask_tab["question"], asked], queue=False, **PRIVATE).then(
        ask_in_chat, chat_inputs, settled_outputs, **answer)
    from_example = ask_tab["examples"].click(lambda sample: sample[0], ask_tab["examples"], asked, **PRIVATE).then(
        ask_in_chat, chat_inputs, settled_outputs, **answer)

    def stop_answer(current, request: gr.Request):
        stopped_in.add(request.session_hash)
        return settled(stop(current))

    ask_tab["stop"].click(stop_answer, turns, settled_outputs,
                          cancels=[answering, from_example], concurrency_limit=None, **PRIVATE)
    for clearing in (ask_tab["new_chat"].click, ask_tab["chatbot"].clear):
        clearing(lambda: settled([]), None, settled_outputs, cancels=[answering, from_example],
                 concurrency_limit=None, **PRIVATE)
    filter_shown = [ask_tab["filter_row"], ask_tab["filter_chips"]]
    ask_tab["article_filter"].change(lambda ids: _filter_chips(ids, library), ask_tab["article_filter"],
                                     filter_shown, queue=False, **PRIVATE)
    ask_tab["clear_filter"].click(list, None, ask_tab["article_filter"], queue=False, **PRIVATE)
    ask_tab["open_request"].change(lambda request: (gr.Column(visible=True), article_html(request, library.documents())),
                                  ask_tab["open_request"], [ask_tab["reader"], ask_tab["reader_article"]],
                                  queue=False, **PRIVATE)
    ask_tab["reader_close"].click(lambda: gr.Column(visible=False), None, ask_tab["reader"], queue=False, **PRIVATE)


class _Exports:
    """The conversation written as Markdown and JSON files for the two download buttons: one pair per request, in a
    folder of their own, removed after EXPORTS_KEPT_S (gradio serves its own copies meanwhile)."""

    def __init__(self, library: Library):
        self.library = library
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        """Made at the first export, not when the page is built, and removed when the app exits."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="ragqa-exports-"))
            atexit.register(shutil.rmtree, self._folder, True)
        return self._folder

    def buttons(self, turns: list[Turn]) -> tuple:
        if not any(turn.settled for turn in turns):
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(value=None, interactive=False)
        try:
            markdown, data = self._write(turns)
        except OSError:  # a full disk, or a temp cleaner took the folder: the answer still shows, without exports
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(value=None, interactive=False)
        return gr.DownloadButton(value=str(markdown), interactive=True), gr.DownloadButton(value=str(data),
                                                                                           interactive=True)

    def _write(self, turns: list[Turn]) -> tuple[Path, Path]:
        self._remove_old()
        folder = self.folder / uuid.uuid4().hex
        folder.mkdir(parents=True)  # parents: the folder may have been cleaned away since the first export

        def shown(source: str) -> str:  # no server paths
            return shown_source(source, self.library.settings)

        markdown, data = folder / "conversation.md", folder / "conversation.json"
        markdown.write_text(export_markdown(turns, shown), encoding="utf-8")
        data.write_text(export_json(turns, shown), encoding="utf-8")
        return markdown, data

    def _remove_old(self) -> None:
        now = time.time()
        for folder in list(self.folder.iterdir()) if self.folder.is_dir() else []:
            with contextlib.suppress(OSError):  # another request may be removing it too
                if now - folder.stat().st_mtime > EXPORTS_KEPT_S:
                    shutil.rmtree(folder)


def _filter_chips(doc_ids: list[str] | None, library: Library) -> tuple:
    """The article filter shown beside the question box while it is set, as one chip per article."""
    if not doc_ids:
        return gr.Row(visible=False), ""
    documents = library.documents()
    chips = "".join(f'<span class="chip">{escape_html(documents[i].title if i in documents else i)}</span>'
                    for i in doc_ids)
    return gr.Row(visible=True), f'<div class="filter-chips"><span>Only searching:</span> {chips}</div>'


def _llm_label(pipeline: QAPipeline) -> str:
    """The LLM choice's label: its backend and model when one is configured (never its key)."""
    if not pipeline.llm_available:
        return "LLM (none configured)"
    named = " · ".join(part for part in (pipeline.settings.llm_backend, pipeline.settings.llm_model) if part)
    return f"LLM ({named})" if named else "LLM"


def _ask_tab(settings: Settings, pipeline: QAPipeline) -> dict:
    parts = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            parts["chatbot"] = gr.Chatbot(
                elem_id="chat", show_label=False, height="62vh", latex_delimiters=[], buttons=["copy"],
                feedback_options=None, placeholder="Ask a question below, or pick an example.")
            with gr.Row(visible=False, elem_id="working", equal_height=True) as parts["working"]:
                gr.HTML(WORKING, elem_id="working-note", js_on_load=None)
                parts["stop"] = gr.Button("Stop", elem_id="stop", size="sm", variant="stop", scale=0, min_width=80)
            parts["question"] = gr.Textbox(placeholder="Ask about the articles…", show_label=False, lines=1,
                                           max_lines=4, submit_btn="Ask", elem_id="question", autofocus=True)
            with gr.Row(visible=False, elem_id="filter-row", equal_height=True) as parts["filter_row"]:
                parts["filter_chips"] = gr.HTML("", elem_id="filter-chips", js_on_load=None)
                parts["clear_filter"] = gr.Button("Search all articles", elem_id="clear-filter", size="sm",
                                                  scale=0, min_width=160)
            with gr.Row(elem_id="conversation-actions"):  # one line, on phones too
                parts["new_chat"] = gr.Button("New chat", elem_id="new-chat", size="sm", min_width=90)
                parts["export_md"] = gr.DownloadButton("Export Markdown", elem_id="export-md", size="sm",
                                                       interactive=False, min_width=90)
                parts["export_json"] = gr.DownloadButton("Export JSON", elem_id="export-json", size="sm",
                                                         interactive=False, min_width=90)
            parts["examples"] = gr.Dataset(components=[parts["question"]], samples=[], label="Examples",
                                           elem_id="examples", samples_per_page=6)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                parts["mode"] = _mode_choice(settings, pipeline)
                parts["k"] = gr.Slider(1, MAX_PASSAGES, value=settings.top_k, step=1, label="Passages to retrieve")
                parts["article_filter"] = gr.Dropdown(choices=[], multiselect=True, label="Only search these articles",
                                                      info="Leave empty to search them all.")
                parts.update(_author_and_date_inputs())
        with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
            gr.HTML("<h2>Sources</h2>", js_on_load=None)
            parts["sources"] = gr.HTML(sources_html([], {}), elem_id="sources", js_on_load=None)
    # a card's "Open the article here" (app.js writes its request into the hidden box) shows the whole article over
    # the page, scrolled to the quote
    parts["open_request"] = gr.Textbox(elem_id="open-request", show_label=False, container=False)
    with gr.Column(visible=False, elem_id="reader") as parts["reader"]:
        parts["reader_close"] = gr.Button("Close the article", elem_id="reader-close", size="sm")
        parts["reader_article"] = gr.HTML("", elem_id="reader-article", js_on_load=None)
    return parts


def _author_and_date_inputs() -> dict:
    """Beside the article filter: the filters Retriever.search has, by author and by the article's date."""
    with gr.Row(elem_id="author-date-filters"):
        return {"author": gr.Textbox(label="Author", placeholder="part of the name", elem_id="filter-author"),
                "since": gr.Textbox(label="Dated from", placeholder="YYYY-MM-DD", elem_id="filter-since"),
                "until": gr.Textbox(label="Dated until", placeholder="YYYY-MM-DD", elem_id="filter-until")}


def _filtered_ids(library: Library, doc_ids, author, since, until,
                  fields=("Author", "Dated from", "Dated until")) -> set[str] | None:
    """The articles to search: those chosen (all when none is), by that author, dated within the dates; `fields`
    names the inputs in errors."""
    articles = ArticleFilter.checked(doc_ids, author, since, until, fields=fields)
    return articles.ids(library.documents()) if articles.narrows else None


def _mode_choice(settings: Settings, pipeline: QAPipeline) -> gr.Radio:
    """Offline or LLM answers; with no LLM configured the choice is shown disabled, saying why."""
    choices = [("Offline: quote the articles", "offline"), (_llm_label(pipeline), "llm")]
    info = "Offline answers quote the most relevant sentences verbatim."
    if not pipeline.llm_available:
        return gr.Radio(choices, value="offline", label="Answer mode", interactive=False, elem_id="mode",
                        info=info + " LLM answers are off: this server has no LLM configured (RAGQA_LLM_BACKEND).")
    return gr.Radio(choices, value=settings.answer_mode, label="Answer mode", info=info, elem_id="mode")


def _articles_tab(settings: Settings) -> dict:
    # widths that keep every column readable: on a phone the table scrolls sideways within its box
    parts = {"table": gr.Dataframe(headers=ARTICLE_HEADERS, value=[], interactive=False, wrap=True,
                                   elem_id="articles-table", label="Indexed articles",
                                   column_widths=["320px", "160px", "120px", "80px", "300px"])}
    if settings.allow_delete:
        parts.update(_delete_box())
    if not settings.allow_uploads:
        gr.Markdown("Uploads are switched off on this deployment.", elem_id="uploads-off")
        return parts
    parts["files"] = gr.File(file_count="multiple", elem_id="upload", file_types=list(ALLOWED_SUFFIXES),
                             label=f"Add articles: {' '.join(ALLOWED_SUFFIXES)}, up to {settings.max_upload_mb} MB each")
    parts["add"] = gr.Button("Add to the index", variant="primary")
    parts["result"] = gr.Markdown(elem_id="upload-result")
    return parts


def _delete_box() -> dict:
    with gr.Row(elem_id="delete-row"):
        choice = gr.Dropdown(choices=[], label="Delete an article", elem_id="delete-choice", scale=3,
                             info="It is taken out of the index; the other articles stay.")
        button = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)
    return {"delete_choice": choice, "delete": button, "deleted": gr.Markdown(elem_id="delete-result")}


def _wire_delete(library: Library, articles_tab: dict, listing: list) -> None:
    """The delete button takes the chosen article out; its choices follow the articles table."""
    def delete(doc_id):
        try:
            line = library.delete_article(doc_id)
        except UserError as exc:
            return (escape_markdown(plain_sentence(hide_paths(str(exc), library.settings))), *[gr.skip()] * 4)
        return (escape_markdown(line), *_listing(library))

    articles_tab["delete"].click(delete, articles_tab["delete_choice"], [articles_tab["deleted"], *listing], **PRIVATE)
    articles_tab["table"].change(
        lambda: gr.Dropdown(choices=[(a["title"], a["id"]) for a in library.articles()], value=None),
        outputs=articles_tab["delete_choice"], **PRIVATE)


def _listing(library: Library) -> tuple:
    """Status line, articles table, example questions and the article filter, from the current index."""
    articles = library.articles()
    documents = library.documents()
    return (escape_markdown(library.status()), articles_rows(articles),
            gr.Dataset(samples=[[q] for q in example_questions(list(documents.values()))]),
            gr.Dropdown(choices=[(a["title"], a["id"]) for a in articles]))


def _ready_or_let_the_pipeline_say_why(library: Library) -> None:
    try:
        library.ensure_ready()
    except UserError:
        pass  # the pipeline then refuses the question with the same cause, shown in the chat


def _api(pipeline: QAPipeline, library: Library, lane: dict) -> None:
    """Named endpoints for scripts: gradio_client.Client(url).predict(question, k, api_name="/ask")."""
    settings = pipeline.settings

    def ask(question: str, k: int = settings.top_k, mode: str = settings.answer_mode, author: str = "",
            since: str = "", until: str = "") -> dict:
        """Answer a question from the indexed articles (k passages, 1 to 20; mode "offline" or "llm"; optionally
        only articles whose author's name contains `author`, dated from `since` until `until`, as YYYY-MM-DD,
        YYYY-MM or YYYY); returns the JSON of `cli.py ask --json`, each source shown relative to the articles
        folder or as its web address."""
        passages = _passages(k)
        _ready_or_let_the_pipeline_say_why(library)
        try:
            doc_ids = _filtered_ids(library, None, author, since, until, fields=("author", "since", "until"))
            answer = pipeline.ask(question, k=passages, mode=mode, doc_ids=doc_ids)
        except UserError as exc:
            raise gr.Error(hide_paths(str(exc), settings)) from None
        return answer_to_dict(answer, lambda source: shown_source(source, settings))

    def articles() -> list[dict]:
        """The indexed articles: id, title, source, author, date, url and chunk count."""
        _ready_or_let_the_pipeline_say_why(library)
        try:
            return library.articles()
        except UserError as exc:
            raise gr.Error(hide_paths(str(exc), settings)) from None

    gr.api(ask, api_name="ask", **lane)
    gr.api(articles, api_name="articles")


def _passages(k) -> int:
    """The API's k as the slider would give it, or a one-line error."""
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 1 <= k <= MAX_PASSAGES or k != int(k):
        raise gr.Error(f"k must be a whole number from 1 to {MAX_PASSAGES}, not {str(k)[:20]}")
    return int(k)


def launch(demo: gr.Blocks, **options):
    """Launch with the page's look and limits; `options` go to gr.Blocks.launch (ports, prevent_thread_lock…)."""
    settings = demo.library.settings
    # The one size limit, the upload box's label states: gradio refuses a larger file in the browser, before
    # sending it, and on the server; the app's own check (ui/uploads.py) says the same for files it copies.
    max_file_size = settings.max_upload_mb * 2**20 if settings.allow_uploads else "1kb"
    return demo.launch(theme=THEME, css=CSS, js=JS, max_file_size=max_file_size, **options)


try:
    demo = build_demo(QAPipeline(Settings.from_env()))
except UserError as exc:  # a bad RAGQA_* setting: one line, not a traceback
    raise SystemExit(f"error: {exc}") from None

if __name__ == "__main__":
    # Loading sooner, beside gradio's import, gains nothing (both hold the GIL) and delays the page by a second.
    demo.library.load_in_background()
    launch(demo)
