"""The chat's logic without a browser: one card per passage, clean copies, Stop, refusals naming the selection, the
conversation kept in the browser, and exports that keep the evidence."""
import html as html_module
import json
import re

from schema import Answer, Citation, Document
from fakes import FakePipeline
from ui.chat import AskOptions, Turn, chat_messages, respond, stop
from ui.conversation import SAVED_TURNS, export_json, export_markdown, restored, saved_form
from ui.render import article_html, copy_text, sources_html

PARAGRAPH = ("The base may be negotiated. Officials met twice. Nobody signed. "
             "It is a hub for the region.")
TEXT = f"Title line.\n{PARAGRAPH}\nAnother paragraph says the hub is old."
DOC = Document(id="base", title="On <the> base", source="/srv/articles/base.txt", text=TEXT,
               metadata={"url": "https://example.org/base"})
OTHER = Document(id="other", title="Other", source="/srv/articles/other.md", text="Other text here.")
DOCUMENTS = {"base": DOC, "other": OTHER}


def cite(n, document, quote, section=""):
    start = document.text.index(quote)
    return Citation(n, f"{document.id}#0", document.id, document.title, document.source, start, start + len(quote),
                    quote, section)


def answered(citations, text="Lead: quoted [1] [2] [3]", question="Where is the base?"):
    return Turn(question, text=text, answer=Answer(question, text, True, citations, hits=[]))


CITATIONS = [cite(1, DOC, "The base may be negotiated."), cite(2, DOC, "It is a hub for the region."),
             cite(3, OTHER, "Other text here.", section="Intro")]


def test_one_card_per_passage_with_a_mark_per_citation_grouped_by_article():
    html = sources_html([answered(CITATIONS)], DOCUMENTS)
    articles = re.findall(r'<section class="source-article">.*?</section>', html)
    panel = html.split('<pre class="copy-text"')[0]
    assert len(articles) == 2 and panel.count("On &lt;the&gt; base") == 1, "each article's title once"
    assert articles[0].count('<li class="source-card">') == 1, "two sentences of one paragraph: one card"
    assert re.findall(r'<mark id="(src-0-\d)"', articles[0]) == ["src-0-1", "src-0-2"]
    assert "negotiated.</mark> Officials met twice. Nobody signed. <mark" in articles[0], "the text between kept"
    assert '<span class="source-n">1</span><span class="source-n">2</span>' in articles[0]
    assert '<span class="source-section">Intro</span>' in articles[1]


def test_a_newest_turn_without_sources_says_so_and_older_sources_stay_closed():
    for newest, reason in ((Turn("Bad?", error="The question is empty."), "Not answered"),
                           (Turn("Cut?", text="Partly", stopped=True), "Stopped before the answer was complete"),
                           (Turn("Now?"), "Finding the passages")):
        html = sources_html([answered(CITATIONS), newest], DOCUMENTS)
        opened = re.findall(r'<details class="turn-sources" open>.*?</details>', html)
        assert len(opened) == 1 and reason in opened[0] and "<mark" not in opened[0]


def test_copy_text_is_the_plain_answer_with_its_numbered_sources():
    turn = answered(CITATIONS[:1], text="According to “On <the> base”: The base may be negotiated. [1]")
    assert copy_text(turn, DOCUMENTS) == (
        "According to “On <the> base”: The base may be negotiated. [1]\n\nSources:\n"
        "[1] On <the> base\n    “The base may be negotiated.”\n    https://example.org/base")
    html = sources_html([turn], DOCUMENTS)
    assert '<pre class="copy-text" hidden data-turn="0">According to “On &lt;the&gt; base”' in html


def test_stop_keeps_the_text_so_far_and_shows_it_stopped_without_links():
    turns = stop([Turn("Q?", text="Partial [1] words")])
    assert turns[0].stopped and turns[0].settled and turns[0].text == "Partial [1] words"
    assert chat_messages(turns)[1]["content"] == "Partial \\[1\\] words\n\n*Stopped.*"
    done = [answered(CITATIONS)]
    assert stop(done) == done, "a finished answer is not stopped"


def test_a_refusal_over_selected_articles_names_them():
    fake = FakePipeline()
    refusal = Answer("Q?", "The indexed articles don't cover this: no passage answers “Q?”.", False, [], [])
    fake.ask_stream = lambda question, **options: iter([(refusal.text, refusal)])
    last = list(respond(fake, "Q?", [], AskOptions(doc_ids=("doc",))))[-1][-1]
    assert last.answer.text == "The selected article (“On <Bagram>”) doesn't cover this: no passage answers “Q?”."
    everything = list(respond(fake, "Q?", [], AskOptions()))[-1][-1]
    assert everything.answer.text == refusal.text


def test_the_saved_conversation_comes_back_and_malformed_turns_are_left_out():
    turns = [answered(CITATIONS), Turn("Bad?", error="Nope."), Turn("Cut?", text="Part", stopped=True), Turn("Now?")]
    saved = json.loads(json.dumps(saved_form(turns)))  # what the browser stores and sends back
    back = restored(saved)
    assert [t.question for t in back] == ["Where is the base?", "Bad?", "Cut?"], "the pending turn is not kept"
    assert back[0].answer.citations == CITATIONS and back[0].answer.hits == []
    assert back[1:] == turns[1:3]
    forged = [{"question": "x", "answer": {"question": "x", "text": "t", "answered": True,
                                           "citations": [{"n": "1; drop", "start": 0}]}},
              {"question": 5}, "text", None, {"question": "Kept?", "error": "An error."}]
    assert [t.question for t in restored(forged)] == ["Kept?"]
    assert restored({"not": "a list"}) == [] and restored(None) == []
    assert len(saved_form([Turn(f"Q{i}", error="e") for i in range(SAVED_TURNS + 5)])) == SAVED_TURNS


def test_exports_keep_each_citations_document_span_and_quote():
    turns = [answered(CITATIONS), Turn("Bad?", error="Nope.")]
    asked = []

    def shown(source, doc_id):  # as the app's: a file by its path below the folder its id came from
        asked.append(doc_id)
        return source.rsplit("/", 1)[-1]

    data = json.loads(export_json(turns, shown))["conversation"]
    assert [d["question"] for d in data] == ["Where is the base?", "Bad?"]
    for c in data[0]["citations"]:
        assert DOCUMENTS[c["doc_id"]].text[c["start"]:c["end"]] == c["quote"]
        assert not c["source"].startswith("/")
    assert data[1]["answer"] == "Nope." and data[1]["citations"] == []
    assert set(asked) == {c.doc_id for c in CITATIONS}, "each source is shown knowing its article's id"
    markdown = export_markdown(turns, shown)
    first = CITATIONS[0]
    assert f"1. **On <the> base** (base.txt, document `base`, characters {first.start}–{first.end})" in markdown
    assert "   > The base may be negotiated." in markdown and "## Bad?\n\nNope." in markdown


def test_the_opened_article_shows_headings_as_headings_and_code_as_code_and_marks_a_quote_over_two_blocks():
    text = "Usage\n\nRun the audit <now>.\n\n$ npm audit --json\n\nThe report lists advisories."
    kinds, blocks, at = ["heading", "paragraph", "code", "paragraph"], [], 0
    for kind, piece in zip(kinds, text.split("\n\n")):
        blocks.append([at, at + len(piece), kind] + ([1] if kind == "heading" else []))
        at += len(piece) + 2
    document = Document("npm", "npm-audit", "npm-audit.html", text, blocks=blocks)
    opened = article_html(json.dumps({"doc": "npm", "start": 7, "end": 27}), {"npm": document})
    assert ('<h3 class="reader-heading">Usage</h3><p class="reader-paragraph"><mark id="reader-mark" tabindex="-1" '
            'data-nonce="">Run the audit &lt;now&gt;.</mark></p><pre class="reader-code">&#36; npm audit --json</pre>') \
        in opened
    across = article_html(json.dumps({"doc": "npm", "start": 29, "end": len(text)}), {"npm": document})
    assert across.count("<mark") == 2 and across.count('id="reader-mark"') == 1
    assert '<mark class="reader-more">The report lists advisories.</mark>' in across


def test_the_article_opens_whole_with_its_quote_marked_and_bad_requests_are_refused():
    quote = CITATIONS[1]
    html = sources_html([answered(CITATIONS)], DOCUMENTS)
    request = re.search(r'class="open-article" data-open="([^"]+)"', html).group(1)
    opened = article_html(html_module.unescape(request), DOCUMENTS)  # as the browser reads the attribute
    assert opened.startswith('<h2 class="reader-title">On &lt;the&gt; base</h2>')
    assert "Title line.\n<mark" in opened and "Another paragraph" in opened, "the whole text"
    asked = json.dumps({"doc": "base", "start": quote.start, "end": quote.end, "nonce": '"><script>'})
    assert f'data-nonce="&quot;&gt;&lt;script&gt;">{quote.quote}</mark>' in article_html(asked, DOCUMENTS)
    for bad in ("not json", json.dumps({"doc": "gone", "start": 0, "end": 1}), json.dumps([1]),
                json.dumps({"doc": "base", "start": 5, "end": 10_000}), json.dumps({"doc": "base", "start": "0"})):
        assert article_html(bad, DOCUMENTS) == '<p class="reader-missing">This article is no longer in the index.</p>'
