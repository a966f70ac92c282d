"""Check uploaded files and copy the acceptable ones, under safe names, to the uploads folder."""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
MAX_FILES = 20  # per upload: bounds the work one click can start
MAX_NAME_CHARS = 80


@dataclass(frozen=True)
class Staged:
    name: str  # the name the user knows the file by
    path: Path | None  # the accepted copy, or None when rejected
    problem: str = ""  # why it was rejected, one plain sentence


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


def stage_uploads(paths: list[str], uploads_dir: Path, max_mb: int) -> list[Staged]:
    """One Staged per file, in order: accepted files copied into uploads_dir, the others with their reason."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    staged, taken = [], set()
    for index, path in enumerate(paths):
        name = PurePath(str(path).replace("\\", "/")).name
        problem = _problem(Path(path), index, max_mb)
        if problem:
            staged.append(Staged(name, None, problem))
            continue
        target = uploads_dir / _unclaimed(safe_filename(name), taken)
        shutil.copyfile(path, target)
        staged.append(Staged(name, target))
    return staged


def _unclaimed(name: str, taken: set[str]) -> str:
    """`name`, or name-2, name-3… when an earlier file of the same upload has it ("a b.txt" and "a_b.txt" are both
    a_b.txt), so one never overwrites the other before it is indexed."""
    stem, suffix = PurePath(name).stem, PurePath(name).suffix
    number = 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}{suffix}"
    taken.add(name)
    return name


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
