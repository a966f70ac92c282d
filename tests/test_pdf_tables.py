"""ingest.pdf: a table of options in a PDF manual gives one row per option (its name with its description), not one
paragraph of every option; prose whose words happen to line up stays prose."""
from helpers import one_page_pdf, pdf_string

from ingest.pdf import read_pdf
from ingest.structure import PARAGRAPH, ROW, assemble

BODY_LEFT, NAME, TYPE, DESCRIPTION = 72, 72, 160, 215


def placed_pdf(runs: list[tuple[float, float, str]]) -> bytes:
    """A one-page PDF with each (x, y, text) run placed by itself in 10 pt Helvetica, as typesetters place cells."""
    return one_page_pdf(" ".join(f"BT /F1 10 Tf 1 0 0 1 {x} {y} Tm ({pdf_string(text)}) Tj ET" for x, y, text in runs))


def prose(y: float, text: str) -> tuple[float, float, str]:
    return (BODY_LEFT, y, text)


OPTIONS_PAGE = [
    prose(700, "Other options control the appearance of links in the PDF file."),
    (NAME, 686, "colorlinks"), (TYPE, 686, "boolean"), (DESCRIPTION, 686, "Colors the text of links and anchors."),
    (NAME, 674, "linkcolor"), (TYPE, 674, "color"), (DESCRIPTION, 674, "Color for normal internal links."),
    (NAME, 662, "pdfborder"), (TYPE, 662, "numbers"), (DESCRIPTION, 662, "The style of box around links; defaults"),
    (DESCRIPTION, 650, "to a box with lines of 1 pt."),
    (NAME, 638, "hidelinks"), (DESCRIPTION, 638, "Hide links (removing color and border)."),
    prose(620, "The options can also be given later with the setup command of the package."),
]


def test_each_option_of_a_table_is_a_row_with_its_wrapped_description():
    blocks = read_pdf(placed_pdf(OPTIONS_PAGE)).blocks
    text, _ = assemble(blocks)
    assert text.split("\n\n") == [
        "Other options control the appearance of links in the PDF file.",
        "colorlinks | boolean | Colors the text of links and anchors.",
        "linkcolor | color | Color for normal internal links.",
        "pdfborder | numbers | The style of box around links; defaults to a box with lines of 1 pt.",
        "hidelinks | Hide links (removing color and border).",
        "The options can also be given later with the setup command of the package.",
    ]
    assert [block.kind for block in blocks] == [PARAGRAPH, ROW, ROW, ROW, ROW, PARAGRAPH]


def test_words_set_apart_on_a_single_line_make_no_table():
    runs = [prose(700, "The first paragraph says what the package does and why."),
            (NAME, 686, "Note"), (DESCRIPTION, 686, "that one line with a gap is no table."),
            prose(674, "The paragraph goes on with more words after it, as prose does.")]
    assert ROW not in [block.kind for block in read_pdf(placed_pdf(runs)).blocks]


def test_the_evaluation_finds_a_quote_of_a_row_that_has_no_cell_bars():
    from evaluation.gold import locate

    row = "linkcolor | color | Color for normal internal links."
    spans = locate("linkcolor color Color for normal internal links.", [("hyperref", 100, row)])
    assert [(span.start, span.end) for span in spans] == [(100, 100 + len(row))]
