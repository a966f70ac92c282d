"""Which articles a question searches, as front ends take it: chosen ids, part of an author's name, and dates.

The CLI (`--author`, `--since`, `--until`), the API (`author`, `since`, `until`) and the page's inputs all go
through `ArticleFilter.checked`, so a bad date gets the same one-line error everywhere, naming the field."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from index.search import matching_documents
from schema import UserError

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class ArticleFilter:
    doc_ids: frozenset[str] | None = None
    author: str = ""
    since: str = ""  # YYYY-MM-DD, inclusive
    until: str = ""

    @classmethod
    def checked(cls, doc_ids=None, author: str | None = None, since: str | None = None, until: str | None = None,
                fields: tuple[str, str, str] = ("author", "since", "until")) -> "ArticleFilter":
        """The filter from raw input; `fields` names the author, since and until inputs in errors ("--since")."""
        author = " ".join(str(author or "").split())
        if len(author) > 100:
            raise UserError(f"{fields[0]} is too long: give part of the author's name")
        first = iso_date(since, fields[1], last_day=False)
        last = iso_date(until, fields[2], last_day=True)
        if first and last and first > last:
            raise UserError(f"{fields[1]} {first} is after {fields[2]} {last}")
        return cls(frozenset(doc_ids) if doc_ids else None, author, first, last)

    @property
    def narrows(self) -> bool:
        return bool(self.doc_ids or self.author or self.since or self.until)

    def ids(self, documents: dict) -> set[str] | None:
        """The ids of the articles to search (None: all of them); a filter no article passes is an error saying
        which, rather than a search of nothing."""
        if not self.narrows:
            return None
        chosen = matching_documents(documents, set(self.doc_ids) if self.doc_ids else None, self.author or None,
                                    self.since or None, self.until or None)
        if not chosen:
            raise UserError(f"no indexed article matches {self.describe()}")
        return chosen

    def describe(self) -> str:
        parts = []
        if self.doc_ids:
            parts.append(f"the {len(self.doc_ids)} chosen article{'s' if len(self.doc_ids) > 1 else ''}")
        if self.author:
            parts.append(f"author '{self.author}'")
        if self.since:
            parts.append(f"dated from {self.since}")
        if self.until:
            parts.append(f"dated until {self.until}")
        return ", ".join(parts)


def iso_date(value, field: str, last_day: bool) -> str:
    """YYYY-MM-DD from YYYY, YYYY-MM or YYYY-MM-DD ("" for none): a year or month alone means its first day, or
    its last when `last_day` (an "until 2024" includes December 2024)."""
    text = str(value or "").strip()
    if not text:
        return ""
    match = _DATE.fullmatch(text)
    try:
        if not match:
            raise ValueError
        year, month, day = int(match[1]), int(match[2] or (12 if last_day else 1)), match[3]
        day = int(day) if day else (calendar.monthrange(year, month)[1] if last_day else 1)
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise UserError(f"{field} must be a date such as 2025-03-31, 2025-03 or 2025, not '{text[:40]}'") from None
