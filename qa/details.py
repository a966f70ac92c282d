"""Questions about an article itself (who wrote it, when it appeared, where) answered from its details: the byline,
date and publication that ingest read from the page, which no sentence of its text may hold."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlparse

from ingest.loaders import is_url
from qa.answer import author_phrase
from qa.followup import subject_carried
from schema import Answer, Document, Hit

_NOUN = (r"(?:article|piece|post|blog post|column|op-?ed|story|essay|editorial|page|investigation|analysis|review|"
         r"commentary|explainer|manual|documentation|docs|guide|handbook)s?")
# "the KBS article", "this piece", "the Guardian's column", "it" (a follow-up): up to four words may name it
_DETERMINER = r"(?:this|the|that|its|their)"  # not "an article about Tesla": some article, maybe one it cites
# its groups: the naming words after a determiner, or the publication whose it is ("TIME's piece", "Reuters' story")
_NAMED = (rf"(?:{_DETERMINER} ((?:(?!{_DETERMINER}\b)[\w'’.&-]+ ){{0,4}}?)"
          rf"|((?:(?-i:[A-Z])[\w.&-]* ){{0,2}}(?-i:[A-Z])[\w.&-]*)['’]s? ){_NOUN}")
_ARTICLE = rf"(?:{_NAMED}|it)"
_NAMING_WORDS = re.compile(_NAMED, re.IGNORECASE)
# "when was the article about Tesla published": what it is about, said inside the asking words
_ABOUT = r"(?: (?:about|on|covering) [^?]{1,80}?)?"
_PUBLISHED = r"(?:published|written|posted|released|dated|updated|come out|appear|run)"
_ABOUT_WORDS = re.compile(rf"\b(?:about|on|covering) (.+?) (?:first )?{_PUBLISHED}$", re.IGNORECASE)
_ASKED = {
    "author": re.compile(
        rf"\bwho(?:m)? (?:wrote|writes|authored|penned|is behind) {_ARTICLE}|\bwho (?:reported|filed) {_NAMED}|"
        rf"\bwho(?:['’]s| is| are| was| were) (?:the )?(?:author|writer|columnist|reporter|journalist)s?"
        rf"(?: (?:of|behind) {_ARTICLE})?(?=\W*$| (?:about|on)\b)|"
        rf"\bwhat (?:is|was) the (?:author|writer)['’]?s? name\b|\bwho (?:is|was) {_ARTICLE} by\b", re.IGNORECASE),
    "date": re.compile(
        rf"\bwhen (?:was|were|is|did) (?:{_NAMED}{_ABOUT} (?:first )?{_PUBLISHED}|it (?:first )?(?:published|"
        rf"posted|written))\b|\bwhat (?:is|was) the (?:publication |publishing |release )?date of {_ARTICLE}|"
        rf"\bwhat (?:date|day|year) (?:was|is) {_ARTICLE} (?:published|written|posted|dated)\b|"
        rf"\bhow old is {_ARTICLE}", re.IGNORECASE),
    "site": re.compile(
        rf"\bwhere (?:was|is|did) {_ARTICLE}{_ABOUT} (?:published|posted|appear)\b|"
        rf"\b(?:which|what) (?:site|website|publication|newspaper|paper|outlet|magazine|blog|news site) "
        rf"(?:published|posted|ran|carried|is) {_ARTICLE}", re.IGNORECASE),
}
_CONNECTIVE = re.compile(r"^\W*(?:about|on|of|from|that|which|in|by|covering|discussing)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AskedDetail:
    detail: str  # "author", "date" or "site"
    topic: str  # what the article is about, as the question says it ("the cold wave in Korea"), or ""
    naming: str = ""  # the words naming the article itself ("KBS" in "the KBS article"), or ""
    # the naming is a possessive ("TIME's piece"): a publication only if a document is by it; else a person's post
    # or piece the text tells of ("Who wrote Trump's post?")
    possessive: bool = False


def asked_detail(question: str) -> AskedDetail | None:
    """The detail of an article a question asks for, and what it says the article is about; None when it asks
    about what an article says ("Who wrote the letter the article mentions?" asks about its text)."""
    asked, carried = subject_carried(question)  # "Who is the author? (DiEM25 plan)": a follow-up's
    for detail, pattern in _ASKED.items():
        if match := pattern.search(asked):
            naming, about = _NAMING_WORDS.search(match.group()), _ABOUT_WORDS.search(match.group())
            rest = _CONNECTIVE.sub("", asked[match.end():]).strip(" ?!.,;:()")
            topic = " ".join(part.strip() for part in (about.group(1) if about else "", rest, carried)
                             if part.strip())
            owner = bool(naming and naming.group(2))
            return AskedDetail(detail, topic, (naming.group(1) or naming.group(2) or "").strip() if naming else "",
                               owner)
    return None


def detail_answer(question: str, asked: AskedDetail, document: Document, hits: list[Hit],
                  query: str) -> Answer | None:
    """The article's byline, date or publication as its page gives them, said to come from there. A page without
    a byline is said to name no author (its text does not either: ingest took the byline from it); one without a
    date gives None, for the usual answer from its text, which may state one."""
    title, metadata = f"“{document.title}”", document.metadata
    author, date = author_phrase(metadata), metadata.get("date", "")
    site = metadata.get("site") or urlparse(metadata.get("url", "")).hostname or ""
    if asked.detail == "author":  # no author: said to name none
        said, context = f"is by {author}" if author else "", (site, date)
    elif asked.detail == "date" and date:
        said, context = f"was published on {date}", (site, f"by {author}" if author else "")
    elif asked.detail == "site" and site:
        said, context = f"was published by {site}", (metadata.get("url", ""), date)
    elif asked.detail == "site":
        said, context = f"comes from {_shown_source(document.source)}", (date,)
    else:
        return None
    shown = ", ".join(part for part in context if part)
    shown = f" ({shown})" if shown else ""
    text = f"According to its page, {title} {said}{shown}." if said else f"{title}{shown} names no author on its page."
    return Answer(question=question, text=text, answered=True, citations=[], hits=hits, query=query)


def which_article(question: str, query: str) -> Answer:
    text = ("Which article do you mean? Several are indexed: say what it is about (“Who wrote the article about "
            "…?”) or choose it under Articles.")
    return Answer(question=question, text=text, answered=False, citations=[], hits=[], query=query)


def _shown_source(source: str) -> str:
    """A web address as it is; of a file, its name only (no server's folders)."""
    return source if is_url(source) else PurePath(source).name
