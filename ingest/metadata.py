"""Title, site, author, date and URL of a web article, cross-checked across the page.

A page states its metadata in several places: JSON-LD, <meta> tags, byline elements, bylines in
the text, <time> elements. Each is wrong on some sites (author fields holding link text, a section
name or the publication's name; dates of related articles; titles carrying "| Site"), so every
field is chosen from several candidates that are validated and, where possible, made to agree.
trafilatura's own values are one candidate among them.

The HTML is untrusted: every field falls back to "" instead of raising.
"""
from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ingest.clean import strip_permalink


def page_metadata(html: str, extracted, url: str = "") -> dict:
    """{"title", "site", "author", "date" (YYYY-MM-DD), "url"} for one HTML page; "" when unknown.

    `extracted` is trafilatura's bare_extraction() result for the same page (or None).
    """
    page = _safely(lambda: _read_page(html, extracted, url), None) or _Page(extracted=extracted, given_url=url)
    site_names = _safely(lambda: _known_site_names(page), [])
    title, title_site = _safely(lambda: _title(page, site_names), ("", ""))
    zone = _safely(lambda: _article_zone(page, title), _NO_ZONE)
    return {
        "title": title,
        "site": _safely(lambda: _site(page, title_site), ""),
        "author": _safely(lambda: _author(page, site_names, zone), ""),
        "date": _safely(lambda: _date(page, zone), ""),
        "url": _safely(lambda: _page_url(page), "") or url or "",
    }


def _safely(compute, default):
    # One odd page must not stop an ingest: a field that cannot be read is just unknown.
    try:
        return compute()
    except Exception:  # noqa: BLE001 - untrusted HTML can break any parsing step
        return default


# ---------------------------------------------------------------- reading the page


@dataclass(frozen=True)
class _Line:
    """One visible line of the page, in reading order."""

    text: str
    element: object  # the element whose text starts the line


@dataclass
class _Page:
    extracted: object = None
    given_url: str = ""
    root: object = None
    metas: dict = field(default_factory=dict)  # lower-cased name/property -> contents, page order
    objects: list = field(default_factory=list)  # top-level JSON-LD objects
    article: dict | None = None  # the JSON-LD object describing this very page
    lines: list = field(default_factory=list)
    line_of: dict = field(default_factory=dict)  # element -> index of the line it starts in
    canonical: str = ""
    host: str = ""


def _read_page(html: str, extracted, url: str) -> _Page:
    page = _Page(extracted=extracted, given_url=url or "")
    page.root = _parse_html(html)
    if page.root is None:
        return page
    page.metas = _read_metas(page.root)
    page.objects = _read_json_ld(page.root)
    page.canonical = _canonical_url(page)
    page.host = _hostname(page.canonical or page.given_url or _attr(extracted, "hostname"))
    page.article = _main_article(page)
    # Scripts and styles are not visible text; JSON-LD has been read by now.
    etree.strip_elements(page.root, "script", "style", "noscript", "template", with_tail=False)
    page.lines, page.line_of = _visible_lines(page.root)
    return page


def _parse_html(html: str):
    if not html or not html.strip():
        return None
    data = html.encode("utf-8", errors="replace")  # bytes + forced encoding: ignores stale <meta charset>
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml_html.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _attr(extracted, name: str) -> str:
    value = getattr(extracted, name, None) if extracted is not None else None
    return _squash(value) if isinstance(value, str) else ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _read_metas(root) -> dict:
    # itemprop metas are left out on purpose: inside the body they often belong to related items.
    metas: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        content = _squash(meta.get("content") or "")
        for attribute in ("property", "name"):
            key = (meta.get(attribute) or "").strip().lower()
            if key and content:
                metas.setdefault(key, []).append(content)
    return metas


def _meta(page: _Page, *keys: str) -> str:
    for key in keys:
        for value in page.metas.get(key, []):
            return value
    return ""


# ---------------------------------------------------------------- JSON-LD


def _read_json_ld(root) -> list[dict]:
    objects: list[dict] = []
    for script in root.iter("script"):
        if "ld+json" in (script.get("type") or "").lower():
            objects.extend(_top_level_objects(_lenient_json(script.text or "")))
    return objects


def _lenient_json(text: str):
    # Some sites wrap JSON-LD in HTML comments or CDATA markers.
    text = re.sub(r"^\s*(?:<!--|(?://\s*)?<!\[CDATA\[)|(?:-->|(?://\s*)?\]\]>)\s*$", "", text.strip())
    try:
        return json.loads(text, strict=False)  # strict=False: raw newlines inside strings are common
    except (ValueError, RecursionError):
        return None


def _top_level_objects(data) -> list[dict]:
    """Objects that stand for themselves: list items and @graph members, never nested values."""
    if isinstance(data, list):
        return [obj for item in data for obj in _top_level_objects(item)]
    if not isinstance(data, dict):
        return []
    graph = data.get("@graph")
    members = _top_level_objects(graph) if isinstance(graph, (list, dict)) else []
    return ([data] if "@type" in data else []) + members


def _types(obj) -> set[str]:
    raw = obj.get("@type") if isinstance(obj, dict) else None
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/:#]", value)[-1].lower() for value in values if isinstance(value, str)}


def _is_article_type(obj) -> bool:
    return any(kind.endswith(("article", "posting")) or kind == "report" for kind in _types(obj))


def _is_page_type(obj) -> bool:
    return any(kind.endswith("page") for kind in _types(obj))


def _text_value(value) -> str:
    """A JSON-LD text that may come as a string, a list, or {"@value": ...}."""
    if isinstance(value, str):
        return _squash(html_lib.unescape(value))
    if isinstance(value, list):
        return next((text for text in map(_text_value, value) if text), "")
    if isinstance(value, dict):
        return _text_value(value.get("@value") or value.get("name"))
    return ""


def _main_article(page: _Page) -> dict | None:
    """The JSON-LD object about this page, not a related item listed beside it."""
    candidates = [obj for obj in page.objects if _is_article_type(obj)]
    candidates = candidates or [obj for obj in page.objects if _is_page_type(obj)]
    if not candidates:
        return None
    page_urls = {_url_key(u) for u in (page.canonical, _meta(page, "og:url"), page.given_url) if u} - {""}
    titles = {_title_key(t) for t in (_meta(page, "og:title"), _root_title(page.root)) if t}

    def relevance(indexed):
        index, obj = indexed
        headline = _title_key(_text_value(obj.get("headline") or obj.get("name")))
        return bool(_object_urls(obj) & page_urls), bool(headline) and any(headline in t for t in titles), -index

    return max(enumerate(candidates), key=relevance)[1]


def _object_urls(obj: dict) -> set[str]:
    urls = [obj.get("url"), obj.get("@id")]
    entity = obj.get("mainEntityOfPage")
    urls += [entity.get("@id"), entity.get("url")] if isinstance(entity, dict) else [entity]
    return {_url_key(u) for u in urls if isinstance(u, str) and u}


def _resolve(value, objects: list[dict]):
    """Follow {"@id": ...} references to the object defined elsewhere in the page's JSON-LD."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id"):
        return next((obj for obj in objects if obj.get("@id") == value["@id"] and len(obj) > 2), value)
    return value


# ---------------------------------------------------------------- visible lines

_LINE_BREAKING_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hgroup hr li main nav ol p pre section table td th tr ul".split()
)


class _LineCollector:
    def __init__(self):
        self.lines: list[_Line] = []
        self.line_of: dict = {}
        self._parts: list[str] = []
        self._owner = None

    def start(self, element) -> None:
        if _tag(element) in _LINE_BREAKING_TAGS:
            self.flush()
        self.line_of[element] = len(self.lines)
        self.add(element.text, element)

    def end(self, element) -> None:
        if _tag(element) in _LINE_BREAKING_TAGS:
            self.flush()
        self.add(element.tail, element.getparent())

    def add(self, text, owner) -> None:
        if text and text.strip():
            self._owner = self._owner if self._parts else owner
            self._parts.append(text)

    def flush(self) -> None:
        text = _squash("".join(self._parts))
        if text:
            self.lines.append(_Line(text, self._owner))
        self._parts, self._owner = [], None


def _visible_lines(root) -> tuple[list[_Line], dict]:
    collector = _LineCollector()
    body = root.find("body")  # not <head>: its <title> would pass for the headline
    for event, element in etree.iterwalk(body if body is not None else root, events=("start", "end")):
        if event == "start":
            collector.start(element)
        else:
            collector.end(element)
    collector.flush()
    return collector.lines, collector.line_of


def _tag(element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _root_title(root) -> str:
    if root is None:
        return ""
    node = root.find(".//title")
    return _squash(node.text_content()) if node is not None else ""


# ---------------------------------------------------------------- where the article is

# Class/id words of page parts that hold other articles' bylines and dates.
_FURNITURE_WORDS = frozenset(
    "related recommended recommendations recirc popular trending teaser teasers promo promos newsletter "
    "comment comments respond replies listing carousel outbrain taboola widget widgets card cards more "
    "nav navigation menu breadcrumb breadcrumbs".split()
)


_STATE_PREFIXES = frozenset("has with no is show hide enable active js".split())


def _class_words(element) -> set[str]:
    """Words naming what an element is: "m-post-card__meta" -> {m, post, card}; state flags are skipped."""
    words: set[str] = set()
    for token in f"{element.get('class') or ''} {element.get('id') or ''}".lower().split():
        block = re.split(r"__|--", token)[0]  # BEM: the block names the thing, not its parts or modifiers
        parts = [part for part in re.split(r"[-_]+", block) if part]
        if parts and parts[0] not in _STATE_PREFIXES:
            words.update(parts)
    return words


def is_furniture_element(element) -> bool:
    """True inside navigation, comments, related-item lists or the page's own footer."""
    chain = [element, *element.iterancestors()] if element is not None else []
    chain = [node for node in chain if _tag(node) not in ("body", "html")]  # their classes describe the layout
    in_article = any(_tag(node) in ("article", "main") for node in chain)
    for node in chain:
        words = _class_words(node)
        if _tag(node) == "nav" or words & _FURNITURE_WORDS:
            return True
        if not in_article and (_tag(node) == "footer" or "footer" in words):
            return True
    return False


@dataclass(frozen=True)
class _Zone:
    """Line indices around the article: headline, body start and body end."""

    headline: int | None
    body_start: int | None
    body_end: int | None

    def around_article(self) -> range:
        start = self.headline if self.headline is not None else self.body_start
        end = self.body_end if self.body_end is not None else self.headline
        if start is None or end is None:
            return range(0)
        return range(max(0, min(start, end) - 8), max(start, end) + 13)

    def near_headline(self) -> range:
        if self.headline is None:
            return range(0)
        stop = self.headline + 25
        if self.body_start is not None and self.body_start > self.headline:
            stop = min(stop, self.body_start + 1)  # dates inside the text are about the story
        return range(max(0, self.headline - 6), stop)


_NO_ZONE = _Zone(None, None, None)


def _article_zone(page: _Page, title: str) -> _Zone:
    if page.root is None:
        return _NO_ZONE
    headline = _headline_line(page, title)
    first, last = _body_snippets(page.extracted)
    body_start = _find_line(page.lines, first, 0)
    body_end = _find_line(page.lines, last, body_start or 0)
    return _Zone(headline, body_start, body_end)


def _headline_line(page: _Page, title: str) -> int | None:
    """Line of the heading that shows the title; else of the first <h1>."""
    key = _title_key(title)
    headings = [(h, _title_key(h.text_content())) for h in page.root.iter("h1", "h2") if h in page.line_of]
    exact = [h for h, text in headings if key and text == key]
    shortened = [h for h, text in headings if key and len(text) >= 20 and text in key]
    h1s = [h for h, _ in headings if _tag(h) == "h1"]
    chosen = (exact or shortened or h1s or [None])[0]
    return page.line_of[chosen] if chosen is not None else None


def _body_snippets(extracted) -> tuple[str, str]:
    """The starts of the main text's first and last paragraphs, to find them among the page's lines."""
    body = getattr(extracted, "body", None) if extracted is not None else None
    texts = [_squash(text) for text in body.itertext()] if hasattr(body, "itertext") else []
    if not texts:
        texts = _attr(extracted, "text").split("\n")
    texts = [text for text in texts if len(text) >= 25]
    return (texts[0][:40], texts[-1][:40]) if texts else ("", "")


def _find_line(lines: list[_Line], snippet: str, start: int) -> int | None:
    if not snippet:
        return None
    return next((i for i in range(start, len(lines)) if snippet in lines[i].text), None)


# ---------------------------------------------------------------- names, sites and titles


def _compact(text: str) -> str:
    compact = re.sub(r"[^0-9a-z]+", "", (text or "").casefold())
    return compact[3:] if compact.startswith("the") and len(compact) > 5 else compact


def _same_name(a: str, b: str) -> bool:
    """Same site name: "The Guardian" ~ "guardian", "The Local" ~ "The Local Sweden", "KBS WORLD" ~ "kbs"."""
    short, long = sorted((_compact(a), _compact(b)), key=len)
    return len(short) >= 3 and long.startswith(short)


def _matches_any(text: str, names: list[str]) -> bool:
    return any(_same_name(text, name) for name in names)


def _hostname(url: str) -> str:
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _host_labels(host: str) -> list[str]:
    """Distinctive parts of a host: "world.kbs.co.kr" -> ["world", "kbs"]."""
    labels = host.split(".")[:-1]
    if len(labels) > 1 and labels[-1] in ("co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"):
        labels = labels[:-1]
    return [label for label in labels if len(label) >= 3 and label != "www"]


def _declared_site_names(page: _Page) -> list[str]:
    """Site names the page states outright, most explicit first."""
    website = next((o for o in page.objects if "website" in _types(o)), {})
    publisher = _resolve((page.article or {}).get("publisher"), page.objects)
    names = [
        _meta(page, "og:site_name"),
        _text_value(website.get("name")),
        _text_value(publisher.get("name")) if isinstance(publisher, dict) else "",
        _meta(page, "application-name", "apple-mobile-web-app-title"),
        _guessed_site_name(page),
    ]
    return [name for name in names if name and not re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name)]


def _guessed_site_name(page: _Page) -> str:
    """trafilatura's guess at the site's name, unless it is the headline that opens the <title>: of "8. Errors and
    Exceptions — Python 3.11.2 documentation" it guessed the first part, and the page lost its title to it."""
    guess = _attr(page.extracted, "sitename")
    head, _, tail = _split_last(_root_title(page.root)) if page.root is not None else ("", "", "")
    return "" if guess and tail and _title_key(guess) == _title_key(head) else guess


def _known_site_names(page: _Page) -> list[str]:
    known = _declared_site_names(page) + _host_labels(page.host) + _masthead_names(page)
    return known + _beside_headline(page, known)


def _beside_headline(page: _Page, known: list[str]) -> list[str]:
    """The part of the <title> beside the part a heading of the page repeats: the site's name ("Gregory Szorc's
    Digital Home | Mercurial's Journey to …" over a post headed "Mercurial's Journey to …"), though no tag says so."""
    if page.root is None:
        return []
    headings = {_title_key(strip_permalink(heading.text_content()))
                for tag in ("h1", "h2") for heading in list(page.root.iter(tag))[:4]}
    title = _root_title(page.root)
    first = _TITLE_SEPARATOR.search(title)  # a separator, not the colon of "Leader spotlight: Erin Spiceland"
    lead, rest = (title[:first.start()].strip(), title[first.end():].strip()) if first else ("", "")
    head, _, tail = _split_last(title)
    # a banner <h1> repeats a name the site is `known` by ("The Cargo Book" over "cargo-add(1)"): no headline
    return [name for name, headline in ((lead, rest), (tail, head)) if name and _is_short_label(name)
            and not _section_label(name) and _title_key(headline) in headings - {""}
            and not _matches_any(headline, known)]


def _section_label(text: str) -> bool:
    """A section's or a part's label ("Opinion", "Chapter 3", "Part 2", "Tutorial"), no site's name."""
    words = re.findall(r"[^\W\d_]+", text.casefold())
    return any(ch.isdigit() for ch in text) or all(word in _NOT_NAME_WORDS | _SECTION_WORDS for word in words)


_SECTION_WORDS = frozenset("chapter part section tutorial tutorials lesson lessons guide guides step steps "
                           "appendix introduction overview reference faq docs documentation".split())


def _masthead_names(page: _Page) -> list[str]:
    """The end of the <title> when the page also prints it as a top-level heading of its own: the site's name
    ("… - The Rust Programming Language" under a menu <h1> of that name), though no tag declares it."""
    if page.root is None:
        return []
    headings = {_compact(h1.text_content()) for h1 in page.root.iter("h1")}
    return [tail for tail in _last_segment(_root_title(page.root)) if _compact(tail) in headings]


_TITLE_SEPARATOR = re.compile(r"\s+(?:[\-–—·•»~/:]{1,2}|l)\s+|\s*\|\s*")


def _split_last(title: str) -> tuple[str, str, str]:
    matches = list(_TITLE_SEPARATOR.finditer(title))
    if not matches:
        return "", "", title
    last = matches[-1]
    return title[: last.start()].strip(), last.group().strip(), title[last.end():].strip()


def _split_first(title: str) -> tuple[str, str]:
    match = _TITLE_SEPARATOR.search(title) or re.search(r":\s+", title)
    return (title[: match.start()].strip(), title[match.end():].strip()) if match else ("", title)


def _is_short_label(text: str) -> bool:
    return len(text) <= 40 and len(text.split()) <= 4


def _strip_site_affixes(title: str, site_names: list[str]) -> tuple[str, str]:
    """("Headline", "Site") from "Headline | Site | 2024-01-02", "Headline - Site" or "Site: Headline"."""
    site = ""
    while True:
        head, separator, tail = _split_last(title)
        if len(head) < 3:
            break
        if _date_in(tail) and _is_short_label(tail):
            title = head
        elif _matches_any(tail, site_names) or (separator == "|" and _is_short_label(tail) and len(head) > len(tail)):
            site, title = site or tail, head
        else:
            break
    lead, rest = _split_first(title)
    if lead and len(rest) >= 3 and _matches_any(lead, site_names) and _is_short_label(lead):
        site, title = site or lead, rest
    manual = _MANUAL_SUFFIX.fullmatch(title)  # Texinfo: "The Basics (libffi: the portable … library)"
    if manual:
        site, title = site or manual.group(2), manual.group(1)
    return title, site


_MANUAL_SUFFIX = re.compile(r"(.{3,}?)\s+\(([\w.+-]{2,30}):\s+[^()]{10,}\)")


def _title_key(text: str) -> str:
    text = (text or "").casefold().translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return _squash(re.sub(r"[\s.!?:;,]+$", "", text))


def _raw_titles(page: _Page) -> list[tuple[str, str]]:
    """(source, title) pairs, most trustworthy source first."""
    article = page.article or {}
    pairs = [("og", _meta(page, "og:title")), ("json-ld", _text_value(article.get("headline"))),
             ("title", _root_title(page.root))]
    if page.root is not None:
        pairs += [("h1", strip_permalink(h1.text_content())) for h1 in list(page.root.iter("h1"))[:4]]
    pairs += [("twitter", _meta(page, "twitter:title")), ("trafilatura", _attr(page.extracted, "title"))]
    return [(source, text) for source, text in pairs if text]


def _title(page: _Page, site_names: list[str]) -> tuple[str, str]:
    """(title, site name cut from it): the version most sources agree on, the most trusted on ties."""
    raw_titles = _raw_titles(page)
    # A logo <h1> holds the site name, often also the last part of the <title>.
    logo_names = site_names + _last_segment(_root_title(page.root))
    versions: dict[str, str] = {}  # title key -> first (most trusted) spelling
    for _, raw in raw_titles:
        title, _ = _strip_site_affixes(raw, site_names)
        if _title_key(title) and not any(_compact(title) == _compact(name) for name in logo_names):
            versions.setdefault(_title_key(title), title)
    if not versions:
        return "", ""

    # a page under a site-wide <h1> banner heads its own text with an <h2> that repeats its <title> ("FAQ" under
    # "The XSLT C library for GNOME"): that heading backs the <title>
    own_title = _title_key(_strip_site_affixes(_root_title(page.root), site_names)[0])
    subheadings = {_title_key(strip_permalink(h2.text_content())) for h2 in
                   (list(page.root.iter("h2"))[:4] if page.root is not None else [])} & {own_title}

    def support(key: str) -> int:
        backing = {source for source, raw in raw_titles
                   if _starts_with_title(raw, key, site_names) or is_title_with_release(raw, key)}
        return len(backing) + (key in subheadings)

    best = max(versions, key=support)  # max keeps the first, most trusted, on ties
    return versions[best], _title_suffix(raw_titles, best, site_names)


# A release after a name ("npm-audit @11.19.1", "Widget v2.3"): a heading may add it to the page's title
_VERSION_TAIL = re.compile(r"(?:\s*@|\s+(?:v|version\s+)?)\d+(?:\.\d+)+[\w.+-]*\s*", re.IGNORECASE)


def is_title_with_release(heading: str, title: str) -> bool:
    """Whether a heading is the page's title with a release added ("npm-audit @11.19.1" for "npm-audit")."""
    key = _title_key(title)
    heading = " ".join(heading.split())
    return bool(key) and _title_key(heading[: len(key)]) == key and bool(_VERSION_TAIL.fullmatch(heading[len(key):]))


# What may follow a headline in a <title>: "?", then " | ", " - ", " l " (a pipe look-alike)...
_SUFFIX_START = re.compile(r"^[.!?:;,]*\s*(?:[|\-–—·•»~/:]{1,2}|l)\s+(?=\S)")


def _last_segment(title: str) -> list[str]:
    head, _, tail = _split_last(title)
    return [tail] if head and _is_short_label(tail) else []


def _starts_with_title(raw: str, key: str, site_names: list[str]) -> bool:
    """True if `raw` is that title, maybe followed by an unknown "- Site" suffix."""
    return _title_key(_strip_site_affixes(raw, site_names)[0]) == key or bool(_unknown_suffix(raw, key))


def _unknown_suffix(raw: str, key: str) -> str:
    """The "Site" of `raw` when it is the title `key` followed by " - Site"; else ""."""
    if not key or _title_key(raw[: len(key)]) != key:
        return ""
    rest = raw[len(key):]
    start = _SUFFIX_START.match(rest)
    return rest[start.end():].strip() if start else ""


def _title_suffix(raw_titles: list[tuple[str, str]], key: str, site_names: list[str]) -> str:
    """The site name the <title> (or og:title) adds to the headline, if any."""
    for source, raw in raw_titles:
        if source in ("title", "og"):
            site = _strip_site_affixes(raw, site_names)[1] or _unknown_suffix(raw, key)
            if site and _is_short_label(site) and not _date_in(site):
                return site
    return ""


def _site(page: _Page, title_site: str) -> str:
    declared, hosts = _declared_site_names(page), _host_labels(page.host)
    site_name = _meta(page, "og:site_name")
    # "Wikipedia" from the title beats the publisher's legal name, and the section Reuters gives as og:site_name
    # ("U.S.") when only the title's "- Reuters" is the host's name
    if title_site and _matches_any(title_site, hosts) and not (site_name and _names_host(site_name, hosts)):
        return title_site
    return (declared or [title_site or page.host])[0]


def _names_host(name: str, hosts: list[str]) -> bool:
    """Whether a site name is the host's, in full or by its initials ("The Wall Street Journal" on wsj.com)."""
    initials = "".join(word[0] for word in re.findall(r"\w+", name.casefold()) if word not in ("the", "of", "and"))
    return _matches_any(name, hosts) or initials in hosts


# ---------------------------------------------------------------- author

# Words that make an author field a label, a role or a section rather than a person's name.
_NOT_NAME_WORDS = frozenset(
    "letters letter opinion opinions news newsroom staff editorial editorials editor editors guest guests "
    "admin administrator webmaster desk team board contributor contributors correspondent correspondents "
    "reporter reporters writer writers columnist columnists author authors unknown anonymous none null "
    "undefined various sponsored partner partners content blog comment comments analysis features feature "
    "section home homepage archive archives posts articles more view follow share subscribe login menu "
    "search advertisement advertising the no says said via photo photos image images video "
    "monday tuesday wednesday thursday friday saturday sunday today yesterday updated published "
    "website email e-mail rss twitter facebook instagram linkedin github youtube tiktok mastodon "
    "print printable reprint reprints bookmark listen download "  # buttons beside a byline
    "wire wires newswire service agency".split()  # "CNN Wire", "News Service": a feed, not a writer
)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_PARTICLES = frozenset("van von der den de del della di da du dos das le la al bin ibn y ten ter af zu".split())
_NAME_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv phd ph.d. md".split())
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[.'’\-‐][^\W\d_]*)*\.?$")
_DOMAIN = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|info|news|blog)\b")
_BYLINE_LABEL = re.compile(
    r"^\s*(?:[-–—]{1,2}\s*)?(?:(?:(?:view|see|read|browse|show)\s+)?(?:(?:all|more)\s+)?(?:(?:posts|articles|stories|entries)\s+)?"
    r"(?:(?:written|words|posted|published|reported|reporting|story|text|interview)\s+)?by\b"
    r"|(?:authors?|written|writer)\s*(?=:|$))"  # "Author Archives" is a link, "Author: NAME" a byline
    r"\s*[:\-–]?\s*",
    re.IGNORECASE,
)
# Between names of co-authors; anything else ends the list once a name was found.
_AND_SEPARATOR = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
# After these come affiliations, places or dates: "By A | Reuters", "By A in Paris", "By A for The Times".
_HARD_SEPARATOR = re.compile(r"\s*(?:\n|\||/|·|•|\s[-–—]\s|\s(?:in|at|for|from)\s|\s(?=(?:follow\s+)?@\w))\s*",
                             re.IGNORECASE)  # "NAME Follow @handle": the sign-off's link to the writer's account
_SOURCE_WEIGHTS = {"json-ld": 3, "text": 3, "meta": 2, "element": 2, "trafilatura": 1}


@dataclass(frozen=True)
class _Credit:
    """Names one source gives as the article's author."""

    names: tuple[str, ...]
    source: str
    kind: str  # "person", "organisation" or "handle"


def _author(page: _Page, site_names: list[str], zone: _Zone) -> str:
    credits = _json_ld_credits(page, site_names) + _meta_credits(page, site_names)
    if page.root is not None:
        credits += _element_credits(page, zone, site_names) + _text_credits(page, zone, site_names)
    credits += _credits(_attr(page.extracted, "author"), "trafilatura", site_names)
    # "By default, ..." in the text is no handle; handles only count where a field names the author.
    credits = [c for c in credits if c.kind != "handle" or c.source in ("json-ld", "meta", "trafilatura")]
    # A named writer beats the publication's name, which beats a lower-case handle.
    for kind in ("person", "organisation", "handle"):
        pool = [credit for credit in credits if credit.kind == kind]
        if pool:
            return _join_names(_chosen_names(pool))
    return ""


def _json_ld_credits(page: _Page, site_names: list[str]) -> list[_Credit]:
    article = page.article or {}
    authors = _resolve(article.get("author") or article.get("creator"), page.objects)
    authors = authors if isinstance(authors, list) else [authors]
    credits = []
    for author in (_resolve(a, page.objects) for a in authors):
        name = _text_value(author.get("name")) if isinstance(author, dict) else _text_value(author)
        found = _credits(name, "json-ld", site_names)
        if isinstance(author, dict) and _types(author) - {"person"}:  # an Organization, not a writer
            found = [replace(credit, kind="organisation") if credit.kind == "person" else credit for credit in found]
        credits += found
    return _merge_same_source(credits)


def _merge_same_source(credits: list[_Credit]) -> list[_Credit]:
    """Co-authors listed as separate JSON-LD entries form one credit per kind."""
    merged = []
    for kind in ("person", "organisation", "handle"):
        names = tuple(dict.fromkeys(n for c in credits if c.kind == kind for n in c.names))
        if names:
            merged.append(_Credit(names, credits[0].source, kind))
    return merged


def _meta_credits(page: _Page, site_names: list[str]) -> list[_Credit]:
    values = [value for key in ("author", "article:author", "og:article:author", "parsely-author",
                                "sailthru.author", "dc.creator", "dcterms.creator", "byl")
              for value in page.metas.get(key, [])]
    values += _labelled_twitter_data(page) + _parsely_authors(page)
    return [credit for value in values for credit in _credits(value, "meta", site_names)]


def _labelled_twitter_data(page: _Page) -> list[str]:
    # <meta name="twitter:label1" content="Written by"> + <meta name="twitter:data1" content="NAME">
    return [_meta(page, f"twitter:data{n}") for n in range(1, 5)
            if re.search(r"written by|author", _meta(page, f"twitter:label{n}"), re.IGNORECASE)]


def _parsely_authors(page: _Page) -> list[str]:
    data = _lenient_json(_meta(page, "parsely-page"))
    authors = data.get("authors") or data.get("author") if isinstance(data, dict) else None
    authors = authors if isinstance(authors, list) else [authors]
    names = [a for a in authors if isinstance(a, str)]
    return [" and ".join(names)] if names else []


_BYLINE_ATTRIBUTE = re.compile(r"byline|author|writer|contributor", re.IGNORECASE)
_NOT_BYLINE_ATTRIBUTE = re.compile(r"avatar|bio|description|social|image|photo|thumb", re.IGNORECASE)


def _element_credits(page: _Page, zone: _Zone, site_names: list[str]) -> list[_Credit]:
    """Elements marked as bylines (class, id, itemprop, rel) around the article."""
    window = zone.around_article() or range(len(page.lines))
    credits = []
    for element in page.root.iter():
        marks = " ".join(element.get(name) or "" for name in ("class", "id", "itemprop", "rel"))
        marked = bool(_BYLINE_ATTRIBUTE.search(marks))
        if not (marked or _headline_credit(element, marks)) or _NOT_BYLINE_ATTRIBUTE.search(marks):
            continue
        if page.line_of.get(element) not in window or is_furniture_element(element):
            continue
        text = _element_text(element)
        found = _credits(text, "element", site_names)
        after_by = re.search(r"\bby\s+(.+)", text, re.IGNORECASE | re.DOTALL)
        if not found and after_by and marked:  # "Posted on 5 May 2020 by NAME" (not "Reporting supported by …")
            found = _credits(after_by.group(1), "element", site_names)
        credits += found
    return credits


def _headline_credit(element, marks: str) -> bool:
    """A credit or info line beside the headline ("<h1>…</h1> <p class="credit">JIJI</p>", "<div
    class="article-info">NAME<br>SITE<br>DATE"): the agency or writer the story is by. A credit in a figure, or
    a picture's ("media-credit"), is the picture's; an info line is one only when laid out line by line, as a
    byline over its site and date is ("Posted in Local News" or a row of section links is none)."""
    parent = element.getparent()
    if parent is None or not parent.xpath(".//h1") or element.xpath("ancestor::figure|ancestor::figcaption"):
        return False
    words = marks.lower().split()
    return any(w in ("credit", "credits") for w in words) or (
        any(_INFO_CLASS.fullmatch(w) for w in words) and bool(element.xpath(".//br")))


_INFO_CLASS = re.compile(r"(article|post|entry|story)[-_](info|meta)")


def _element_text(element) -> str:
    """Text pieces on separate lines, so "By" | "NAME" | "Staff Writer" stay apart."""
    text, visible = "", 0
    for piece in element.itertext():
        # "Will Knigh<span>t</span>": a lower-case letter right after a letter continues the word.
        glued = text[-1:].isalpha() and piece[:1].islower()
        text += piece if glued else "\n" + piece
        visible += len(piece.strip())
        if visible > 300:
            break
    text = "\n".join(line for line in map(_squash, text.split("\n")) if line)
    return re.sub(r"\s*\n\s*(,|and|&)\s*\n?\s*", r" \1 ", text, flags=re.IGNORECASE)


def _text_credits(page: _Page, zone: _Zone, site_names: list[str]) -> list[_Credit]:
    """Bylines written in the text: "By NAME", "Written by: NAME", or "By" on a line of its own."""
    credits = []
    lines = page.lines
    for i in zone.around_article():
        label = _BYLINE_LABEL.match(lines[i].text) if i < len(lines) and len(lines[i].text) <= 100 else None
        if not label or is_furniture_element(lines[i].element):
            continue
        rest = lines[i].text[label.end():]
        if not rest and i + 1 < len(lines):
            rest = lines[i + 1].text
        if rest and not re.search(r"[a-z]{3}[.!?]$", rest):  # a sentence, not a byline
            credits += _credits(rest, "text", site_names)
    return credits


def _credits(text: str, source: str, site_names: list[str]) -> list[_Credit]:
    """Credits (one per kind) from a raw author string such as "By A and B, Staff Writer"."""
    if re.search(r"://|^\s*www\.", text or ""):
        return []  # article:author often holds the author's profile URL
    found: dict[str, list[str]] = {}
    for name, kind in _names_in_byline(text or "", site_names):
        found.setdefault(kind, []).append(name)
    return [_Credit(tuple(names), source, kind) for kind, names in found.items()]


def _names_in_byline(text: str, site_names: list[str]) -> list[tuple[str, str]]:
    """Names at the start of a byline, up to the first piece that is not one (a role, a place, a date)."""
    text = _BYLINE_LABEL.sub("", text.strip(), count=1)
    found: list[tuple[str, str]] = []
    for chunk in _HARD_SEPARATOR.split(text):
        for piece in filter(str.strip, _AND_SEPARATOR.split(chunk)):
            if found and piece.strip().lower() in _NAME_SUFFIXES:
                found[-1] = (f"{found[-1][0]} {piece.strip()}", found[-1][1])  # "Perry Bacon, Jr."
                continue
            checked = _checked_name(piece, site_names)
            if checked is None or (checked[1] != "person" and _has_person(found)):
                return found
            found.append(checked)
        if _has_person(found):
            return found
    return found


def _has_person(found: list[tuple[str, str]]) -> bool:
    return any(kind == "person" for _, kind in found)


def _checked_name(raw: str, site_names: list[str]) -> tuple[str, str] | None:
    """(name, kind) for a plausible author name, None for labels, sections, dates, e-mails, URLs."""
    name = _clean_name(raw)
    if not name or len(name) > 60:
        return None
    if " " not in name and any(_account_of(name, site) for site in site_names):
        return None  # the site's own account ("luxurious" of Luxurious Magazine), no writer, nor its full name
    if _is_publication(name, site_names):
        return name, "organisation"
    if "@" in name or "://" in name or _DOMAIN.search(name.lower()) or re.search(r"\d", name):
        return None
    words = name.split()
    lowered = [word.lower().strip(".") for word in words]
    if len(words) > 5 or not all(_NAME_WORD.match(word) for word in words):
        return None
    if any(sum(ch.isupper() for ch in word) > 2 and not word.isupper() for word in words):
        return None  # "ArchivesWebsiteTwitter": link texts run together, not a name
    if set(lowered) & _NOT_NAME_WORDS or lowered[-1] in _MONTHS:
        return None
    if name == name.lower():
        return (name, "handle") if len(words) == 1 else None
    if any(word[0].islower() and low not in _PARTICLES for word, low in zip(words, lowered)):
        return None
    return _display_name(name), "person"


def _account_of(word: str, site: str) -> bool:
    """Whether a one-word author is one of the words of the site's name but not all of it, on a site that is no
    person's own ("Simon" may well write "Simon Willison's Weblog")."""
    words = re.findall(r"[\w'’]+", site.casefold())
    return (word.casefold() in words and _compact(word) != _compact(site)
            and not any(w.endswith(("'s", "’s")) for w in words))


def _is_publication(name: str, site_names: list[str]) -> bool:
    """The site's own name or its first words ("The Local" for "The Local Sweden"), not "CBS News February"."""
    words = _significant_words(name)
    return bool(words) and any(
        _compact(name) == _compact(site) or _significant_words(site)[: len(words)] == words for site in site_names
    )


def _significant_words(text: str) -> list[str]:
    words = re.findall(r"[0-9a-z]+", (text or "").casefold())
    return words[1:] if words[:1] == ["the"] else words


def _clean_name(raw: str) -> str:
    name = _BYLINE_LABEL.sub("", _squash(raw), count=1)
    name = re.sub(r"\s*\([^)]*\)\s*", " ", name)  # "Jane Doe (Reuters)"
    return name.strip(" \t,;:|-–—·•\"'“”")


def _display_name(name: str) -> str:
    words = name.split()
    if len(words) > 1 and name == name.upper():
        return " ".join(word.capitalize() for word in words)  # "JANE DOE" -> "Jane Doe"
    return name


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]+", "", name.casefold()).split())


def _chosen_names(pool: list[_Credit]) -> list[str]:
    """The person most sources name, with their co-authors.

    Each source type votes once per name, weighted by trust. Co-authors are those listed with the
    leading name by its most trusted source, or by another source when they get more than half the
    leader's votes: a weak source that adds a stray name ("By A, Reuters"; trafilatura joining a
    related article's author) is outvoted, while a meta tag naming only the first author is not.
    """
    lists = _credit_lists(pool)
    appearance = list(dict.fromkeys(name for _, names in lists for name in names))
    votes = {name: sum(_SOURCE_WEIGHTS.get(source, 1) for source in {s for s, names in lists if name in names})
             for name in appearance}
    leader = max(appearance, key=votes.get)  # max keeps the first, most trusted, on ties
    with_leader = [names for _, names in lists if leader in names]
    alongside = {name for names in with_leader for name in names if 2 * votes[name] > votes[leader]}
    return [name for name in appearance if name == leader or name in with_leader[0] or name in alongside]


def _credit_lists(pool: list[_Credit]) -> list[tuple[str, tuple[str, ...]]]:
    """(source, names) per credit, each name in its fullest spelling: "Todd" -> "Todd Bates"."""
    spellings = [name for credit in pool for name in credit.names]

    def fullest(name: str) -> str:
        key = _name_key(name)
        fuller = [s for s in spellings if _name_key(s) == key or _name_key(s).startswith(key + " ")]
        return max(fuller, key=lambda s: len(_name_key(s).split()))  # the first among equals: most trusted

    return [(credit.source, tuple(dict.fromkeys(map(fullest, credit.names)))) for credit in pool]


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# ---------------------------------------------------------------- date

_MONTH_PATTERN = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
                  r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH_PATTERN}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_PATTERN},?\s+((?:19|20)\d\d)\b", re.I)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d\d)(?!\d)")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(\d\d)[/-]?(\d\d)(?:[/-]|$)")
_MODIFIED_LABEL = re.compile(r"updat|modif|edit|aktualisiert", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d|\bcopyright\b", re.IGNORECASE)

_PUBLISHED_META_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "article.published",
    "date", "pubdate", "publishdate", "publish-date", "publish_date", "publication_date",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "citation_publication_date",
)


def _date(page: _Page, zone: _Zone) -> str:
    for candidate in _date_candidates(page, zone):
        found = _date_in(candidate) if isinstance(candidate, str) else ""
        if found:
            return found
    return ""


def _date_candidates(page: _Page, zone: _Zone):
    """Date texts, most reliable first; generated lazily so the first good one ends the search."""
    article = page.article or {}
    yield _text_value(article.get("datePublished")) or _text_value(article.get("dateCreated"))
    yield from (_meta(page, key) for key in _PUBLISHED_META_KEYS)
    parsely = _lenient_json(_meta(page, "parsely-page"))
    yield parsely.get("pub_date") if isinstance(parsely, dict) else ""
    if page.root is not None:
        yield from _dates_near_headline(page, zone)
    yield from (_url_date(u) for u in (page.canonical, page.given_url))
    yield _stated_date(page, _attr(page.extracted, "date"))  # trafilatura's guess: may be a related item's date


def _dates_near_headline(page: _Page, zone: _Zone):
    """Dates shown with the headline, then <time> elements anywhere in the article."""
    yield from _dated_elements(page, zone.near_headline())
    for i in zone.near_headline():
        line = page.lines[i] if i < len(page.lines) else None
        date_text = _published_date_text(line.text) if line and len(line.text) <= 120 else ""
        if date_text and not is_furniture_element(line.element) and not _in_code(line.element):
            yield date_text
    yield from _dated_elements(page, zone.around_article())


def _dated_elements(page: _Page, window: range):
    elements = [el for el in page.root.iter() if page.line_of.get(el) in window]
    marked = [el for el in elements if el.get("itemprop") == "datePublished" or el.get("pubdate") is not None]
    times = [el for el in elements if _tag(el) == "time" and not _is_modification_date(el)]
    for element in marked + times:
        if not is_furniture_element(element):
            yield element.get("datetime") or element.get("content") or _squash(element.text_content())


# a date in a long line of prose is an example or an event ("The timestamp looks like '2002-02-21 23:30:39'"), no
# date the page gives itself, unless the line says it is one ("Last updated on October 07, 2026.")
MAX_DATED_LINE_CHARS = 120
_DATE_LABEL = re.compile(r"\b(published|posted|updated|modified|written)\b", re.IGNORECASE)


def _stated_date(page: _Page, date: str) -> str:
    """`date` when the page writes it out (an attribute, a dated line), else "": htmldate also reads dates into
    version numbers ("version 2.6.17": 2017-06-02), copyright years and the output of a code example
    ("atime: 2019-06-22T03:37:33.072Z"), which no page states as its date."""
    if not date or page.root is None:
        return ""
    if any(date in _dates_in(element.text_content()) for element in page.root.iter(*_SAMPLE_TAGS)):
        return ""  # the page shows it as code or sample output: an example ("*** lao 2002-02-21 23:30:39")
    texts = [line.text for line in page.lines if not _COPYRIGHT.search(line.text) and not _in_code(line.element)
             and (len(line.text) <= MAX_DATED_LINE_CHARS or _DATE_LABEL.search(line.text))]
    texts += [value for element in page.root.iter() for value in element.attrib.values()]
    return date if any(date in _dates_in(text) for text in texts) else ""


_CODE_TAGS = ("pre", "code")
_SAMPLE_TAGS = (*_CODE_TAGS, "samp", "kbd", "tt")  # code, and the sample output and input a manual shows


def _in_code(element) -> bool:
    return element is not None and any(_tag(el) in _CODE_TAGS for el in (element, *element.iterancestors()))


def _dates_in(text: str) -> set[str]:
    return {_to_date(match) for match in _any_date_matches(text)}


def _is_modification_date(element) -> bool:
    marks = " ".join(element.get(name) or "" for name in ("class", "id", "itemprop"))
    return bool(_MODIFIED_LABEL.search(marks))


def _published_date_text(line: str) -> str:
    """The first date on a line that is not labelled as an update ("Written: X / Updated: Y") nor a copyright."""
    if _COPYRIGHT.search(line):
        return ""
    for match in _any_date_matches(line):
        if not _MODIFIED_LABEL.search(line[max(0, match.start() - 15): match.start()]):
            return match.group()
    return ""


def _any_date_matches(text: str) -> list:
    patterns = (_ISO_DATE, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR, _NUMERIC_DATE)
    return sorted((m for p in patterns for m in p.finditer(text)), key=lambda m: m.start())


def _url_date(url: str) -> str:
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    return "-".join(match.groups()) if match else ""


def _date_in(text: str) -> str:
    """YYYY-MM-DD of the first well-formed date in the text, or ""."""
    for match in _any_date_matches(text or ""):
        found = _to_date(match)
        if found:
            return found
    return ""


def _to_date(match) -> str:
    groups = match.groups()
    if match.re is _ISO_DATE:
        year, month, day = groups
    elif match.re is _MONTH_DAY_YEAR:
        month, day, year = groups
    elif match.re is _DAY_MONTH_YEAR:
        day, month, year = groups
    else:
        first, second, year = map(int, groups)
        if first <= 12 and second <= 12:
            return ""  # 03/04/2020: April or March? Not guessable.
        month, day = (first, second) if second > 12 else (second, first)
    return _valid_date(int(year), _month_number(month), int(day))


def _month_number(month) -> int:
    if isinstance(month, int) or str(month).isdigit():
        return int(month)
    return next(n for n, name in enumerate(_MONTHS, 1) if name.startswith(month.lower().rstrip(".")[:3]))


def _valid_date(year: int, month: int, day: int) -> str:
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return ""
    if not 1990 <= year <= dt.date.today().year + 1:
        return ""
    return found.isoformat()


# ---------------------------------------------------------------- plain-text bylines

BYLINE_LINES = 3  # a plain-text article's byline or date line is among the first lines after its title
MAX_BYLINE_CHARS = 100  # longer lines are paragraphs
_BYLINE_PARTS = re.compile(r"\s*(?:\||·|•|\s[-–—]\s)\s*")
# What may stand beside a date on a date line: "Published: Monday, March 3, 2025, 10:30 am".
_DATE_LINE_WORDS = re.compile(
    r"(?:published|posted|updated|dated?|on|at|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|\d{1,2}[:.]\d\d|[ap]\.?m\.?|utc|gmt|[^\w\s]|\s)*", re.IGNORECASE)


def plain_text_byline(body: str) -> tuple[dict, str]:
    """Author and date from the lines at the top of a plain-text article that hold only a byline ("By NAME",
    "By NAME | March 3, 2025", "NAME | DATE") or a date, and the body without those lines. A line that reads
    as a sentence ("By the end of 2021, the Taliban …") is the article's first sentence, not a byline."""
    lines = body.split("\n")
    found, bylines = read_bylines(lines)
    return found, "\n".join(line for number, line in enumerate(lines) if number not in bylines)


def read_bylines(lines: list[str]) -> tuple[dict, set[int]]:
    """Author and date from the byline and date lines among the first lines (blank ones skipped) of an article's
    text under its title, and the numbers of those lines."""
    found, bylines, looked = {}, set(), 0
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        looked += 1
        if looked > BYLINE_LINES or len(line.strip()) > MAX_BYLINE_CHARS:
            break
        read = {key: value for key, value in _byline_line(line.strip()).items() if value}
        if read:
            bylines.add(number)
            found = {**read, **found}  # the first line naming a field wins
    return found, bylines


def _byline_line(line: str) -> dict:
    """{"author", "date"} as far as the line is a byline or a date line, else {}."""
    if re.search(r"[a-z]{3}[.!?]$", line):
        return {}
    date = _date_in(_published_date_text(line))  # "Updated: DATE" is not the article's date
    if _BYLINE_LABEL.match(line):  # "By NAME", then perhaps a place, a role or the date
        names = [name for name, kind in _names_in_byline(line, []) if kind == "person"]
        return {"author": _join_names(names), "date": date} if names else {}
    parts = _BYLINE_PARTS.split(line)
    if len(parts) == 1:
        match = next(iter(_any_date_matches(line)), None)
        leftover = line[:match.start()] + line[match.end():] if match else line
        return {"date": date} if date and _DATE_LINE_WORDS.fullmatch(leftover) else {}
    # "NAME | DATE": a name of two words or more (a lone word may be a place), and a date beside it
    named = [_checked_name(part, []) for part in parts]
    people = [name for name, kind in filter(None, named) if kind == "person" and len(name.split()) > 1]
    return {"author": people[0], "date": date} if people and date else {}


# ---------------------------------------------------------------- URL


def _canonical_url(page: _Page) -> str:
    base = page.given_url or _meta(page, "og:url")
    links = [link.get("href") or "" for link in page.root.iter("link")
             if "canonical" in (link.get("rel") or "").lower().split()]
    for href in links + page.metas.get("og:url", []):
        url = _absolute_url(href.strip(), base)
        if url and not _is_home_page_for(url, page.given_url):
            return url
    return ""


def _absolute_url(href: str, base: str) -> str:
    try:
        url = urljoin(base, href) if base else href
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


def _is_home_page_for(url: str, given_url: str) -> bool:
    # Some sites point every page's canonical link at their home page.
    try:
        return urlsplit(url).path.strip("/") == "" and urlsplit(given_url).path.strip("/") != ""
    except ValueError:
        return False


def _url_key(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def _page_url(page: _Page) -> str:
    return page.canonical or page.given_url
