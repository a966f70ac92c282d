"""Regenerates tests/data/two_pages.pdf, the fixture of tests/test_pdf.py.

Needs fpdf2, which is no dependency of the project: `pip install fpdf2`, then `python tests/data/make_two_page_pdf.py`.
Every line is placed by hand, as a typesetter would: a running header and a page number on both pages, a heading,
a word hyphenated at a line end, ligature characters, a paragraph that runs on over the page break, a compound
broken at its hyphen, a list and two lines of code.
"""
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

FONTS = Path("/usr/share/fonts/truetype/dejavu")  # DejaVu has the ﬁ and ﬂ ligature characters
LEFT, PITCH = 72, 14

PAGES = [
    [("title", LEFT, 100, "River Notes"),
     ("heading", LEFT, 140, "1 River Basins"),
     ("body", LEFT, 165, "The river basin collects rain from the surrounding hills and carries it"),
     ("body", LEFT, 179, "down to the valley, where farmers divert part of the flow into irriga-"),
     ("body", LEFT, 193, "tion canals. A small dam upstream keeps the level steady."),
     ("body", LEFT + 18, 207, "Each spring the ﬁelds are ﬂooded for a few days, which renews the soil"),
     ("body", LEFT, 221, "and reﬁlls the wells. The water then seeps slowly through the gravel"),
     ("body", LEFT, 235, "and returns to the river weeks later. Some of it stays in the deep"),
     ("body", LEFT, 249, "layers of sand and clay that lie under the whole of the broad")],
    [("body", LEFT, 100, "plain, where it is pumped up again in the dry months."),
     ("heading", LEFT, 140, "2 Sharing the Water"),
     ("body", LEFT, 165, "The farmers of the seven villages that lie along the old North-"),
     ("body", LEFT, 179, "South canal take the water by turns, and each turn lasts one day."),
     ("body", LEFT, 201, "The rules are simple:"),
     ("body", LEFT + 8, 219, "• Nobody opens a gate outside their turn."),
     ("body", LEFT + 8, 237, "• Disputes go to the council of elders, which meets on the ﬁrst"),
     ("body", LEFT + 20, 251, "Monday of every month."),
     ("code", LEFT + 18, 275, "turn = day_of_year % 7"),
     ("code", LEFT + 18, 287, "open_gate(village[turn])")],
]
STYLES = {"title": ("DejaVu", "B", 20), "heading": ("DejaVu", "B", 14), "body": ("DejaVu", "", 11),
          "code": ("Courier", "", 10), "furniture": ("DejaVu", "", 9)}


def main() -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=timezone.utc))
    pdf.set_title("notes.dvi")  # a file name, as some converters leave: the reader must not take it as the title
    pdf.set_author("Ana Ribeiro")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    for number, lines in enumerate(PAGES, 1):
        pdf.add_page()
        for style, x, y, text in [("furniture", LEFT, 40, "River Notes · Field Guide"), *lines,
                                  ("furniture", 295, 800, str(number))]:
            pdf.set_font(*STYLES[style])
            pdf.text(x, y, text)
    pdf.output(str(Path(__file__).with_name("two_pages.pdf")))


if __name__ == "__main__":
    main()
