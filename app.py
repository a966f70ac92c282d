"""The Gradio front end: a chat with cited, streamed answers beside their sources, an articles view with
uploads, and the named API endpoints `ask` and `articles`. Run `python app.py`: the page is served while the model
and the index load in the background (its status line says how far they got). Importing this module loads no model
and builds no index (the first page load or API call does)."""
from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from qa.answer import answer_to_dict
from qa.filters import ArticleFilter
from qa.pipeline import QAPipeline
from schema import UserError
from settings import Settings
from ui.chat import AskOptions, Turn, chat_messages, plain_sentence, respond
from ui.examples import example_questions
from ui.library import Library, hide_paths, shown_source
from ui.render import articles_rows, escape_markdown, sources_html
from ui.uploads import ALLOWED_SUFFIXES

STATIC = Path(__file__).resolve().parent / "ui" / "static"
CSS = (STATIC / "app.css").read_text()
JS = (STATIC / "app.js").read_text()
# System fonts: nothing is fetched from a font service, so the page looks the same offline and inside iframes.
THEME = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate",
                       font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
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


def build_demo(pipeline: QAPipeline) -> gr.Blocks:
    library = Library(pipeline)
    settings = pipeline.settings
    # Answers (chat and /ask) share one queue with OFFLINE_ANSWERS places more than the LLM lane has: LLM answers
    # hold at most pipeline.llm_lane.slots of them (a question beyond is quoted at once) for at most their deadline,
    # so offline answers never wait behind an LLM writing.
    answers = {"concurrency_id": "answers", "concurrency_limit": OFFLINE_ANSWERS + pipeline.llm_lane.slots}
    with gr.Blocks(title="Article QA", analytics_enabled=False, delete_cache=UPLOAD_CACHE) as demo:
        demo.library = library  # for launch() and tests
        turns = gr.State([])
        gr.HTML('<h1>Article QA</h1><p>Ask about the articles; every claim cites the sentence it quotes.</p>',
                elem_id="header", js_on_load=None)
        status = gr.Markdown("Starting…", elem_id="status")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask_tab = _ask_tab(settings, _llm_label(pipeline))
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

        def ask_in_chat(question, current, mode, k, doc_ids, author, since, until):
            _ready_or_let_the_pipeline_say_why(library)
            try:  # the author and date inputs narrow the articles chosen; a bad date is said in the chat
                doc_ids = _filtered_ids(library, doc_ids, author, since, until)
            except UserError as exc:
                if not str(question or "").strip():
                    return  # blank input starts no turn, as in respond
                failed = [*current, Turn(" ".join(str(question).split()), error=plain_sentence(str(exc)))]
                yield "", chat_messages(failed), gr.skip(), failed
                return
            options = AskOptions(mode=mode, k=int(k), doc_ids=tuple(doc_ids or ()))
            for updated in respond(pipeline, question, current, options):
                done = updated[-1].answer is not None or bool(updated[-1].error)
                sources = sources_html(updated, library.documents()) if done else gr.skip()
                yield "", chat_messages(updated), sources, updated

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
        chat_outputs = [ask_tab["question"], ask_tab["chatbot"], ask_tab["sources"], turns]
        chat_inputs = [ask_tab["question"], turns, ask_tab["mode"], ask_tab["k"], ask_tab["article_filter"],
                       ask_tab["author"], ask_tab["since"], ask_tab["until"]]
        ask_tab["question"].submit(ask_in_chat, chat_inputs, chat_outputs, **answers, **PRIVATE)
        ask_tab["examples"].click(lambda sample: sample[0], ask_tab["examples"], ask_tab["question"], **PRIVATE).then(
            ask_in_chat, chat_inputs, chat_outputs, **answers, **PRIVATE)
        ask_tab["chatbot"].clear(lambda: ([], sources_html([], {})), outputs=[turns, ask_tab["sources"]], **PRIVATE)
        if settings.allow_uploads:
            articles_tab["add"].click(add_files, articles_tab["files"],
                                      [articles_tab["result"], *listing, articles_tab["files"]], **PRIVATE)
        if settings.allow_delete:
            _wire_delete(library, articles_tab, listing)
        _api(pipeline, library, answers)
    return demo


def _llm_label(pipeline: QAPipeline) -> str:
    """The LLM choice's label: its backend and model when one is configured (never its key)."""
    if not pipeline.llm_available:
        return "LLM (none configured)"
    named = " · ".join(part for part in (pipeline.settings.llm_backend, pipeline.settings.llm_model) if part)
    return f"LLM ({named})" if named else "LLM"


def _ask_tab(settings: Settings, llm_label: str) -> dict:
    parts = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            parts["chatbot"] = gr.Chatbot(
                elem_id="chat", show_label=False, height="62vh", latex_delimiters=[], buttons=["copy"],
                feedback_options=None, placeholder="Ask a question below, or pick an example.")
            parts["question"] = gr.Textbox(placeholder="Ask about the articles…", show_label=False, lines=1,
                                           max_lines=4, submit_btn="Ask", elem_id="question", autofocus=True)
            parts["examples"] = gr.Dataset(components=[parts["question"]], samples=[], label="Examples",
                                           elem_id="examples", samples_per_page=6)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                parts["mode"] = gr.Radio(
                    [("Offline: quote the articles", "offline"), (llm_label, "llm")], value=settings.answer_mode,
                    label="Answer mode", info="Offline answers quote the most relevant sentences verbatim.")
                parts["k"] = gr.Slider(1, MAX_PASSAGES, value=settings.top_k, step=1, label="Passages to retrieve")
                parts["article_filter"] = gr.Dropdown(choices=[], multiselect=True, label="Only search these articles",
                                                      info="Leave empty to search them all.")
                parts.update(_author_and_date_inputs())
        with gr.Column(scale=2, min_width=300, elem_id="sources-column"):
            gr.HTML("<h2>Sources</h2>", js_on_load=None)
            parts["sources"] = gr.HTML(sources_html([], {}), elem_id="sources", js_on_load=None)
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


def _articles_tab(settings: Settings) -> dict:
    parts = {"table": gr.Dataframe(headers=ARTICLE_HEADERS, value=[], interactive=False, wrap=True,
                                   elem_id="articles-table", label="Indexed articles")}
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
