"""The Gradio front end: a chat with cited, streamed answers beside their sources, an articles view with
uploads, and the named API endpoints `ask` and `articles`. Run `python app.py`: the page is served while the model
and the index load in the background (its status line says how far they got). Importing this module loads no model
and builds no index (the first page load or API call does)."""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # `python app.py --help` explains and exits, before anything loads; it takes no arguments
    import argparse

    argparse.ArgumentParser(
        prog="python app.py",
        description="Serve the chat page (http://127.0.0.1:7860) over the index in RAGQA_INDEX_DIR (default "
                    "data/index, built from data/articles/ on first start). It takes no arguments: settings come "
                    "from RAGQA_* variables (README, Settings); GRADIO_SERVER_NAME and GRADIO_SERVER_PORT set "
                    "the address.").parse_args()

import gradio as gr  # noqa: E402 - after the help above, which must not wait for it

from qa.answer import answer_to_dict
from qa.filters import ArticleFilter
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings
from ui.chat import AskOptions, Turn, chat_messages, plain_sentence, respond, stop
from ui.conversation import export_json, export_markdown, restored, saved_form
from ui.examples import example_questions
from ui.library import CONFIRM_DELETE, Library, hide_paths, shown_source
from ui.render import article_choices, article_html, articles_rows, escape_html, escape_markdown, sources_html
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
DELETE = "Delete"  # the delete button's label; it asks before it deletes (CONFIRM_DELETE)
PRIVATE = {"api_visibility": "private"}  # UI plumbing stays out of the public API
MAX_PASSAGES = 20  # k, on the slider and through the API: it bounds the work and the size of one answer
# gradio's /gradio_api/upload route takes files from anyone, whatever the page shows: its copies are deleted after an
# hour (the app copies the ones it indexes at once), and with uploads off it takes nothing over 1 KB.
UPLOAD_CACHE = (3600, 3600)  # delete_cache: every hour, files older than an hour
# Offline answers in progress at once. An answer computes for about 12 ms (its one model call bounds itself to a core,
# index/embedders.py) and spends the rest in gradio's queue and streaming, so a few places per core keep the cores
# busy. Under 30 users on a quiet 2-core machine, one place per core and four gave the same p95 (1.76 s) and 20.2
# against 21.6 answers/s, with the same answers (bench/load_test.py, docs/benchmarks.md): the users' clients bound it.
OFFLINE_ANSWERS = 4 * (os.cpu_count() or 1)
PROGRESS_EVERY_S = 0.25  # how often a page waiting for the model and index checks how far they got
EXPORTS_KEPT_S = 3600  # exported conversations are written per request and removed after an hour
WORKING = ('<div class="working-dots" aria-hidden="true"><span></span><span></span><span></span></div>'
           '<span>Writing the answer…</span>')


@dataclass
class AskTab:
    """The Ask tab's components, by name."""
    chatbot: gr.Chatbot
    working: gr.Row  # the "Writing the answer…" indicator, with Stop
    stop: gr.Button
    question: gr.Textbox
    filter_row: gr.Row  # the article filter as chips beside the question box, while it is set
    filter_chips: gr.HTML
    clear_filter: gr.Button
    new_chat: gr.Button
    export_md: gr.DownloadButton
    export_json: gr.DownloadButton
    examples: gr.Dataset
    mode: gr.Radio
    k: gr.Slider
    article_filter: gr.Dropdown
    author: gr.Textbox
    since: gr.Textbox
    until: gr.Textbox
    sources: gr.HTML
    open_request: gr.Textbox  # app.js writes a card's "Open the article here" into it
    reader: gr.Column  # the whole article over the page
    reader_close: gr.Button
    reader_article: gr.HTML


@dataclass
class Visit:
    """One page load: whether the visitor has started (asked or cleared) a conversation on it yet."""
    started: bool = False


@dataclass
class ArticlesTab:
    """The Articles tab's components; the delete and upload ones only where they are switched on."""
    table: gr.Dataframe
    delete_choice: gr.Dropdown | None = None
    delete: gr.Button | None = None
    deleted: gr.Markdown | None = None
    files: gr.File | None = None
    add: gr.Button | None = None
    result: gr.Markdown | None = None


class ChatApp:
    """The page around a QAPipeline: its layout, its event handlers (the methods below) and the API endpoints.
    `demo` is the gr.Blocks to launch; building it loads no model and reads no index."""

    def __init__(self, pipeline: QAPipeline):
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.library = Library(pipeline.collection)
        self.exports = Exports(self.settings)
        self._stopped_in: set[str] = set()  # sessions whose answer Stop ended; their generator ends at its next step
        self._examples: tuple[str | None, list[str]] = (None, [])  # (index generation, its example questions)
        # Answers (chat and /ask) share one queue with OFFLINE_ANSWERS places more than the LLM lane has: LLM answers
        # hold at most pipeline.llm_lane.slots of them (a question beyond is quoted at once) for at most their
        # deadline, so offline answers never wait behind an LLM writing.
        self._answers = {"concurrency_id": "answers", "concurrency_limit": OFFLINE_ANSWERS + pipeline.llm_lane.slots}
        with gr.Blocks(title="Article QA", analytics_enabled=False, delete_cache=UPLOAD_CACHE) as self.demo:
            gr.HTML('<h1>Article QA</h1><p>Ask about the articles; every claim cites the sentence it quotes.</p>',
                    elem_id="header", js_on_load=None)
            self.status = gr.Markdown("Starting…", elem_id="status")
            with gr.Tabs():
                with gr.Tab("Ask", id="ask"):
                    self.ask_tab = _ask_tab(self.settings, pipeline)
                with gr.Tab("Articles", id="articles"):
                    self.articles_tab = _articles_tab(self.settings)
            # what _listing updates
            self.listing = [self.status, self.articles_tab.table, self.ask_tab.examples, self.ask_tab.article_filter]
            self._wire()

    def launch(self, **options):
        """Launch with the page's look and limits; `options` go to gr.Blocks.launch (ports, prevent_thread_lock…)."""
        # The one size limit, the upload box's label states: gradio refuses a larger file in the browser, before
        # sending it, and on the server; the app's own check (ui/uploads.py) says the same for files it copies.
        max_file_size = self.settings.max_upload_mb * 2**20 if self.settings.allow_uploads else "1kb"
        return self.demo.launch(theme=THEME, css=CSS, js=JS, max_file_size=max_file_size, **options)

    # -- wiring ----------------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        # every visitor sees the progress, none waits for another's page to load (waiting is no work)
        self.demo.load(self.show_loading, outputs=self.listing, concurrency_limit=None, **PRIVATE)
        self._wire_chat()
        tab = self.articles_tab
        if self.settings.allow_uploads:
            tab.add.click(self.add_files, tab.files, [tab.result, *self.listing, tab.files], **PRIVATE)
            tab.files.change(lambda files: gr.Button(interactive=bool(files)), tab.files, tab.add, **PRIVATE)
        if self.settings.allow_delete:
            confirming = gr.State(None)  # the article the button asked about: a second click deletes it
            tab.delete.click(self.delete, [tab.delete_choice, confirming],
                             [tab.deleted, confirming, tab.delete, *self.listing], **PRIVATE)
            # another choice is asked about afresh; with none, there is nothing to delete
            tab.delete_choice.input(lambda choice: ("", None, gr.Button(DELETE, interactive=bool(choice))),
                                    tab.delete_choice, [tab.deleted, confirming, tab.delete], queue=False, **PRIVATE)
            tab.table.change(self.delete_choices, outputs=[tab.delete_choice, confirming, tab.delete], **PRIVATE)
        self._api()

    def _wire_chat(self) -> None:
        """A question streams its answer (the box keeps a draft typed meanwhile), Stop ends it, New chat starts over,
        the conversation is kept in the browser and exported, the filter shows as chips."""
        tab = self.ask_tab
        turns = gr.State([])
        # the conversation as JSON in the visitor's localStorage, so a reload keeps it (encrypted by gradio)
        saved = gr.BrowserState([], storage_key="ragqa-conversation")
        # what a settled conversation updates: the chat, the sources, the turns here and in the browser, the
        # working indicator (hidden) and the two exports
        settled_outputs = [tab.chatbot, tab.sources, turns, saved, tab.working, tab.export_md, tab.export_json]
        visit = gr.State(Visit())  # one per page load, shared by reference between its events
        self.demo.load(self.restore, [saved, visit], settled_outputs, concurrency_limit=None, **PRIVATE)
        asked = gr.State("")
        chat_inputs = [asked, turns, saved, visit, tab.mode, tab.k, tab.article_filter, tab.author, tab.since,
                       tab.until]
        # the page's script sends one question at a time (app.js queues the next), so an answer never waits on
        # gradio's record of the one Stop just ended: "multiple"
        answer = {"show_progress": "hidden", "trigger_mode": "multiple", **self._answers, **PRIVATE}
        answering = tab.question.submit(take_question, tab.question, [tab.question, asked], queue=False,
                                        **PRIVATE).then(self.ask_in_chat, chat_inputs, settled_outputs, **answer)
        from_example = tab.examples.click(lambda sample: sample[0], tab.examples, asked, **PRIVATE).then(
            self.ask_in_chat, chat_inputs, settled_outputs, **answer)
        answers = [answering, from_example]
        tab.stop.click(self.stop_answer, turns, settled_outputs, cancels=answers, concurrency_limit=None,
                       **PRIVATE)
        for clearing in (tab.new_chat.click, tab.chatbot.clear):
            clearing(self.new_chat, visit, settled_outputs, cancels=answers, concurrency_limit=None, **PRIVATE)
        tab.article_filter.change(self.filter_chips, tab.article_filter, [tab.filter_row, tab.filter_chips],
                                  queue=False, **PRIVATE)
        tab.clear_filter.click(list, None, tab.article_filter, queue=False, **PRIVATE)
        tab.open_request.change(self.open_article, tab.open_request, [tab.reader, tab.reader_article], queue=False,
                                **PRIVATE)
        tab.reader_close.click(lambda: gr.Column(visible=False), None, tab.reader, queue=False, **PRIVATE)

    def _api(self) -> None:
        """Named endpoints for scripts: gradio_client.Client(url).predict(question, k, api_name="/ask"). Functions
        of their own, not methods: gradio publishes their signatures, whose defaults are the settings'."""
        settings, library = self.settings, self.library

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
                answer = self.pipeline.ask(question, k=passages, mode=mode, doc_ids=doc_ids)
            except UserError as exc:
                raise gr.Error(hide_paths(str(exc), settings)) from None
            shown = answer_to_dict(answer)
            for cited in shown["citations"]:  # shown as in the Articles tab, by the path its id mirrors
                cited["source"] = shown_source(cited["source"], settings, cited["doc_id"])
            return shown

        def articles() -> list[dict]:
            """The indexed articles: id, title, source, author, date, url and chunk count."""
            _ready_or_let_the_pipeline_say_why(library)
            try:
                return [article.as_dict() for article in library.articles()]
            except UserError as exc:
                raise gr.Error(hide_paths(str(exc), settings)) from None

        gr.api(ask, api_name="ask", **self._answers)
        gr.api(articles, api_name="articles")

    def examples(self) -> list[str]:
        """Example questions the articles answer, offline: found once per index generation, not at every page
        visit (each costs a few offline answers)."""
        generation = self.library.collection.generation
        if generation is None or self._examples[0] != generation:
            found = example_questions(list(self.library.documents().values()),
                                      answerable=lambda question: self.pipeline.ask(question, mode="offline").answered)
            self._examples = (generation, found)
        return self._examples[1]

    # -- the page's events -----------------------------------------------------------------------------------------
    def show_loading(self):
        """While the model and the index load, how far they got; then the listing, or why there is none."""
        library = self.library
        loading, shown = library.load_in_background(), None
        while loading.is_alive():  # the page is up: say how far the model and index got
            if library.stage != shown:
                shown = library.stage
                yield escape_markdown(shown), *[gr.skip()] * 3
            loading.join(PROGRESS_EVERY_S)
        try:  # ready now, or the cause it is not; a damaged index is named here, not in gradio's generic error
            library.ensure_ready()
        except UserError as exc:
            yield self._error(exc), *[gr.skip()] * 3
            return
        yield _listing(library, self.examples())

    def add_files(self, files, progress=gr.Progress()):
        if not files:
            return ("Choose one or more files first.", *[gr.skip()] * 4, gr.skip())
        try:
            lines = self.library.add_uploads(files, progress=progress)
        except UserError as exc:
            return (self._error(exc), *[gr.skip()] * 4, None)
        # one paragraph per file, its outcome in bold (no list: the box is not a list of bullets); file names come
        # from the visitor's browser: escaped like all other text
        shown = [f"**{outcome}** {escape_markdown(rest)}" for outcome, _, rest in (l.partition(" ") for l in lines)]
        return ("\n\n".join(shown), *_listing(self.library, self.examples()), None)

    def delete(self, doc_id, confirming):
        """The delete button asks first: its first click names the article and turns it into "Confirm delete"; a
        second click on the same choice takes the article out."""
        try:
            if doc_id and doc_id == confirming:
                line = self.library.delete_article(doc_id)
                return (escape_markdown(line), None, gr.Button(DELETE, interactive=False),
                        *_listing(self.library, self.examples()))
            question = self.library.delete_question(doc_id)
        except UserError as exc:
            return (self._error(exc), None, gr.Button(DELETE), *[gr.skip()] * 4)
        return (escape_markdown(question), doc_id, gr.Button(CONFIRM_DELETE), *[gr.skip()] * 4)

    def delete_choices(self) -> tuple:
        """The delete box's choices follow the articles table; a question asked about the old choice is dropped,
        so the button is "Delete" again, waiting for a choice."""
        return (gr.Dropdown(choices=article_choices(self.library.articles()), value=None), None,
                gr.Button(DELETE, interactive=False))

    def settled(self, updated: list[Turn]) -> tuple:
        return (chat_messages(updated), sources_html(updated, self.library.documents()), updated, saved_form(updated),
                gr.Row(visible=False), *self.exports.buttons(updated))

    def restore(self, kept, visit: Visit) -> tuple:
        """The conversation the browser kept, shown again after a reload, unless the visitor already asked or
        cleared on this page: a late restore (a slow first start) would wipe the question being answered."""
        shown = self.settled(restored(kept))
        return (gr.skip(),) * len(shown) if visit.started else shown

    def new_chat(self, visit: Visit) -> tuple:
        visit.started = True
        return self.settled([])

    def ask_in_chat(self, question, current, kept, visit: Visit, mode, k, doc_ids, author, since, until,
                    request: gr.Request):
        if not visit.started:  # asked before the kept conversation was shown: it goes on from there all the same
            visit.started, current = True, current or restored(kept)
        try:  # the author and date inputs narrow the articles chosen; a bad date is said in the chat
            doc_ids = _filtered_ids(self.library, doc_ids, author, since, until)
        except UserError as exc:
            if str(question or "").strip():  # blank input starts no turn, as in respond
                yield self.settled([*current, Turn(" ".join(str(question).split()), error=plain_sentence(str(exc)))])
            return
        options = AskOptions(mode=mode, k=int(k), doc_ids=tuple(doc_ids or ()))
        self._stopped_in.discard(request.session_hash)
        steps = respond(self.pipeline, question, current, options)
        for step, updated in enumerate(steps):
            if request.session_hash in self._stopped_in:  # Stop: this yield, not a late one, is the last word
                self._stopped_in.discard(request.session_hash)
                steps.close()  # closes the pipeline's stream, and so the LLM's connection
                yield self.settled(stop(updated))
                return
            if updated[-1].settled:
                yield self.settled(updated)
                continue
            if step == 0:  # the question shows at once, with the indicator, even while the index is built
                yield (chat_messages(updated), sources_html(updated, self.library.documents()), updated, gr.skip(),
                       gr.Row(visible=True), gr.skip(), gr.skip())
                _ready_or_let_the_pipeline_say_why(self.library)
            else:
                yield chat_messages(updated), gr.skip(), updated, *[gr.skip()] * 4

    def stop_answer(self, current, request: gr.Request):
        self._stopped_in.add(request.session_hash)
        return self.settled(stop(current))

    def filter_chips(self, doc_ids: list[str] | None) -> tuple:
        """The article filter shown beside the question box while it is set, as one chip per article."""
        if not doc_ids:
            return gr.Row(visible=False), ""
        documents = self.library.documents()
        chips = "".join(f'<span class="chip">{escape_html(documents[i].title if i in documents else i)}</span>'
                        for i in doc_ids)
        return gr.Row(visible=True), f'<div class="filter-chips"><span>Only searching:</span> {chips}</div>'

    def open_article(self, wanted: str) -> tuple:
        """A card's "Open the article here": the whole article over the page, scrolled to the quote."""
        return gr.Column(visible=True), article_html(wanted, self.library.documents())

    def _error(self, exc: UserError) -> str:
        """A UserError as the page shows it: one sentence, no server paths."""
        return escape_markdown(plain_sentence(hide_paths(str(exc), self.settings)))


def take_question(question):
    """Empties the box as the question is sent, and only then: a draft typed while the answer streams stays."""
    return "", question


class Exports:
    """The conversation written as Markdown and JSON files for the two download buttons: one pair per request, in a
    folder of their own, removed after EXPORTS_KEPT_S (gradio serves its own copies meanwhile)."""

    def __init__(self, settings: Settings):
        self.settings = settings
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

        def shown(source: str, doc_id: str) -> str:  # no server paths
            return shown_source(source, self.settings, doc_id)

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


def _llm_label(pipeline: QAPipeline) -> str:
    """The LLM choice's label: its backend and model when one is configured (never its key)."""
    if not pipeline.llm_available:
        return "LLM (none configured)"
    named = " · ".join(part for part in (pipeline.settings.llm_backend, pipeline.settings.llm_model) if part)
    return f"LLM ({named})" if named else "LLM"


def _ask_tab(settings: Settings, pipeline: QAPipeline) -> AskTab:
    with gr.Row(equal_height=False, elem_id="ask-row"):
        with gr.Column(scale=3, min_width=340, elem_id="ask-column"):
            chatbot = gr.Chatbot(elem_id="chat", show_label=False, height="62vh", latex_delimiters=[], buttons=["copy"],
                                 feedback_options=None, placeholder="Ask a question below, or pick an example.")
            with gr.Row(visible=False, elem_id="working", equal_height=True) as working:
                gr.HTML(WORKING, elem_id="working-note", js_on_load=None)
                stop_button = gr.Button("Stop", elem_id="stop", size="sm", variant="stop", scale=0, min_width=80)
            question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, lines=1, max_lines=4,
                                  submit_btn="Ask", elem_id="question", autofocus=True)
            with gr.Row(visible=False, elem_id="filter-row", equal_height=True) as filter_row:
                filter_chips = gr.HTML("", elem_id="filter-chips", js_on_load=None)
                clear_filter = gr.Button("Search all articles", elem_id="clear-filter", size="sm", scale=0,
                                         min_width=160)
            with gr.Row(elem_id="conversation-actions"):  # one line, on phones too
                new_chat = gr.Button("New chat", elem_id="new-chat", size="sm", min_width=90)
                export_md = gr.DownloadButton("Export Markdown", elem_id="export-md", size="sm", interactive=False,
                                              min_width=90)
                export_json = gr.DownloadButton("Export JSON", elem_id="export-json", size="sm", interactive=False,
                                                min_width=90)
            examples = gr.Dataset(components=[question], samples=[], label="Examples", elem_id="examples",
                                  samples_per_page=6)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                mode = _mode_choice(settings, pipeline)
                k = gr.Slider(1, MAX_PASSAGES, value=settings.top_k, step=1, label="Passages to retrieve")
                article_filter = gr.Dropdown(choices=[], multiselect=True, label="Only search these articles",
                                             info="Leave empty to search them all.")
                author, since, until = _author_and_date_inputs()
        with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
            gr.HTML("<h2>Sources</h2>", js_on_load=None)
            sources = gr.HTML(sources_html([], {}), elem_id="sources", js_on_load=None)
    # a card's "Open the article here" (app.js writes its request into the hidden box) shows the whole article over
    # the page, scrolled to the quote
    open_request = gr.Textbox(elem_id="open-request", show_label=False, container=False)
    with gr.Column(visible=False, elem_id="reader") as reader:
        reader_close = gr.Button("Close the article", elem_id="reader-close", size="sm")
        reader_article = gr.HTML("", elem_id="reader-article", js_on_load=None)
    return AskTab(chatbot=chatbot, working=working, stop=stop_button, question=question, filter_row=filter_row,
                  filter_chips=filter_chips, clear_filter=clear_filter, new_chat=new_chat, export_md=export_md,
                  export_json=export_json, examples=examples, mode=mode, k=k, article_filter=article_filter,
                  author=author, since=since, until=until, sources=sources, open_request=open_request,
                  reader=reader, reader_close=reader_close, reader_article=reader_article)


def _author_and_date_inputs() -> tuple[gr.Textbox, gr.Textbox, gr.Textbox]:
    """Beside the article filter: the filters Retriever.search has, by author and by the article's date."""
    with gr.Row(elem_id="author-date-filters"):
        return (gr.Textbox(label="Author", placeholder="part of the name", elem_id="filter-author"),
                gr.Textbox(label="Dated from", placeholder="YYYY-MM-DD", elem_id="filter-since"),
                gr.Textbox(label="Dated until", placeholder="YYYY-MM-DD", elem_id="filter-until"))


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


def _articles_tab(settings: Settings) -> ArticlesTab:
    # widths that keep every column readable: on a phone the table scrolls sideways within its box
    tab = ArticlesTab(gr.Dataframe(headers=ARTICLE_HEADERS, value=[], interactive=False, wrap=True,
                                   elem_id="articles-table", label="Indexed articles",
                                   column_widths=["320px", "160px", "120px", "80px", "300px"]))
    gr.Markdown("Scroll the table sideways for the author, date, chunks and source.", elem_id="articles-scroll-hint")
    if settings.allow_delete:
        with gr.Row(elem_id="delete-row"):
            tab.delete_choice = gr.Dropdown(choices=[], label="Delete an article", elem_id="delete-choice", scale=3,
                                            info="It is taken out of the index; the other articles stay.")
            tab.delete = gr.Button(DELETE, variant="stop", elem_id="delete", scale=1, interactive=False)
        tab.deleted = gr.Markdown(elem_id="delete-result")
    if not settings.allow_uploads:
        gr.Markdown("Uploads are switched off on this deployment.", elem_id="uploads-off")
        return tab
    tab.files = gr.File(file_count="multiple", elem_id="upload", file_types=list(ALLOWED_SUFFIXES),
                        label=f"Add articles: {' '.join(ALLOWED_SUFFIXES)}, up to {settings.max_upload_mb} MB each")
    tab.add = gr.Button("Add to the index", variant="primary", interactive=False)  # until files are chosen
    tab.result = gr.Markdown(elem_id="upload-result")
    return tab


def _listing(library: Library, examples: list[str]) -> tuple:
    """Status line, articles table, example questions and the article filter, from the current index."""
    articles = library.articles()
    return (escape_markdown(library.status()), articles_rows(articles), gr.Dataset(samples=[[q] for q in examples]),
            gr.Dropdown(choices=article_choices(articles)))


def _ready_or_let_the_pipeline_say_why(library: Library) -> None:
    try:
        library.ensure_ready()
    except UserError:
        pass  # the pipeline then refuses the question with the same cause, shown in the chat


def _passages(k) -> int:
    """The API's k as the slider would give it, or a one-line error."""
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 1 <= k <= MAX_PASSAGES or k != int(k):
        raise gr.Error(f"k must be a whole number from 1 to {MAX_PASSAGES}, not {str(k)[:20]}")
    return int(k)


try:
    chat_app = ChatApp(QAPipeline(Settings.from_env()))
except UserError as exc:  # a bad RAGQA_* setting: one line, not a traceback, and exit 2 as the CLI does
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
demo = chat_app.demo  # what Hugging Face Spaces and `gradio app.py` look for

if __name__ == "__main__":
    # Loading sooner, beside gradio's import, gains nothing (both hold the GIL) and delays the page by a second.
    chat_app.library.load_in_background()
    chat_app.launch()
