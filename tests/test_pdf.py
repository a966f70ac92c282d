"""ingest.pdf: blocks of faithful text from real PDFs, and one-line reasons for the ones that cannot be read."""
import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from helpers import minimal_pdf, one_page_pdf
from ingest.pdf import read_pdf
from ingest.structure import CODE, HEADING, ITEM, PARAGRAPH, join_wrapped
from ingest.units import sentence_spans

TWO_PAGES = Path(__file__).parent / "data" / "two_pages.pdf"  # made by tests/data/make_two_page_pdf.py


def text_at(size: float, y: float, text: str, x: float = 72) -> str:
    """A content-stream line drawing `text` in Helvetica of `size` points at (x, y)."""
    return f"BT /F1 {size} Tf {x} {y} Td ({text}) Tj ET "


def shown(blocks):
    """Each block as the document will show it: prose with its line wraps joined, code line for line."""
    return [(b.kind, b.level, b.text if b.kind == CODE else join_wrapped(b.text)) for b in blocks]


def test_two_pages_give_paragraphs_without_running_header_page_numbers_hyphens_or_ligatures():
    pdf = read_pdf(TWO_PAGES.read_bytes())
    assert shown(pdf.blocks) == [
        (HEADING, 1, "River Notes"),
        (HEADING, 2, "1 River Basins"),
        (PARAGRAPH, 0, "The river basin collects rain from the surrounding hills and carries it down to the valley, "
                       "where farmers divert part of the flow into irrigation canals. A small dam upstream keeps the "
                       "level steady."),
        (PARAGRAPH, 0, "Each spring the fields are flooded for a few days, which renews the soil and refills the "
                       "wells. The water then seeps slowly through the gravel and returns to the river weeks later. "
                       "Some of it stays in the deep layers of sand and clay that lie under the whole of the broad "
                       "plain, where it is pumped up again in the dry months."),
        (HEADING, 2, "2 Sharing the Water"),
        (PARAGRAPH, 0, "The farmers of the seven villages that lie along the old North-South canal take the water by "
                       "turns, and each turn lasts one day."),
        (PARAGRAPH, 0, "The rules are simple:"),
        (ITEM, 0, "• Nobody opens a gate outside their turn."),
        (ITEM, 0, "• Disputes go to the council of elders, which meets on the first Monday of every month."),
        (CODE, 0, "turn = day_of_year % 7\nopen_gate(village[turn])"),
    ]


def test_title_is_the_first_pages_largest_text_when_the_metadata_names_a_file():
    pdf = read_pdf(TWO_PAGES.read_bytes())  # its /Title is "notes.dvi"
    assert (pdf.title, pdf.author) == ("River Notes", "Ana Ribeiro")


@pytest.mark.parametrize("metadata_title, title", [
    ("Water Rights in the Indus Basin", "Water Rights in the Indus Basin"),
    ("Microsoft Word - draft3.doc", "Dams hold water."),
    ("", "Dams hold water."),
])
def test_title_comes_from_sensible_metadata(metadata_title, title):
    pdf = read_pdf(minimal_pdf(["Dams hold water.", "Canals carry it to the fields."], title=metadata_title))
    assert pdf.title == title
    assert shown(pdf.blocks) == [(PARAGRAPH, 0, "Dams hold water. Canals carry it to the fields.")]


def test_a_titles_footnote_mark_and_an_authors_email_address_are_not_shown():
    info = "<< /Title (Publication quality tables in LaTeX*) /Author (R Schlicht <w.m.l@gmx.net> ; Ana Ribeiro) >>"
    pdf = read_pdf(one_page_pdf("BT /F1 12 Tf 72 720 Td (Rules in tables.) Tj ET", info))
    assert (pdf.title, pdf.author) == ("Publication quality tables in LaTeX", "R Schlicht; Ana Ribeiro")


@pytest.mark.parametrize("made, date", [("D:20200114093000+01'00'", "2020-01-14"), ("D:garbage", ""), ("", "")])
def test_the_date_is_the_pdfs_creation_date_when_it_gives_a_sensible_one(made, date):
    info = f"<< /CreationDate ({made}) >>" if made else "<< >>"
    assert read_pdf(one_page_pdf("BT /F1 12 Tf 72 720 Td (Rules in tables.) Tj ET", info)).date == date


def title_page(*under_title: tuple[float, float, str], body_from: float) -> bytes:
    """A one-page PDF: the title "River Notes", the (size, y, text) lines under it, then three lines of body text
    from `body_from` down (they write "field manual" in lower case)."""
    return title_page_pdf(text_at(20, 720, "River Notes"), *under_title, body_from=body_from)


def title_page_pdf(title: str, *under_title: tuple[float, float, str], body_from: float) -> bytes:
    """title_page with the content stream `title` drawing the title."""
    body = ["The river basin collects rain from the hills and carries it down to the valley where",
            "farmers divert part of the flow into canals, as the field manual of the council says.",
            "A small dam upstream keeps the level steady through the dry months of the year."]
    return one_page_pdf(title + "".join(text_at(*line) for line in under_title)
                        + "".join(text_at(10, body_from - 12 * i, text) for i, text in enumerate(body)))


def test_a_title_pages_authors_date_and_rights_lines_are_no_sections():
    pdf = title_page((14, 692, "Ana Ribeiro, Tomas Lindqvist"), (14, 672, "Printed January 14, 2020"),
                     (14, 652, "All rights reserved."), (14, 620, "1 River Basins"), body_from=600)
    headings = [b.text for b in read_pdf(pdf).blocks if b.kind == HEADING]
    assert headings == ["River Notes", "1 River Basins"]


def test_a_title_whose_last_line_changes_font_is_whole_and_the_name_under_it_is_the_author():
    # enumitem's title page: "enumitem" set in a sans font in the title's third line, every line centred
    title = (text_at(20, 720, "Customizing lists", x=240) + text_at(20, 696, "with the", x=276)
             + "BT /F2 20 Tf 233 672 Td (enumitem) Tj /F1 20 Tf ( package) Tj ET")
    pdf = read_pdf(title_page_pdf(title, (14, 630, "Ana Ribeiro"), body_from=590))
    assert (pdf.title, pdf.author) == ("Customizing lists with the enumitem package", "Ana Ribeiro")


def test_a_raised_footnote_mark_or_exponent_is_a_superscript_and_the_sentence_still_ends_there():
    # 12 pt text; "7" and "2" set at 8 pt, 4 pt above the baseline, as LaTeX sets \footnote marks and x^2
    content = ("BT /F1 12 Tf 72 720 Td (Weigh the grain by hand.) Tj ET BT /F1 8 Tf 200 724 Td (7) Tj ET "
               "BT /F1 12 Tf 205 720 Td ( The area is x) Tj ET BT /F1 8 Tf 278 724 Td (2) Tj ET "
               "BT /F1 12 Tf 283 720 Td (.) Tj ET")
    pdf = read_pdf(one_page_pdf(content))
    assert shown(pdf.blocks) == [(PARAGRAPH, 0, "Weigh the grain by hand.⁷ The area is x².")]
    text = pdf.blocks[0].text
    assert [text[s:e] for s, e, _ in sentence_spans(text)] == ["Weigh the grain by hand.⁷", "The area is x²."]


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(minimal_pdf(["Locked text."]))).pages[0])
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, reason", [
    (encrypted("secret"), "the PDF is encrypted"),
    (b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    (minimal_pdf(["fine"])[:60], "not a readable PDF"),
    (b"\x00\xff" * 500, "not a readable PDF"),
])
def test_unreadable_pdfs_raise_a_one_line_reason(data, reason):
    with pytest.raises(ValueError) as failure:
        read_pdf(data)
    assert str(failure.value).startswith(reason) and "\n" not in str(failure.value)


def test_a_pdf_locked_only_against_editing_is_read():
    assert shown(read_pdf(encrypted("")).blocks) == [(PARAGRAPH, 0, "Locked text.")]


def _line(fonts: dict[str, int], text: str = "Detect nested minipage environments"):
    from collections import Counter

    from ingest.pdf import _Line

    line = _Line(0, 50.0, 400.0, text)
    line.fonts, line.sizes = Counter(fonts), Counter({10.0: sum(fonts.values())})
    line.finish()
    return line


def test_a_heading_that_names_a_command_in_typewriter_type_still_looks_like_a_heading():
    from ingest.pdf import _Layout

    layout = _Layout(body=10.0, pitch=12.0, body_font="/LMRoman10-Regular", margins={})
    assert layout.styled(_line({"/LMSans10-Oblique": 24, "/LMMono10-Regular": 8}))  # "minipage" in typewriter
    assert not layout.styled(_line({"/LMSans10-Oblique": 8, "/LMMono10-Regular": 24}))  # mostly code
    assert not layout.styled(_line({"/LMRoman10-Regular": 24, "/LMSans10-Oblique": 8}))  # body text


@pytest.mark.parametrize("text, kind", [("v3.0f 2022/06/23", PARAGRAPH), ("https://github.com/schlcht/microtype", PARAGRAPH),
                                        ("R Schlicht w.m.l@gmx.net", PARAGRAPH),
                                        ("The microtype package", HEADING), ("Issue 35, June 2022", HEADING),
                                        # a sentence ends and another goes on: prose, whatever its type's size
                                        ("The # bond might not work through other commands. In this case, use",
                                         PARAGRAPH)])
def test_large_type_is_a_heading_only_if_it_names_something(text, kind):
    from ingest.pdf import _block_kind, _Layout

    layout = _Layout(body=8.0, pitch=12.0, body_font="/LMRoman10-Regular", margins={})  # the line's 10 pt is large
    assert _block_kind([_line({"/LMRoman10-Regular": len(text)}, text)], layout) == kind


def test_a_sections_name_leaves_out_its_headings_footnote_mark():
    from ingest.structure import Block, assemble

    text, spans = assemble([Block(HEADING, "3 Colour¹", 1), Block(PARAGRAPH, "Colours are named.")])
    assert spans[1].section == "3 Colour" and text.startswith("3 Colour¹")


def test_a_footnotes_number_is_raised_and_a_bullet_is_no_part_of_the_sentence_quoted():
    from ingest.structure import assemble, spans_to_records
    from ingest.units import document_units
    from schema import Document

    body = ["The river basin collects rain from the hills and carries it down to the valley where",
            "farmers divert part of the flow into canals. A small dam upstream keeps the level",
            "steady through the dry months of the year, as the council decided long ago."]
    content = ("".join(text_at(10, 700 - 12 * i, text) for i, text in enumerate(body))
               + text_at(10, 652, "\\267 Nobody opens a gate outside their turn, whatever the weather.")
               + text_at(6, 103, "2") + text_at(8, 100, "User feedback suggested a larger default.", x=76))
    text, spans = assemble(read_pdf(one_page_pdf(content)).blocks)
    document = Document("river", "River", "river.pdf", text, {}, spans_to_records(spans))
    assert [text[s:e] for s, e, _ in document_units(document)][2:] == [
        "Nobody opens a gate outside their turn, whatever the weather.", "² User feedback suggested a larger default."]


def test_words_set_apart_only_by_position_are_spaced_again_but_names_stay_whole():
    lines = ["The solution to this problem is actually very simple: load the beamer theme with the command. The",
             "problem is actually very simple to solve, and the solution is to load the outer beamer theme. This is",
             "Thesolutiontothisproblemisactuallyverysimple and beameroutertheme is a theme name."]
    [block] = read_pdf(minimal_pdf(lines)).blocks
    assert "The solution to this problem is actually very simple and beameroutertheme is" in join_wrapped(block.text)


def test_a_note_in_the_margin_beside_a_line_does_not_break_into_its_paragraph():
    body = ["The river basin collects rain from the hills and carries it to the valley floor,",
            "where the farmers divert part of the flow into their canals. This code is part of the pream-",
            "ble of the rules. A small dam upstream keeps the level steady through the dry months,",
            "and the council decided long ago that every village takes the water by turns each day."]
    content = ("".join(text_at(10, 700 - 12 * i, text) for i, text in enumerate(body))
               + text_at(8, 688, "New description", x=540))  # beside the second line, in smaller type
    blocks = shown(read_pdf(one_page_pdf(content)).blocks)
    assert blocks[1] == (PARAGRAPH, 0, "New description")
    assert "This code is part of the preamble of the rules." in blocks[0][2]


def test_a_margin_note_written_before_the_line_beside_it_stays_out_of_the_hyphenated_word():
    body = ["The river basin collects rain from the hills and carries it to the valley floor, so",
            "that the farmers can divert part of the flow into their canals, which is equiva-",
            "lent to taking a share of it. A small dam upstream keeps the level steady through",
            "the dry months, and every village of the plain takes the water by turns each day."]
    content = (text_at(10, 700, body[0]) + text_at(10, 688, body[1]) + text_at(8, 688, "New feature", x=540)
               + text_at(8, 676, "1996/10/29", x=540)  # the note's second line comes before the line beside it
               + text_at(10, 676, body[2]) + text_at(10, 664, body[3]))
    blocks = shown(read_pdf(one_page_pdf(content)).blocks)
    assert "canals, which is equivalent to taking a share of it. A small dam" in blocks[0][2]
    assert blocks[1:] == [(PARAGRAPH, 0, "New feature 1996/10/29")]


def test_a_command_name_in_the_left_margin_stays_out_of_the_sentence_beside_it_but_heads_its_syntax_line():
    body = ["Frequently we need a rule to extend over only some of the columns of a table, for",
            "which we need a partial rule. Generally this rule should not come to the full width",
            "of the columns, and this is especially so when one rule follows another one directly",
            "in the same row of the table, where the two would otherwise run into each other."]
    content = (text_at(10, 700, body[0]) + text_at(9, 700, "\\cmidrule", x=30)  # after the line it stands by
               + "".join(text_at(10, 688 - 12 * i, text, x=100) for i, text in enumerate(body[1:]))
               + text_at(10, 640, "[<options>]{<columns>}", x=100) + text_at(9, 640, "\\cmidrule", x=30))
    content = content.replace("72 700 Td", "100 700 Td")
    blocks = shown(read_pdf(one_page_pdf(content)).blocks)
    assert "of the columns of a table, for which we need a partial rule." in blocks[0][2]
    assert blocks[1][2] == "\\cmidrule [<options>]{<columns>}"
    assert blocks[-1][2] == "\\cmidrule"


def test_the_back_of_book_index_and_the_text_of_pictures_of_slides_are_left_out():
    from ingest.pdf import _without_index_or_repeats
    from ingest.structure import Block

    prose = [Block(PARAGRAPH, f"Section {n} explains how the river is shared between the villages.") for n in range(8)]
    picture = [Block(PARAGRAPH, "There is no largest prime number.")] * 12
    index = [Block(HEADING, "Index", 1), Block(PARAGRAPH, "\\above, 17, 32"), Block(PARAGRAPH, "canal, 4, 9")]
    kept = [block for _, block in _without_index_or_repeats([(None, b) for b in prose + picture + index])]
    assert kept == prose + picture[:1]
    subsection = [Block(HEADING, "11.1.21 index", 3), Block(PARAGRAPH, "The index option makes an index.")]
    assert [b for _, b in _without_index_or_repeats([(None, b) for b in prose + subsection])] == prose + subsection
    # Texinfo names its indexes; an index the PDF marks with no heading is its terms each followed by their pages
    texinfo = [Block(HEADING, "Function and Variable Index", 1), Block(PARAGRAPH, "assign . . . 6, 55")]
    assert [b for _, b in _without_index_or_repeats([(None, b) for b in prose + texinfo])] == prose
    unmarked = Block(PARAGRAPH, "abs, 37 acos, 37 acosh, 37 acsplines, 112 aifm, 237 airy, 37 all, 127 angles, 130, 193")
    settings = Block(PARAGRAPH, "gnuplot*line1Dashes: 0 gnuplot*line2Dashes: 42 gnuplot*line3Dashes: 13 "
                                "gnuplot*line4Dashes: 44 gnuplot*line5Dashes: 82 gnuplot*line6Dashes: 0 gnuplot*line7: 1")
    rates = Block(PARAGRAPH, "The supported baud rates are 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600 and "
                             "115200; the default is 9600.")
    assert [b for _, b in _without_index_or_repeats([(None, b) for b in prose + [settings, rates, unmarked]])] == \
        prose + [settings, rates], "settings and lists of numbers are no index"


def test_an_index_entry_with_several_pages_after_its_dot_leaders_is_no_text():
    from ingest.pdf import _DOT_LEADERS

    assert _DOT_LEADERS.search("configure . . . . . . . . . . . 3, 4, 7, 56, 58")
    assert _DOT_LEADERS.search("2.1 Objects . . . . . . . . . . . . . 12")
    assert not _DOT_LEADERS.search("It waits, then prints 3, 4 and 5.")


@pytest.mark.parametrize("under_title, author", [("Ana Ribeiro", "Ana Ribeiro"), ("Field Manual", "")])
def test_a_name_printed_under_the_title_is_the_author_when_the_metadata_names_none(under_title, author):
    pdf = read_pdf(title_page((14, 692, under_title), (14, 650, "1 River Basins"), body_from=630))
    assert pdf.author == author
    assert (under_title in [b.text for b in pdf.blocks if b.kind == HEADING]) == (not author)


def test_a_name_after_an_affiliation_line_is_the_author_and_no_title_page_line_names_a_section():
    pdf = read_pdf(title_page((14, 690, "Valley Council (http://www.valley.example)"), (14, 660, "Ana Ribeiro"),
                              (12, 630, "ar1970 at valley.example"), (14, 600, "1 River Basins"),
                              (12, 580, "1.1. Version"), body_from=560))
    assert pdf.author == "Ana Ribeiro"
    assert [b.text for b in pdf.blocks if b.kind == HEADING] == ["River Notes", "1 River Basins", "1.1. Version"]


def test_a_name_with_a_particle_over_its_affiliation_lines_is_the_author_even_if_its_address_spells_it():
    pdf = read_pdf(title_page((14, 692, "Pieter van Oostrum*"), (14, 678, "Dept. of Computer Science"),
                              (14, 664, "Utrecht University"), (10, 640, "pieter@cs.example"),
                              (14, 610, "1 River Basins"), body_from=590))
    assert pdf.author == "Pieter van Oostrum"


def test_a_name_broken_after_an_underscore_at_a_line_end_is_whole_again():
    lines = ["The maximum length this function will encode is given by the constant ASN1_",
             "MAX_LENGTH_SIZE of the library, and longer values are refused with an error code."]
    [block] = read_pdf(minimal_pdf(lines)).blocks
    assert "the constant ASN1_MAX_LENGTH_SIZE of the library" in join_wrapped(block.text)


def test_a_label_written_before_the_text_left_of_it_is_a_word_apart():
    body = ["The parser reads a file of definitions and builds the tree that the other functions of the",
            "library use. It reports the line of the first syntax error it finds, and stops reading there."]
    content = (text_at(10, 700, "[Function]", x=380) + text_at(10, 700, "int asn1_parser2tree (const char * file)")
               + "".join(text_at(10, 680 - 12 * i, text) for i, text in enumerate(body)))
    texts = [join_wrapped(b.text) for b in read_pdf(one_page_pdf(content)).blocks]
    assert any(text.startswith("[Function] int asn1_parser2tree (const char * file)") for text in texts)


@pytest.mark.parametrize("author, title, shown", [
    ("gnuplot", "gnuplot documentation", ""), ("root", "Site guide", ""), ("Gnuplot", "Gnuplot manual", ""),
    ("Thomas Leonard", "Shared MIME-info Database", "Thomas Leonard"), ("Plato", "The Republic", "Plato"),
])
def test_an_author_that_names_the_software_is_no_author(author, title, shown):
    from ingest.pdf import _person

    assert _person(author, title) == shown
