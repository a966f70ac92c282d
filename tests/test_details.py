"""Questions about an article itself (who wrote it, when, where it appeared) are answered from its page's details."""
import pytest

from index.build import update_index
from qa.details import asked_detail
from qa.pipeline import QAPipeline
from ui.render import sources_html


@pytest.fixture
def pipeline(settings, embedder, corpus):
    update_index([str(corpus)], settings, embedder, progress=False)
    return QAPipeline(settings, embedder=embedder)


@pytest.mark.parametrize("question, asked", [
    ("Who wrote the article about the cold wave in Korea?", ("author", "the cold wave in Korea", "")),
    ("Who is the author of the piece on Prelogar?", ("author", "Prelogar", "")),
    ("Who's the author of the Guardian column on academics?", ("author", "academics", "Guardian")),
    ("Who wrote the KBS article?", ("author", "", "KBS")),
    ("Who wrote it?", ("author", "", "")),
    ("When was the article about Tesla published?", ("date", "Tesla", "")),
    ("When did the Guardian piece on academics come out?", ("date", "academics", "Guardian")),
    ("What is the publication date of this article?", ("date", "", "")),
    ("Which site published the story about the robot hand?", ("site", "the robot hand", "")),
    ("Who is the author of the Grayzone investigation?", ("author", "", "Grayzone")),
    ("Who is the author? (DiEM25 plan)", ("author", "DiEM25 plan", "")),  # a follow-up, its subject carried
    ("Who wrote the fancyhdr manual?", ("author", "", "fancyhdr")),
    ("Who is the author of the booktabs documentation?", ("author", "", "booktabs")),
    ("Who reported the story about masks stolen from a hospital?", ("author", "masks stolen from a hospital", "")),
    ("Who wrote the analysis of the Supreme Court sparring?", ("author", "the Supreme Court sparring", "")),
    ("Who wrote TIME's piece on James Hansen?", ("author", "James Hansen", "TIME")),
    ("When was Reuters' story about the SAG awards published?", ("date", "the SAG awards", "Reuters")),
])
def test_a_question_about_an_article_itself_says_which_detail_and_which_article(question, asked):
    found = asked_detail(question)
    assert (found.detail, found.topic, found.naming) == asked


@pytest.mark.parametrize("question", [
    "Who wrote the Declaration of Independence?",
    "Who wrote the letter the article mentions?",  # asks about what the article says
    "Who is the author of the book?",
    "What publication published an article about Tesla in 1912?",  # some article the text cites
    "When was it released?",  # a product, a film: not the article
    "Who was the reporter who broke the story?",
    "Who reported it?",  # "it" may be the event
    "Who wrote the report?",  # a report the text cites
    "Who wrote Tolstoy's novel?",  # no article
    "Who wrote his story?",  # whose, the text says
])
def test_a_question_about_what_an_article_says_is_no_question_about_its_details(question):
    assert asked_detail(question) is None


def test_a_possessive_names_an_article_only_when_a_document_is_by_that_name(pipeline):
    assert asked_detail("Who wrote Khalilzad's piece?").possessive and not asked_detail("Who wrote it?").possessive
    by_the_site = pipeline.ask("Who wrote Rivers' article about the dam?")  # a document of that name
    assert by_the_site.text.startswith("According to its page, “Rivers” is by Ann Lee")
    someone = pipeline.ask("Who wrote Farmers' post about the water?")  # a post the text tells of, not Rivers
    assert not someone.text.startswith("According to its page")


def test_when_was_it_published_after_an_answer_asks_of_the_article_it_quoted(pipeline):
    first = pipeline.ask("What do the farmers along the river want?")
    assert "“Rivers”" in first.text
    chat = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    answer = pipeline.ask("When was it published?", history=chat)
    assert answer.text == "According to its page, “Rivers” was published on 2021-03-04 (by Ann Lee)."
    # the article quoted, whatever words the follow-up carries over ("trade across the border" is Border's)
    chat = [{"role": "user", "content": "What about trade across the border?"},
            {"role": "assistant", "content": "According to “Rivers”: The river dam holds water for the valley. [1]"}]
    assert pipeline.ask("Who wrote it?", history=chat).text.startswith("According to its page, “Rivers” is by Ann Lee")
    assert "“Rivers”" in pipeline.ask("What is this article about?", history=chat).text


def test_who_wrote_an_article_is_answered_from_its_byline_and_shown_with_its_details(pipeline):
    answer = pipeline.ask("Who wrote the article about the river dam?")
    assert (answer.answered, answer.text) == (True, "According to its page, “Rivers” is by Ann Lee (2021-03-04).")
    assert {hit.chunk.doc_id for hit in answer.hits} == {"rivers"} and answer.citations == []
    turn = type("Turn", (), {"question": answer.question, "answer": answer, "error": "", "stopped": False})
    shown = sources_html([turn], pipeline.retriever.store.documents)
    assert "Rivers" in shown and "Ann Lee · 2021-03-04" in shown and "no passage is quoted" in shown


def test_an_article_without_a_byline_names_no_author_and_one_without_a_date_is_answered_from_its_text(pipeline):
    no_author = pipeline.ask("Who wrote the article about trade across the border?")
    assert (no_author.answered, no_author.text) == (True, "“Border” names no author on its page.")
    no_date = pipeline.ask("When was the article about trade across the border published?")
    assert not no_date.text.startswith("According to its page")


def test_which_article_is_asked_back_unless_one_is_chosen_or_the_chat_is_about_one(pipeline):
    assert pipeline.ask("Who wrote the article?").text.startswith("Which article do you mean?")
    assert "is by Ann Lee" in pipeline.ask("Who wrote the article?", doc_ids={"rivers"}).text
    history = [{"role": "user", "content": "What do the farmers along the river want?"},
               {"role": "assistant", "content": "According to “Rivers”: Farmers along the river want a share."}]
    assert pipeline.ask("When was it published?", history=history).text == (
        "According to its page, “Rivers” was published on 2021-03-04 (by Ann Lee).")
    assert "“Rivers” is by Ann Lee" in pipeline.ask("Who wrote the article?", history=history).text


def test_an_article_named_by_its_title_or_site_is_the_one_whose_byline_is_given(pipeline):
    assert "“Rivers” is by Ann Lee" in pipeline.ask("Who wrote the Rivers article?").text
    assert pipeline.ask("Who wrote the Border piece?").text == "“Border” names no author on its page."


def test_an_article_nobody_indexed_is_not_given_a_byline(pipeline):
    answer = pipeline.ask("Who wrote the article about bitcoin mining in Iceland?")
    assert not answer.answered and "According to its page" not in answer.text
