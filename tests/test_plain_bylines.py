"""Bylines and date lines at the top of plain-text articles become author and date, and leave the text."""
import pytest

from helpers import SAMPLE_ARTICLE
from ingest.loaders import load_file

BODY = ("Kabul talks resume after a pause of several months, with both sides saying prisoners come first and the "
        "envoy promising a written plan.")


def loaded(tmp_path, top: str, body: str = BODY):
    path = tmp_path / "article.txt"
    path.write_text(f"Talks resume in Kabul\n\n{top}\n\n{body}\n")
    return load_file(path)[0]


@pytest.mark.parametrize("top, author, date", [
    ("By Jane Doe", "Jane Doe", ""),
    ("By Jane Doe | March 3, 2025", "Jane Doe", "2025-03-03"),
    ("Jane Doe | March 3, 2025", "Jane Doe", "2025-03-03"),
    ("Jane Doe — 3 March 2025", "Jane Doe", "2025-03-03"),
    ("By JANE DOE and Omar Khan, Staff Writers", "Jane Doe and Omar Khan", ""),
    ("March 3, 2025", "", "2025-03-03"),
    ("Published: Monday, March 3, 2025", "", "2025-03-03"),
    ("2025-03-03", "", "2025-03-03"),
    ("By Jane Doe\nMarch 3, 2025", "Jane Doe", "2025-03-03"),
    ("A dek that sums the piece up\nBy Jane Doe | Kabul | 3 March 2025", "Jane Doe", "2025-03-03"),
])
def test_a_byline_or_date_line_is_read_as_author_and_date_and_left_out_of_the_text(tmp_path, top, author, date):
    document = loaded(tmp_path, top)
    assert document.metadata.get("author", "") == author and document.metadata.get("date", "") == date
    assert document.text.endswith(BODY) and "Jane" not in document.text and "2025" not in document.text


@pytest.mark.parametrize("first_line", [
    "By the end of 2021, the Taliban controlled Kabul.",
    "By Tuesday the talks had collapsed",
    "By Kabul standards, this was a large crowd",
    "By 2025 the base was empty",
    "On March 3, 2025, the envoy met the Taliban in Doha.",
    "March 3, 2025 was a quiet day in the capital",
    "Zalmay Khalilzad | The interview",
    "Pakistan | March 3, 2025",  # one word: a place as likely as a person
    "Jane Doe",
    "Updated March 4, 2025",
])
def test_an_ordinary_first_line_is_no_byline_and_stays_in_the_text(tmp_path, first_line):
    document = loaded(tmp_path, first_line)
    assert "author" not in document.metadata and "date" not in document.metadata
    assert document.text.startswith(first_line)


def test_a_byline_below_the_first_paragraph_is_text(tmp_path):
    document = loaded(tmp_path, BODY, body="By Jane Doe | March 3, 2025")
    assert document.metadata == {} and document.text.endswith("By Jane Doe | March 3, 2025")


def test_the_sample_article_has_no_byline_and_keeps_its_text():
    document = load_file(SAMPLE_ARTICLE)[0]
    assert document.metadata == {}
    assert document.text.startswith("A critical reading of Zalmay Khalilzad’s interview")
