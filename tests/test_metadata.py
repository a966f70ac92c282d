from pathlib import Path
from types import SimpleNamespace

import pytest
import trafilatura
from trafilatura.settings import set_date_params

from ingest.metadata import page_metadata

NEWS = Path(__file__).parent / "data" / "news"
TEXT = "<p>" + "The council met on Tuesday to discuss the budget and the plans for the town centre. " * 4 + "</p>"


def metadata_of(html: str, url: str = "") -> dict:
    """page_metadata() fed exactly as the HTML loader feeds it."""
    extracted = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False,
                                            include_tables=True, include_formatting=True,
                                            date_extraction_params=set_date_params(extensive=False))
    return page_metadata(html, extracted, url)


def fixture(name: str) -> str:
    return (NEWS / name).read_text(encoding="utf-8")


def page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


# ---------------------------------------------------------------- realistic pages


def test_byline_in_the_text_beats_the_publication_name_in_meta_author():
    assert metadata_of(fixture("written_by_in_text.html")) == {
        "title": "Harbour dredging to resume in spring",
        "site": "The Harbour Gazette",
        "author": "Maria Okafor",  # meta author holds "The Harbour Gazette"
        "date": "2022-11-03",  # not the related stories' 2019 and 2018
        "url": "https://harbourgazette.example/news/2022/11/harbour-dredging-to-resume",
    }


def test_view_all_posts_by_link_text_gives_the_name_after_it():
    url = "https://crumbandcrust.example/2021/08/19/sourdough-starter-failed/"
    assert metadata_of(fixture("view_all_posts_by.html"), url) == {
        "title": "Why our sourdough starter failed (and how we fixed it)",
        "site": "Crumb & Crust",
        "author": "Hannah Whitfield",  # not the commenter "breadlover42"
        "date": "2021-08-19",  # published, not updated; not the 2016 comment
        "url": url,  # no canonical link: the given URL
    }


def test_json_ld_of_this_article_wins_over_related_items_years_older():
    assert metadata_of(fixture("related_item_dates.html")) == {
        "title": "Regional rail line to reopen after flood repairs",
        "site": "Valley Courier",
        "author": "Sofia Brandt and Kwame Mensah",  # not the related article's Olu Adebayo
        "date": "2021-03-14",  # not the related 2018 and 2017 items
        "url": "https://valleycourier.example/transport/rail-line-reopens",
    }


def test_title_loses_site_and_date_suffix_and_the_site_is_kept():
    url = "https://www.riversidepost.example/news/council-approves-cycle-lanes"
    assert metadata_of(fixture("title_with_site_and_date.html"), url) == {
        "title": "Council approves new cycle lanes",  # <title> ends "| Riverside Post | 2023-05-01"
        "site": "Riverside Post",
        "author": "Tom Jenkins",  # "By Tom Jenkins, Local Democracy Reporter"
        "date": "2023-05-01",
        "url": url,
    }


def test_a_section_label_as_the_only_author_field_gives_no_author():
    assert metadata_of(fixture("letters_label_only.html")) == {
        "title": "Keep the library open in the evenings",
        "site": "Northgate Chronicle",
        "author": "",  # meta author and byline both say "Letters"
        "date": "2024-02-08",
        "url": "https://northgatechronicle.example/letters/keep-the-library-open",
    }


def test_documentation_page_gets_no_invented_author():
    html = page("<title>git-stash(1) Manual Page</title>",
                "<div id='header'><h1>git-stash(1) Manual Page</h1></div><h2>DESCRIPTION</h2>"
                "<p>By default, the command shows the diffstat, but it will accept any format known to git diff.</p>"
                + TEXT + "<div id='footer'>Last updated 2024-05-31 19:43:23 UTC</div>")
    result = metadata_of(html)
    assert (result["title"], result["author"], result["site"]) == ("git-stash(1) Manual Page", "", "")


def test_a_site_banner_in_h1_leaves_the_title_to_the_pages_own_heading():
    html = page("<title>FAQ</title>", "<h1>The XSLT C library for GNOME</h1><h2>FAQ</h2>" + TEXT)
    assert metadata_of(html)["title"] == "FAQ"
    mdbook = page("<title>cargo add - The Cargo Book</title>",  # a hidden help popup's <h2> backs nothing
                  "<div id='mdbook-help-container'><div id='mdbook-help-popup'><h2 class='mdbook-help-title'>"
                  "Keyboard shortcuts</h2><div><p>Press ← or → to navigate between chapters</p></div></div></div>"
                  "<div id='menu-bar'><h1 class='menu-title'>The Cargo Book</h1></div>"
                  "<main><h1><a class='header' href='#cargo-add1'>cargo-add(1)</a></h1>" + TEXT + "</main>")
    assert metadata_of(mdbook)["title"] == "cargo add"


def test_a_site_name_before_the_headline_in_the_title_is_cut_when_a_heading_repeats_the_headline():
    blog = page("<title>Gregory Szorc's Digital Home\n | Mercurial's Journey to and Reflections on Python 3</title>",
                "<h2 class='blog_post_title'><a href='/blog/2020/mercurial'>Mercurial's Journey to and Reflections on "
                "Python 3</a></h2>" + TEXT)
    found = metadata_of(blog)  # saved without its address: no host to tell the site by
    assert (found["title"], found["site"]) == ("Mercurial's Journey to and Reflections on Python 3",
                                               "Gregory Szorc's Digital Home")
    spotlight = page("<title>Leader spotlight: Erin Spiceland - The GitHub Blog</title>"
                     "<meta property='og:site_name' content='The GitHub Blog'>",
                     "<h1 class='site-branding'>The GitHub Blog</h1><h1>Leader spotlight: Erin Spiceland</h1>" + TEXT)
    assert metadata_of(spotlight, "https://github.blog/2019-03-29-leader-spotlight/")["title"] == \
        "Leader spotlight: Erin Spiceland", "the banner <h1> repeats the site's name: the headline is no site"
    for label in ("Opinion", "Chapter 3", "Tutorial"):  # a section's label is no site's name
        section = page(f"<title>{label} | Why the Federal Reserve waited so long to act</title>",
                       "<h2>Why the Federal Reserve waited so long to act</h2>" + TEXT)
        assert metadata_of(section, "https://www.nytimes.com/2022/opinion/fed.html")["site"] != label


def test_a_section_as_og_site_name_gives_way_to_the_host_named_in_the_title():
    story = page("<title>'Parasite' scores historic upset at SAG awards - Reuters</title>"
                 "<meta property='og:site_name' content='U.S.'>", "<h1>'Parasite' scores historic upset</h1>" + TEXT)
    assert metadata_of(story, "https://www.reuters.com/article/us-awards-sag")["site"] == "Reuters"
    guardian = page("<title>Masks stolen | Society | The Guardian</title>"
                    "<meta property='og:site_name' content='the Guardian'>", "<h1>Masks stolen</h1>" + TEXT)
    assert metadata_of(guardian, "https://www.theguardian.com/society/masks")["site"] == "the Guardian"
    journal = page("<title>Stocks fall - WSJ</title><meta property='og:site_name' content='The Wall Street Journal'>",
                   "<h1>Stocks fall</h1>" + TEXT)  # the host's initials: og:site_name names it in full
    assert metadata_of(journal, "https://www.wsj.com/articles/stocks")["site"] == "The Wall Street Journal"


def test_a_numbered_sphinx_page_keeps_its_title_though_trafilatura_takes_it_for_the_site_name():
    html = page("<title>8. Errors and Exceptions &#8212; Python 3.11.2 documentation</title>",
                "<div class='sphinxsidebar'><h3>Table of Contents</h3><ul><li><a href='#'>8. Errors and Exceptions"
                "</a></li></ul></div><div class='body'><section><h1><span class='section-number'>8. </span>Errors and "
                "Exceptions<a class='headerlink' href='#e'>¶</a></h1><p>There are (at least) two distinguishable "
                "kinds of errors: syntax errors and exceptions.</p>" + TEXT + "</section></div>")
    result = metadata_of(html)
    assert (result["title"], result["site"]) == ("8. Errors and Exceptions", "Python 3.11.2 documentation")


def test_a_timestamp_a_manual_gives_as_an_example_is_not_the_pages_date():
    html = page("<title>Output Formats (Comparing and Merging Files)</title>",
                "<h2>2.2 Context Format</h2><p>The header lines show each file's name and modification time. The "
                "timestamp normally looks like ‘<samp>2002-02-21 23:30:39.942229878 -0800</samp>’ to indicate the "
                "date, time with fractional seconds, and time zone.</p><pre class='example'>*** lao 2002-02-21 "
                "23:30:39.942229878 -0800</pre>" + TEXT)
    assert metadata_of(html)["date"] == ""
    short = page("<title>Output Formats</title>", "<h2>Context Format</h2><p>A timestamp looks like <samp>2002-02-21 "
                 "23:30:39</samp> in a context diff.</p>" + TEXT)
    assert metadata_of(short)["date"] == ""


# ---------------------------------------------------------------- single rules


@pytest.mark.parametrize("raw_title", [
    "Budget vote delayed | Town Times",
    "Budget vote delayed - Town Times",
    "Budget vote delayed | Town Times | 2024-01-02",
    "Town Times: Budget vote delayed",
])
def test_site_affixes_are_cut_from_the_title(raw_title):
    html = page(f'<title>{raw_title}</title><meta property="og:site_name" content="Town Times">', TEXT)
    result = page_metadata(html, None)
    assert (result["title"], result["site"]) == ("Budget vote delayed", "Town Times")


def test_a_colon_in_a_headline_stays_when_the_part_before_is_not_the_site():
    head = '<title>Losing face: masks stolen from hospital</title><meta property="og:site_name" content="Town Times">'
    assert page_metadata(page(head, TEXT), None)["title"] == "Losing face: masks stolen from hospital"


@pytest.mark.parametrize("meta_author, expected", [
    ("View all posts by Jane Doe", "Jane Doe"),
    ("Jane Doe, Staff Writer", "Jane Doe"),
    ("By JANE DOE", "Jane Doe"),
    ("María José García-López", "María José García-López"),
    ("Opinion", ""),
    ("Editorial Board", ""),
    ("No Author", ""),
    ("jane.doe@example.com", ""),
    ("https://example.com/author/jane-doe/", ""),
    ("The Quick Brown Fox Jumps Over", ""),
    ("Agent 007", ""),
    ("jdoe", "jdoe"),  # a handle, since nothing better is known
])
def test_author_field_values_are_validated(meta_author, expected):
    html = page(f'<title>Budget vote delayed</title><meta name="author" content="{meta_author}">', TEXT)
    assert page_metadata(html, None)["author"] == expected


def test_a_handle_gives_way_to_a_real_name():
    html = page('<title>Budget vote delayed</title><meta name="author" content="jdoe">',
                f'<article><h1>Budget vote delayed</h1><p class="byline">By Jane Doe</p>{TEXT}</article>')
    assert page_metadata(html, None)["author"] == "Jane Doe"
    own = page('<title>A Royal Salute To Polo</title><meta name="author" content="luxurious">'
               '<meta property="og:site_name" content="Luxurious Magazine">', f"<article><h1>Polo</h1>{TEXT}</article>")
    assert page_metadata(own, None)["author"] == "", "the site's own account is no writer"
    blog = page('<title>Notes</title><meta name="author" content="jdoe">', f"<article><h1>Notes</h1>{TEXT}</article>")
    assert page_metadata(blog, None)["author"] == "jdoe", "a writer's handle is all the page gives"
    for author, site in [("Simon", "Simon Willison's Weblog"), ("Tim", "The Times"),
                         ("simonw", "Simon Willison's Weblog")]:
        mine = page(f'<title>Notes</title><meta name="author" content="{author}">'
                    f'<meta property="og:site_name" content="{site}">', f"<article><h1>Notes</h1>{TEXT}</article>")
        assert page_metadata(mine, None)["author"] == author, "a word of a person's own site, or none of the name"


@pytest.mark.parametrize("json_ld_authors, byline, expected", [
    ('{"@type": "Person", "name": "Jane Doe"}', "By Jane Doe, Reuters", "Jane Doe"),
    ('[{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"}]', "By Jane Doe",
     "Jane Doe and John Roe"),
    ('{"@type": "Person", "name": "Todd"}', "By Todd Bates in Washington", "Todd Bates"),
])
def test_co_authors_come_from_the_most_trusted_list(json_ld_authors, byline, expected):
    json_ld = f'{{"@type": "NewsArticle", "author": {json_ld_authors}}}'
    head = f'<title>Budget vote delayed</title><script type="application/ld+json">{json_ld}</script>'
    html = page(head, f"<article><h1>Budget vote delayed</h1><p>{byline}</p>{TEXT}</article>")
    assert page_metadata(html, None)["author"] == expected


def test_publication_name_stays_only_when_no_writer_is_named():
    head = '<title>Budget vote delayed</title><meta property="og:site_name" content="Town Times">' \
           '<meta name="author" content="Town Times">'
    assert page_metadata(page(head, TEXT), None)["author"] == "Town Times"
    byline = f"<article><h1>Budget vote delayed</h1><p>By Jane Doe</p>{TEXT}</article>"
    assert page_metadata(page(head, byline), None)["author"] == "Jane Doe"


def test_json_ld_graph_with_author_reference_and_string_authors():
    graph = ('{"@graph": [{"@type": "Person", "@id": "#writer", "name": "Lee Chan"},'
             ' {"@type": "BlogPosting", "headline": "Budget vote delayed", "author": {"@id": "#writer"},'
             ' "datePublished": "2019-04-05T23:30:00-07:00"}]}')
    html = page(f'<title>Budget</title><script type="application/ld+json">{graph}</script>', TEXT)
    result = page_metadata(html, None)
    assert (result["author"], result["date"]) == ("Lee Chan", "2019-04-05")  # the day as the page states it
    listed = '[{"@type": "NewsArticle", "author": "Ann Lee, Bo Chen"}]'
    html = page(f'<title>Budget vote delayed</title><script type="application/ld+json">{listed}</script>', TEXT)
    assert page_metadata(html, None)["author"] == "Ann Lee and Bo Chen"


def test_date_shown_under_the_headline_beats_a_teaser_date():
    body = ("<h1>Colder weather forecast for Wednesday</h1><p class='date'>Written: 2023-11-07 15:03:30"
            " / Updated: 2023-11-08 10:00:00</p>" + TEXT +
            "<div class='editors-pick'><h2>Music show line-up</h2><p class='date'>2023-11-03</p></div>")
    html = page("<title>Colder weather forecast for Wednesday</title>", body)
    assert page_metadata(html, SimpleNamespace(date="2023-11-03"))["date"] == "2023-11-07"


def test_canonical_link_is_made_absolute_and_a_home_page_canonical_is_ignored():
    url = "https://towntimes.example/news/budget"
    relative = page('<title>Budget</title><link rel="canonical" href="/news/budget-vote">', TEXT)
    assert page_metadata(relative, None, url)["url"] == "https://towntimes.example/news/budget-vote"
    home = page('<title>Budget</title><link rel="canonical" href="https://towntimes.example/">', TEXT)
    assert page_metadata(home, None, url)["url"] == url


# ---------------------------------------------------------------- untrusted input never raises

EMPTY = {"title": "", "site": "", "author": "", "date": "", "url": ""}


@pytest.mark.parametrize("html", [
    "",
    "   \n",
    "<html>",
    "\x00\x01\x02 not html at all \xff",
    "<?xml version='1.0' encoding='latin-1'?><html><head></head><body></body></html>",
    "<div>" * 5000 + "deep" + "</div>" * 5000,
    "\ud800 lone surrogate <p>text</p>",
])
def test_odd_documents_give_empty_fields(html):
    assert page_metadata(html, None) == EMPTY


@pytest.mark.parametrize("json_ld", [
    "[",
    "null",
    '{"@graph": 5}',
    '{"@type": ["NewsArticle"], "author": [{"name": ["", 3]}, null, 5], "datePublished": 20200101}',
    '{"@type": "NewsArticle", "datePublished": "2020-13-45", "headline": {"x": 1}}',
    "[" * 10000 + "]" * 10000,
    '{"@type": "NewsArticle", "author": {"@id": "#self"}, "@id": "#self"}',
])
def test_malformed_json_ld_is_ignored(json_ld):
    html = page(f'<title>Budget vote delayed</title><script type="application/ld+json">{json_ld}</script>', TEXT)
    assert page_metadata(html, None) == {**EMPTY, "title": "Budget vote delayed"}


def test_odd_urls_and_extraction_objects_do_not_raise():
    html = page('<title>Budget</title><link rel="canonical" href="javascript:alert(1)">'
                '<meta property="og:url" content="http://[::1">', TEXT)
    assert page_metadata(html, None, "http://[bad")["url"] == "http://[bad"
    odd = SimpleNamespace(title=3, author=["x"], date=None, sitename=b"site", body="not an element")
    assert page_metadata(html, odd)["title"] == "Budget"


def test_a_print_button_in_the_byline_box_is_no_author():
    """cleveland.com's byline box opens with a "Print" link before "By National Desk" (a desk, no writer)."""
    body = ("<article><h1>Let me Google that for you</h1><div id='Byline'><div class='EmailPrint'>"
            "<a class='PrintLink' href='/print.html'>Print</a></div> By <span class='author vcard'>"
            "<a href='/user/nationaldesk'>National Desk</a></span></div>"
            + "<p>Searches for recipes peaked in the week before the holiday, as they do every year.</p>" * 5
            + "</article>")
    assert metadata_of(page("<title>Let me Google that for you</title>", body))["author"] == ""


def test_a_credit_line_under_the_headline_names_the_agency_and_a_pictures_credit_does_not():
    credited = page("<title>Masks stolen</title>",
                    "<article><header><h1>Masks stolen from a hospital</h1><p class='credit'>JIJI</p></header>"
                    f"{TEXT}</article>")
    assert metadata_of(credited)["author"] == "JIJI"
    pictured = page("<title>Masks stolen</title>",
                    "<article><header><h1>Masks stolen from a hospital</h1><figure><img src='m.jpg'>"
                    "<figcaption><span class='credit'>Kim Lee</span></figcaption></figure></header>"
                    f"{TEXT}</article>")
    assert metadata_of(pictured).get("author", "") != "Kim Lee"


def test_an_info_line_under_the_headline_and_a_signed_off_byline_name_the_writer():
    info = page("<title>Court files</title>",
                "<article><h1>New court files expose a spy operation</h1><div class='article-info'><div class='m-bar'>"
                "Max Blumenthal<br><a href='https://x.example'>The Grayzone</a><br>Thu, 14 May 2020</div></div>"
                f"{TEXT}</article>")
    assert metadata_of(info)["author"] == "Max Blumenthal"
    signed = page("<title>Food searches</title>",
                  f"<article><h1>Food searches of the year</h1>{TEXT}<p>-- By Michael Russell "
                  "<a class='twitter-follow-button' href='https://twitter.com/tdm'>Follow @tdmrussell</a></p></article>")
    assert metadata_of(signed)["author"] == "Michael Russell"



@pytest.mark.parametrize("beside_headline", [
    "<img src='a.jpg'><span class='media-credit'>John Doe</span>",  # the picture's
    "<div class='entry-meta'>Posted in Local News</div>",
    "<div class='post-meta'><a href='/t'>Transport</a> <a href='/p'>Policy</a></div>",
    "<p class='credits'>Reporting supported by Open Society Foundations</p>",
])
def test_a_pictures_credit_a_filing_line_or_a_funders_credit_beside_the_headline_names_no_author(beside_headline):
    html = page("<title>Storm hits</title>", f"<article><h1>Storm hits the coast</h1>{beside_headline}{TEXT}</article>")
    assert metadata_of(html).get("author", "") == ""
