"""Hostile inputs: every bad item fails alone in one line, links never lead out of a folder, no tracebacks, nothing
an article holds can drive the terminal."""
import json
import os
import random
import re
import zlib
from pathlib import Path

import pytest

import cli
import index.build as build
import ingest.loaders as loaders
from helpers import SAMPLE_ARTICLE, cli_process, minimal_pdf
from index.build import open_store, update_index
from index.embedders import HashingEmbedder
from ingest.loaders import iter_documents
from schema import UserError
from settings import Settings

SUFFIXES = (".txt", ".md", ".html", ".pdf", ".json", ".jsonl")
# "Reading articles: 2 [00:00, 20/s]"
PROGRESS_BAR = re.compile(r"(Reading articles|Embedding chunks and sentences): [^\[\n]*\[[^\]\n]*\]")


def printed_lines(stderr: str) -> list[str]:
    """stderr without the progress bars: the lines the program printed, even one glued to a bar."""
    return [line for line in PROGRESS_BAR.sub("", stderr.replace("\r", "")).split("\n") if line.strip()]


# ---- building hostile files ----

def pdf_of(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with the given objects numbered from 1 (the first is the catalog) and correct xref offsets."""
    out, offsets = bytearray(b"%PDF-1.5\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def page_pdf(contents: bytes, font: bytes = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
             kids: bytes = b"[3 0 R]", catalog_extra: bytes = b"") -> bytes:
    """One page whose content stream object (4) is `contents`, already a complete stream object."""
    return pdf_of([b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
                   b"<< /Type /Pages /Kids %s /Count 1 >>" % kids,
                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                   b"/Resources << /Font << /F1 5 0 R >> >> >>", contents, font])


# pypdf logs "Advanced encoding [] not implemented yet" for this font, and reads the text all the same
UNKNOWN_ENCODING_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Foo /Encoding << /BaseEncoding /Nope >> >>"


def text_stream(text: bytes) -> bytes:
    ops = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops)


def flate_bomb_stream(megabytes: int = 100) -> bytes:
    """~100 KB that inflates to 100 MB: over pypdf's decompression limit."""
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(b" " * 2**20) for _ in range(megabytes)) + packer.flush()
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)


def bad_files(rng: random.Random) -> dict[str, bytes]:
    """File name → content of files that cannot become an article, each with its own one-line reason."""
    files = {}
    for suffix in SUFFIXES:
        kind = suffix[1:]
        files[f"empty-{kind}{suffix}"] = b""
        files[f"blank-{kind}{suffix}"] = b" \n\t\r\n   \n"
        files[f"garbage-{kind}{suffix}"] = rng.randbytes(3000)
        files[f"nul-{kind}{suffix}"] = b"Title\n\nSome words\x00 then a NUL byte. " * 20
        files[f"utf16-lone-surrogates-{kind}{suffix}"] = b"\xff\xfe" + b"\x00\xd8" * 50
        files[f"utf16-odd-length-{kind}{suffix}"] = b"\xfe\xff\x00A\x00B\x00"
        files[f"terminal-controls-{kind}{suffix}"] = b"Title\n\n" + b"\x1b[2J\x07\x1b]0;owned\x07" * 200
        if suffix not in (".txt", ".md"):  # there, one line of text is a (short) article
            files[f"deep-brackets-{kind}{suffix}"] = b"[" * 100_000 + b"]" * 100_000
            files[f"only-a-title-{kind}{suffix}"] = b"Just a title line\n"
    files.update({
        "divs-100k.html": b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>",
        "scripts-only.html": b"<html><body>" + b"<script>alert(1)</script><style>p{}</style>" * 50 + b"</body></html>",
        "comment-only.html": b"<html><body><!-- " + b"hidden words " * 500 + b"--></body></html>",
        "unclosed-tags.html": b"<" * 50_000 + b">" * 50_000,
        "nav-only.htm": b"<html><body><nav><a href='/'>Home</a> | <a href='/about'>About</a></nav></body></html>",
        "billion-laughs.xhtml": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                                + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
                                + b"]><html><body><p>&j;</p></body></html>",
        "fence-only.md": b"```\n```\n",
        "header-only.pdf": b"%PDF-1.4\n",
        "pdf-then-garbage.pdf": b"%PDF-1.4\n" + rng.randbytes(2000),
        "encrypted-looking.pdf": b"%PDF-1.4\ntrailer\n<< /Encrypt 1 0 R >>\n%%EOF",
        "flate-bomb.pdf": page_pdf(flate_bomb_stream()),
        "page-tree-loop.pdf": page_pdf(text_stream(b"Looping pages"), kids=b"[2 0 R 3 0 R]"),
        "deep-array.pdf": page_pdf(text_stream(b"Deep"), catalog_extra=b"/X " + b"[" * 50_000 + b"]" * 50_000 + b" "),
        "image-only.pdf": page_pdf(b"<< /Length 0 >>\nstream\n\nendstream"),
    })
    whole = minimal_pdf(["A sentence that the cut PDF loses."])
    for cut in (20, 100, 250, 400, len(whole) - 60):
        files[f"truncated-at-{cut}.pdf"] = whole[:cut]
    for size_suffix in SUFFIXES:
        files[f"huge{size_suffix}"] = None  # written sparse: over the size limit, never read
    return files


# The lines of records.jsonl: a good record, a line that is not JSON (named "records.jsonl:N"), or JSON that is not
# an article (named "records.jsonl line N").
GOOD, NOT_JSON, NOT_ARTICLE = "good", "{}:{}", "{} line {}"
RECORD_LINES = [
    ('{"title": "Kangaroo record", "text": "Kangaroos carry their joeys in a pouch for months."}', GOOD),
    ("{broken", NOT_JSON), ("[" * 50_000 + "]" * 50_000, NOT_JSON),
    *[(line, NOT_ARTICLE) for line in (
        "42", '"just a string"', "null", "[1, 2]", '{"title": "no text"}', '{"text": 7}', '{"text": ["a", "b"]}',
        '{"text": {"nested": "object"}}', '{"text": "   "}', '{"text": "ok", "title": ["t"]}',
        '{"text": "ok", "title": {"t": 1}}', '{"text": "ok", "id": {"x": 1}}', '{"text": "ok", "id": [1, 5]}',
        '{"text": "ok", "id": true}', '{"text": "ok", "author": ["a"]}', '{"text": "ok", "date": [2024, 1]}',
        '{"text": "ok", "url": {"href": "x"}}')],
    ('{"id": 7, "title": 2024, "date": 20240101, "text": "Echidnas lay eggs: a number title is kept."}', GOOD),
    ('{"id": 8, "text": "Wombats have cube-shaped droppings \\ud800 oddly."}', GOOD),
]
ARRAY_RECORDS = [{"text": "Platypuses lay eggs although they are mammals."}, 5, {"text": None}, {"text": ""},
                 {"title": [3], "text": "x"}, [], {"text": "ok", "_id": [1]}]


def good_files() -> list[tuple[str, bytes, str]]:
    """(file name, content, a phrase its article must hold): ordinary articles, and odd but valid ones."""
    plain = [
        ("river.txt", "River dams\n\nThe river dam holds water for the valley farms in dry summers.", "river dam"),
        ("-rf.txt", "Dash name\n\nA file whose name starts with a dash describes echidna spines.", "echidna"),
        ("--help.md", "# Double dash\n\nThis markdown file explains how lyrebirds mimic chainsaws.", "lyrebirds"),
        ("北京 café.txt", "Beijing cafe\n\nThe unicode named file talks about dumplings in winter.", "dumplings"),
        ("emoji 🦘 name.md", "# Emoji\n\nMarsupial facts about red kangaroos hopping fast.", "red kangaroos"),
        ("new\nline.txt", "Newline name\n\nA newline in the file name must not split the report on koalas.", "koalas"),
        ("esc\x1b[2J name.txt", "Escape name\n\nAn escape sequence in the name hides nothing of dingoes.", "dingoes"),
        ("x" * 200 + ".txt", "Long name\n\nA very long file name still indexes the story of the bilby.", "bilby"),
        ("one-huge-line.txt", "Huge line\n\n" + "numbat termite diet " * 10_000, "numbat termite diet"),
        ("one-huge-word.txt", "Huge word\n\nquoll " + "q" * 50_000, "quoll qqq"),
    ]
    return [(name, text.encode(), phrase) for name, text, phrase in plain] + [
        ("latin1.txt", "Café\n\nLe café de Genève sert des croissants.".encode("latin-1"), "Genève sert"),
        ("utf16.md", "# Wide\n\nWide characters describe the cassowary.".encode("utf-16"), "cassowary"),
        ("page.html", b"<html><head><title>Tasmanian devils</title></head><body><article><h1>Tasmanian devils</h1>"
                      b"<p>Tasmanian devils have the strongest bite for their size of any mammal alive today, and "
                      b"they scavenge carcasses at night.</p></article></body></html>", "strongest bite"),
        ("article.pdf", minimal_pdf(["Wallabies are smaller than kangaroos and live in forests."]), "Wallabies"),
        ("odd-font.pdf", page_pdf(text_stream(b"Sugar gliders glide between trees at night."),
                                  font=UNKNOWN_ENCODING_FONT), "Sugar gliders"),
        ("single.json", b'{"title": "Emus", "text": "Emus cannot walk backwards easily."}', "Emus cannot"),
        ("one-line.txt", b"Platypuses lay eggs and hunt with electroreception.", "electroreception"),  # all body
        ("quotes-100k.md", b">" * 100_000 + b" quoted wombat", "wombat"),  # nested 100,000 deep: no recursion
        ("list-100k.md", b"- " * 50_000 + b"tree kangaroo", "tree kangaroo"),
        ("hashes-100k.md", b"#" * 100_000 + b" bandicoot", "bandicoot"),
    ]


def build_corpus(root: Path, outside: Path) -> tuple[list[str], list[str]]:
    """Write the hostile corpus; returns (bad labels, phrases the good articles hold, one each).
    A label is what the item's one line names: a file name, or "records.jsonl line 3"."""
    rng = random.Random(11)
    root.mkdir()
    outside.mkdir()
    bad = []
    for name, data in bad_files(rng).items():
        if data is None:
            with open(root / name, "wb") as handle:
                handle.truncate(21 * 2**20)
        else:
            (root / name).write_bytes(data)
        bad.append(name)
    phrases = []
    for name, data, phrase in good_files():
        (root / name).write_bytes(data)
        phrases.append(phrase)
    (root / "records.jsonl").write_text("\n".join(line for line, _ in RECORD_LINES) + "\n\n")
    bad += [label.format("records.jsonl", n) for n, (_, label) in enumerate(RECORD_LINES, 1) if label != GOOD]
    phrases += ["Kangaroos carry their joeys", "Echidnas lay eggs", "Wombats have cube-shaped droppings \ufffd oddly"]
    (root / "array.json").write_text(json.dumps(ARRAY_RECORDS))
    bad += [f"array.json record {n}" for n in range(2, len(ARRAY_RECORDS) + 1)]
    phrases.append("Platypuses lay eggs")

    # a twin is skipped, named; names that make the same id are both indexed, the second under an id of its own
    (root / "river-copy.txt").write_bytes((root / "river.txt").read_bytes())
    (root / "Id Clash.txt").write_text("Clash one\n\nThe first article named id clash is about magpies.")
    (root / "id-clash.txt").write_text("Clash two\n\nThe second article named id clash is about ibises.")
    bad += ["river.txt"]  # "river.txt" is loaded after "river-copy.txt", so it is the twin
    phrases += ["magpies", "ibises"]

    # links: out of the folder (not followed), dangling, looping; a FIFO; a name that is not UTF-8
    secret = outside / "secret.txt"
    secret.write_text("Secret\n\nThe outside secret must never be indexed: platypus venom spurs.")
    for suffix in (".txt", ".md", ".html", ".pdf", ".json"):
        (root / f"link-out{suffix}").symlink_to(secret)
        bad.append(f"link-out{suffix}")
    (root / "link-out-folder").symlink_to(outside, target_is_directory=True)
    (root / "dangling.txt").symlink_to(outside / "gone.txt")
    (root / "loop-a.md").symlink_to(root / "loop-b.md")
    (root / "loop-b.md").symlink_to(root / "loop-a.md")
    os.mkfifo(root / "fifo.txt")
    bad += ["link-out-folder", "dangling.txt", "loop-a.md", "loop-b.md", "fifo.txt"]
    with open(os.fsencode(root) + b"/not-utf8-\xff.txt", "wb") as handle:
        handle.write(b"Raw name\n\nA file whose name is not UTF-8.")
    (root / "bad\nname.pdf").write_bytes(b"not a PDF at all")
    (root / "bad\x1b]0;owned\x07name.txt").write_bytes(b"")
    bad += ["not-utf8-\\udcff.txt", "bad\\nname.pdf", "bad\\x1b]0;owned\\x07name.txt"]  # as the line shows them

    # not articles at all: ignored in a folder, without a word
    for name in ("notes.docx", "program.exe", "README", ".hidden.txt"):
        (root / name).write_bytes(b"Ignored\n\nNever to be indexed: the quokka smile.")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_text("Hidden\n\nNever to be indexed: the quokka smile.")
    return bad, phrases


def test_one_ingest_of_a_hostile_folder_reports_each_bad_item_once_and_indexes_every_good_one(cli_env, tmp_path):
    corpus = tmp_path / "corpus"
    bad, phrases = build_corpus(corpus, tmp_path / "outside")
    assert len(bad) >= 100

    result = cli_process(cli_env, "ingest", str(corpus))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "Error:" not in output, "every reason is a known one, not a bare exception's name and message"
    reported = printed_lines(result.stderr)
    assert all(line.startswith(("failed: ", "skipped: ")) for line in reported), reported
    for label in bad:
        naming = [line for line in reported if f"/{label}:" in line]
        assert len(naming) == 1, (label, naming)
    assert len(reported) == len(bad), [line for line in reported if not any(f"/{label}:" in line for label in bad)]
    assert result.stdout.count("\n") == 1 and "\x1b" not in output

    store = open_store(Settings(index_dir=Path(cli_env["RAGQA_INDEX_DIR"]), embed_model="hashing"), HashingEmbedder())
    texts = [document.text for document in store.documents.values()]
    for phrase in phrases:
        assert any(phrase in text for text in texts), phrase
    assert not any("platypus venom" in text or "quokka smile" in text for text in texts)
    assert len(store.documents) == len(phrases)

    ask = cli_process(cli_env, "ask", "What do Tasmanian devils scavenge at night?", "--json")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["answered"] and answer["citations"][0]["doc_id"] == "page"


# ---- defect 1: whatever one item raises, that item alone fails ----

def corpus_in(tmp_path: Path) -> Path:
    """A folder of articles beside the index (which the settings fixture puts in tmp_path/index)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def write_good(folder: Path, name: str = "good.txt") -> Path:
    path = folder / name
    path.write_text("Good article\n\nThe river dam holds water for the valley farms.")
    return path


def test_json_nested_too_deep_fails_alone_and_the_rest_is_indexed(settings, embedder, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    report = update_index([str(write_good(tmp_path)), str(deep)], settings, embedder, progress=False)
    assert [str(failure) for failure in report.failed] == [f"{deep}: nesting too deep"]
    assert report.added == ["good"] and open_store(settings, embedder).count == 1


def test_uploads_added_to_a_running_pipeline_fail_alone(settings, embedder, tmp_path):
    from qa.pipeline import QAPipeline

    folder = corpus_in(tmp_path)
    write_good(folder, "first.txt")
    pipeline = QAPipeline(settings, embedder=embedder)
    pipeline.collection.add([str(folder / "first.txt")])
    deep = folder / "deep.json"
    deep.write_text('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (folder / "after.md").write_text("# After\n\nThe upload after the bad one is about sugar gliders.")
    report = pipeline.collection.add([str(deep), str(folder / "after.md")])
    assert [str(f) for f in report.failed] == [f"{deep}: nesting too deep"] and report.added == ["after"]
    assert pipeline.ask("What is the upload after the bad one about?").citations[0].doc_id == "after"


def test_a_source_name_too_long_for_the_file_system_fails_alone(tmp_path):
    good = write_good(tmp_path)
    items = list(iter_documents(["n" * 5000, str(good)]))
    assert str(items[0]) == "n" * 5000 + ": File name too long" and items[1].id == "good"


def limit_reached():
    from pypdf.errors import LimitReachedError
    return LimitReachedError("Limit reached while decompressing: 75000000 bytes")


@pytest.mark.parametrize("make_error, reason", [
    (lambda: RecursionError("maximum recursion depth exceeded"), "nesting too deep"),
    (MemoryError, "too large to read in memory"),
    (lambda: KeyError("/Kids"), "cannot read it (KeyError: '/Kids')"),
    (limit_reached, "PDF stream too large (decompression limit)"),
])
def test_any_exception_while_reading_one_file_is_that_files_one_line_failure(make_error, reason, settings, embedder,
                                                                             tmp_path, monkeypatch):
    def explode(*args):
        raise make_error()
    monkeypatch.setattr(loaders, "read_html", explode)  # where a real parser meets a hostile page
    folder = corpus_in(tmp_path)
    (folder / "hostile.html").write_text("<html><body><p>Never read.</p></body></html>")
    write_good(folder, "z-after.txt")
    report = update_index([str(folder)], settings, embedder, progress=False)
    assert [str(failure) for failure in report.failed] == [f"{folder / 'hostile.html'}: {reason}"]
    assert report.added == ["z-after"]


def test_a_record_whose_text_breaks_the_parser_fails_alone(settings, embedder, tmp_path, monkeypatch):
    real = loaders.plain_blocks

    def fragile(text):
        if "BOOM" in text:
            raise IndexError("list index out of range")
        return real(text)
    monkeypatch.setattr(loaders, "plain_blocks", fragile)
    records = tmp_path / "records.jsonl"
    records.write_text('{"id": "a", "text": "First record about owls."}\n{"id": "b", "text": "BOOM"}\n'
                       '{"id": "c", "text": "Third record about bats."}\n')
    report = update_index([str(records)], settings, embedder, progress=False)
    assert [str(f) for f in report.failed] == [f"{records} line 2: cannot read it (IndexError: list index out of "
                                               "range)"]
    assert sorted(report.added) == ["a", "c"]


def test_a_document_that_cannot_be_chunked_fails_alone_and_keeps_its_old_version(settings, embedder, tmp_path,
                                                                                monkeypatch):
    folder = corpus_in(tmp_path)
    (folder / "a.txt").write_text("A\n\nThe first article is about owls.")
    (folder / "b.txt").write_text("B\n\nThe second article is about bats.")
    update_index([str(folder)], settings, embedder, progress=False)
    (folder / "b.txt").write_text("B\n\nThe second article now talks about moths.")
    (folder / "c.txt").write_text("C\n\nThe third article is about newts.")
    real = build.chunk_document

    def fragile(document, splitter):
        if document.id == "b":
            raise AssertionError("chunk 0 of b is not a substring of its document")
        return real(document, splitter)
    monkeypatch.setattr(build, "chunk_document", fragile)
    report = update_index([str(folder)], settings, embedder, progress=False)
    assert [str(f) for f in report.failed] == [f"{folder / 'b.txt'}: cannot split it into chunks: cannot read it "
                                               "(AssertionError: chunk 0 of b is not a substring of its document)"]
    assert report.added == ["c"] and report.updated == []
    store = open_store(settings, embedder)
    assert "bats" in store.documents["b"].text and sorted(store.documents) == ["a", "b", "c"]


class PoisonedEmbedder(HashingEmbedder):
    """Fails on any batch holding the word POISON, as a model might on one odd text."""

    def embed_documents(self, texts):
        if any("POISON" in text for text in texts):
            raise RuntimeError("the model choked")
        return super().embed_documents(texts)


def test_a_document_that_cannot_be_embedded_fails_alone(settings, tmp_path):
    folder = corpus_in(tmp_path)
    for name, text in (("a", "owls hunt at night"), ("b", "POISON in the text"), ("c", "bats hang upside down")):
        (folder / f"{name}.txt").write_text(f"{name.upper()}\n\nThe article says {text}.")
    embedder = PoisonedEmbedder()
    report = update_index([str(folder)], settings, embedder, progress=False)
    assert [str(f) for f in report.failed] == [
        f"{folder / 'b.txt'}: cannot embed it: cannot read it (RuntimeError: the model choked)"]
    assert report.added == ["a", "c"] and report.chunks_embedded == 2
    assert sorted(open_store(settings, embedder).documents) == ["a", "c"]


def test_a_model_that_cannot_embed_anything_is_still_one_user_error(settings, tmp_path):
    class Broken(HashingEmbedder):
        def embed_documents(self, texts):
            raise UserError("cannot load embedding model 'x': gone")
    write_good(corpus_in(tmp_path))
    with pytest.raises(UserError, match="cannot load embedding model"):
        update_index([str(tmp_path / "corpus")], settings, Broken(), progress=False)


def test_text_that_cannot_be_written_as_utf8_is_repaired_or_refused_never_a_crash(settings, embedder, tmp_path):
    folder = corpus_in(tmp_path)
    (folder / "records.jsonl").write_text('{"id": "w", "title": "Odd \\udfff", "text": "Wombats \\ud800 dig."}\n')
    with open(os.fsencode(folder) + b"/latin1-name-\xe9.txt", "wb") as handle:
        handle.write(b"Raw name\n\nA file whose name is not UTF-8.")
    write_good(folder)
    report = update_index([str(folder)], settings, embedder, progress=False)
    assert [str(f).rsplit("/", 1)[1] for f in report.failed] == [
        "latin1-name-\\udce9.txt: the file name is not valid UTF-8: rename the file"]
    documents = open_store(settings, embedder).documents
    assert sorted(documents) == ["good", "w"]
    assert documents["w"].text == "Wombats \ufffd dig." and documents["w"].title == "Odd \ufffd"


# ---- defect 13: links out of an ingested folder ----

def test_links_out_of_an_ingested_folder_are_reported_and_not_followed(settings, embedder, tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    secret = outside / "passwd.txt"
    secret.write_text("root:x:0:0\n\nroot:x:0:0:root:/root:/bin/bash is the secret line.")
    (corpus / "passwd-link.txt").symlink_to(secret)
    (corpus / "etc-link").symlink_to(outside, target_is_directory=True)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "inside.txt").write_text("Inside\n\nA file reached through a link that stays inside.")
    (corpus / "inside-link.md").symlink_to(corpus / "sub" / "inside.txt")
    write_good(corpus)
    report = update_index([str(corpus)], settings, embedder, progress=False)
    assert report.skipped == [
        f"{corpus / 'etc-link'}: a link to {outside}, outside the folder: not followed",
        f"{corpus / 'passwd-link.txt'}: a link to {secret}, outside the folder: not followed",
        f"{corpus / 'sub' / 'inside.txt'}: same text as article 'inside-link'"]  # a link inside is read
    assert not report.failed and not any("secret" in d.text for d in open_store(settings, embedder).documents.values())

    named = update_index([str(corpus / "passwd-link.txt")], settings, embedder, progress=False)
    assert named.added == ["passwd-link"]  # a link the user names is theirs to read


# ---- defect 14: one line, never a traceback ----

def test_pypdf_prints_nothing_of_its_own(cli_env, tmp_path):
    """pypdf logs through the logging module; pytest's own log handler would hide that, so a real process runs."""
    odd = tmp_path / "odd-font.pdf"
    odd.write_bytes(page_pdf(text_stream(b"Sugar gliders glide between trees."), font=UNKNOWN_ENCODING_FONT))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 3)
    result = cli_process(cli_env, "ingest", str(odd), str(broken))
    reported = printed_lines(result.stderr)
    assert len(reported) == 1 and reported[0].startswith(f"failed: {broken}: not a readable PDF"), result.stderr
    assert result.stdout.startswith("1 added")


@pytest.mark.parametrize("variable, value, message", [
    ("RAGQA_RETRIEVER", "foo", "RAGQA_RETRIEVER='foo' is not one of dense, bm25, hybrid, rrf, mmr"),
    ("RAGQA_CHUNK_OVERLAP", "500", "RAGQA_CHUNK_OVERLAP=500 must be at least 0 and below RAGQA_CHUNK_TOKENS=200"),
    ("RAGQA_CHUNK_TOKENS", "0", "RAGQA_CHUNK_TOKENS=0 must be at least 1"),
    ("RAGQA_TOP_K", "-3", "RAGQA_TOP_K=-3 must be at least 1"),
    ("RAGQA_LLM_BASE_URL", "http://127.0.0.1:notaport/v1",
     "RAGQA_LLM_BASE_URL is not a valid URL (Port could not be cast to integer value as 'notaport')"),
    ("RAGQA_LLM_BASE_URL", "127.0.0.1:8080", "RAGQA_LLM_BASE_URL is not an http(s) URL"),
])
def test_a_bad_setting_is_refused_in_one_line_naming_the_variable(variable, value, message, env):
    env.setenv(variable, value)
    with pytest.raises(UserError) as refused:
        Settings.from_env()
    assert str(refused.value).startswith(f"environment variable {message}")


def test_a_url_setting_is_never_echoed_it_may_hold_a_password(env):
    env.setenv("RAGQA_LLM_BASE_URL", "http://alice:pa55w0rd@127.0.0.1:port/v1")
    with pytest.raises(UserError) as refused:
        Settings.from_env()
    assert "pa55w0rd" not in str(refused.value)


@pytest.mark.parametrize("variables, argv", [
    ({"RAGQA_RETRIEVER": "foo"}, ["ask", "What does the author say about Bagram?"]),
    ({"RAGQA_LLM_BACKEND": "openai", "RAGQA_LLM_BASE_URL": "http://127.0.0.1:notaport/v1"},
     ["ask", "What does the author say about Bagram?", "--mode", "llm"]),
    ({"RAGQA_CHUNK_OVERLAP": "500"}, ["ingest", str(SAMPLE_ARTICLE), "--rebuild"]),
])
def test_the_cli_turns_bad_settings_into_one_line_not_a_traceback(variables, argv, env, capsys):
    assert cli.main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    capsys.readouterr()
    for name, value in variables.items():
        env.setenv(name, value)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: environment variable ") and list(variables)[-1] in err


# ---- defect 15: article text never drives the terminal ----

HOSTILE_ARTICLE = ("Volcano \x1b[2J facts\n\nVolcanoes \x1b]0;PWNED\x07\x1b[2J\x9b31m\r erupt lava when pressure in "
                   "the magma chamber builds up over many years. " + "Ash clouds follow. " * 60)  # < 1% controls


def test_cli_ask_prints_article_text_without_control_characters(env, tmp_path, capsys):
    article = tmp_path / "volcano.txt"
    article.write_text(HOSTILE_ARTICLE)
    assert cli.main(["ingest", str(article)]) == 0
    capsys.readouterr()
    assert cli.main(["ask", "When do volcanoes erupt lava?"]) == 0
    out = capsys.readouterr().out
    assert "erupt lava when pressure" in out and "[1] Volcano  facts (" in out
    assert "PWNED" not in out and "[2J" not in out and "31m" not in out
    assert not [ch for ch in out if (ord(ch) < 32 and ch not in "\n\t") or 0x7f <= ord(ch) <= 0x9f]

    assert cli.main(["ask", "When do volcanoes erupt lava?", "--json"]) == 0
    out = capsys.readouterr().out
    assert not [ch for ch in out if ord(ch) < 32 and ch != "\n" or 0x7f <= ord(ch) <= 0x9f]
    assert json.loads(out)["citations"][0]["title"] == "Volcano \x1b[2J facts", "JSON keeps the text, escaped"


def test_terminal_safe_and_one_line_helpers():
    from ingest.clean import one_line, terminal_safe

    assert terminal_safe("a\x1b]0;title\x07b\x1b[2Jc\x9b31md\r\ne\tf\x00\udcff") == "abcd\ne\tf\ufffd"
    assert one_line("bad\nname\x1b.txt\udcff") == "bad\\nname\\x1b.txt\\udcff"
