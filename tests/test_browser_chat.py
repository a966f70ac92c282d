"""The chat as a new user meets it, in Debian's Chromium through Playwright: drafts kept while an answer streams, a
second question queued, Stop, clean copies, one card per passage, the filter as chips, phone navigation, AA contrast,
a conversation that survives a reload, and exports that keep the evidence. One app (real packaged model, the sample
article and a second one) serves the module, with a local fake LLM whose speed and reply each test sets."""
import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.screenshot import BAGRAM, FOLLOW_UP, LAPTOP, PHONE, ask, running_app, wait_until_ready
from helpers import SAMPLE_ARTICLE, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ONIONS = """Onion prices after the floods

Onion prices doubled after the floods in the valley, the growers' union said. Traders expect prices to stay high \
until the next harvest.

Farmers say the onion harvest lost a third of its crop to standing water, and storage sheds were damaged.
"""
ONIONS_TITLE = "Onion prices after the floods"
TITLE = "Khalilzad on ISKP, TTP, and Pakistan"
# Two sentences of one paragraph of the sample article: cited as [1] and [2], they make one card with two marks.
TWO_SENTENCES = ("Khalilzad’s remarks on Bagram Airbase are equally revealing [1]. The insistence on the necessity "
                 "of American personnel for the protection of a potential embassy or to counter threats highlights a "
                 "persistent US desire for an operational hub [1].")
DRAFT = "And what about the TTP safe havens"
AA_NORMAL, AA_LARGE = 4.5, 3.0


class FakeLlm(ThreadingHTTPServer):
    """An OpenAI-compatible chat server on loopback that streams `reply` word by word, `delay` seconds apart, and
    records for each request whether it was streamed to the end or the client went away first."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _FakeLlmHandler)
        self.reply, self.delay, self.streams = TWO_SENTENCES, 0.0, []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _FakeLlmHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        record = {"sent": 0, "ended": "streaming"}
        self.server.streams.append(record)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for word in self.server.reply.split(" "):
                piece = {"choices": [{"delta": {"content": word + " "}}]}
                self.wfile.write(f"data: {json.dumps(piece)}\n\n".encode())
                self.wfile.flush()
                record["sent"] += 1
                time.sleep(self.server.delay)
            self.wfile.write(b"data: [DONE]\n\n")
            record["ended"] = "complete"
        except OSError:
            record["ended"] = "client left"

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def llm():
    server = FakeLlm()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, llm):
    require_browser()
    root = tmp_path_factory.mktemp("browser-chat")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SAMPLE_ARTICLE, articles)
    (articles / "onion-prices.txt").write_text(ONIONS)
    (articles / "weather-log.txt").write_text(weather_log())  # so the first start takes a while
    with running_app(root / "index", root / "app.log", RAGQA_ARTICLES_DIR=str(articles), RAGQA_LLM_BACKEND="openai",
                     RAGQA_LLM_BASE_URL=llm.url, RAGQA_LLM_MODEL="fake") as url:
        yield url, root / "index"


@pytest.fixture(scope="module")
def app_url(served):
    return served[0]


@pytest.fixture
def page(browser, served):
    """A fresh laptop-sized page on the ready app, allowed to use the clipboard, recording JS errors."""
    context = browser.new_context(viewport=LAPTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(served[0])
    wait_until_ready(page)
    yield page
    context.close()


def weather_log(days: int = 900) -> str:
    """A long article on nothing the tests ask about: embedding it keeps the first start busy for some seconds."""
    places = ["Gilgit", "Skardu", "Chitral", "Quetta", "Multan"]
    lines = [f"On day {day} the station at {places[day % 5]} recorded {day % 37} degrees, {day % 13} millimetres of "
             f"rain and winds of {day % 29} kilometres an hour from the {['north', 'south', 'east', 'west'][day % 4]}."
             for day in range(days)]
    return "Weather log\n\n" + "\n\n".join(" ".join(lines[i:i + 6]) for i in range(0, days, 6))


@pytest.fixture(scope="module")
def fresh_page(browser, served):
    """The module's first page, opened while the app still builds its index on first start."""
    page = browser.new_page(viewport=LAPTOP)
    page.goto(served[0])
    yield page
    page.close()


def test_a_question_asked_while_the_first_start_builds_the_index_stays_in_view(fresh_page):
    from playwright.sync_api import expect

    page = fresh_page
    page.locator("#question textarea").fill(BAGRAM)
    status = page.locator("#status").inner_text()
    page.locator("#question textarea").press("Enter")
    assert "indexed" not in status, f"the index was ready before the question ({status}): the test needs a longer build"
    expect(page.locator('#chat [data-testid="user"]')).to_have_text(BAGRAM, timeout=10_000)  # before the build ends (checked next)
    expect(page.locator("#working")).to_be_visible()
    assert "indexed" not in page.locator("#status").inner_text(), "shown while the index was still being built"
    page.locator("#src-0-1").wait_for(timeout=120_000)
    expect(page.locator("#working")).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("3 articles indexed")


def llm_mode(page):
    page.locator("#settings").get_by_text("Settings").click()
    page.get_by_label("LLM (openai · fake)").check()


def choose_article(page, title):
    """Open the settings and search only the article titled `title`."""
    page.locator("#settings").get_by_text("Settings").click()
    page.locator("#settings input").last.click()
    page.get_by_role("option", name=title).click()
    page.keyboard.press("Escape")


def bot(page, index=-1):
    answers = page.locator('#chat [data-testid="bot"]')
    return answers.last if index == -1 else answers.nth(index)


def test_typing_while_an_answer_streams_keeps_the_draft_queues_it_and_stop_ends_the_generation(page, llm):
    from playwright.sync_api import expect

    llm.reply, llm.delay = TWO_SENTENCES, 0.25  # about 12 s to write it all
    llm_mode(page)
    box = page.locator("#question textarea")
    box.fill(BAGRAM)
    box.press("Enter")
    expect(page.locator("#working")).to_contain_text("Writing the answer…")  # the working indicator
    expect(bot(page)).to_contain_text("Khalilzad’s remarks", timeout=30_000)  # streaming
    page.locator("#examples button").first.click()  # an example meanwhile is refused, visibly
    expect(page.locator("#queued-note")).to_contain_text("One question at a time")
    box.press_sequentially(DRAFT, delay=20)
    page.wait_for_timeout(800)  # more words stream in meanwhile
    expect(box).to_have_value(DRAFT)
    box.press("Enter")  # a second question while the first is written: queued, visibly, not dropped
    expect(page.locator("#queued-note")).to_contain_text("Queued")
    expect(box).to_have_value(DRAFT)
    assert page.locator('#chat [data-testid="user"]').count() == 1

    llm.delay = 0.02  # the queued question, asked after Stop, is answered quickly
    page.locator("#stop").click()
    expect(bot(page, 0)).to_contain_text("Stopped.")
    expect(page.locator("#sources details[open]")).to_contain_text("Stopped before the answer was complete")
    stopped = llm.streams[-1]
    for _ in range(50):  # the LLM's stream is closed at its next word
        if stopped["ended"] != "streaming":
            break
        page.wait_for_timeout(100)
    assert stopped["ended"] == "client left" and stopped["sent"] < len(TWO_SENTENCES.split(" "))

    expect(page.locator('#chat [data-testid="user"]').nth(1)).to_have_text(DRAFT, timeout=20_000)  # asked now
    expect(box).to_have_value("")
    expect(page.locator("#queued-note")).to_be_hidden()
    expect(page.locator("#working")).to_be_hidden(timeout=60_000)
    assert page.errors == []


def test_copy_gives_the_answer_and_its_numbered_sources_as_plain_text(page):
    ask(page, 'What does the author say about "Bagram"?', turn=0)
    answer = bot(page)
    answer.hover()
    page.locator('#chat button[aria-label="Copy message"]').last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    text, sources = copied.split("\n\nSources:\n")
    assert text.startswith("According to “Khalilzad on ISKP, TTP, and Pakistan”:") and "[1]" in text
    assert not re.search(r"\\|\]\(|#src-", copied), "no markdown escapes or links"
    assert sources.startswith(f"[1] {TITLE}\n    “") and "strategic footprint in the region.”" in sources
    assert sources.rstrip().endswith("khalilzad-on-iskp-ttp-and-pakistan.txt")
    label = answer.get_attribute("aria-label")
    assert label.startswith("Answer: According to") and label.rstrip().endswith("[1]")
    assert "\\" not in label and "](#" not in label


def test_one_card_per_passage_grouped_by_article_with_a_preview_on_each_marker(page, llm):
    from playwright.sync_api import expect

    llm.reply, llm.delay = TWO_SENTENCES, 0.0
    llm_mode(page)
    ask(page, BAGRAM, turn=0)
    page.locator("#src-0-2").wait_for()
    article = page.locator("#sources details[open] .source-article")
    expect(article).to_have_count(1)
    expect(article.locator(".source-title")).to_have_text(TITLE)  # the title once, for its cards
    cards = article.locator(".source-card")
    expect(cards).to_have_count(1)  # both sentences come from one paragraph: one card, two highlights
    expect(cards.locator("mark")).to_have_count(2)
    expect(cards.locator(".source-n")).to_have_text(["1", "2"])

    marker = page.locator('#chat a[href="#src-0-2"]')
    marker.hover()
    preview = page.locator("#cite-preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(TITLE)
    expect(preview).to_contain_text("operational hub")
    page.mouse.move(0, 0)
    expect(preview).to_be_hidden()
    marker.focus()  # the keyboard gets the same preview
    expect(preview).to_contain_text("operational hub")
    assert marker.get_attribute("aria-describedby") == "cite-preview"


def test_a_card_opens_the_whole_article_scrolled_to_its_quote(page):
    from playwright.sync_api import expect

    ask(page, BAGRAM, turn=0)
    page.locator("#sources details[open] .open-article").first.click()
    reader = page.locator("#reader")
    expect(reader).to_be_visible()
    expect(reader.locator(".reader-title")).to_have_text(TITLE)
    mark = reader.locator("#reader-mark")
    expect(mark).to_contain_text("Khalilzad’s remarks on Bagram Airbase are equally revealing.")
    expect(mark).to_be_focused()
    expect(mark).to_be_in_viewport()
    assert "Zalmay Khalilzad’s recent interview" in reader.inner_text(), "the whole article, from its start"
    page.keyboard.press("Escape")
    expect(reader).to_be_hidden()


# What of the article shows in the reader's top strip, from its edge to the close button's bottom edge.
ARTICLE_BESIDE_THE_CLOSE_BUTTON = """() => {
  const reader = document.getElementById("reader").getBoundingClientRect();
  const close = document.getElementById("reader-close").getBoundingClientRect();
  const shown = new Set();
  for (let y = reader.top + 2; y <= close.bottom; y += 2) {
    for (let x = reader.left + 2; x < reader.right - 2; x += 8) {
      const el = document.elementFromPoint(x, y);
      if (el && el.closest("#reader-article")) shown.add(el.textContent.trim().slice(0, 40));
    }
  }
  return [...shown];
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_readers_close_button_never_sits_over_the_article(page, theme):
    from playwright.sync_api import expect

    page.goto(f"{page.url}?__theme={theme}")
    wait_until_ready(page)
    ask(page, BAGRAM, turn=0)
    page.locator("#sources details[open] .open-article").first.click()
    expect(page.locator("#reader-mark")).to_be_focused()  # the article is scrolled to the quote
    assert page.evaluate(ARTICLE_BESIDE_THE_CLOSE_BUTTON) == [], "no text shows around or under the button"
    close, title = page.locator("#reader-close"), page.locator("#reader .reader-title")
    page.locator("#reader .reader-text").hover()
    page.mouse.wheel(0, -100_000)  # back to the article's start: the title is not covered
    expect(title).to_be_in_viewport()
    assert title.bounding_box()["y"] >= close.bounding_box()["y"] + close.bounding_box()["height"]
    page.mouse.wheel(0, 100_000)  # to its end: the button is still there
    page.wait_for_timeout(300)
    assert page.evaluate(ARTICLE_BESIDE_THE_CLOSE_BUTTON) == []
    close.click()
    expect(page.locator("#reader")).to_be_hidden()


def test_the_filter_shows_as_chips_beside_the_box_and_refusals_name_the_selection(page):
    from playwright.sync_api import expect

    choose_article(page, ONIONS_TITLE)
    chips = page.locator("#filter-row")
    expect(chips).to_be_visible()
    expect(chips.locator(".chip")).to_have_text([ONIONS_TITLE])
    box, chip = page.locator("#question").bounding_box(), chips.bounding_box()
    assert 0 <= chip["y"] - (box["y"] + box["height"]) < 40, "the chips sit right below the question box"
    box = page.locator("#question textarea")
    box.fill(BAGRAM)
    box.press("Enter")
    expect(bot(page)).to_contain_text(f"The selected article (“{ONIONS_TITLE}”) doesn't cover this",
                                      timeout=60_000)
    page.locator("#clear-filter").click()
    expect(chips).to_be_hidden()


def test_a_failed_question_never_shows_the_previous_answers_sources_as_its_own(page):
    from playwright.sync_api import expect

    ask(page, BAGRAM, turn=0)
    box = page.locator("#question textarea")
    box.fill("???")
    box.press("Enter")
    expect(bot(page)).to_contain_text("The question is empty")
    newest = page.locator("#sources details[open]")
    expect(newest).to_have_count(1)
    expect(newest).to_contain_text("Sources for ???")
    expect(newest).to_contain_text("Not answered, so nothing is cited.")
    expect(newest.locator("mark")).to_have_count(0)


def test_phone_marker_shows_its_card_and_a_button_leads_back_to_the_answer(page):
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    ask(page, BAGRAM, turn=0)
    marker = page.locator('#chat a[href="#src-0-1"]')
    marker.click()
    expect(page.locator("#src-0-1")).to_be_in_viewport()
    back = page.get_by_role("button", name="Back to the answer")
    expect(back).to_be_visible()
    back.click()
    expect(marker).to_be_in_viewport()
    expect(marker).to_be_focused()
    expect(back).to_be_hidden()
    expect(page.locator("#cite-preview")).to_be_hidden()  # no preview left over the page, wider than a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways page scrolling"

    marker.click()
    expect(back).to_be_visible()
    page.get_by_role("tab", name="Articles").click()
    expect(back).to_be_hidden()  # no answer above the articles to go back to
    table = page.locator("#articles-table")
    expect(table).to_contain_text(TITLE)
    expect(page.locator("#articles-scroll-hint")).to_be_visible()  # the table scrolls sideways: say so
    for header in ("Title", "Author", "Date", "Chunks", "Source"):  # every column has room to be read
        cell = table.locator("th", has_text=header).first
        cell.scroll_into_view_if_needed()
        assert cell.bounding_box()["width"] >= 60, f"the {header} column is squeezed"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways page scrolling"
    page.set_viewport_size(LAPTOP)
    expect(page.locator("#articles-scroll-hint")).to_be_hidden()  # the whole table fits: nothing to say


# The contrast of every visible piece of text against what is behind it, as WCAG 2 computes it.
CONTRAST = """() => {
  const rgba = (value) => (value.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number).concat([1]).slice(0, 4);
  const mix = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((under, layer) => mix(layer, under), [255, 255, 255, 1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!text.textContent.trim() || !el) continue;
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    if (el.closest("[disabled], [aria-disabled=true], .copy-text, svg")) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // visually hidden text for screen readers
    const style = getComputedStyle(el);
    const back = background(el), fore = mix(rgba(style.color), back);
    const [hi, lo] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? AA_LARGE : AA_NORMAL;
    const where = `${el.tagName.toLowerCase()}#${el.id}.${el.className} “${text.textContent.trim().slice(0, 40)}”`;
    const behind = `rgb(${back.slice(0, 3).map(Math.round)})`;
    if (ratio < needed) failures.push(`${ratio.toFixed(2)}:1 ${style.color} on ${behind} ${where}`);
  }
  return failures;
}""".replace("AA_LARGE", str(AA_LARGE)).replace("AA_NORMAL", str(AA_NORMAL))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_on_the_page_meets_wcag_aa_contrast(page, served, theme):
    page.goto(f"{served[0]}?__theme={theme}")
    wait_until_ready(page)
    ask(page, BAGRAM, turn=0)
    page.locator('#chat a[href="#src-0-1"]').hover()  # the preview too
    page.locator("#cite-preview").wait_for()
    failures = page.evaluate(CONTRAST)
    page.locator("#sources .open-article").first.click()  # the article reader
    page.locator("#reader-mark").wait_for()
    failures += page.evaluate(CONTRAST)
    page.keyboard.press("Escape")
    choose_article(page, ONIONS_TITLE)  # the settings open, and the filter's chips show
    page.locator("#filter-row").wait_for()
    failures += page.evaluate(CONTRAST)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#articles-table [data-testid=cell-0-0]").wait_for()
    failures += page.evaluate(CONTRAST)
    assert not failures, "\n".join(sorted(set(failures)))


def test_a_reload_keeps_the_conversation_and_new_chat_starts_over(page, served):
    from playwright.sync_api import expect

    ask(page, BAGRAM, turn=0)
    ask(page, FOLLOW_UP, turn=1)
    page.reload()
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(2)
    expect(bot(page)).to_contain_text("Searched for: Why would the US want personnel there? (Bagram)")
    expect(page.locator("#src-1-1")).to_be_attached()
    ask(page, "What happened to onion prices after the floods?", turn=2)  # the conversation goes on where it was
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(3)

    page.get_by_role("button", name="New chat").click()
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Sources appear here")
    page.reload()
    wait_until_ready(page)
    page.wait_for_timeout(1000)
    expect(page.locator('#chat [data-testid="user"]')).to_have_count(0)


def test_exports_keep_every_citations_document_span_and_quote(page, served, tmp_path):
    from playwright.sync_api import expect

    ask(page, BAGRAM, turn=0)
    ask(page, "What happened to onion prices after the floods?", turn=1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    path = tmp_path / "conversation.json"
    download.value.save_as(path)
    exported = json.loads(path.read_text())["conversation"]
    with page.expect_download() as download:
        page.get_by_role("button", name="Export Markdown").click()
    markdown = Path(download.value.path()).read_text()

    documents = {d["id"]: d for d in indexed_documents(served[1])}
    assert [turn["question"] for turn in exported] == [BAGRAM, "What happened to onion prices after the floods?"]
    citations = [c for turn in exported for c in turn["citations"]]
    assert {c["doc_id"] for c in citations} == {"khalilzad-on-iskp-ttp-and-pakistan", "onion-prices"}
    for c in citations:
        document = documents[c["doc_id"]]
        assert document["text"][c["start"]:c["end"]] == c["quote"], "the quote is the indexed text at its span"
        assert c["title"] == document["title"] and c["source"].endswith(".txt") and not c["source"].startswith("/")
    assert markdown.startswith("# Conversation\n\n## What does the author say about Bagram?")
    first = citations[0]
    assert f"document `{first['doc_id']}`, characters {first['start']}–{first['end']})" in markdown
    expect(page.locator("#export-json")).to_be_enabled()


def indexed_documents(index_dir: Path) -> list[dict]:
    """The documents of the index's live generation, read from disk as the app wrote them."""
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    documents = json.loads((generation / "documents.json").read_text())
    return documents if isinstance(documents, list) else list(documents.values())
