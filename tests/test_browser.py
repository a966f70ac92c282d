"""The page in a real browser: Debian's Chromium, driven by Playwright, against `python app.py` as a newcomer runs it
(first start, real packaged model), on the sample article plus one article full of markup that must stay text."""
import functools
import http.server
import re
import shutil
import threading

import pytest

from bench.screenshot import (BAGRAM, FOLLOW_UP, LAPTOP, PHONE, ask, free_port, running_app, wait_until_ready)
from helpers import SAMPLE_ARTICLE, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE_ARTICLE = """Onion prices <script>window.__pwned = 1</script> after the floods

Onion prices doubled after the floods in the valley, the growers' union said <img src=x onerror="window.__pwned = 1">, \
and traders expect ${7*7} and {{7*7}} to stay in their ledgers. Read [the union's report](javascript:window.__pwned=1) \
and **judge** for yourself.

Farmers say the onion harvest lost a third of its crop to standing water, and storage sheds were damaged.
"""
# Counts the distinct lengths the newest answer passes through, to see it stream in.
WATCH_STREAMING = """() => {
  window.answerLengths = new Set();
  const chat = document.getElementById("chat");
  new MutationObserver(() => {
    const answers = chat.querySelectorAll('[data-testid="bot"]');
    if (answers.length) window.answerLengths.add(answers[answers.length - 1].innerText.length);
  }).observe(chat, { subtree: true, childList: true, characterData: true });
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("browser")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SAMPLE_ARTICLE, articles)
    (articles / "onion-prices.txt").write_text(HOSTILE_ARTICLE)
    with running_app(root / "index", root / "app.log", RAGQA_ARTICLES_DIR=str(articles)) as url:
        yield url


def test_the_llm_choice_is_disabled_and_says_why_when_no_llm_is_configured(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    page.locator("#settings").get_by_text("Settings").click()
    expect(page.get_by_label("LLM (none configured)")).to_be_disabled()
    expect(page.get_by_label("Offline: quote the articles")).to_be_checked()
    expect(page.locator("#mode")).to_contain_text("this server has no LLM configured (RAGQA_LLM_BACKEND)")


def test_bagram_question_streams_a_cited_answer_with_the_quote_highlighted(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    expect(page.locator("#status")).to_contain_text("First start: built the index from articles/, 2 articles")
    page.evaluate(WATCH_STREAMING)
    ask(page, BAGRAM, turn=0)

    assert page.evaluate("window.answerLengths.size") > 3, "the answer streamed in"
    answer = page.locator('#chat [data-testid="bot"]').last
    expect(answer).to_contain_text("Bagram Airbase")
    markers = answer.locator('a[href^="#src-0-"]')
    assert markers.count() >= 1 and markers.first.inner_text() == "[1]"
    assert page.locator("#sources mark").count() == markers.count(), "one highlighted quote per citation"
    expect(page.locator("#sources .source-title").first).to_have_text("Khalilzad on ISKP, TTP, and Pakistan")
    expect(page.locator("#sources mark", has_text="strategic footprint")).to_have_count(1)
    assert page.errors == []


def test_clicking_a_marker_brings_its_source_into_view_and_follow_ups_show_the_search(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    ask(page, BAGRAM, turn=0)
    ask(page, FOLLOW_UP, turn=1)
    searched = "Searched for: Why would the US want personnel there? (Bagram)"
    expect(page.locator('#chat [data-testid="bot"]').last).to_contain_text(searched)
    expect(page.locator("#sources .searched").first).to_have_text(searched)

    last_marker = page.locator('#chat a[href^="#src-1-"]').last
    card = page.locator(last_marker.get_attribute("href"))
    last_marker.click()
    expect(card).to_have_class(re.compile(r"\bflash\b"))
    expect(card).to_be_in_viewport()

    first_answer_sources = page.locator("#sources details", has=page.locator("#src-0-1"))
    expect(first_answer_sources).not_to_have_attribute("open", "")  # older answers' sources start collapsed
    page.locator('#chat a[href="#src-0-1"]').click()
    expect(first_answer_sources).to_have_attribute("open", "")
    expect(page.locator("#src-0-1")).to_be_in_viewport()
    assert page.url.rstrip("/") == app_url.rstrip("/"), "the click did not navigate"


def test_phone_width_stacks_chat_above_sources_and_examples_ask(page, app_url):
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_until_ready(page)
    example = page.locator("#examples button", has_text="What does the author say about Bagram Airbase?")
    example.click()
    page.locator("#src-0-1").wait_for()
    chat, sources = page.locator("#chat").bounding_box(), page.locator("#sources").bounding_box()
    assert sources["y"] >= chat["y"] + chat["height"], "sources below the chat"
    question, examples = page.locator("#question").bounding_box(), page.locator("#examples").bounding_box()
    assert question["y"] < sources["y"] < examples["y"], "the question box, then the sources, then the examples"
    assert sources["width"] > PHONE["width"] * 0.8, "sources use the full width"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    page.locator('#chat a[href="#src-0-1"]').click()
    expect(page.locator("#src-0-1")).to_be_in_viewport()


def test_phone_shows_the_examples_on_the_first_screen_while_the_chat_is_empty(page, app_url):
    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_until_ready(page)
    first = page.locator("#examples button").first
    first.wait_for()
    example = first.bounding_box()
    assert 0 <= example["y"] and example["y"] + example["height"] <= PHONE["height"], "the examples the placeholder " \
        "says to pick are on a phone's first screen"
    assert page.locator("#question").bounding_box()["y"] < example["y"], "under the question box"
    first.click()
    page.locator("#src-0-1").wait_for()
    assert page.locator("#chat").bounding_box()["height"] > PHONE["height"] / 2, "an answer gets the chat's height back"


def test_article_markup_and_question_markup_stay_text(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    ask(page, 'What happened to onion prices after the floods? <img src=x onerror="window.__pwned = 1">', turn=0)
    card = page.locator(".source-article", has=page.locator("#src-0-1"))
    expect(card.locator(".source-title")).to_have_text("Onion prices <script>window.__pwned = 1</script> after the floods")
    expect(card.locator("mark")).to_contain_text('<img src=x onerror="window.__pwned = 1">')
    expect(card.locator("mark")).to_contain_text("${7*7} and {{7*7}}")
    expect(card).to_contain_text("Read [the union's report](javascript:window.__pwned=1)")
    expect(page.locator('#chat [data-testid="user"]').last).to_contain_text('<img src=x onerror="window.__pwned = 1">')
    assert page.locator("#chat img, #sources img, #sources script, #chat script").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.wait_for_timeout(300)  # give any injected handler the chance to run
    assert page.evaluate("window.__pwned") is None and page.dialogs == []


def test_the_app_works_inside_an_iframe_on_another_page(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    (tmp_path / "host.html").write_text(
        f'<!doctype html><title>Host</title><h1>Someone else\'s page</h1>'
        f'<iframe id="embedded" src="{app_url}" width="1100" height="760"></iframe>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    host = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    page = browser.new_page(viewport=LAPTOP)
    try:
        page.goto(f"http://127.0.0.1:{host.server_port}/host.html")
        frame = page.frame_locator("#embedded")
        frame.locator("#status", has_text="indexed").wait_for(timeout=60_000)
        ask(frame, BAGRAM, turn=0)
        expect(frame.locator("#sources mark", has_text="strategic footprint")).to_have_count(1)
        frame.locator('#chat a[href="#src-0-1"]').click()
        expect(frame.locator("#src-0-1")).to_have_class(re.compile(r"\bflash\b"))
        assert page.url.endswith("/host.html"), "the host page stayed where it was"
    finally:
        page.close()
        host.shutdown()
        host.server_close()


def test_upload_adds_an_article_and_rejects_other_files_one_by_one(page, app_url, tmp_path):
    from playwright.sync_api import expect

    (tmp_path / "kabul-notes.md").write_text("# Kabul embassy notes\n\nThe embassy in Kabul reopened under guard.\n")
    (tmp_path / "tool.exe").write_bytes(b"MZ not an article")
    (tmp_path / "[x](javascript:alert(1)).txt").write_text("Sneaky\n\nA name with markup.")
    page.goto(app_url)
    wait_until_ready(page)
    page.get_by_role("tab", name="Articles").click()
    files = ["kabul-notes.md", "tool.exe", "[x](javascript:alert(1)).txt"]
    expect(page.get_by_role("button", name="Add to the index")).to_be_disabled()  # nothing chosen to add yet
    page.locator("#upload input[type=file]").set_input_files([tmp_path / name for name in files])
    # the picker takes only the supported types: tool.exe is refused in the browser, never sent
    expect(page.locator(".toast-body", has_text="tool.exe")).to_contain_text("Invalid file type")
    expect(page.locator('#upload a[href*="/gradio_api/file="]')).to_have_count(2)
    page.get_by_role("button", name="Add to the index").click()
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Added: kabul-notes.md", timeout=60_000)
    expect(result).not_to_contain_text("tool.exe")
    expect(result).to_contain_text(re.compile(r"Added: \[x\]\(javascript:?alert\(1\)\)\.txt"))  # gradio drops ':'
    assert result.locator("a").count() == 0, "a file name never becomes a link"
    table = page.locator("#articles-table")
    expect(table).to_contain_text("Kabul embassy notes")
    expect(table).to_contain_text("Onion prices <script>window.__pwned = 1</script> after the floods")
    assert table.locator("script").count() == 0
    counted = re.compile(r"^\s*4 articles indexed \(\d+ chunks\)\.\s*$")  # no longer "First start: …"
    expect(page.locator("#status")).to_have_text(counted)
