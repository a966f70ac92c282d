"""Text normalisation and removal of page furniture that survives in plain-text copies of web pages."""
from __future__ import annotations

import re
import unicodedata

from ingest.structure import CODE, HEADING, ITEM, ROW, SUPERSCRIPT_DIGITS, Block

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Whole-paragraph headings that start a site's trailing lists, never an author's prose.
_FURNITURE_HEADINGS = re.compile(
    r"^(recent|recent posts|recent articles|related|related posts|related articles|read next|read more|"
    r"more from .{1,40}|you may also like|latest|latest posts|popular|popular posts|most read|trending|"
    r"share|share this|share this article|tags|categories|comments|leave a (reply|comment)|subscribe|"
    r"newsletter|follow us|about the author)[:.]?$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(r"(read more|continue reading)\s*[»›→>]*\s*$", re.IGNORECASE)
_LEGAL = re.compile(r"^(©|copyright\b|all rights reserved)", re.IGNORECASE)


# What a terminal would act on instead of showing: CSI sequences (move, clear), terminated OSC ones (retitle),
# then any other C0/C1 control character; lone surrogates cannot even be encoded for output.
_ESCAPE_SEQUENCE = re.compile(r"(\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


_SUPERSCRIPT = str.maketrans("0123456789−-", SUPERSCRIPT_DIGITS + "⁻⁻")
SUPERSCRIPTS = SUPERSCRIPT_DIGITS + "⁻"


def superscript(mark: str) -> str:
    """A footnote's mark or an exponent as the raised characters it is printed as ("7" -> "⁷"): glued on as plain
    digits it reads as part of the word before it ("calc1")."""
    return mark.translate(_SUPERSCRIPT)


def terminal_safe(text: str) -> str:
    """Text a terminal shows as written: escape sequences and control characters removed, newlines and tabs kept."""
    return without_surrogates(_CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text)))


def one_line(text: str) -> str:
    """A name or reason for a one-line message: line breaks, control characters and lone surrogates shown escaped
    ("a\\nb.txt"), so the line stays one line and still names the file."""
    return _LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], text)


def without_surrogates(text: str) -> str:
    """Lone surrogates (from "\\ud800" in JSON) cannot be written as UTF-8: the replacement character stands in."""
    return _SURROGATE.sub("\ufffd", text)


def normalize(text: str, keep_indent: bool = False) -> str:
    """Unify line endings and spacing, drop invisible characters; paragraphs end up separated by one blank line.
    With `keep_indent` (Markdown, whose code blocks and nested lists are indented) lines keep their spacing and
    lose only what trails them."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if keep_indent:
        lines = [line.rstrip() for line in text.split("\n")]
    else:
        lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# a "#" only after a space: "C#" is a name; a wiki's "[edit]" link
_PERMALINK = re.compile(r"(\s*[¶§🔗]+|\s+#+|\s*\[\s*edit( source)?\s*\])\s*$", re.IGNORECASE)


def strip_permalink(text: str) -> str:
    """Headings and API entries on documentation sites end with a permalink mark (¶, #, §), a wiki's with a link
    to edit the section ("References[edit]")."""
    return _PERMALINK.sub("", " ".join(text.split())).strip()


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def strip_furniture(text: str) -> str:
    """Cut the trailing site furniture ("Recent" lists, "Read More »" teasers, site blurbs) off an article.

    The cut starts at the first furniture marker after the article has begun, and moves back over the
    short site-name heading (and its blurb) that usually stands just before such a list.
    """
    paras = paragraphs(text)
    marker = next((i for i, p in enumerate(paras) if i >= 2 and _is_marker(p)), None)
    if marker is None:
        return text
    cut = marker
    for j in range(marker - 1, max(marker - 3, 1), -1):
        if _is_heading(paras[j]):
            cut = j
    if cut == 0 or not any(_word_count(p) >= 25 for p in paras[:cut]):
        return text  # no article body before the marker: keep everything rather than lose it
    return "\n\n".join(paras[:cut])


def _is_marker(paragraph: str) -> bool:
    first_line = paragraph.split("\n", 1)[0]
    return bool(_FURNITURE_HEADINGS.match(first_line) or _READ_MORE.search(paragraph) or _LEGAL.match(first_line))


def _is_heading(paragraph: str) -> bool:
    return _word_count(paragraph) <= 6 and not paragraph.rstrip().endswith((".", "?", "!", ":", '"', "”"))


def _word_count(text: str) -> int:
    return len(text.split())


# Short blocks that are the page talking about itself, not the article: sign-up boxes, follow and share prompts,
# "read more" links, credits, syndication and feedback notes. Only short blocks are judged, so prose that merely
# mentions a newsletter is kept.
_FURNITURE_BLOCK = re.compile(
    r"^((read more|continue reading|read next|also read)\b.*|related( stories| articles| posts| content)?|"
    r"recommended( for you)?|"
    r"you (may|might) also like|more (stories|from \S+)|most (read|popular)|trending( now)?|"
    r"share (this|on)\b.*|click to share.*|advertisement|sponsored( content)?|"
    r"want to know more about\b.*|follow (us|me)\b.*|"
    r"(photo|image|picture|illustration|video|graphic|header image|top image|lead image)s?( credit| source)?\s*(:|©|by\b).*|"
    r"credit\s*:.*|\((photo |image )?credit:[^()]*\)|courtesy of (?-i:[A-Z])[^.]{0,50}|"  # "(Credit: A / Grist)"
    r"©.*|copyright\s*(©|\d{4}).*|all rights reserved.*|"
    r"(e-?mail|share) (the|this) (story|article)|"
    r"citation\s*:.{1,300}\bretrieved\b.{1,60}\bfrom\s+\S+|"  # how to cite the page ("Citation: … retrieved … from")
    r"was this (article|page|post|story) (helpful|useful)\b.*|did you (find|like|enjoy) this\b.*|"
    r"(have|got) a (news )?tip\b.*|\d+ comments?|(leave|post|add|join) (a |the )?(comment|reply|discussion)\b.*|"
    r"comments are closed|keywords|tags|topics|categories|filed under\b.*|"
    r"add to (cart|basket|bag)\b.*|(buy|shop) now(:.*)?|loading( [\w-]+){0,3}|"  # a shop box, a placeholder
    r"[-–—]*\s*by [^@]{1,60}? follow @\w+|"  # a sign-off with the writer's handle
    r"write to [^@]{1,60}? at \S+@\S+|[^\s:/@]+@[^\s:/@]+\.\w+( \(end\))?)"  # a writer's address
    r"[\s:.!?»›→>]*$", re.IGNORECASE)
# the button's label, then what it sells ("ADD TO CART: US$25 Gift Card"), not a row about "Buy now, pay later"
_SHOP_BOX = re.compile(r"(add to (cart|basket|bag)|(buy|shop) now)\s*[:|]", re.IGNORECASE)
# "By Elena Marsh", "Written by: Maria Okafor": the byline, kept as the author, not as article text.
_BYLINE = re.compile(r"^([-–—]{1,2}\s*)?((Written|Words|Text|Story|Reporting|Posted) by|By|BY):?\s+[A-Z][\w'’-]*\.?"
                     r"(\s+(and\s+)?[A-Z][\w'’-]*\.?,?){1,5}(\s+(?i:follow)\s+@\w+)?$")  # a sign-off's link to the writer
_FURNITURE_ANYWHERE = re.compile(
    r"\b((sign up|subscribe|register) (for|to) (our|the|my) [\w\s-]{0,40}(newsletter|email|updates|digest)|"
    r"newsletter (sign[- ]?up|subscription)|delivered (straight )?to your inbox|"
    r"(this|the) (article|story|post|piece) (originally|first) (appeared|ran|was published) (on|in|at)\b|"
    r"originally (appeared|published) (on|in|at)\b|republished (here )?(from|with permission)|"
    r"(send|submit|write) (us )?(a |your )?letters?( to the editor)?\b.{0,40}\b(letters@|publish|editor)|"
    r"follow (us|me|him|her|them) on (twitter|x|facebook|instagram|linkedin|mastodon|threads|bluesky)|"
    r"\bsign up (here|now|today)\W*$|copyright\s*©|\ball rights reserved\b|"
    r"\bshare your (videos|photos|pictures|stories|experiences?)\b[^.]{0,60}\b(with us|at \w+)|"  # a call for reports
    r"\bare affiliate links\b|\bwe (may )?earn (a |an )?(small )?(commission|fee)\b|"  # an affiliate disclosure
    r"\b(photo|image|picture)s?( credit| source)?:\s*[^.]{1,60}$)",  # a caption ending in its credit
    re.IGNORECASE)
# "[Our Latest Forecast: Who Will Win?]", "A SIMPLE GUIDE: How do I protect myself?": links to other stories
_PROMO = re.compile(r"^\[[^\[\]]+\]$|^([A-Z]+ ){0,3}(GUIDE|WATCH|LISTEN|READ|LIVE|EXPLAINER|QUIZ|VIDEO|PODCAST|"
                    r"GALLERY|IN PICTURES|ANALYSIS)S?: ")
# "Next: Simple Example, Up: Using libffi [Index]", "Previous: Types, Up: Top": a manual page's navigation line
# a manual's links to its neighbouring pages: "Next: X, Previous: Y, Up: Z [Index]", or "Up: Z [Contents][Index]"
# (not "Next: we return values[index]"); read with its whitespace squashed, as is_furniture_block does
_NAVIGATION = re.compile(r"^(((next|previous|prev|up)\s*:\s*[^:]{1,100}?[,;|]?\s*){2,3}(\[(index|contents)\]\s*){0,2}|"
                         r"(next|previous|prev|up)\s*:\s*[^:\s][^:]{0,99}?\s+(\[(index|contents)\]\s*){1,2})"
                         r"(?<![.!?])$", re.IGNORECASE)
FURNITURE_MAX_WORDS = 40
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"\b(\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
                   rf"\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b", re.IGNORECASE)
_DATELINE_MARK = re.compile(r"\b(\d+\s+(comments?|min(ute)?s?\s+read|shares?)|updated|published|posted|last modified)\b|"
                            r"\s[|•·]\s|\d{1,2}:\d{2}", re.IGNORECASE)  # "North Korea 09:31 August 20, 2019"
DATELINE_MAX_WORDS = 12


# Headings over a list of links to other stories ("More Must-Reads From TIME", "Related coverage"): never a section
# an author writes under, on a news page or in a manual.
_TEASER_HEADING = re.compile(
    r"(more( [\w-]+){0,2} from .{1,40}|related (stories|articles|posts|content|coverage|reading|links)|"
    r"read (more|next)|recommended (for you|reading|stories|articles)|you (may|might) also (like|enjoy)|"
    r"most (read|popular|viewed|shared)|trending( now| stories)?|top stories|editors?['’]? picks|"
    r"(latest|recent|popular) (news|stories|posts|articles)|more (stories|news|articles)( like this)?)[:.]?",
    re.IGNORECASE)
TEASER_MAX_WORDS = 20


def without_teaser_lists(blocks: list[Block]) -> list[Block]:
    """The blocks without each list of links to other stories: a teaser heading and the short list items under it
    (up to the first other block), and without a heading nothing follows ("Keywords" over a page's dropped tag
    links)."""
    kept, in_teasers = [], False
    for i, block in enumerate(blocks):
        if block.kind == HEADING:
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            in_teasers = bool(_TEASER_HEADING.fullmatch(" ".join(block.text.split()))) and _teaser(following)
            if in_teasers:
                continue
        elif in_teasers and _teaser(block):
            continue
        else:
            in_teasers = False
        kept.append(block)
    while kept and kept[-1].kind == HEADING:
        kept.pop()
    return kept


# The sections that close an article with what it cites or points to, not what it says: a quote from them is a
# bibliography entry ("^ Wattenberg, Martin; … Distill."). "Notes" and "Footnotes" say things: they stay.
_REFERENCE_HEADING = re.compile(r"(references|citations|bibliography|works cited|external links|further reading|"
                                r"see also|references and notes|notes and references)[:.]?", re.IGNORECASE)
_NOTES_HEADING = re.compile(r"(notes|footnotes)[:.]?", re.IGNORECASE)


def without_reference_sections(blocks: list[Block]) -> list[Block]:
    """The blocks without the run of reference sections that ends a page ("See also", "References", "External
    links", a "Notes" section among them kept): dropped only where nothing but such sections follows, so a
    manual's "SEE ALSO" between its own sections stays."""
    dropped, section_end = set(), len(blocks)
    for i in range(len(blocks) - 1, -1, -1):
        if blocks[i].kind != HEADING:
            continue
        heading = " ".join(blocks[i].text.split())
        if _REFERENCE_HEADING.fullmatch(heading):
            dropped.update(range(i, section_end))
        elif not _NOTES_HEADING.fullmatch(heading):  # a wiki's "Notes" among them stays, and so does the walk
            break
        section_end = i
    kept = [b for i, b in enumerate(blocks) if i not in dropped]
    # a page that is all references ("References", a guide's chapter on them) is text, not furniture
    return kept if any(b.kind != HEADING for b in kept) else blocks


def _teaser(block: Block | None) -> bool:
    """A short list item: how a list of links to other stories comes out."""
    return block is not None and block.kind == ITEM and _word_count(block.text) <= TEASER_MAX_WORDS


def is_furniture_heading(block: Block) -> bool:
    """A heading that only labels furniture ("Related", "Share this") where no teaser list under it went with it:
    it heads the article's next paragraph, and would name its section. ("Read next" or "Recommended" over a
    manual's own text stays.)"""
    return block.kind == HEADING and bool(_LABEL_HEADING.fullmatch(" ".join(block.text.split())))


_LABEL_HEADING = re.compile(r"(related( (posts|articles|stories|content))?|share( this( article| story| post)?)?|"
                            r"advertisement)[:.]?", re.IGNORECASE)


def is_furniture_block(block: Block) -> bool:
    """Whether a short block of an HTML page is site furniture rather than the article."""
    if block.kind == ROW:  # a table's row is data, but a shop box laid out as a table is not
        text = " ".join(block.text.split())
        return _word_count(text) <= FURNITURE_MAX_WORDS and bool(_SHOP_BOX.match(text))
    if block.kind in (HEADING, CODE):
        return False
    text = " ".join(block.text.split())
    if _word_count(text) > FURNITURE_MAX_WORDS:
        return False
    return bool(_FURNITURE_BLOCK.match(text) or _FURNITURE_ANYWHERE.search(text) or _BYLINE.match(text)
                or _PROMO.match(text) or _NAVIGATION.match(text) or _is_dateline(text))


def _is_dateline(text: str) -> bool:
    """"Local news | 14 June 2023 | 12 comments", "Posted on May 3, 2021": the page's filing line, not prose."""
    return (_word_count(text) <= DATELINE_MAX_WORDS and not text.endswith((".", "?", "!", '"', "”"))
            and bool(_DATE.search(text)) and bool(_DATELINE_MARK.search(text)))
