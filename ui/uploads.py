"""Check uploaded files and copy the acceptable ones, under safe names, to the uploads folder."""
from __future__ import annotations

import itertools
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from ingest.loaders import slugify

ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
MAX_FILES = 20  # per upload: bounds the work one click can start
MAX_NAME_CHARS = 80


@dataclass(frozen=True)
class Staged:
    name: str  # the name the user knows the file by
    path: Path | None  # the accepted copy, or None when rejected
    problem: str = ""  # why it was rejected, one plain sentence
    renamed_for: str = ""  # the id of the indexed article whose name it had, when it was renamed for it


def safe_filename(name: str) -> str:
    """The last component of a browser-supplied name, reduced to letters, digits, '.', '-' and '_', so it can
    neither leave the uploads folder nor hide as a dotfile."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w-]+", "_", stem).strip("._-")[:MAX_NAME_CHARS] or "upload"
    suffix = re.sub(r"[^\w]+", "", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def stage_uploads(paths: list[str], uploads_dir: Path, max_mb: int, taken_ids: frozenset[str] = frozenset()
                  ) -> list[Staged]:
    """One Staged per file, in order: accepted files copied into uploads_dir, the others with their reason.

    An upload never overwrites anything: a copy gets a name no file in uploads_dir has, and whose article id (the
    slugified stem) is not in `taken_ids` (the indexed articles) nor given to an earlier file of this upload:
    report.txt becomes report-2.txt, a new article beside the curated one, which only the operator's CLI replaces."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    staged, taken = [], set(taken_ids)
    for index, path in enumerate(paths):
        name = PurePath(str(path).replace("\\", "/")).name
        problem = _problem(Path(path), index, max_mb)
        if problem:
            staged.append(Staged(name, None, problem))
            continue
        wanted = safe_filename(name)
        target = _copy_unclaimed(Path(path), uploads_dir, wanted, taken)
        clash = article_id(wanted) if article_id(wanted) in taken_ids else ""
        staged.append(Staged(name, target, renamed_for=clash))
    return staged


def article_id(file_name: str) -> str:
    """The id the loader gives a file ingested alone."""
    return slugify(PurePath(file_name).stem)


def _copy_unclaimed(source: Path, folder: Path, name: str, taken_ids: set[str]) -> Path:
    """Copy `source` into `folder` as `name`, or name-2, name-3… past names whose file exists (created exclusively,
    so two uploads at once never share one) or whose article id is taken; the id used is added to `taken_ids`."""
    stem, suffix = PurePath(name).stem, PurePath(name).suffix
    for number in itertools.count(1):
        candidate = name if number == 1 else f"{stem}-{number}{suffix}"
        if article_id(candidate) in taken_ids:
            continue
        try:
            with open(source, "rb") as incoming, open(folder / candidate, "xb") as copy:
                shutil.copyfileobj(incoming, copy)
        except FileExistsError:
            continue
        taken_ids.add(article_id(candidate))
        return folder / candidate


def _problem(path: Path, index: int, max_mb: int) -> str:
    if index >= MAX_FILES:
        return f"not added: at most {MAX_FILES} files at a time"
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return f"{suffix or 'files without an extension'} is not supported: use {', '.join(ALLOWED_SUFFIXES)}"
    if not path.is_file():  # gradio deletes its copies after a while (app.py UPLOAD_CACHE)
        return "the uploaded copy has expired: add the file again"
    size = path.stat().st_size
    if size > max_mb * 2**20:
        return f"the file is {size / 2**20:.1f} MB, over the {max_mb} MB limit"
    if size == 0:
        return "the file is empty"
    return ""
