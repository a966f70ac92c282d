import json

import pytest

from helpers import SAMPLE_ARTICLE, minimal_pdf
from index.embedders import HashingEmbedder
from ingest.chunking import chunk_document, make_splitter
from ingest.clean import normalize, strip_furniture
from ingest.markdown import markdown_blocks
from ingest.structure import Block
from ingest.loaders import LoadFailure, iter_documents
from schema import Document


def load_one(path):
    items = list(iter_documents([str(path)]))
    assert len(items) == 1, items
    return items[0]


def test_sample_article_keeps_body_and_drops_site_furniture():
    doc = load_one(SAMPLE_ARTICLE)
    assert doc.id == "khalilzad-on-iskp-ttp-and-pakistan"
    assert doc.title == "Khalilzad on ISKP, TTP, and Pakistan"
    assert doc.text.startswith("A critical reading of Zalmay Khalilzad’s interview")
    assert doc.text.endswith("making Pakistan the variable of uncertainty.")
    for furniture in ("SAT Commentary", "Recent", "Read More", "Hindutva", "Ethnic Engineering"):
        assert furniture not in doc.text
    assert "strategic footprint" in doc.text


def test_furniture_cut_keeps_text_without_a_body_before_the_marker():
    text = "Recent\n\nSome short line\n\nRead More »"
    assert strip_furniture(text) == text


def test_normalize_unifies_spacing_and_line_endings():
    assert normalize("a\u200b  b\r\n\r\n\r\n\r\nc \t d\u00a0e ") == "a b\n\nc d e"


def test_markdown_keeps_headings_lists_code_and_joins_wrapped_lines():
    blocks = markdown_blocks("---\nlayout: post\n---\n# Title\n\nSome **bold** and _it_ with\na [link](http://x.org).\n\n"
                             "- first item\n- second `item`\n\n```\nx = 1\n\ny = 2\n```\n\n> quoted\n> on")
    assert blocks == [Block("heading", "Title", 1), Block("paragraph", "Some bold and it with a link."),
                      Block("item", "first item"), Block("item", "second item"), Block("code", "x = 1\n\ny = 2"),
                      Block("quote", "quoted on")]


def test_txt_md_html_pdf_json_jsonl_load_with_metadata(tmp_path):
    (tmp_path / "plain.txt").write_text("Plain Title\n\nBody of the plain article.\n")
    (tmp_path / "notes.md").write_text("# Markdown Title\n\nA *markdown* body.\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Page</title><meta name='author' content='Jane Doe'>"
        "<meta property='article:published_time' content='2024-05-01'></head><body>"
        "<nav>Home | About | Contact</nav><article><h1>Web Title</h1>"
        "<p>The first paragraph of the web article is long enough to count as real article text here.</p>"
        "<p>A second paragraph carries on with the argument about the airbase and its future.</p></article>"
        "<aside><h3>Recent</h3><a href='/x'>Another story Read More »</a></aside>"
        "<script>alert('x')</script></body></html>")
    (tmp_path / "doc.pdf").write_bytes(minimal_pdf(["PDF body line one.", "PDF body line two."], title="PDF Title"))
    (tmp_path / "one.json").write_text(json.dumps({"id": "j1", "title": "JSON Title", "text": "JSON text.",
                                                   "author": "A. Writer", "date": "2024-01-02"}))
    (tmp_path / "many.jsonl").write_text(
        json.dumps({"title": "First", "text": "First record."}) + "\n\n"
        + json.dumps({"id": "r2", "title": "Second", "text": "Second record.", "url": "https://ex.org/2"}) + "\n")
    (tmp_path / "ignored.csv").write_text("a,b\n")
    docs = {d.id: d for d in iter_documents([str(tmp_path)])}
    assert set(docs) == {"plain", "notes", "page", "doc", "j1", "many-1", "r2"}
    assert (docs["plain"].title, docs["plain"].text) == ("Plain Title", "Body of the plain article.")
    assert (docs["notes"].title, docs["notes"].text) == ("Markdown Title", "A markdown body.")
    page = docs["page"]
    assert page.title == "Web Title" and page.metadata["author"] == "Jane Doe"
    assert page.metadata["date"] == "2024-05-01"
    assert "airbase" in page.text
    for furniture in ("Home | About", "Read More", "alert", "Recent"):
        assert furniture not in page.text
    assert docs["doc"].title == "PDF Title" and "PDF body line two." in docs["doc"].text
    assert docs["j1"].metadata == {"author": "A. Writer", "date": "2024-01-02"}
    assert docs["r2"].metadata["url"] == "https://ex.org/2"
    assert docs["many-1"].title == "First"


def test_bad_items_fail_alone_with_a_reason(tmp_path):
    (tmp_path / "good.txt").write_text("Good\n\nGood body.")
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "records.jsonl").write_text('{"title": "ok", "text": "fine"}\n{not json\n{"title": "no text"}\n')
    items = list(iter_documents([str(tmp_path), str(tmp_path / "missing.txt")]))
    docs = [i for i in items if not isinstance(i, LoadFailure)]
    failures = {f.source.replace(str(tmp_path), ""): f.reason for f in items if isinstance(f, LoadFailure)}
    assert sorted(d.id for d in docs) == ["good", "records-1"]
    assert failures["/empty.txt"] == "no text"
    assert failures["/binary.txt"] == "binary data, not text"
    assert failures["/broken.pdf"].startswith("not a readable PDF")
    assert failures["/records.jsonl:2"].startswith("invalid JSON")
    assert failures["/records.jsonl line 3"] == "missing field 'text'"
    assert any(f.endswith("missing.txt") and r == "no such file or folder" for f, r in failures.items())


def test_a_text_or_markdown_file_of_one_line_is_all_body(tmp_path):
    (tmp_path / "note.txt").write_text("\nQuokkas are small marsupials that eat leaves on Rottnest Island near Perth.\n")
    (tmp_path / "note.md").write_text("Quokkas are small marsupials that eat leaves on Rottnest Island near Perth.\n")
    for document in iter_documents([str(tmp_path / "note.txt"), str(tmp_path / "note.md")]):
        assert document.text == "Quokkas are small marsupials that eat leaves on Rottnest Island near Perth."
        assert document.title == "Quokkas are small marsupials that eat leaves on Rottnest Island …"


def test_latin1_and_utf16_text_decode(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Café\n\nCrème brûlée.".encode("latin-1"))
    (tmp_path / "wide.txt").write_bytes("Wide\n\nUTF-16 text here.".encode("utf-16"))
    docs = {d.id: d for d in iter_documents([str(tmp_path)])}
    assert docs["latin"].title == "Café" and docs["latin"].text == "Crème brûlée."
    assert docs["wide"].text == "UTF-16 text here."


def test_unsupported_file_named_directly_is_refused(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b")
    failure = load_one(path)
    assert isinstance(failure, LoadFailure) and failure.reason.startswith("unsupported file type '.csv'")


def test_chunks_keep_exact_offsets_and_respect_the_token_budget():
    doc = load_one(SAMPLE_ARTICLE)
    embedder = HashingEmbedder()
    chunks = chunk_document(doc, make_splitter(60, 15, embedder.count_tokens))
    assert len(chunks) > 5
    for i, chunk in enumerate(chunks):
        assert chunk.index == i and chunk.id == f"{doc.id}#{i}"
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert embedder.count_tokens(chunk.text) <= 60
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:])), "consecutive chunks should overlap"
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_chunks_end_at_sentence_boundaries_when_possible():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    chunks = chunk_document(Document("d", "T", "s", text), make_splitter(30, 0, HashingEmbedder().count_tokens))
    assert all(c.text.endswith(".") for c in chunks)


def test_overlap_must_be_below_chunk_size():
    with pytest.raises(ValueError, match="overlap"):
        make_splitter(10, 10, len)
