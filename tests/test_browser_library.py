"""The Articles tab and the filters in a real browser (Debian's Chromium through Playwright): the upload picker's
types and its one size limit, a plain-text byline read as author and date, the author and date filters beside the
article filter, and deleting an article together with its answers."""
import re

import pytest

from bench.screenshot import ask, running_app, wait_until_ready
from helpers import SAMPLE_ARTICLE, require_browser
from ui.uploads import ALLOWED_SUFFIXES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ONION = """Onion prices double in the valley

By Jane Doe | March 3, 2025

Onion prices doubled after the floods in the valley, the growers' union said, and traders expect them to stay high \
until the next harvest.

Farmers say the onion harvest lost a third of its crop to standing water.
"""
DAMS = """River dams overflow

The river dams overflowed after a week of heavy rain, the engineers said, and the water reached the lower fields.
"""
ONION_QUESTION = "What happened to onion prices after the floods?"
DAMS_QUESTION = "Why did the river dams overflow?"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("library")
    articles = root / "articles"
    articles.mkdir()
    (articles / SAMPLE_ARTICLE.name).write_bytes(SAMPLE_ARTICLE.read_bytes())
    (articles / "onion-prices.txt").write_text(ONION)
    (articles / "river-dams.txt").write_text(DAMS)
    with running_app(root / "index", root / "app.log", RAGQA_ARTICLES_DIR=str(articles),
                     RAGQA_MAX_UPLOAD_MB="1") as url:
        yield url


def reply(page, turn: int):
    """The chat's answer, or error, of that turn."""
    return page.locator('#chat [data-testid="bot"]').nth(turn)


def test_picker_takes_only_supported_types_and_a_file_over_the_limit_never_leaves_the_browser(page, app_url, tmp_path):
    from playwright.sync_api import expect

    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and "/gradio_api/upload" in r.url else None)
    page.goto(app_url)
    wait_until_ready(page)
    page.get_by_role("tab", name="Articles").click()
    picker = page.locator("#upload input[type=file]")
    assert [s.strip() for s in picker.get_attribute("accept").split(",")] == list(ALLOWED_SUFFIXES)
    expect(page.locator("#upload")).to_contain_text("up to 1 MB each")
    big = tmp_path / "big.txt"
    big.write_text("Big\n\n" + "word " * 250_000)  # 1.2 MB
    picker.set_input_files(big)
    toast = page.locator(".toast-body", has_text="big.txt")
    expect(toast).to_contain_text(re.compile(r"exceed the maximum allowed size of 1(\.0)? MB", re.IGNORECASE))
    assert sent == [], "refused before the transfer"
    onion_row = page.locator("#articles-table").get_by_role("row", name=re.compile("^Onion prices double"))
    expect(onion_row).to_contain_text("Jane Doe")  # the plain-text byline, read as author and date
    expect(onion_row).to_contain_text("2025-03-03")


def test_author_and_date_filters_narrow_the_search_and_bad_input_is_one_sentence(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    page.locator("#settings").get_by_text("Settings").click()
    author = page.locator("#filter-author").get_by_role("textbox")
    since = page.locator("#filter-since").get_by_role("textbox")
    author.fill("Nobody")
    page.locator("#question textarea").fill(ONION_QUESTION)
    page.locator("#question textarea").press("Enter")
    expect(reply(page, 0)).to_have_text("No indexed article matches author 'Nobody'.")
    author.fill("jane")
    ask(page, ONION_QUESTION, turn=1)
    cited = page.locator("#sources .source-article", has=page.locator('[id^="src-1-"]')).locator(".source-title")
    assert set(cited.all_inner_texts()) == {"Onion prices double in the valley"}
    since.fill("soon")
    page.locator("#question textarea").fill(ONION_QUESTION)
    page.locator("#question textarea").press("Enter")
    expect(reply(page, 2)).to_have_text("Dated from must be a date such as 2025-03-31, 2025-03 or 2025, not 'soon'.")
    since.fill("")  # the error settled at once: the next question is asked now, not queued behind nothing
    page.locator("#question textarea").fill(ONION_QUESTION)
    page.locator("#question textarea").press("Enter")
    expect(reply(page, 3)).to_contain_text("onion", ignore_case=True, timeout=10_000)
    expect(page.locator("#question")).not_to_have_class(re.compile(r"\bqueued\b"))
    assert page.errors == []


def test_deleting_an_article_removes_it_and_its_answers(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    ask(page, DAMS_QUESTION, turn=0)
    cited = page.locator("#sources .source-article", has=page.locator("#src-0-1")).locator(".source-title")
    expect(cited).to_have_text("River dams overflow")

    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#delete")).to_be_disabled()  # nothing chosen, nothing to delete
    page.locator("#delete-choice input").click()
    page.get_by_role("option", name="River dams overflow").click()
    expect(page.locator("#delete")).to_be_enabled()
    page.locator("#delete").click()  # asks first
    expect(page.locator("#delete-result")).to_contain_text("Delete “River dams overflow”? Click “Confirm delete”")
    expect(page.locator("#delete")).to_have_text("Confirm delete")
    table = page.locator("#articles-table")
    expect(table).to_contain_text("River dams overflow")
    page.locator("#delete").click()
    expect(page.locator("#delete-result")).to_contain_text("Deleted “River dams overflow”", timeout=60_000)
    expect(page.locator("#delete")).to_have_text("Delete")
    expect(page.locator("#delete")).to_be_disabled()
    expect(table).not_to_contain_text("River dams overflow")
    expect(table).to_contain_text("Onion prices double in the valley")
    expect(table).to_contain_text("Khalilzad on ISKP, TTP, and Pakistan")
    expect(page.locator("#status")).to_contain_text("2 articles indexed")

    page.get_by_role("tab", name="Ask").click()
    page.locator("#question textarea").fill(DAMS_QUESTION)
    page.locator("#question textarea").press("Enter")
    expect(page.locator("#sources details.turn-sources")).to_have_count(2, timeout=60_000)
    assert "River dams overflow" not in page.locator("#sources details.turn-sources").first.inner_text()
    assert page.errors == []


# Where a row is within the table's own scroll area: the part of its viewport below the sticky header.
ROW_IN_TABLE = """(row) => {
  const viewport = row.closest(".virtual-table-viewport"), head = viewport.querySelector("thead");
  const box = row.getBoundingClientRect(), area = viewport.getBoundingClientRect();
  return { below_the_header: box.top >= head.getBoundingClientRect().bottom - 1,
           above_the_end: box.bottom <= area.bottom + 1 };
}"""


def test_an_upload_shows_its_new_row_even_when_the_table_was_scrolled_down(page, app_url, tmp_path):
    from playwright.sync_api import expect

    page.goto(app_url)
    wait_until_ready(page)
    page.get_by_role("tab", name="Articles").click()
    notes = []
    for n in range(15):  # enough rows for the table to scroll
        notes.append(tmp_path / f"note-{n:02}.txt")
        notes[-1].write_text(f"Field note {n}\n\nThe weather on day {n} was mild and dry.\n")
    add(page, notes)
    expect(page.locator("#upload-result")).to_contain_text("Added: note-14.txt", timeout=120_000)
    table = page.locator("#articles-table")
    expect(table.get_by_role("row", name=re.compile("^Field note 14"))).to_have_class(re.compile(r"\bflash\b"))
    expect(table.locator(".flash")).to_have_count(0)  # the highlight is brief
    viewport = table.locator(".virtual-table-viewport")
    assert viewport.evaluate("table => (table.scrollTop = table.scrollHeight) > 0"), "the table scrolls"

    zebra = tmp_path / "zebra.txt"
    zebra.write_text("Zebra crossing news\n\nZebras crossed the river at dawn.\n")
    add(page, [zebra])
    expect(page.locator("#upload-result")).to_have_text("Added: zebra.txt", timeout=60_000)
    row = table.get_by_role("row", name=re.compile("^Zebra crossing news"))
    expect(row).to_have_class(re.compile(r"\bflash\b"))  # briefly highlighted
    assert row.evaluate(ROW_IN_TABLE) == {"below_the_header": True, "above_the_end": True}
    assert page.errors == []


def add(page, files) -> None:
    """Choose the files in the upload box and add them to the index."""
    from playwright.sync_api import expect

    page.locator("#upload input[type=file]").set_input_files(files)
    expect(page.locator("#upload")).to_contain_text(files[-1].stem)  # listed once sent to the server
    page.get_by_role("button", name="Add to the index").click()
