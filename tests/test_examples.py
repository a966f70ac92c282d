"""Example questions: the articles' real topics (headings, names, the title), never day names or cut-off words."""
import re
from pathlib import Path

import pytest

from helpers import SAMPLE_ARTICLE
from ingest.loaders import load_file
from schema import Document
from ui.examples import MAX_EXAMPLE_CHARS, example_questions

DATA = Path(__file__).parent / "data"
SAMPLES = [SAMPLE_ARTICLE, DATA / "two_pages.pdf", DATA / "html" / "sphinx_heapq.html",
           *sorted((DATA / "news").glob("*.html"))]
DAYS_AND_MONTHS = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
                             r"April|June|July|August|September|October|November|December)\b")


def questions_for(path: Path) -> tuple[Document, list[str]]:
    document = load_file(path)[0]
    return document, example_questions([document], limit=10)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_examples_fit_the_button_name_no_dates_and_never_cut_a_title_mid_word(path):
    document, questions = questions_for(path)
    assert questions, "every article gives at least the question about its title"
    for question in questions:
        assert len(question) <= MAX_EXAMPLE_CHARS, f"gradio would cut {question!r} mid-word"
        assert not DAYS_AND_MONTHS.search(question), question
    titled = [q for q in questions if "“" in q]
    assert len(titled) == 1
    shown = re.search(r"“(.+?)(…?)”", titled[0])
    if shown.group(2):  # shortened: whole words of the title
        assert document.title.startswith(shown.group(1)) and document.title[len(shown.group(1))] == " "
    else:
        assert shown.group(1) == document.title


def test_a_dated_news_article_asks_about_no_weekday_or_month():
    _, questions = questions_for(DATA / "news" / "written_by_in_text.html")  # "on Wednesday", "in March"
    assert questions == ["What is “Harbour dredging to resume in spring” about?"]


def test_headings_are_topics_and_long_titles_are_shortened_at_a_word():
    _, pdf = questions_for(DATA / "two_pages.pdf")  # headings "1 River Basins", "2 Sharing the Water"
    assert "What does the author say about River Basins?" in pdf
    assert "What does the author say about Sharing the Water?" in pdf
    _, news = questions_for(DATA / "news" / "article_with_furniture.html")
    assert news[0] == "What does the author say about what happens next?"
    _, long_title = questions_for(DATA / "news" / "view_all_posts_by.html")
    assert long_title == ["What is “Why our sourdough starter failed (and how…” about?"]


def test_a_heading_opening_with_a_reads_in_lower_case_and_acronyms_stay():
    from ui.examples import heading_topics

    text = ("A city upended\n\nA NASA team found a city upended by the storm, and the people of the city said the "
            "storm had come without warning.")
    blocks = [[0, 14, "heading", "A city upended"], [16, len(text), "paragraph", "A city upended"]]
    assert heading_topics(Document("d", "Storm", "s", text, blocks=blocks)) == ["a city upended"]
    vitamin = "Vitamin A deficiency\n\nA lack of vitamin a in the diet, and of the deficiency it causes, is common."
    blocks = [[0, 20, "heading", "Vitamin A deficiency"], [22, len(vitamin), "paragraph", "Vitamin A deficiency"]]
    assert heading_topics(Document("d", "Diet", "s", vitamin, blocks=blocks)) == ["vitamin A deficiency"]


def test_the_sample_article_asks_about_its_names_and_its_whole_title():
    _, questions = questions_for(SAMPLE_ARTICLE)
    assert questions[:3] == ["What does the author say about Bagram Airbase?",
                             "What is “Khalilzad on ISKP, TTP, and Pakistan” about?",
                             "What does the author say about Tolo News?"]


def test_capitalised_ordinary_words_and_generic_headings_are_no_topics():
    text = ("Introduction\n\n"
            "On Monday, the talks in Doha resumed after a pause that had lasted most of the winter, and both "
            "delegations said the Qatari mediators had kept the channel open while the fighting went on in the "
            "north.\n\n"
            "Then What happened was simple: the delegations met, and what they agreed was put in writing for the "
            "record, with the Qatari mediators signing as witnesses to what had been agreed that week in Doha.")
    blocks = [[0, 12, "heading", "Introduction"], [14, len(text), "paragraph", "Introduction"]]
    questions = example_questions([Document("d", "Talks", "s", text, blocks=blocks)], limit=10)
    assert questions == ["What does the author say about Doha?", "What is the main argument of “Talks”?",
                         "What does the author say about Qatari?"]


def test_only_questions_the_articles_answer_are_offered():
    document = load_file(SAMPLE_ARTICLE)[0]
    every = example_questions([document], limit=10)
    asked = []

    def answerable(question):
        asked.append(question)
        return question != every[0]  # the first one, say, is declined

    offered = example_questions([document], limit=2, answerable=answerable)
    assert offered == every[1:3] and every[0] not in offered
    assert asked == every[:3], "it stops asking once it has enough"
