"""Defects a new user found on real files nobody on the project wrote (README.md files, dpkg's triggers.txt,
Debian's users-and-groups.html): each test is a small fixture with the structure of such a file."""
import pytest

from ingest.loaders import load_file
from ingest.markdown import markdown_blocks
from ingest.structure import Block, plain_blocks

# ---------------------------------------------------------------- setext headings ("Introduction" over "=====")

HTTPLIB2_README = """Introduction
============

httplib2 is a comprehensive HTTP client library, httplib2.py supports many
features left out of other HTTP libraries.

HTTP and HTTPS
--------------

HTTPS support is only available if the socket module was compiled with SSL support.

Installation
============

The httplib2 module is shipped with Python 3 support.
"""

DPKG_TRIGGERS = """TRIGGERS
========

Introduction
------------

A dpkg trigger is a facility that allows events caused by one package
but of interest to another package to be recorded and aggregated.

Concepts
--------
A trigger is a named event.
"""


def sections(document) -> list[tuple[str, str, str]]:
    return [(document.text[start:end], kind, section) for start, end, kind, section in document.blocks]


def test_a_markdown_setext_heading_is_a_heading_with_its_section(tmp_path):
    (tmp_path / "README.md").write_text(HTTPLIB2_README)
    document = load_file(tmp_path / "README.md")[0]
    assert document.title == "Introduction"
    assert sections(document) == [
        ("httplib2 is a comprehensive HTTP client library, httplib2.py supports many features left out of other "
         "HTTP libraries.", "paragraph", ""),
        ("HTTP and HTTPS", "heading", "HTTP and HTTPS"),
        ("HTTPS support is only available if the socket module was compiled with SSL support.", "paragraph",
         "HTTP and HTTPS"),
        ("Installation", "heading", "Installation"),
        ("The httplib2 module is shipped with Python 3 support.", "paragraph", "Installation"),
    ]
    assert "==" not in document.text and "--" not in document.text


def test_a_plain_text_setext_title_and_headings(tmp_path):
    (tmp_path / "triggers.txt").write_text(DPKG_TRIGGERS)
    document = load_file(tmp_path / "triggers.txt")[0]
    assert document.title == "TRIGGERS"
    assert sections(document) == [
        ("Introduction", "heading", "Introduction"),
        ("A dpkg trigger is a facility that allows events caused by one package but of interest to another package "
         "to be recorded and aggregated.", "paragraph", "Introduction"),
        ("Concepts", "heading", "Concepts"),
        ("A trigger is a named event.", "paragraph", "Concepts"),
    ]


def test_setext_headings_in_text_without_blank_lines_and_under_an_overline():
    assert plain_blocks("=====\nUsage\n=====\nRun it.\nOptions\n-------\nNone.") == [
        Block("heading", "Usage", 1), Block("paragraph", "Run it."), Block("heading", "Options", 2),
        Block("paragraph", "None.")]


def test_what_is_no_setext_heading_stays_text():
    long_line = "This paragraph line runs on far too long to be any heading that a writer would underline here."
    for piece in (f"{long_line}\n-----", "Name    Value\n-----   -----", "=====\n-----", "Intro\n=="):
        assert plain_blocks(f"First.\n\n{piece}") == [Block("paragraph", "First."), Block("paragraph", piece)]


def test_markdown_rules_are_no_text_and_a_long_paragraph_stays_a_paragraph():
    long_line = "This paragraph line runs on far too long to be any heading that a writer would underline here."
    assert markdown_blocks(f"Intro text.\n\n---\n\n* * *\n\n{long_line}\n=====\n\nEnd.") == [
        Block("paragraph", "Intro text."), Block("paragraph", long_line), Block("paragraph", "End.")]


# ---------------------------------------------------------------- README badges are no text and no title

LIBSODIUM_README = """[![Build Status](https://travis-ci.org/jedisct1/libsodium.svg?branch=master)](https://travis-ci.org/jedisct1/libsodium?branch=master)
[![Windows build status](https://ci.appveyor.com/api/projects/status/fu8s2elx25il98hj?svg=true)](https://ci.appveyor.com/project/jedisct1/libsodium)
[![Coverity Scan Build Status](https://scan.coverity.com/projects/2397/badge.svg)](https://scan.coverity.com/projects/2397)

![libsodium](https://raw.github.com/jedisct1/libsodium/master/logo.png)
============

Sodium is a new, easy-to-use software library for encryption,
decryption, signatures, password hashing and more.
"""


def test_badge_lines_are_no_text_and_a_logo_heading_titles_the_readme(tmp_path):
    (tmp_path / "README.markdown").write_text(LIBSODIUM_README)
    document = load_file(tmp_path / "README.markdown")[0]
    assert document.title == "libsodium"
    assert document.text == ("Sodium is a new, easy-to-use software library for encryption, decryption, signatures, "
                             "password hashing and more.")


def test_without_a_heading_a_readme_opening_with_badges_is_titled_by_its_file_name(tmp_path):
    (tmp_path / "README.md").write_text(
        '<p align="center"><img src="logo.svg" alt="Zebra logo" width="120"></p>\n\n'
        "[![PyPI version][pypi-badge]][pypi] [![docs][docs-badge]][docs]\n\n"
        "Zebra converts stripes into tables.\n\nIt reads CSV files.\n\n"
        "[pypi-badge]: https://img.shields.io/pypi/v/zebra.svg\n[pypi]:\n    https://pypi.org/project/zebra\n")
    document = load_file(tmp_path / "README.md")[0]
    assert document.title == "README"
    assert document.text == "Zebra converts stripes into tables.\n\nIt reads CSV files."


def test_a_heading_loses_its_badges_and_a_badge_table_does_not_hide_the_title(tmp_path):
    assert markdown_blocks("# Zebra [![CI](https://ci.example/z.svg)](https://ci.example/z)") == [
        Block("heading", "Zebra", 1)]
    (tmp_path / "README.md").write_text("|Branch|Status|\n|---|---|\n|main|[![build](b.svg)](ci)|\n"
                                        "|3.x|[![build](c.svg)](ci)|\n\n# GnuTLS\n\nGnuTLS implements TLS.\n")
    assert load_file(tmp_path / "README.md")[0].title == "GnuTLS"


# ---------------------------------------------------------------- no date read into a copyright line or a version

DOCBOOK_BODY = ("<p>Each package in Debian that needs a static user or group gets one from base-passwd, which keeps "
                "the list of system users and the groups they belong to in order across releases.</p>"
                "<h2>The users</h2><p>The root user is the superuser of the system and owns most of the files "
                "that the base system installs, from the kernel to the configuration in etc.</p>")


def docbook_page(title_page: str, body: str = DOCBOOK_BODY, footer: str = "") -> str:
    """A page as DocBook's HTML stylesheets write one (base-passwd's users-and-groups.html)."""
    return ("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"><HTML><HEAD>"
            "<TITLE>Users and Groups in the Debian System</TITLE>"
            "<META NAME=\"GENERATOR\" CONTENT=\"Modular DocBook HTML Stylesheet Version 1.79\"></HEAD>"
            "<BODY CLASS=\"BOOK\"><DIV CLASS=\"BOOK\"><DIV CLASS=\"TITLEPAGE\">"
            "<H1 CLASS=\"TITLE\">Users and Groups in the Debian System</H1>"
            f"<H3 CLASS=\"AUTHOR\">Joey Hess</H3>{title_page}</DIV>{body}{footer}</DIV></BODY></HTML>")


def loaded_html(tmp_path, html: str):
    (tmp_path / "page.html").write_text(html)
    return load_file(tmp_path / "page.html")[0]


def test_a_copyright_notice_gives_no_date(tmp_path):
    copyright = ("<P CLASS=\"COPYRIGHT\">Copyright &copy; 2001, 2002 Joey Hess</P>"
                 "<P CLASS=\"COPYRIGHT\">Copyright &copy; 2001-2022 Colin Watson</P>")
    document = loaded_html(tmp_path, docbook_page(copyright))
    assert document.title == "Users and Groups in the Debian System" and "date" not in document.metadata


def test_a_version_number_gives_no_date(tmp_path):
    body = DOCBOOK_BODY + ("<p>If you decide that you would rather see version 2.6.17, you can modify the current "
                           "branch to point at v2.6.17 instead.</p>")
    assert "date" not in loaded_html(tmp_path, docbook_page("", body)).metadata


def test_a_date_the_page_states_is_kept(tmp_path):
    footer = "<div id='footer'><div id='footer-text'>Last updated 2024-05-31 19:43:23 UTC</div></div>"
    assert loaded_html(tmp_path, docbook_page("", footer=footer)).metadata["date"] == "2024-05-31"
    stamp = "<p>Posted <time datetime='2020-10-18T21:30:35Z' pubdate='pubdate'>Sunday, October 18</time></p>"
    assert loaded_html(tmp_path, docbook_page("", footer=stamp)).metadata["date"] == "2020-10-18"


# ---------------------------------------------------------------- Markdown bylines, read as plain text's are

ZEBRA_BODY = ("The zebra herd moved north in February, and the rangers counted 412 animals at the river crossing "
              "below the falls.")


@pytest.mark.parametrize("byline, author, date", [
    ("By Alice Example | March 3, 2025", "Alice Example", "2025-03-03"),
    ("By Alice Example, March 3, 2025", "Alice Example", "2025-03-03"),
    ("*By Alice Example* · 3 March 2025", "Alice Example", "2025-03-03"),
    ("By Alice Example", "Alice Example", ""),
    ("A dek that sums the notes up\n\nBy [Alice Example](https://example.org/alice)", "Alice Example", ""),
])
def test_a_markdown_byline_under_the_title_is_author_and_date_not_text(tmp_path, byline, author, date):
    (tmp_path / "zebra.md").write_text(f"# Zebra migration notes\n\n{byline}\n\n{ZEBRA_BODY}\n")
    document = load_file(tmp_path / "zebra.md")[0]
    assert document.title == "Zebra migration notes"
    assert (document.metadata.get("author", ""), document.metadata.get("date", "")) == (author, date)
    assert document.text.endswith(ZEBRA_BODY) and "Alice" not in document.text and "By " not in document.text


@pytest.mark.parametrize("first", ["By the end of 2021, the herd had doubled.", "By Tuesday the river had risen",
                                   "Zebra herds | March 3, 2025"])
def test_an_ordinary_first_markdown_paragraph_stays_text(tmp_path, first):
    (tmp_path / "zebra.md").write_text(f"# Zebra migration notes\n\n{first}\n\n{ZEBRA_BODY}\n")
    document = load_file(tmp_path / "zebra.md")[0]
    assert document.metadata == {} and document.text == f"{first}\n\n{ZEBRA_BODY}"


def test_a_markdown_byline_below_the_body_is_text(tmp_path):
    (tmp_path / "zebra.md").write_text(f"# Zebra migration notes\n\n{ZEBRA_BODY}\n\nBy Alice Example\n")
    document = load_file(tmp_path / "zebra.md")[0]
    assert document.metadata == {} and document.text == f"{ZEBRA_BODY}\n\nBy Alice Example"


def test_a_man_page_word_broken_with_a_typographic_hyphen_at_a_line_end_is_whole_again(tmp_path):
    from ingest.loaders import load_file

    lines = ["GNU tar is an archiving program designed to store multiple files in a",
             "single file (an archive), and to manipulate such archives. The ar\u2010",
             "chive can be either a regular file or a device (e.g. a tape drive,",
             "hence the name of the program, which stands for tape archiver), which",
             "can be located either on the local or on a remote machine. A built\u2010in",
             "help lists every op\u2010", "tion and its short form."]
    page = tmp_path / "tar.txt"
    page.write_text("TAR(1)\n\nNAME\n       tar - an archiving utility\n\nDESCRIPTION\n"
                    + "".join(f"       {line}\n" for line in lines))
    text = load_file(page)[0].text
    assert "The ar\u2010chive can be either a regular file" in text  # a real hyphen (well‐known) looks the same
    assert "A built\u2010in help lists every op\u2010tion and its short form." in text


def test_a_markdown_file_without_a_title_is_named_by_its_whole_file_name(tmp_path):
    from ingest.loaders import load_file

    page = tmp_path / "C# tips?.md"
    page.write_text("Use records for data.\n\nPattern matching reads well in switch expressions.\n")
    assert load_file(page)[0].title == "C# tips?"
