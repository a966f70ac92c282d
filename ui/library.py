"""The app's view of the index: built from the sample articles on first start, grown by uploads, listed."""
from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path, PurePath

from ingest.loaders import ingested_folder
from qa.collection import Collection, IndexedArticle, IngestReport
from schema import Document, UserError
from settings import ROOT
from ui.render import is_web_url
from ui.uploads import Staged, stage_uploads


# What became of an upload, first on its line: words, not emoji (a browser without an emoji font shows boxes)
ADDED, FAILED, SKIPPED, UNCHANGED = "Added:", "Failed:", "Skipped:", "Unchanged:"
CONFIRM_DELETE = "Confirm delete"  # the delete button's label while it waits for the second click


class Library:
    def __init__(self, collection: Collection):
        self.collection = collection
        self.settings = collection.settings
        self.first_start: IngestReport | None = None  # set when this process built the index from articles_dir
        self._write_lock = threading.Lock()  # one index writer per process; the store's file lock is per index
        self._ready = False
        self.stage = "Starting…"  # what ensure_ready is doing, for the page's status line
        self._loader: threading.Thread | None = None
        self._starting_loader = threading.Lock()

    def has_index(self) -> bool:
        return self.collection.has_index()

    def ensure_ready(self) -> None:
        """Build the index from articles_dir if there is none, then load the index and the model once, so the
        first question does not pay for them. Raises UserError when there is nothing to index."""
        if self._ready:
            return
        with self._write_lock:
            if self._ready:  # loaded by the thread this one waited for
                return
            if not self.has_index():
                if not any(p.is_file() for p in Path(self.settings.articles_dir).rglob("*")):
                    raise UserError(f"no index yet and no articles in {display_path(self.settings.articles_dir)}:"
                                    " add some in the Articles tab")
                articles = display_path(self.settings.articles_dir)
                self.stage = f"First start: building the search index from {articles} …"
                self.first_start = self.collection.add([str(self.settings.articles_dir)])
            self.stage = "Loading the embedding model…"
            self.collection.load_model()
            self.stage = "Opening the index…"
            self.collection.open()
            self._ready = True

    def load_in_background(self) -> threading.Thread:
        """ensure_ready on a thread of its own, started once (and again after a failure, say the articles were
        missing), so the page is served while the model and the index load; `stage` says how far it got."""
        with self._starting_loader:
            if self._loader is None or not (self._ready or self._loader.is_alive()):
                self._loader = threading.Thread(target=self._load_quietly, name="library-load", daemon=True)
                self._loader.start()
            return self._loader

    def _load_quietly(self) -> None:
        try:
            self.ensure_ready()
        except UserError:
            pass  # whoever waits for the loading asks ensure_ready again and shows the cause

    def status(self) -> str:
        """One line for the top of the page."""
        if not self.has_index():
            return "No articles are indexed yet: add some in the Articles tab."
        articles = self.articles()
        counts = f"{_plural(len(articles), 'article')} indexed ({_plural(sum(a.chunks for a in articles), 'chunk')})"
        if self.first_start is not None:
            return f"First start: built the index from {display_path(self.settings.articles_dir)}, {counts}."
        return counts[0].upper() + counts[1:] + "."

    def articles(self) -> list[IndexedArticle]:
        """The indexed articles, each `source` as shown_source gives it: the uploads first, newest first, so the
        table shows what a visitor just added at its top (the page scrolls it there); then the others in index
        order."""
        articles = self.collection.articles() if self.has_index() else []
        uploads = _resolved(upload_folders(self.settings))
        articles.sort(key=lambda article: -_upload_time(article.source, uploads))  # stable: the rest keep theirs
        return [replace(article, source=shown_source(article.source, self.settings, article.id))
                for article in articles]

    def documents(self) -> dict[str, Document]:
        return self.collection.documents() if self.has_index() else {}

    def add_uploads(self, paths: list[str], progress=lambda fraction, desc: None) -> list[str]:
        """Index the uploaded files one by one; one plain line per file saying what became of it. An upload never
        replaces an indexed article: one with an article's name is added beside it under a new id."""
        if not self.settings.allow_uploads:
            raise UserError("uploads are switched off on this deployment")
        with self._write_lock:  # the ids taken stay taken until these files are indexed
            staged = stage_uploads(paths, uploads_dir(self.settings), self.settings.max_upload_mb,
                                   taken_ids=frozenset(self.documents()))
            lines = []
            for done, item in enumerate(staged):
                progress(done / len(staged), desc=f"Indexing {item.name}")
                lines.append(hide_paths(self._index_one(item), self.settings))
            self.first_start = None  # the status now counts the articles, no longer telling of the first start
        return lines

    def _index_one(self, item: Staged) -> str:
        if item.path is None:
            return f"{FAILED} {item.name} — {item.problem}"
        try:
            line = _outcome(item, self.collection.add([str(item.path)]))
        except UserError as exc:
            line = f"{FAILED} {item.name} — {exc}"
        if line.startswith((FAILED, SKIPPED)):
            item.path.unlink(missing_ok=True)  # keep no copy of what did not go into the index
        return line

    def delete_question(self, doc_id: str) -> str:
        """What the app asks before delete_article: the article's title and what goes with it."""
        document = self._deletable(doc_id)
        copy = " and its uploaded copy" if self._uploaded(document) else ""
        return f"Delete “{document.title}”{copy}? Click “{CONFIRM_DELETE}” to take it out of the index."

    def delete_article(self, doc_id: str) -> str:
        """Take one article out of the index (the others stay as they were) and, if it was uploaded, its copy in
        the uploads folder; one plain line saying so. The articles folder is the operator's: never touched."""
        with self._write_lock:
            document = self._deletable(doc_id)
            self.collection.delete({document.id})
            if self._uploaded(document):
                Path(document.source).unlink(missing_ok=True)
        return f"Deleted “{document.title}”: its passages are no longer searched."

    def _deletable(self, doc_id: str) -> Document:
        if not self.settings.allow_delete:
            raise UserError("deleting articles is switched off on this deployment")
        document = self.documents().get(doc_id or "")
        if document is None:
            raise UserError("choose an indexed article to delete")
        return document

    def _uploaded(self, document: Document) -> bool:
        """Whether the article is a copy in an uploads folder (the app's to delete), not the operator's file."""
        return _in_folders(document.source, _resolved(upload_folders(self.settings)))


def _outcome(item: Staged, report: IngestReport) -> str:
    name = item.name
    if report.failed:
        return f"{FAILED} {name} — {report.failed[0].reason}"
    if report.skipped:
        return f"{SKIPPED} {name} — {report.skipped[0].split(': ', 1)[-1]}"
    if report.added and item.renamed_for:
        return (f"{ADDED} {name} as a new article '{report.added[0]}': uploads never replace the article "
                f"'{item.renamed_for}' (the operator's `cli.py ingest` does)")
    if report.added or report.updated:  # updated only if `cli.py ingest` added that id meanwhile
        return f"{ADDED} {name}"
    return f"{UNCHANGED} {name} — already indexed"


def uploads_dir(settings) -> Path:
    """Where uploads are copied: inside the index folder, so that each index has its own."""
    return Path(settings.index_dir) / "uploads"


def upload_folders(settings) -> tuple[Path, Path]:
    """uploads_dir and the folder uploads went to before it (beside the index folder, shared by the indexes of one
    parent folder): an index made then still shows its uploads as uploads/NAME and deletes their copies."""
    return uploads_dir(settings), Path(settings.index_dir).parent / "uploads"


def _resolved(folders) -> set[Path]:
    return {Path(folder).resolve() for folder in folders}


def _in_folders(source: str, folders: set[Path]) -> bool:
    return not is_web_url(source) and Path(source).resolve().parent in folders


def _upload_time(source: str, uploads: set[Path]) -> int:
    """When an upload was added (its copy was written then and never since), in ns; 0 for any other article."""
    try:
        return Path(source).stat().st_mtime_ns if _in_folders(source, uploads) else 0
    except OSError:  # its copy is gone
        return 0


def display_path(path) -> str:
    path = Path(path).resolve()
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}/"


def shown_source(source: str, settings, doc_id: str = "") -> str:
    """A source as visitors see it: a web address as it is; a file by its path below the articles folder, or as
    uploads/NAME, or else by its path below the folder it was ingested from (which its id `doc_id` mirrors: dup/a/
    README.md for dup/a/readme), or by its name alone. Never an absolute server path."""
    if is_web_url(source):
        return source
    path = PurePath(source)
    uploads = [(folder, "uploads/") for folder in _resolved(upload_folders(settings))]
    for folder, prefix in ((Path(settings.articles_dir).resolve(), ""), *uploads):
        if path.is_relative_to(folder):
            return prefix + path.relative_to(folder).as_posix()
    return _below_ingested_folder(path, doc_id) or path.name


def _below_ingested_folder(path: PurePath, doc_id: str) -> str:
    """The file's path below the folder an ingest gave it `doc_id` from, or "" when the id is not made from its
    path (a JSON record's own id)."""
    folder = ingested_folder(path, doc_id)
    return path.relative_to(folder).as_posix() if folder else ""


# An absolute path: a "/" that follows no letter, dot, colon or slash (so not inside a URL or a relative path).
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/[^\s'\"/][^\s'\"]*")


def hide_paths(text: str, settings) -> str:
    """`text` (an error, a status) without absolute server paths: the app's own folders as display_path shows
    them, any other path by its last part."""
    folders = {Path(settings.index_dir), Path(settings.articles_dir), *upload_folders(settings), ROOT}
    named = {str(form): display_path(folder) if folder != ROOT else ""
             for folder in folders for form in (folder, folder.resolve()) if form.is_absolute()}
    for absolute in sorted(named, key=len, reverse=True):  # the deepest folder first
        text = text.replace(absolute + "/", named[absolute]).replace(absolute, named[absolute].rstrip("/") or ".")
    return _ABSOLUTE_PATH.sub(lambda match: PurePath(match.group(0)).name, text)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
