"""Real-structured HTML pages: the text keeps the page's structure, loses its furniture, and sentences are whole."""
from pathlib import Path

import pytest

from ingest.loaders import iter_documents
from ingest.structure import DEFINITION, ITEM, spans_from_records
from qa.evidence import document_units

DATA = Path(__file__).parent / "data"


def load(path: Path):
    [document] = list(iter_documents([str(path)]))
    return document


def article_page(tmp_path: Path, name: str, title: str, body: str) -> Path:
    """An HTML file of one <article>: `title` as the page's <title> and <h1>, then `body`."""
    path = tmp_path / name
    path.write_text(f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article>"
                    "</body></html>")
    return path


def blocks(document) -> list[tuple[str, str, str]]:
    return [(b.kind, b.section, document.text[b.start:b.end]) for b in spans_from_records(document.blocks)]


def test_sphinx_page_joins_wrapped_lines_keeps_definitions_and_code_and_drops_permalinks():
    page = load(DATA / "html" / "sphinx_heapq.html")
    assert page.title == "heapq — Heap queue algorithm"
    assert blocks(page) == [
        ("paragraph", "", "This module provides an implementation of the heap queue algorithm, also known as the "
                          "priority queue algorithm."),
        ("paragraph", "", "Heaps are binary trees for which every parent node has a value less than or equal to any "
                          "of its children. This implementation uses arrays for which heap[k] <= heap[2*k+1] for all "
                          "k, counting elements from zero."),
        ("paragraph", "", "The following functions are provided:"),
        ("definition", "heapq.heappush(heap, item)", "heapq.heappush(heap, item)\nPush the value item onto the "
                                                     "heap, maintaining the heap invariant."),
        ("definition", "heapq.heappop(heap)", "heapq.heappop(heap)\nPop and return the smallest item from the heap, "
                                              "maintaining the heap invariant. If the heap is empty, IndexError is "
                                              "raised. To access the smallest item without popping it, use heap[0]."),
        ("paragraph", "heapq.heappop(heap)", "The two operations above run in logarithmic time."),
        ("heading", "Basic Examples", "Basic Examples"),
        ("paragraph", "Basic Examples", "A heapsort can be implemented by pushing all values onto a heap and then "
                                        "popping off the smallest values one at a time:"),
        ("code", "Basic Examples", ">>> def heapsort(iterable):\n...     h = []\n...     for value in iterable:\n"
                                   "...         heappush(h, value)\n...     return [heappop(h) for i in range(len(h))]"),
        ("paragraph", "Basic Examples", "This is similar to sorted(iterable), but unlike sorted(), this "
                                        "implementation is not stable."),
    ]
    assert "¶" not in page.text and "Navigation" not in page.text and "Copyright" not in page.text


def test_sphinx_page_sentences_keep_a_signature_with_its_description_and_code_whole():
    page = load(DATA / "html" / "sphinx_heapq.html")
    units = [page.text[s:e] for s, e, _ in document_units(page)]
    assert units[4:8] == [
        "heapq.heappush(heap, item)\nPush the value item onto the heap, maintaining the heap invariant.",
        "heapq.heappop(heap)\nPop and return the smallest item from the heap, maintaining the heap invariant.",
        "If the heap is empty, IndexError is raised.",
        "To access the smallest item without popping it, use heap[0].",
    ]
    assert units[-2].startswith(">>> def heapsort(iterable):\n") and units[-2].endswith("range(len(h))]")
    assert "Basic Examples" not in units, "a heading is never quoted"


def test_news_page_keeps_the_article_and_drops_dateline_byline_caption_newsletter_and_teasers():
    page = load(DATA / "news" / "article_with_furniture.html")
    assert page.title == "Town votes to restore the old pier"
    assert page.metadata == {"site": "Coastline Herald", "author": "Elena Marsh", "date": "2023-06-14"}
    assert blocks(page) == [
        ("paragraph", "", "The council will spend £2.4 million on repairs after a decade of closures."),
        ("paragraph", "", "Councillors voted on Tuesday to restore the Victorian pier, which has been closed to the "
                          "public since storms damaged its deck ten years ago."),
        ("paragraph", "", "The repairs will cost £2.4 million, most of it from a national coastal fund. Work is "
                          "expected to start in September and take eighteen months."),
        ("paragraph", "", "\"The pier is the heart of this town,\" said the council leader, Priya Shah. \"We could "
                          "not let it fall into the sea.\""),
        ("heading", "What happens next", "What happens next"),
        ("paragraph", "What happens next", "A contractor will be chosen in July. The pier's café and the old "
                                           "ballroom will reopen first, followed by the fishing deck."),
    ]


def test_a_written_by_line_names_the_author_and_leaves_the_text():
    page = load(DATA / "news" / "written_by_in_text.html")
    assert page.metadata["author"] == "Maria Okafor"
    assert not page.text.startswith("Written by") and page.text.startswith("Dredging of the inner harbour channel")


def test_prose_that_merely_starts_like_furniture_is_kept():
    from ingest.clean import is_furniture_block
    from ingest.structure import Block
    prose = ["Recommended dosage is 5 mg for adults.", "Related to this, the court ruled on Friday.",
             "Copyright law protects the work of authors.", "The novel was first published in 1851.",
             "Sponsored by Senator Smith, the bill passed.", "Follow him and you will see.", "By Friday.",
             "Look at the photo: it shows the dam at dawn.", "WATCH the river: it rises fast.",
             "We read the terms [see the appendix] with care.", "Next: we call ffi_call with the prepared cif.",
             "Up: the stack grows upward, next: the heap.", "Next: we return values[index]", "Loading the truck took three hours.",
             "Buy now, pay later schemes have grown fast.", "He shared your stories at the meeting."]
    assert not any(is_furniture_block(Block("paragraph", text)) for text in prose)
    furniture = ["Read more: Harbour wall to be raised", "Related stories", "12 comments", "By Elena Marsh",
                 "Sign up for our daily newsletter to get the news delivered to your inbox.", "Photo: J. Reed",
                 "Photo Source: Markus Spiske from Pexels.", "Do you want to hear of our actions? Sign up here",
                 "The mayor at the daily briefing. Photo: Jonathan Nackstrand/AFP",
                 "[Our Latest Forecast: Who Will Win The Primary?]", "A SIMPLE GUIDE: How do I protect myself?",
                 "From the book The Great Democracy. Copyright © 2019 by the author. All rights reserved.",
                 "Next: Closure Example, Previous: Multiple ABIs, Up: Using libffi [Index]",
                 "Up: Invoking cmp [Contents][Index]",
                 "Next: Suppressing Differences Whose Lines All Match a Regular Expression, Previous: Suppressing "
                 "Differences in Blank and Tab Spacing, Up: What Comparison Means [Contents][Index]",
                 "ADD TO CART: US$25 Gift Card", "Loading weather data ...", "-- By Ann Lee Follow @annlee",
                 "Caught in the storm? Please share your videos, pictures and stories at iReport.",
                 "Some of the links on this site are affiliate links: we may earn a small commission."]
    assert all(is_furniture_block(Block("paragraph", text)) for text in furniture)


def test_permalink_marks_go_but_names_ending_in_a_hash_stay():
    from ingest.html import strip_permalink
    assert [strip_permalink(t) for t in ("Options¶", "Install #", "Learn C#")] == ["Options", "Install", "Learn C#"]


def test_links_to_footnotes_become_superscripts_and_sentences_still_end_there(tmp_path):
    body = ("<p>The tool was developed by Ana Ribeiro and Tomas Lindqvist.<sup class='reference'>"
            "<a href='#fn-1'>&#91;1&#93;</a></sup> It has been used in security research,<sup>"
            "<a href='#fn-2'>[2]</a></sup> music analysis<sup><a href='#fn-3'>[3]</a></sup> and "
            "weather forecasting.<sup><a href='#cite_needed'>[citation needed]</a></sup> Version 2<sup>nd</sup> "
            "came in <a href='#fn-4'><sup>4</sup></a> 2019, "
            "added a command line, see <sup><a href='https://example.org/x'>[web]</a></sup> for the list.</p>")
    page = load(article_page(tmp_path, "tool.html", "A tool", body * 3))
    first = page.text[page.text.index("The tool"):]
    assert first.startswith("The tool was developed by Ana Ribeiro and Tomas Lindqvist.¹ It has been used in "
                            "security research,² music analysis³ and weather forecasting. Version 2nd came in ⁴ 2019, added")
    sentences = [page.text[s:e] for s, e, _ in document_units(page)]
    assert "The tool was developed by Ana Ribeiro and Tomas Lindqvist.¹" in sentences


def test_a_sphinx_footnote_reference_is_a_superscript_not_a_citation_like_mark(tmp_path):
    body = ("<p>If csvfile is a file object, it should be opened with <code>newline=''</code> "
            "<a class='footnote-reference brackets' href='#id3' id='id1' role='doc-noteref'><span class='fn-bracket'>"
            "[</span>1<span class='fn-bracket'>]</span></a>. The reader then sees every line end as it was written."
            "</p>")
    page = load(article_page(tmp_path, "csv.html", "csv", body * 3))
    assert "it should be opened with newline='' ¹. The reader" in page.text


def test_a_numbered_list_laid_out_as_definitions_is_a_list_and_a_symbol_term_stays_a_term(tmp_path):
    body = ("<p>When bash receives SIGINT while waiting for a foreground command, it waits until the command ends "
            "and then decides what to do with the interrupt it was sent.</p><dl><dt>1.</dt><dd>If the command "
            "terminates due to the SIGINT, bash concludes that the user meant to end the entire script.</dd>"
            "<dt>2.</dt><dd>If the command does not terminate due to SIGINT, bash does not treat it as fatal.</dd>"
            "</dl><p>The flags of a fetched ref are these, one for each of the refs it updated:</p><dl><dt>*</dt>"
            "<dd>for a successfully fetched new ref;</dd></dl>")
    page = load(article_page(tmp_path, "bash.html", "BASH", body))
    kinds = {page.text[s.start:s.end]: s.kind for s in spans_from_records(page.blocks)}
    assert kinds["1. If the command terminates due to the SIGINT, bash concludes that the user meant to end the "
                 "entire script."] == ITEM
    assert kinds["*\nfor a successfully fetched new ref;"] == DEFINITION


def test_a_wikis_citations_of_its_sources_go_with_its_reference_list(tmp_path):
    body = ("<p>The tool was developed by Ana Ribeiro.<sup class='reference'><a href='#cite_note-1'>&#91;1&#93;</a>"
            "</sup> It has been used in security research,<sup><a href='#cite_note-2'>[2]</a></sup> music analysis"
            "<sup><a href='#cite_note-3'>[3]</a></sup> and weather forecasting for many years now.</p>")
    assert load(article_page(tmp_path, "wiki.html", "A tool", body * 3)).text.startswith("The tool was developed by Ana Ribeiro. It has been used in security research, "
                                      "music analysis and weather forecasting")


def test_code_wrapped_inside_a_sentence_stays_in_it_and_examples_stay_in_page_order(tmp_path):
    body = ("<div class='paragraph'><p>Intent to add is useful for showing such files with <code>git diff</code> "
            "and committing them with <code>git commit\n-a</code>.</p></div>"
            "<ul><li><p>It is preceded with a header that looks like this:</p>"
            "<div class='literalblock'><pre><code>diff --combined file</code></pre></div>"
            "<p>or like this when the option is used:</p>"
            "<div class='literalblock'><pre><code>diff --cc file</code></pre></div></li></ul>")
    path = article_page(tmp_path, "diff.html", "git-diff",
                        f"{body}<p>{'The combined format shows the changes against each parent. ' * 8}</p>")
    kinds_texts = [(kind, " ".join(text.split())) for kind, _, text in blocks(load(path))]
    assert ("paragraph", "Intent to add is useful for showing such files with git diff and committing them with "
                         "git commit -a.") in kinds_texts
    item = [pair for pair in kinds_texts if pair[1].startswith(("It is preceded", "diff --", "or like this"))]
    assert item == [("item", "It is preceded with a header that looks like this:"), ("code", "diff --combined file"),
                    ("item", "or like this when the option is used:"), ("code", "diff --cc file")]


def test_preformatted_text_without_code_keeps_its_lines_even_in_a_page_declaring_its_encoding(tmp_path):
    synopsis = "<em>git stash</em> list [&lt;log-options&gt;]\n<em>git stash</em> drop [-q | --quiet] [&lt;stash&gt;]"
    path = tmp_path / "git-stash.html"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<html><head><title>git-stash</title></head><body>'
                    f"<h1>git-stash</h1><h2>SYNOPSIS</h2><pre class='content'>{synopsis}</pre><h2>DESCRIPTION</h2>"
                    f"<p>{'Use git stash when you want to record the current state of the working directory. ' * 6}"
                    "</p></body></html>")
    assert ("code", "git stash list [<log-options>]\ngit stash drop [-q | --quiet] [<stash>]") in [
        (kind, text) for kind, _, text in blocks(load(path))]


def test_a_note_laid_out_as_a_table_reads_as_one_paragraph_opening_with_its_label(tmp_path):
    note = ("<div class='admonitionblock'><table><tr><td class='icon'><div class='title'>Note</div></td>"
            "<td class='content'>This is a potentially <em>dangerous</em> mode of operation. Do <strong>not</strong>"
            " use it on history you have published.</td></tr></table></div>")
    path = tmp_path / "git-pull.html"
    path.write_text("<html><head><title>git-pull</title></head><body><h1>git-pull</h1><p>"
                    + "Pull fetches from the remote and integrates the changes into the current branch. " * 5
                    + f"</p>{note}</body></html>")
    assert ("paragraph", "Note: This is a potentially dangerous mode of operation. Do not use it on history you have "
                         "published.") in [(kind, " ".join(text.split())) for kind, _, text in blocks(load(path))]


def test_a_formula_reads_as_plainly_written_tex_not_as_a_gap(tmp_path):
    formula = ('<span class="mwe-math-element"><span style="display: none;"><math alttext="{\\displaystyle x_{i}}">'
               '<mi>x</mi></math></span><img src="x.svg" alt="x_{i}"/></span>')
    path = tmp_path / "tsne.html"
    path.write_text("<html><head><title>t-SNE</title></head><body><h1>t-SNE</h1><p>"
                    + "t-SNE places similar objects near each other in the plot. " * 5
                    + f"The probability that {formula} would pick its neighbour is high.</p></body></html>")
    assert "The probability that x_i would pick its neighbour is high." in load(path).text


@pytest.mark.parametrize("tex, plain", [
    (r"\mathbf {y} _{1},\dots ,\mathbf {y} _{N}", "y_1,…,y_N"),
    (r"\mathbf {y} _{i}\in \mathbb {R} ^{d}", "y_i ∈ ℝ^d"),
    (r"p_{ij}={\frac {p_{j\mid i}+p_{i\mid j}}{2N}}", "p_ij = (p_(j|i)+p_(i|j))/2N"),
    (r"KL(P||Q)=\sum _{i\neq j}p_{ij}\log {\frac {p_{ij}}{q_{ij}}}", "KL(P||Q) = Σ_(i ≠ j) p_ij log p_ij/q_ij"),
    (r"\lVert x_{i}-x_{j}\rVert ^{2}/2\sigma _{i}^{2}", "‖x_i-x_j‖^2/2σ_i^2"),
    (r"\max_{x} \left(\sqrt{x}\right)", "max_x(√x)"),
    (r"\{x\} \unknown", "{x} unknown"),
    ("{a", "a"),  # unbalanced: what there is, never an error
    (r"{\tfrac {1}{2}}", "1/2"), (r"\binom {n}{k}", "C(n, k)"), (r"\operatorname*{arg\,max}_{x} f(x)", "arg max_x f(x)"),
    (r"x^{\prime}", "x′"), (r"f(x)=\begin{cases}1 & x>0\\0 & \text{otherwise}\end{cases}", "f(x) = 1 x>0; 0 otherwise"),
    ("{" * 3000 + "x" + "}" * 3000, "{" * 3000 + "x" + "}" * 3000),  # too deep to read: as written
])
def test_tex_reads_as_a_reader_would_write_it(tex, plain):
    from ingest.tex import readable_tex

    assert readable_tex(tex) == plain


def test_a_book_page_keeps_its_listings_as_shown_and_its_title_without_the_books_name(tmp_path):
    listing = ("<figure class='listing' id='listing-8-2'><pre class='playground'><code class='language-rust'>"
               "<span class='boring'>fn main() {\n</span>let v = vec![1, 2, 3];\n<span class='boring'>}</span>"
               "</code></pre><figcaption><a href='#listing-8-2'>Listing 8-2</a>: Creating a new vector containing "
               "values</figcaption></figure>")
    photo = "<figure><img src='crab.png'><figcaption>Ferris the crab, our mascot.</figcaption></figure>"
    prose = "Vectors store more than one value in a single data structure next to each other in memory. " * 4
    path = tmp_path / "ch08-01-vectors.html"
    path.write_text("<html><head><title>Storing Lists of Values with Vectors - The Rust Programming Language"
                    "</title></head><body><nav><h1 class='menu-title'>The Rust Programming Language</h1></nav>"
                    "<main><h2 id='vectors'><a class='header' href='#vectors'>Storing Lists of Values with Vectors"
                    f"</a></h2><p>{prose}</p><p>Rust infers the type from the values, as in Listing 8-2.</p>"
                    f"{listing}{photo}<p>{prose}</p></main></body></html>")
    page = load(path)
    assert (page.title, page.metadata["site"]) == ("Storing Lists of Values with Vectors",
                                                   "The Rust Programming Language")
    shown = [(kind, text) for kind, _, text in blocks(page)]
    at = shown.index(("paragraph", "Rust infers the type from the values, as in Listing 8-2."))
    assert shown[at + 1:at + 3] == [("code", "let v = vec![1, 2, 3];"),
                                    ("paragraph", "Listing 8-2: Creating a new vector containing values")]
    assert "Ferris" not in page.text


def test_an_api_page_keeps_notices_defaults_and_each_variant_of_an_example_and_drops_heading_marks(tmp_path):
    prose = "The node:fs module enables interacting with the file system in a way modeled on standard functions. "
    entry = ("<section><h3>fs.stat(path)<span><a class='mark' href='#fsstat' id='fsstat'>#</a></span></h3>"
             "<p></p><div class='api_stability api_stability_0'><a href='documentation.html#stability-index'>"
             "Stability: 0</a> - Deprecated: Use <a href='#fsaccess'><code>fs.access()</code></a> instead.</div><p></p>"
             "<ul><li><code>path</code> <a class='type'>&lt;string&gt;</a> The path of the file to read.</li>"
             "<li><code>highWaterMark</code> <a class='type'>&lt;integer&gt;</a> How much to read at once. "
             "<strong>Default:</strong> <code>64 * 1024</code></li></ul>"
             f"<p>Reads the status of a file. {prose}</p>"
             "<pre><input type='checkbox'><code class='language-js mjs'>import { stat } from 'node:fs';</code>"
             "<code class='language-js cjs'>const { stat } = require('node:fs');</code></pre>"
             "<pre><code>Stats {\n  atime: 2019-06-22T03:37:33.072Z\n}</code></pre></section>")
    path = tmp_path / "fs.html"
    path.write_text("<html><head><title>File system | Node.js v20.20.2 Documentation</title></head><body>"
                    "<div id='content'><div id='column1'><header><h1>Node.js v20.20.2 documentation</h1></header>"
                    "<div id='apicontent'><section><h2>File system<span><a class='mark' href='#fs' id='fs'>#</a></span>"
                    f"</h2><p>{prose * 4}</p></section>{entry}</div></div></div></body></html>")
    page = load(path)
    shown = [(kind, section, text) for kind, section, text in blocks(page)]
    assert page.title == "File system" and shown[0][:2] == ("paragraph", "")  # no masthead above the title
    section = "fs.stat(path)"
    assert shown[1:5] == [
        ("heading", section, "fs.stat(path)"),
        ("paragraph", section, "Stability: 0 - Deprecated: Use fs.access() instead."),
        ("item", section, "path <string> The path of the file to read."),
        ("item", section, "highWaterMark <integer> How much to read at once. Default: 64 * 1024")]
    codes = [text for kind, _, text in shown if kind == "code"]
    assert codes[:2] == ["import { stat } from 'node:fs';", "const { stat } = require('node:fs');"]
    assert page.metadata.get("date", "") == ""  # a date in an example's output is not the page's


def test_a_faq_laid_out_as_a_table_keeps_its_answers_and_a_table_of_data_its_rows(tmp_path):
    faq = ("<table summary='Q and A Set'><tr class='question'><td><b>1.1.</b></td><td><b>How do you pronounce "
           "\"Valgrind\"?</b></td></tr><tr class='answer'><td></td><td><p>The \"Val\" as in the word \"value\". The "
           "\"grind\" is pronounced with a short 'i'.</p><p>Don't feel bad: almost everyone gets it wrong at first."
           "</p></td></tr></table>")
    data = "<table><tr><th>Option</th><th>Default</th></tr><tr><td>--leak-check</td><td>summary</td></tr></table>"
    path = article_page(tmp_path, "faq.html", "Valgrind FAQ",
                        "<p>" + "Valgrind is an instrumentation framework for building dynamic analysis tools. " * 4
                        + f"</p>{faq}{data}")
    shown = [(kind, " ".join(text.split())) for kind, _, text in blocks(load(path))]
    assert ("paragraph", "The \"Val\" as in the word \"value\". The \"grind\" is pronounced with a short 'i'.") in shown
    assert ("paragraph", "Don't feel bad: almost everyone gets it wrong at first.") in shown
    assert ("row", "--leak-check | summary") in shown


def test_a_table_of_contents_heading_heads_no_section(tmp_path):
    path = article_page(tmp_path, "npm-audit.html", "npm-audit",
                        "<h2>Table of contents</h2><ul><li><a href='#synopsis'>Synopsis</a></li></ul>"
                        "<h2 id='synopsis'>Synopsis</h2><p>"
                        + "The audit command submits a description of the dependencies configured in your project. " * 4
                        + "</p>")
    shown = blocks(load(path))
    assert "Table of contents" not in [text for _, _, text in shown]
    assert shown[-1][:2] == ("paragraph", "Synopsis")


def test_a_docbook_page_keeps_its_headings_and_section_paths(tmp_path):
    def section(number: str, name: str, sentence: str) -> str:
        return (f"<div class='sect1'><div class='titlepage'><div><div><h2 class='title'><a name='s{number}'></a>"
                f"{number}. {name}</h2></div></div></div><p>{sentence * 3}</p></div>")

    path = tmp_path / "quick-start.html"
    path.write_text("<html><head><title>The Valgrind Quick Start Guide</title><meta name='author' "
                    "content='Julian Seward'></head><body><div class='article'>"
                    "<div class='titlepage'><h1 class='title'>The Valgrind Quick Start Guide</h1>"
                    "<div class='author'><h3 class='author'>Julian Seward</h3></div><p>Copyright © 2000-2023 "
                    "Valgrind Developers and contributors to this guide</p></div>"
                    + section("1", "Introduction", "The Valgrind tool suite provides a number of debugging tools. ")
                    + section("2", "Preparing your program", "Compile your program with -g to include debugging "
                                                              "information in it. ")
                    + "<div class='sidebar'><h3>Advertisement</h3></div></div></body></html>")
    shown = [(kind, section) for kind, section, _ in blocks(load(path))]
    assert shown == [("heading", "1. Introduction"), ("paragraph", "1. Introduction"),
                     ("heading", "2. Preparing your program"), ("paragraph", "2. Preparing your program")]


def test_a_texinfo_page_title_leaves_its_manuals_name_to_the_site():
    from ingest.html import read_html

    prose = "libffi assumes that you have a pointer to the function you wish to call and its argument types. " * 4
    page = read_html("<html><head><title>The Basics (libffi: the portable foreign function interface library)"
                     f"</title></head><body><article><h3>2.1 The Basics</h3><p>{prose}</p></article></body></html>")
    assert (page.title, page.metadata["site"]) == ("The Basics", "libffi")
    wikipedia = read_html("<html><head><title>Python (programming language)</title></head><body><article>"
                          f"<h1>Python (programming language)</h1><p>{prose}</p></article></body></html>")
    assert wikipedia.title == "Python (programming language)"


def test_a_command_page_keeps_its_one_line_summary_and_its_title_without_the_release(tmp_path):
    path = tmp_path / "npm-audit.html"
    path.write_text("<html><head><title>npm-audit</title></head><body><div id='banner'>npm command-line interface</div>"
                    "<section id='content'><header class='title'><h1><span>npm-audit</span>\n"
                    "<span class='version'>@11.19.1</span></h1><span class='description'>Run a security audit</span>"
                    "</header><h2 id='synopsis'>Synopsis</h2><pre><code>npm audit [fix|signatures]</code></pre>"
                    "<h2 id='description'>Description</h2><p>"
                    + "The audit command submits a description of the dependencies configured in your project. " * 3
                    + "</p></section></body></html>")
    document = load(path)
    assert document.title == "npm-audit"  # the heading's "@11.19.1" is the release, not the name
    assert blocks(document)[:3] == [("heading", "npm-audit @11.19.1", "npm-audit @11.19.1"),
                                    ("paragraph", "npm-audit @11.19.1", "Run a security audit"),
                                    ("heading", "npm-audit @11.19.1 › Synopsis", "Synopsis")]


def test_a_term_written_as_code_inside_its_own_anchor_stays_with_its_description(tmp_path):
    """mdBook's option lists (Cargo's manual): "<dt><a href='#…'><code>--dry-run</code></a></dt>"; the term alone
    in its item is inline text, not a code block the definition loses."""
    options = ("<dl><dt id='p'><a class='option-anchor' href='#p'><code>-p</code> <em>spec</em>…</a></dt>"
               "<dt id='package'><a class='option-anchor' href='#package'><code>--package</code> <em>spec</em>…</a></dt>"
               "<dd><p>Clean only the specified packages.</p></dd>"
               "<dt id='dry-run'><a class='option-anchor' href='#dry-run'><code>--dry-run</code></a></dt>"
               "<dd><p>Displays a summary of what would be deleted\nwithout deleting anything.</p></dd></dl>")
    path = tmp_path / "cargo-clean.html"
    path.write_text(f"<html><head><title>cargo-clean</title></head><body><main><h1>cargo-clean</h1>"
                    f"<p>{'Remove artifacts from the target directory that Cargo has generated in the past. ' * 4}</p>"
                    f"<h2>Options</h2>{options}</main></body></html>")
    definitions = [(section, text) for kind, section, text in blocks(load(path)) if kind == "definition"]
    assert definitions == [
        ("Options › -p spec…, --package spec…", "-p spec…, --package spec…\nClean only the specified packages."),
        ("Options › --dry-run", "--dry-run\nDisplays a summary of what would be deleted without deleting anything.")]


def test_a_news_page_loses_its_teaser_list_contact_line_dateline_and_tag_heading(tmp_path):
    """As TIME and Yonhap pages end: links to other stories under "More Must-Reads From TIME", "Write to NAME at
    ADDRESS", "kokobj@yna.co.kr (END)", a "Keywords" label over dropped tag links; a section dateline on top."""
    prose = "Scientists warned on Tuesday that the pace of warming has picked up over the past decade. " * 3
    teasers = "".join(f"<li><a href='/s{n}'>{title}</a></li>" for n, title in enumerate(
        ["The Struggle to Save Lives Inside Gaza’s Hospitals", "Is Using the Snooze Button Bad for You?"]))
    path = article_page(tmp_path, "story.html", "Warming speeds up",
                        f"<p><b>Climate</b>09:31 August 20, 2019</p><p>{prose}</p>"
                        f"<h2>What comes next</h2><p>{prose}</p>"
                        f"<h2>More Must-Reads From TIME</h2><ul>{teasers}</ul>"
                        f"<p>Write to Alejandro de la Garza at alejandro.delagarza@time.com</p>"
                        f"<p>kokobj@yna.co.kr (END)</p><p>Keywords</p>")
    texts = [text for _, _, text in blocks(load(path))]
    assert texts == [prose.strip(), "What comes next", prose.strip()]


def test_credits_cite_and_email_prompts_and_a_lone_related_heading_leave_the_article(tmp_path):
    prose = "Microsoft will also expand an internal fee that it has charged its business groups for emissions. " * 3
    path = article_page(tmp_path, "fee.html", "Microsoft fee",
                        f"<p>October 22, 2019 report</p><p>E-mail the story</p><p>{prose}</p>"
                        f"<p>(Credit: Clayton Aldern / Grist)</p><p>Courtesy of Forests News</p><h2>Related</h2>"
                        f"<p>{prose}</p><p>Citation: Microsoft fee grows (2019, October 22) retrieved 20 January 2020 "
                        f"from https://phys.org/news/2019-10-fee.html</p>")
    texts = [text for _, _, text in blocks(load(path))]
    assert texts[-2:] == [prose.strip(), prose.strip()] and "E-mail the story" not in texts
    assert all(section == "" for _, section, _ in blocks(load(path))), "no 'Related' section"
    from ingest.clean import is_furniture_block
    from ingest.structure import Block
    assert not any(is_furniture_block(Block(kind, text)) for kind, text in [
        ("paragraph", "Courtesy of the mayor, it opened."), ("paragraph", "Courtesy matters most."),
        ("item", "Courtesy calls to every customer"), ("item", "Save the page."), ("item", "Print this page."),
        ("paragraph", "The citation: he was retrieved from the river by the crew and taken from there to hospital.")])


def test_a_shop_box_laid_out_as_a_table_goes_and_a_table_of_data_stays(tmp_path):
    prose = "T1 entered the final as the last-standing team and beat the other representatives on the way. " * 3
    text = load(article_page(tmp_path, "final.html", "T1 win",
                             f"<p>{prose}</p><table><tr><td>ADD TO CART: US$25 Gift Card for NA server</td></tr></table>"
                             f"<p>{prose}</p><table><tr><th>Team</th><th>Wins</th></tr><tr><td>T1</td><td>3</td></tr>"
                             f"<tr><td>Buy now, pay later</td><td>5</td></tr></table>")).text
    assert "ADD TO CART" not in text and "T1 | 3" in text and "Buy now, pay later | 5" in text


def test_prose_code_and_addresses_under_or_like_news_furniture_are_kept(tmp_path):
    prose = "The backend stores every object in a packed file and rewrites it when it grows too large. " * 3
    path = article_page(tmp_path, "guide.html", "Storage guide",
                        f"<p>{prose}</p><h2>Recommended</h2><pre><code>git clone https://example.org/repo.git</code>"
                        f"</pre><h2>Read next</h2><p>Which backend should I choose?</p>"
                        f"<p><code>git@github.com:octocat/hello-world.git</code></p>"
                        f"<p>Contact the security team at security@example.org.</p>")
    texts = [text for _, _, text in blocks(load(path))]
    assert texts == [prose.strip(), "Recommended", "git clone https://example.org/repo.git", "Read next",
                     "Which backend should I choose?", "git@github.com:octocat/hello-world.git",
                     "Contact the security team at security@example.org."]


def test_a_page_laid_out_with_blank_lines_keeps_each_paragraph_whole_with_its_links_and_emphasis(tmp_path):
    picture = ("<div class='article-image'><a href='/image/full.png'><img src='/image/large.png' alt=''></a>"
               "<div class='image-caption'><br /><span class='caption'>The firm's owner at a fair</span></div></div>")
    path = tmp_path / "br-laid.html"
    path.write_text(
        "<html><head><title>The American friends</title></head><body><div class='article-body'>"
        "Days later, he returned to his company's headquarters in Jerez de Frontera, Spain with exciting news."
        f"{picture}\"From now on, we're in the first division,\" he announced to his employees.\n<br /><br />\n"
        "Morales had just signed on to guard <a href='https://example.org/yacht'><em>Queen Miri</em></a>, the $70 "
        "million yacht of a casino tycoon. Given that the tycoon already had a security team, "
        "<strong>the contract was clearly the cover for an espionage campaign. </strong>\n<br /><br />\n"
        "<span class='BoldGrey'>Journey to \"the dark side\"</span>\n<br /><br />\n"
        "In November 2002, the <em>LA Times</em> reported on the task force.<br />It occupied a whole floor."
        "</div></body></html>")
    assert [(kind, text) for kind, _, text in blocks(load(path))] == [
        ("paragraph", "Days later, he returned to his company's headquarters in Jerez de Frontera, Spain with "
                      "exciting news."),
        ("paragraph", "\"From now on, we're in the first division,\" he announced to his employees."),
        ("paragraph", "Morales had just signed on to guard Queen Miri, the $70 million yacht of a casino tycoon. "
                      "Given that the tycoon already had a security team, the contract was clearly the cover for "
                      "an espionage campaign."),
        ("heading", "Journey to \"the dark side\""),
        ("paragraph", "In November 2002, the LA Times reported on the task force."),
        ("paragraph", "It occupied a whole floor."),
    ]


def test_a_wiki_page_loses_its_navigation_box_edit_links_and_closing_references(tmp_path):
    """As a Wikipedia article: a sidebar box of links above the text, "[edit]" after each heading, and the article
    closing with "References" and "External links"; a section between the text's own stays."""
    prose = "The algorithm models each object by a point so that similar objects are modelled by nearby points. " * 3
    edit = "<span class='mw-editsection'>[<a href='/w/index.php?action=edit&section=1'>edit</a>]</span>"
    path = tmp_path / "wiki.html"
    path.write_text(
        f"<html><head><title>t-SNE - Wikipedia</title></head><body><div id='content'><h1>t-SNE</h1>"
        f"<table class='vertical-navbox nowraplinks'><tr><th>Machine learning and data mining</th></tr>"
        f"<tr><td><a href='/a'>Problems</a></td></tr></table><p>{prose}</p>"
        f"<h2>Details{edit}</h2><p>{prose}</p><h2>See also{edit}</h2><ul><li>Dimensionality reduction</li></ul>"
        f"<h2>Software{edit}</h2><p>ELKI contains an implementation with the Barnes-Hut approximation.</p>"
        f"<h2>See also{edit}</h2><ul><li>Principal component analysis</li></ul>"
        f"<h2>Notes{edit}</h2><p>The method was first shown at a workshop in 2002, six years before the paper.</p>"
        f"<h2>References{edit}</h2><ol class='references'><li>^ van der Maaten, L.J.P.; Hinton, G.E. (2008). "
        f"\"Visualizing Data Using t-SNE\". Journal of Machine Learning Research. 9: 2579–2605.</li></ol>"
        f"<h2>External links{edit}</h2><ul><li><a href='https://x.org'>Visualizing Data Using t-SNE</a></li></ul>"
        f"</div></body></html>")
    texts = [text for _, _, text in blocks(load(path))]
    assert texts == [prose.strip(), "Details", prose.strip(), "See also", "Dimensionality reduction", "Software",
                     "ELKI contains an implementation with the Barnes-Hut approximation.", "Notes",
                     "The method was first shown at a workshop in 2002, six years before the paper."]


def test_a_page_about_references_keeps_its_text(tmp_path):
    prose = "A reference cannot outlive its referent, and a mutable reference cannot be aliased at all. " * 2
    path = tmp_path / "references.html"
    path.write_text(f"<html><head><title>References</title></head><body><main><h1>References</h1><p>{prose}</p>"
                    f"</main></body></html>")
    assert prose.strip() in load(path).text


def test_a_texinfo_option_list_keeps_each_options_name_with_its_description():
    from ingest.html import read_html

    def option(name: str, flag: str, text: str) -> str:  # texi2any puts the index anchors in a <dd> of their own
        return (f"<dd><span id='index-{name}'></span>\n<span id='index-NO_{name}'></span>\n</dd>\n"
                f"<dt><span><tt>{name}</tt> (<tt>-{flag}</tt>)</span></dt>\n<dd><p>{text}\n</p>\n")

    options = [("AUTO_CD", "J", "If a command is issued that cannot be executed as a normal command, and the command "
                                "is the name of a directory, perform the <tt>cd</tt> command to that directory."),
               ("AUTO_PUSHD", "N", "Make <tt>cd</tt> push the old directory onto the directory stack."),
               ("CDABLE_VARS", "T", "If the argument to a <tt>cd</tt> command is not a directory, and does not begin "
                                    "with a slash, try to expand the expression as if it were preceded by a tilde."),
               ("CHASE_LINKS", "w", "Resolve symbolic links to their true values when changing directory.")]
    page = read_html("<html><head><title>16 Options (zsh)</title></head><body><div class='chapter'>"
                     "<h2 class='chapter'>16 Options</h2><div class='section'><h3>16.2 Description of Options</h3>"
                     "<p>In the following list, options set by default in all emulations are marked &lt;D&gt;; those "
                     "set by default only in csh, ksh, sh, or zsh emulations are marked as appropriate.</p>"
                     "<div class='subsection'><h4>16.2.1 Changing Directories</h4><dl compact>"
                     + "".join(option(*o) for o in options) + "</dd></dl></div></div></div></body></html>")
    definitions = [b.text.split("\n")[0] for b in page.blocks if b.kind == "definition"]
    assert definitions == ["AUTO_CD (-J)", "AUTO_PUSHD (-N)", "CDABLE_VARS (-T)", "CHASE_LINKS (-w)"]
    assert any(b.text.startswith("AUTO_CD (-J)\nIf a command is issued") for b in page.blocks)


def test_text_after_a_block_set_inside_a_paragraph_is_kept_as_the_paragraph_it_goes_on_with(tmp_path):
    # YODL (the zsh FAQ) writes <pre> inside <p>: the parser ends the paragraph there, leaving the rest loose
    path = tmp_path / "FAQ03.html"
    path.write_text("<html><head><title>Chapter 3: How to get various things to work</title></head><body><hr>"
                    "<h1>Chapter 3: How to get various things to work</h1><h2>3.1: Why does $var not split?</h2>"
                    "<p>\nIn most Bourne-shell derivatives, multiple-word variables such as\n  <pre>\n"
                    "    var=\"foo bar\""
                    "\n</pre>\n  are split into words when passed to a command or used in a <code>for foo in\n  $var"
                    "</code> loop.  By default, zsh does not have that behaviour: the variable remains intact.  The "
                    "option <code>SH_WORD_SPLIT</code> exists to provide compatibility.\n<p>\nFor example, defining "
                    "the function args to show the number of its arguments makes the difference plain to see.\n"
                    "</body></html>")
    sentences = [" ".join(text.split()) for text in load(path).text.split("\n\n")]
    assert "var=\"foo bar\"" in sentences
    assert ("are split into words when passed to a command or used in a for foo in $var loop. By default, zsh does "
            "not have that behaviour: the variable remains intact. The option SH_WORD_SPLIT exists to provide "
            "compatibility.") in sentences


def test_a_bold_line_alone_heads_what_follows_but_a_bold_sentence_stays_prose_and_a_bold_byline_goes(tmp_path):
    answer = "Actually, SQLite will easily do 50,000 or more INSERT statements per second on a desktop computer. "
    path = article_page(tmp_path, "faq.html", "SQLite Frequently Asked Questions",
                        "<p><b>By Nada Tawfik, BBC News, New York</b></p>"
                        "<p><b>(19) INSERT is really slow - I can only do few dozen INSERTs per second</b></p>"
                        f"<blockquote>{answer * 3}</blockquote>"
                        "<p><b>Transactions are the answer to most questions about speed in SQLite.</b></p>"
                        f"<p>{answer * 2}</p>")
    shown = [(kind, section, " ".join(text.split())[:40]) for kind, section, text in blocks(load(path))]
    faq = "(19) INSERT is really slow - I can only do few dozen INSERTs per second"
    assert shown == [("heading", faq, faq[:40]), ("quote", faq, answer[:40]),
                     ("paragraph", faq, "Transactions are the answer to most ques"), ("paragraph", faq, answer[:40])]


def test_loose_text_is_kept_even_when_it_opens_with_code_but_not_a_footer_after_a_rule(tmp_path):
    path = tmp_path / "faq.html"
    path.write_text("<html><head><title>Word splitting</title></head><body><h1>Word splitting</h1>"
                    "<p>Intro paragraph with enough words to be kept as the content of this page for sure.</p>"
                    "<p>In most shells, variables such as<pre>var=1</pre>\n <code>SH_WORD_SPLIT</code> is the option "
                    "that splits them into words when they are used.</p>"
                    "<div class='jump'></div><a href='#nav'>Jump to navigation</a> <a href='#search'>Jump to search</a>"
                    "<p>The shell reads its startup files in a fixed order that the next section describes.</p>"
                    "<font size='-1'>Zsh version 5.9, released on May 14, 2022.</font>"
                    "<hr>Last modified on 3 March 2020 by the webmaster of this site.</body></html>")
    text = " ".join(load(path).text.split())
    assert "SH_WORD_SPLIT is the option that splits them into words when they are used." in text
    assert not any(furniture in text for furniture in ("Last modified", "Jump to", "Zsh version"))


def test_a_short_bold_statement_stays_quotable_prose():
    from ingest.html import read_html

    page = read_html("<html><head><title>Ports</title></head><body><article><h1>Ports</h1>"
                     "<p>The server listens on one port, which the configuration file may change at any time.</p>"
                     "<p><b>The default port is 8080.</b></p></article></body></html>")
    assert [(b.kind, b.text) for b in page.blocks][-1] == ("paragraph", "The default port is 8080.")
