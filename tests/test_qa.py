import dataclasses
import functools
import re

import pytest

from qa.answer import answer_to_dict
from qa.evidence import MAX_SENTENCES, RUNNER_UP_SHARE, Evidence, choose, sentence_spans
from qa.pipeline import QAPipeline
from schema import Chunk, UserError


@pytest.fixture
def pipeline(indexed, embedder):
    return QAPipeline(indexed, embedder=embedder)


def assert_checkable(answer, documents):
    """Every marker names a citation, every citation is used, and every quote is the document's exact text."""
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert markers == [c.n for c in answer.citations] == list(range(1, len(markers) + 1))
    for citation in answer.citations:
        assert documents[citation.doc_id].text[citation.start:citation.end] == citation.quote
        assert citation.quote in answer.text


def test_answer_quotes_the_matching_sentences_with_exact_spans(pipeline):
    answer = pipeline.ask("What does the author say about Bagram Airbase negotiations?")
    assert answer.answered
    assert_checkable(answer, pipeline.retriever.store.documents)
    assert any("strategic footprint" in c.quote for c in answer.citations)
    # the sample article names no author, so the lead-in names the article and invents nobody
    assert answer.text.startswith("According to “Khalilzad on ISKP, TTP, and Pakistan”:")


def test_every_answer_word_is_quoted_or_a_fixed_connective(pipeline):
    answer = pipeline.ask("What is Khalilzad attempting to stabilize?")
    remainder = answer.text
    for citation in answer.citations:
        remainder = remainder.replace(f"{citation.quote} [{citation.n}]", "")
    assert remainder.strip() == "According to “Khalilzad on ISKP, TTP, and Pakistan”:"


def test_unrelated_question_is_declined_without_citations(pipeline):
    answer = pipeline.ask("Who won the 2022 FIFA World Cup?")
    assert not answer.answered and answer.citations == []
    assert answer.text.startswith("The indexed articles don't cover this")
    assert answer.hits, "the hits that were considered are still reported"


def test_summary_question_is_answered_from_the_article_lead(pipeline):
    answer = pipeline.ask("What is the purpose of the article?")
    assert answer.answered and "counter-analysis" in answer.text
    assert answer.citations[0].start == 0


def test_empty_and_punctuation_questions_are_user_errors(pipeline):
    for question in ("", "   ", "?!?"):
        with pytest.raises(UserError, match="the question is empty"):
            pipeline.ask(question)


def test_json_contract(pipeline):
    payload = answer_to_dict(pipeline.ask("What does the author say about Bagram?", k=3))
    assert set(payload) >= {"question", "answer", "answered", "citations", "hits"}
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3]
    assert set(payload["citations"][0]) == {"n", "doc_id", "title", "source", "chunk_id", "section", "start", "end",
                                            "quote", "code"}
    assert set(payload["hits"][0]) == {"rank", "chunk_id", "doc_id", "score", "section", "start", "end", "text"}


def test_sentence_spans_split_at_sentence_ends_and_paragraphs():
    text = ("First one. Second “quoted.” Third?\nNew para starts. Dr. Smith met J. Doe in the U.S. Army. Yes. "
            "It points at commit d. HEAD stays. It runs slower (eg. 20 to 30 times) than normal. It came out on "
            "Nov. 1 in print. The talks ended in Dec. Then it rained.")
    sentences = [text[s:e] for s, e, _ in sentence_spans(text)]
    assert sentences == ["First one.", "Second “quoted.”", "Third?", "New para starts.",
                         "Dr. Smith met J. Doe in the U.S. Army.", "Yes.", "It points at commit d.", "HEAD stays.",
                         "It runs slower (eg. 20 to 30 times) than normal.", "It came out on Nov. 1 in print.",
                         "The talks ended in Dec.", "Then it rained."]


def _evidence(start, text, similarity, paragraph=0, doc="d"):
    chunk = Chunk(f"{doc}#0", doc, 0, text, 0, 1000)
    return Evidence(chunk, start, start + len(text), text, paragraph, similarity, similarity)


def test_choose_keeps_likely_runners_up_in_reading_order_and_drops_repeats():
    best = _evidence(100, "The base may be negotiated.", 1.0)
    repeat = _evidence(300, "The base may be negotiated.", 0.9, paragraph=5)
    runner_up = _evidence(10, "Personnel would protect an embassy there.", 0.5)
    unlikely = _evidence(400, "Something else in another paragraph.", RUNNER_UP_SHARE / 2, paragraph=9)
    chosen = choose([best, repeat, runner_up, unlikely])
    assert [e.start for e in chosen] == [10, 100]


def test_choose_quotes_overlapping_likely_sentences_together():
    setup = _evidence(100, "Until now there was no warning. This has been changed.", 1.0)
    resolution = _evidence(132, "This has been changed. It now warns.", 0.8)
    chosen = choose([setup, resolution])
    assert [(e.start, e.text) for e in chosen] == [(100, "Until now there was no warning. This has been changed. "
                                                        "It now warns.")]


def test_a_chosen_sentence_is_quoted_with_the_one_after_it_when_that_one_is_likely_enough():
    from qa.evidence import FOLLOWING_SHARE, with_what_follows
    from schema import Document

    text = ("The media day was moved to the Monday evening. The event was held at SAP Center. Tickets sold out.\n\n"
            "A new paragraph starts here.")
    document = Document(id="d", title="T", source="t.txt", text=text)
    sentences = ["The media day was moved to the Monday evening.", "The event was held at SAP Center.",
                 "Tickets sold out.", "A new paragraph starts here."]
    starts = [text.index(sentence) for sentence in sentences]
    paragraphs = [0, 0, 0, starts[3]]
    shares = [1.0, FOLLOWING_SHARE * 2, FOLLOWING_SHARE / 2, 0.9]
    ranked = [_evidence(start, sentence, share, paragraph)
              for start, sentence, share, paragraph in zip(starts, sentences, shares, paragraphs)]
    quoted = with_what_follows([ranked[0], ranked[3]], ranked, {"d": document})
    assert [e.text for e in quoted] == ["The media day was moved to the Monday evening. The event was held at SAP "
                                        "Center.", "A new paragraph starts here."]
    assert all(text[e.start:e.end] == e.text for e in quoted)
    assert with_what_follows([ranked[1]], ranked, {"d": document}) == [ranked[1]], "an unlikely follower stays out"


def test_a_one_sentence_paragraph_is_quoted_with_the_next_one_but_never_across_a_heading():
    from qa.evidence import with_what_follows
    from schema import Document

    text = "The alert was in effect on Tuesday.\n\nCheorwon was the coldest place.\n\nOutlook\n\nIt warms up."
    document = Document(id="d", title="T", source="t.txt", text=text)
    sentences = ["The alert was in effect on Tuesday.", "Cheorwon was the coldest place.", "It warms up."]
    ranked = [_evidence(text.index(sentence), sentence, score, paragraph=text.index(sentence))
              for sentence, score in zip(sentences, (1.0, 0.5, 0.5))]
    assert [e.text for e in with_what_follows([ranked[0]], ranked, {"d": document})] == [
        "The alert was in effect on Tuesday.\n\nCheorwon was the coldest place."]
    assert with_what_follows([ranked[1]], ranked, {"d": document}) == [ranked[1]], "a heading ends the passage"


def test_a_sentence_that_leans_on_the_quoted_one_is_quoted_with_it():
    from qa.evidence import with_what_follows
    from schema import Document

    text = "He is a fierce questioner. And he gets riled when he fails. He shakes his head. Next topic."
    document = Document(id="d", title="T", source="t.txt", text=text)
    # "He shakes his head." leans on the sentence before: it is a candidate only with it, overlapping the quote
    pieces = ["He is a fierce questioner. And he gets riled when he fails.",
              "And he gets riled when he fails. He shakes his head.", "Next topic."]
    ranked = [_evidence(text.index(piece), piece, score) for piece, score in zip(pieces, (1.0, 0.3, 0.2))]
    assert [e.text for e in with_what_follows([ranked[0]], ranked, {"d": document})] == [
        "He is a fierce questioner. And he gets riled when he fails. He shakes his head."]


def test_a_topic_whose_words_besides_its_names_no_passage_holds_is_uncovered():
    from qa.evidence import uncovered_aspect

    question = "What does the article say about Elizabeth Warren's wealth tax?"
    assert uncovered_aspect(question, ["Sen. Elizabeth Warren accused Bloomberg."]) == "wealth tax"
    assert uncovered_aspect(question, ["Warren would tax fortunes."]) == "", "one of its words is there"
    assert uncovered_aspect("What does it say about Turkey's ban?", ["Turkey blocked it."]) == "", "one word: maybe said"
    assert uncovered_aspect("What does it say about the wealth tax?", ["Nothing here."]) == "", "no name: retrieval's job"
    assert uncovered_aspect("How many contracts were awarded on October 25th?", ["Three, on October 25."]) == ""


def test_focus_drops_the_framing_and_a_sentence_it_leaves_empty():
    from qa.evidence import focus

    assert focus("What does the article say about Bagram?") == "Bagram?"
    assert focus("I still use eqnarray. What does the user's guide say about that?") == "I still use eqnarray."
    assert focus("My header is too small. What does its manual recommend doing about it?") == \
        "My header is too small."
    assert focus("Should I pass [dvips] when I load graphicx? What does the graphics guide advise?") == \
        "Should I pass [dvips] when I load graphicx?"
    assert focus("What does the manual warn about rebasing?") == "rebasing?"
    assert focus("What does the author say?") == "What does the author say?"  # nothing else to ask


def test_choose_quotes_at_most_max_sentences():
    words = "alpha bravo charlie delta echo foxtrot golf hotel india".split()
    ranked = [_evidence(100 * i, f"{word.title()} stands alone here.", 1.0 - i / 100) for i, word in enumerate(words)]
    assert len(choose(ranked)) == MAX_SENTENCES


def test_follow_up_borrows_the_subject_of_the_previous_question():
    from qa.followup import condense_offline
    history = [{"role": "user", "content": "What does the author say about Bagram?"},
               {"role": "assistant", "content": "The author … [1]"}]
    assert condense_offline("Why would the US want personnel there?", history) == \
        "Why would the US want personnel there? (Bagram)"
    assert condense_offline("Who won the 2022 World Cup?", history) == "Who won the 2022 World Cup?"
    assert condense_offline("Why would they want it?", []) == "Why would they want it?"


def test_a_question_naming_its_own_subject_is_not_a_follow_up():
    from qa.followup import condense_offline
    history = [{"role": "user", "content": "Why copy requirements.txt before the code in a Docker image?"}]
    question = "Did the Wikimedia Foundation suggest a VPN while it was blocked?"
    assert condense_offline(question, history) == question


def test_follow_up_retrieves_the_previous_subject(pipeline):
    history = [{"role": "user", "content": "What does the author say about Bagram?"}]
    answer = pipeline.ask("Why would the US want personnel there?", history=history)
    assert answer.query == "Why would the US want personnel there? (Bagram)"
    assert "Bagram" in answer.hits[0].chunk.text


def test_stream_ends_with_the_full_answer(pipeline):
    updates = list(pipeline.ask_stream("What does the author say about Bagram?"))
    assert all(answer is None for _, answer in updates[:-1]) and len(updates) > 3
    text, answer = updates[-1]
    assert answer is not None and text == answer.text
    assert all(answer.text.startswith(partial) for partial, _ in updates)


def test_articles_listing_and_adding(pipeline, tmp_path):
    assert [a.id for a in pipeline.collection.articles()] == ["khalilzad-on-iskp-ttp-and-pakistan"]
    (tmp_path / "new.md").write_text("# New piece\n\nA short new article about river water rights.")
    report = pipeline.collection.add([str(tmp_path / "new.md")])
    assert report.added == ["new"]
    listing = {a.id: a for a in pipeline.collection.articles()}
    assert listing["new"].title == "New piece" and listing["new"].chunks == 1


def test_only_questions_about_the_article_as_a_whole_are_summary_questions():
    from qa.evidence import is_summary_question
    assert all(map(is_summary_question, ["What is the purpose of the article?", "Summarize this piece.",
                                         "What is the article about?", "What is the author's thesis?"]))
    assert not any(map(is_summary_question, ["How do I convert my LaTeX thesis to Word?",
                                             "What purpose does the flag serve?"]))


def test_sentences_split_in_other_scripts_too():
    cyrillic = "Токио — столица Японии. Город основан давно."
    chinese = "北京是中国的首都。上海是最大的城市。"
    assert [cyrillic[s:e] for s, e, _ in sentence_spans(cyrillic)] == ["Токио — столица Японии.", "Город основан давно."]
    assert [chinese[s:e] for s, e, _ in sentence_spans(chinese)] == ["北京是中国的首都。", "上海是最大的城市。"]


def test_a_document_without_blocks_is_cut_into_the_sentences_around_a_chunk():
    from qa.evidence import candidate_sentences
    from schema import Document, Hit
    text = "First paragraph here is long enough to quote.\nThe second one is also long enough to quote. Short."
    document = Document("d", "T", "s", text)  # an index written before blocks existed
    chunk = Chunk("d#1", "d", 1, text[46:], 46, len(text))
    quotes = [e.text for e in candidate_sentences([Hit(chunk, 1.0, 1)], {"d": document})]
    assert quotes == ["The second one is also long enough to quote. Short."]


def markdown_quotes(page: str, tmp_path) -> list[str]:
    """The quotable units of a Markdown page read as one chunk, as an answer sees them."""
    from ingest.loaders import load_file
    from qa.evidence import candidate_sentences
    from schema import Hit

    path = tmp_path / "page.md"
    path.write_text(page)
    document = load_file(path)[0]
    chunk = Chunk("page#0", document.id, 0, document.text, 0, len(document.text))
    return [e.text for e in candidate_sentences([Hit(chunk, 1.0, 1)], {document.id: document})]


def test_a_sentence_ending_in_a_colon_is_quoted_with_the_command_it_introduces_or_not_at_all(tmp_path):
    page = ("# Bisect\n\nAfter marking revisions as good or bad, issue the following command to show the log:\n\n"
            "```\n$ git bisect log\n```\n\nIn this section I will cover:\n\n" + "```\n" + "x = 1\n" * 200 + "```\n")
    quotes = markdown_quotes(page, tmp_path)
    assert "issue the following command to show the log:\n\n$ git bisect log" in quotes[0]
    assert not any(quote.rstrip().endswith(":") for quote in quotes)  # "I will cover:" announces a block too long


def test_a_sentence_introducing_a_list_is_quoted_with_its_items_even_past_its_chunk(tmp_path):
    from ingest.loaders import load_file
    from qa.evidence import candidate_sentences
    from schema import Hit

    items = ["The project must have an existing package-lock.json file.",
             "If the lock does not match package.json, npm ci exits with an error.",
             "It never writes to package.json or any of the package locks."]
    path = tmp_path / "npm-ci.md"
    path.write_text("# npm ci\n\nThe main differences between npm install and npm ci are:\n\n"
                    + "".join(f"- {item}\n" for item in items) + "\nUse it in automated environments.\n")
    document = load_file(path)[0]
    first_item_end = document.text.index(items[0]) + len(items[0])
    chunk = Chunk("npm-ci#0", document.id, 0, document.text[:first_item_end], 0, first_item_end)
    quotes = [e.text for e in candidate_sentences([Hit(chunk, 1.0, 1)], {document.id: document})]
    assert quotes[0].startswith("The main differences between npm install and npm ci are:")
    assert quotes[0].endswith(items[-1]) and all(item in quotes[0] for item in items)
    assert not any("automated" in quote for quote in quotes)


def test_a_quotation_of_several_sentences_is_one_unit_with_who_said_it():
    text = ("“It was a difficult part,” quipped Pitt. “A guy who gets high and doesn’t get on with his wife. It was a "
            "big stretch,” he said to laughter. \"We left. Then we came back,\" she said. “Never closed. Then more.")
    assert [text[s:e] for s, e, _ in sentence_spans(text)] == [
        "“It was a difficult part,” quipped Pitt.",
        "“A guy who gets high and doesn’t get on with his wife. It was a big stretch,” he said to laughter.",
        "\"We left. Then we came back,\" she said.", "“Never closed.", "Then more."]


def test_a_footnote_mark_after_the_full_stop_still_ends_the_sentence():
    text = "The archive was restored.* This latest development matters. It is **done.** Next step."
    assert [text[s:e] for s, e, _ in sentence_spans(text)] == [
        "The archive was restored.*", "This latest development matters.", "It is **done.**", "Next step."]


def test_a_code_block_ending_in_a_colon_is_quoted_whole_and_its_introduction_with_it(tmp_path):
    page = ("# Compose\n\nDeclare the web service in the compose file like this:\n\n```\nservices:\n  web:\n```\n\n"
            "That declares one service, named web, built from the current folder.\n")
    quotes = markdown_quotes(page, tmp_path)
    assert "Declare the web service in the compose file like this:\n\nservices:\n  web:" in quotes
    assert "services:\n  web:" in quotes  # the block alone, whole, not glued to the paragraph after it
    assert "That declares one service, named web, built from the current folder." in quotes


def test_a_sentence_whose_opening_clause_points_back_is_quoted_with_the_one_before(tmp_path):
    page = ("# Bisect run\n\nThe special exit code 125 should be used when the current source code cannot be tested. "
            "If the script exits with this code, the current revision will be skipped. "
            "Any other exit code between 1 and 127, except 125, marks the revision as bad.\n")
    quotes = markdown_quotes(page, tmp_path)
    assert ("The special exit code 125 should be used when the current source code cannot be tested. If the script "
            "exits with this code, the current revision will be skipped.") in quotes
    assert "Any other exit code between 1 and 127, except 125, marks the revision as bad." in quotes


def test_a_name_the_passages_articles_carry_as_site_or_author_counts_as_mentioned():
    from qa.answer import abstention
    from qa.evidence import passage_texts
    from qa.scoring import unmatched_names
    from schema import Document, Hit

    text = "Training a large model uses as much electricity as a small town."
    document = Document("w", "AI can do great things", "w.html", text,
                        metadata={"site": "Wired", "author": "Will Knight"})
    hits = [Hit(Chunk("w#0", "w", 0, text, 0, len(text)), 1.0, 1)]
    asked = "What did the Wired article say about electricity?"
    assert unmatched_names(asked, passage_texts(hits, {"w": document})) == []
    declined_question = "What did Wired say about Tesla's cars?"
    unmentioned = unmatched_names(declined_question, passage_texts(hits, {"w": document}))
    declined = abstention(declined_question, hits, unmentioned=unmentioned)
    assert declined.text.endswith("None of the passages found mentions “Tesla”.")


def test_a_why_question_is_never_answered_with_a_code_listing(tmp_path, embedder):
    from ingest.loaders import load_file
    from qa.evidence import select_evidence
    from schema import Hit

    page = ("# Docker builds\n\nCopy requirements.txt and install it before the rest of the code, like this:\n\n"
            "```\nCOPY requirements.txt /tmp\nRUN pip install -r /tmp/requirements.txt\nCOPY . /tmp/myapp\n```\n\n"
            "That way the installed packages are cached and only rebuilt when the list of packages changes.\n")
    path = tmp_path / "page.md"
    path.write_text(page)
    document = load_file(path)[0]
    hits = [Hit(Chunk("page#0", document.id, 0, document.text, 0, len(document.text)), 1.0, 1)]

    def best(question):
        return select_evidence(question, hits, {document.id: document}, embedder)[0].text

    assert "COPY requirements.txt" in best("How do I copy requirements.txt and install it before the code?")
    assert best("Why copy requirements.txt and install it before the rest of the code?").startswith("That way")


def test_a_line_that_only_repeats_the_question_is_never_its_answer(tmp_path, embedder):
    from ingest.loaders import load_file
    from qa.evidence import select_evidence
    from schema import Hit

    path = tmp_path / "npm-audit.md"
    path.write_text("# npm audit\n\n```\n$ npm audit\n```\n\n"
                    "The audit command asks your registry for a report of known vulnerabilities in your dependencies.\n")
    document = load_file(path)[0]
    hits = [Hit(Chunk("npm-audit#0", document.id, 0, document.text, 0, len(document.text)), 1.0, 1)]
    ranked = select_evidence("What does npm audit do?", hits, {document.id: document}, embedder)
    assert ranked[0].text.startswith("The audit command") and "$ npm audit" not in [e.text for e in ranked]


def test_a_compound_question_is_matched_by_each_question_it_joins(tmp_path, embedder):
    from ingest.loaders import load_file
    from qa.evidence import clauses, score_inputs
    from schema import Hit

    compound = "Does stashing save new files, and if not, how do I make it include them?"
    assert clauses(compound) == ["Does stashing save new files", "how do I make it include them?"]
    assert clauses("Can I edit the vendored files, or how does the manual say to patch them?") == [
        "Can I edit the vendored files", "how does the manual say to patch them?"]
    assert clauses("Which files, and which folders, does it copy?") == [] == clauses("What is a stash?")
    path = tmp_path / "stash.md"
    path.write_text("# Stash\n\nWith --include-untracked, untracked files are stashed too.\n")
    document = load_file(path)[0]
    hits = [Hit(Chunk("stash#0", document.id, 0, document.text, 0, len(document.text)), 1.0, 1)]
    inputs = score_inputs(compound, hits, {document.id: document}, embedder)
    vectors = embedder.embed_documents([compound, *clauses(compound), inputs.candidates[0].text])
    assert inputs.as_asked[0] == pytest.approx(max(vectors[:3] @ vectors[3]), abs=1e-5)


def test_a_question_setting_a_scene_is_matched_by_its_asking_sentence_too(tmp_path, embedder):
    """The scene's words dilute the question's vector: a sentence that answers what it asks is as relevant as it
    is to the asking sentence alone (hold-out: the pipefail sentence, 0.61 to the whole question, was declined)."""
    from ingest.loaders import load_file
    from qa.evidence import score_inputs
    from schema import Hit

    question = ("In my script a pipeline like `failing_cmd | sort` still counts as successful, so errors get lost. "
                "How can I make the pipeline report the failure?")
    path = tmp_path / "bash.md"
    path.write_text("# Pipelines\n\nThe pipeline reports the failure of any command when pipefail is set.\n")
    document = load_file(path)[0]
    hits = [Hit(Chunk("bash#0", document.id, 0, document.text, 0, len(document.text)), 1.0, 1)]
    inputs = score_inputs(question, hits, {document.id: document}, embedder)
    asking = "How can I make the pipeline report the failure?"
    vectors = embedder.embed_documents([question, asking, inputs.candidates[0].text])
    assert vectors[1] @ vectors[2] > vectors[0] @ vectors[2]
    assert inputs.as_asked[0] == pytest.approx(vectors[1] @ vectors[2], abs=1e-5)


def test_what_a_named_person_said_or_their_age_is_answered_by_the_sentence_naming_them(tmp_path, embedder):
    """"What did Satya Nadella say?" shares few words with what he said, and "How old is Prelogar?" none with
    "Prelogar, 43, argues …": the sentence naming them with their words or age is the answer, not a decline; the
    lead-in does not make the writer the speaker."""
    from ingest.loaders import load_file
    from qa.answer import compose
    from qa.evidence import select_evidence
    from schema import Hit

    path = tmp_path / "climate.md"
    path.write_text("# Climate push\n\nThe company set new goals on Thursday. "
                    "Chief Executive Satya Nadella said that corporations need to create profitable solutions. "
                    "Prelogar, 43, argues the government’s cases. The plan includes a fund for new technology.\n")
    document = dataclasses.replace(load_file(path)[0], metadata={"author": "Jane Reporter"})
    hits = [Hit(Chunk("climate#0", document.id, 0, document.text, 0, len(document.text)), 1.0, 1)]
    documents = {document.id: document}
    for question, expected in [("What did Satya Nadella say?", "Satya Nadella said"),
                               ("How old is Prelogar?", "Prelogar, 43,")]:
        best = select_evidence(question, hits, documents, embedder)[0]
        assert expected in best.text and best.relevance >= 1.0
    assert select_evidence("What did Satya Nadella say about Bagram?", hits, documents, embedder)[0].relevance < 1.0
    from qa.evidence import _person_told
    for question, text in [("What did May say?", "In May, the finance minister said spending would grow."),
                           ("What did Nadella say?", "Nadella's critics said it was too little."),
                           ("What did Satya Nadella say?", "“It is a scam,” said Trump, who met Nadella on Friday."),
                           ("How old is Ann Smith?", "Bob Smith, 43, argued the case."),
                           ("How old is Ann Smith?", "Smith, chapter 3, page 4")]:
        assert not _person_told(question, text), "someone else speaks, or is that age"
    assert _person_told("What did Nadella say?", "“We must act,” said Nadella.")
    best = select_evidence("What did Satya Nadella say?", hits, documents, embedder)[:1]
    assert compose("What did Satya Nadella say?", best, documents, hits).text.startswith("According to “Climate push”")
    assert compose("What does the author say?", best, documents, hits).text.startswith("Jane Reporter, the author")
    assert compose("Who says corporations need solutions?", best, documents, hits).text.startswith("According to")
    assert compose("Who does the author blame?", best, documents, hits).text.startswith("Jane Reporter, the author")


def test_a_question_naming_its_document_is_answered_from_that_document():
    from qa.evidence import named_documents
    from schema import Document

    docs = {"grfguide": Document("grfguide", "Packages in the `graphics' bundle", "s", "t"),
            "geometry": Document("geometry", "The geometry package", "s", "t"),
            "booktabs": Document("booktabs", "Publication quality tables in LaTeX", "s", "t"),
            "gitfaq": Document("gitfaq", "gitfaq(7) Manual Page", "s", "t"),
            "git-pull": Document("git-pull", "git-pull(1) Manual Page", "s", "t")}
    assert named_documents("Should I pass [dvips] to graphicx? What does the graphics guide advise?",
                            {"grfguide", "geometry"}, docs) == {"grfguide"}
    assert named_documents("What does the booktabs documentation say about vertical lines?",
                            {"booktabs", "geometry"}, docs) == {"booktabs"}  # by its file name
    assert named_documents("What do the Git docs say about hooks?", {"gitfaq", "git-pull"}, docs) == set()
    manuals = {"R-FAQ": Document("R-FAQ", "R FAQ", "s", "t"),
               "R-admin": Document("R-admin", "R Installation and Administration", "s", "t"),
               "R-data": Document("R-data", "R Data Import/Export", "s", "t")}
    assert named_documents("Loading a table is slow. What does the R FAQ suggest?", manuals, manuals) == {"R-FAQ"}
    assert named_documents("What does the R installation and administration manual recommend?", manuals,
                           manuals) == {"R-admin"}
    assert named_documents("What does the article say about tables?", {"booktabs", "geometry"}, docs) == set()


def test_a_question_naming_its_document_searches_it_for_what_follows_the_framing(settings, embedder, tmp_path):
    """The framing's words are the filter: searched for too, they would rank first the passage that names the
    document most, not the one on the question's topic."""
    from index.build import update_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "booktabs.md").write_text(
        "# Booktabs\n\nThe booktabs documentation says what the booktabs documentation is for.\n\n"
        + "Filler words keep these passages apart. " * 60
        + "\n\nYou should not use vertical rules in tables, end of story.\n")
    (folder / "geometry.md").write_text("# Geometry\n\nVertical rules in tables are drawn by the array package.\n")
    update_index([str(folder)], settings, embedder, progress=False)
    pipeline = QAPipeline(settings, embedder=embedder)
    hits = pipeline.search("What does the booktabs documentation say about vertical rules in tables?", 5, "bm25")
    assert {hit.chunk.doc_id for hit in hits} == {"booktabs"}
    assert "vertical rules" in hits[0].chunk.text


def test_a_subject_a_title_names_must_be_in_the_quoted_passages():
    """"How much slower is Lackey?" answered with DRD's slowdown is an answer about another tool."""
    from qa.scoring import folded_titles, unmatched_names, unquoted_subjects

    titles = folded_titles(["8. DRD: a thread error detector", "9. Lackey: an example tool", "Super_Bowl_50"])
    asked = "Roughly how much slower does a program run under Lackey than normally?"
    drd = ["Most applications will run between 20 and 50 times slower under DRD.", "8. DRD: a thread error detector"]
    assert unquoted_subjects(asked, drd, titles, in_collection=lambda word: True) == ["Lackey"]
    lackey = ["Lackey's programs run about 200 times slower.", "9. Lackey: an example tool"]
    assert unquoted_subjects(asked, lackey, titles, in_collection=lambda word: True) == []
    # a name no title carries is left to the passages found ("British" for a page saying "UK")
    assert unquoted_subjects("How many British staff are on fixed-term contracts?", drd, titles,
                             in_collection=lambda word: True) == []
    assert unquoted_subjects("Who won the Super Bowl?", ["The Broncos won."], titles, lambda word: True) == [
        "Super Bowl"]  # a title's words whatever joins them


def test_a_name_the_passages_write_as_its_initials_is_mentioned():
    from qa.scoring import unmatched_names

    asked = "Up to what age do students in the United Kingdom attend preparatory schools?"
    assert unmatched_names(asked, ["Preparatory schools in the UK prepare pupils aged up to 13."]) == []
    assert unmatched_names(asked, ["Schools in the U.K. prepare pupils aged up to 13."]) == []
    assert unmatched_names(asked, ["Schools in UKIP leaflets prepare pupils aged up to 13."]) == ["United Kingdom"]
    assert unmatched_names("When does Apple Music open?", ["The store opens at 10 AM."]) == ["Apple Music"]


def test_a_list_quote_too_long_for_all_its_items_ends_with_a_whole_item(tmp_path, monkeypatch):
    import ingest.units

    monkeypatch.setattr(ingest.units, "MAX_LIST_QUOTE_CHARS", 200)
    items = ["Run the tests first.", "Then build the package. It takes a few minutes on a slow machine, longer "
             "when the caches are cold and every dependency has to be compiled again from its sources."]
    quotes = markdown_quotes("# Release\n\nBefore a release, do the following:\n\n"
                             + "".join(f"- {item}\n" for item in items), tmp_path)
    assert quotes[0] == "Before a release, do the following:\n\nRun the tests first."


def test_the_lead_in_names_one_author_or_several_in_the_right_number():
    from qa.answer import _lead_in
    from schema import Document

    def lead_in(author: str) -> str:
        return _lead_in("What does the author say?", Document(id="x", title="T", text="t", source="s",
                                                              metadata={"author": author}))

    assert lead_in("Ann Lee") == "Ann Lee, the author of “T”, writes:"
    assert lead_in("Martin Luther King, Jr.") == "Martin Luther King, Jr., the author of “T”, writes:"
    assert lead_in("Ann Lee; Bo Wu") == "Ann Lee and Bo Wu, the authors of “T”, write:"
    assert lead_in("Dana Ford, Tom Watkins and Bo Wu") == "Dana Ford, Tom Watkins and Bo Wu, the authors of “T”, write:"
    assert lead_in("AFP") == lead_in("The Associated Press") == lead_in("Reuters Staff") == lead_in(
        "AFP and Reuters") == lead_in("Agence France-Presse (AFP)") == "According to “T”:", "no agency writes"
    assert lead_in("Ann Lee; AFP") == "Ann Lee and AFP, the authors of “T”, write:"


def test_every_lead_in_is_read_back_as_one_by_the_chat_and_the_evaluation():
    import re

    from evaluation.metrics import answer_body
    from qa.answer import _lead_in, lead_in_pattern
    from schema import Document

    for author in ("", "Ann Lee", "Martin Luther King, Jr.", "Ann Lee; Bo Wu"):
        document = Document(id="x", title="Tesla [2]", text="t", source="s", metadata={"author": author})
        lead_in = _lead_in("What does the author say?", document)
        answer = f"{lead_in} Tesla was born in 1856. [1] {lead_in} He died in 1943. [2]"
        assert re.match(lead_in_pattern(), answer) and re.match(lead_in_pattern("Tesla [2]"), answer)
        assert answer_body({"answer": answer, "citations": [{"title": "Tesla [2]"}]}).split() == [
            "Tesla", "was", "born", "in", "1856.", "[1]", "He", "died", "in", "1943.", "[2]"]


def test_a_follow_up_never_quotes_again_what_the_answer_before_it_quoted(pipeline):
    first = pipeline.ask("What does the author say about Bagram?")
    chat = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    for follow_up in ("Why?", "What else does he say about it?"):
        answer = pipeline.ask(follow_up, history=chat)
        assert first.citations and not {c.quote for c in answer.citations} & {c.quote for c in first.citations}
        assert_checkable(answer, pipeline.retriever.store.documents)
    everything = [{"role": "user", "content": first.question},
                  {"role": "assistant", "content": next(iter(pipeline.retriever.store.documents.values())).text}]
    assert pipeline.ask("Why?", history=everything).text == \
        "The indexed articles say no more about this than the answer above."


def test_a_follow_up_whose_quotes_are_mostly_the_answer_before_is_answered_past_it():
    from types import SimpleNamespace

    from qa.pipeline import _answered_again

    said = "According to “Logging HOWTO”: The default level is  WARNING. [1] Use basicConfig. [2]"
    chat = [{"role": "user", "content": "What is the default logging level?"}, {"role": "assistant", "content": said}]
    quoting = lambda *texts: SimpleNamespace(settled=None, quotes=[SimpleNamespace(text=t) for t in texts])  # noqa: E731
    again = quoting("The default level is WARNING.", "Use basicConfig.", "Call setLevel().")
    assert _answered_again(again, "how do I change it?", chat) == " ".join(said.split())
    assert _answered_again(quoting("The default level is WARNING.", "Call setLevel()."), "how do I change it?",
                           chat) == ""  # half of it new: an answer of its own
    assert _answered_again(again, "Who said that?", chat) == ""  # the sentence quoted before may well say who


def test_a_follow_up_answered_past_the_answer_before_is_searched_once(pipeline, monkeypatch):
    first = pipeline.ask("What does the author say about Bagram?")
    chat = [{"role": "user", "content": first.question}, {"role": "assistant", "content": "Something else."}]
    repeated = pipeline.ask("What could resolve its future?", history=chat)
    assert repeated.citations  # its quotes, asked after another answer
    searches = []
    search = pipeline.search
    monkeypatch.setattr(pipeline, "search", lambda *args, **kw: searches.append(args) or search(*args, **kw))
    chat[-1]["content"] = repeated.text  # now the answer before quoted just that
    past = pipeline.ask("What could resolve its future?", history=chat)
    assert past.text == "The indexed articles say no more about this than the answer above."
    assert len(searches) == 1  # judged again against the answer before, not searched again


def test_a_question_naming_no_subject_that_finds_nothing_alone_is_asked_of_the_chats_subject(settings, embedder,
                                                                                               tmp_path):
    from index.build import update_index
    from qa.followup import with_previous_subject

    (tmp_path / "fast.txt").write_text(
        "Telescope opens\n\nThe FAST telescope in Guizhou found more than 100 pulsars during testing. Observation "
        "time will be open to astronomers worldwide.\n\n“We do not see any roadblocks,” says Di Li, the chief "
        "scientist of FAST.")
    (tmp_path / "border.txt").write_text("Border\n\nTrade across the border fell after the attacks.")
    update_index([str(tmp_path / "fast.txt"), str(tmp_path / "border.txt")], settings, embedder, progress=False)
    pipeline = QAPipeline(settings, embedder=embedder)
    first = pipeline.ask("How many pulsars did the FAST telescope find?")
    chat = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    assert not pipeline.ask("Who is in charge?").answered  # alone it names nothing to search for
    assert with_previous_subject("Who is in charge?", chat) == "Who is in charge? (FAST)"
    assert with_previous_subject("Who runs the Border agency?", chat) == "Who runs the Border agency?", "its own"
    searches = []
    search = pipeline.search
    pipeline.search = lambda *args, **kw: searches.append(args[0]) or search(*args, **kw)
    again = pipeline.ask("Who is in charge?", history=chat)
    # asked of the chat's subject, but no sentence about FAST says who is in charge: still declined
    assert searches == ["Who is in charge?", "Who is in charge? (FAST)"] and not again.answered


def test_a_question_that_stands_alone_is_never_answered_past_the_answer_before(pipeline):
    """Only a follow-up is: a long question searched for its asking part, or one asked "by default" in other words,
    is no follow-up, however much its query differs from it."""
    question = ("I am writing a report for my class on the situation in the region and I have read several "
                "articles already, but I keep getting confused by the names, groups and dates they mention. ") * 4 \
        + "What did Khalilzad say about the Taliban?"
    first = pipeline.ask(question)
    assert first.query != question and first.citations  # searched for its asking part
    chat = [{"role": "user", "content": question}, {"role": "assistant", "content": first.text}]
    assert pipeline.ask(question, history=chat).text == first.text


def test_what_else_after_an_answer_quotes_more_of_its_article_even_after_a_declined_why(pipeline):
    first = pipeline.ask("What does the author say about Bagram?")
    chat = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text},
            {"role": "user", "content": "Why?"},
            {"role": "assistant", "content": "The indexed articles say no more about this than the answer above."}]
    more = pipeline.ask("What else does it say about that?", history=chat)
    assert more.answered and more.citations
    assert {c.doc_id for c in more.citations} <= {c.doc_id for c in first.citations}, "the same article"
    assert not {c.quote for c in more.citations} & {c.quote for c in first.citations}, "nothing quoted twice"


def test_what_else_quotes_more_of_the_article_however_little_its_carried_subject_says(pipeline):
    """"What else?" after "Who was the MVP?" carries "MVP", which no sentence is near: it was declined outright."""
    article = next(iter(pipeline.retriever.store.documents.values()))
    said = f"According to “{article.title}”: {article.text.split('. ')[3]}. [1]"
    more = pipeline.ask("What else?", history=[{"role": "user", "content": "Who was the MVP?"},
                                               {"role": "assistant", "content": said}])
    assert more.query == "What else? (MVP)" and more.answered
    assert {c.doc_id for c in more.citations} == {article.id} and not any(c.quote in said for c in more.citations)


def test_only_a_follow_up_that_asks_past_the_answer_leaves_its_quotes_out():
    from qa.pipeline import _followed_answer

    chat = [{"role": "user", "content": "Why was Wikipedia blocked in Turkey?"},
            {"role": "assistant", "content": "It lifted the  two and a half year block. [1]"}]
    for question in ("Why?", "What else does it say?", "Tell me more."):
        assert _followed_answer(question, f"{question} (Wikipedia Turkey)", chat) == \
            "It lifted the two and a half year block. [1]"
    assert _followed_answer("How long was it blocked?", "How long was it blocked? (Wikipedia Turkey)", chat) == "", \
        "a question of its own may be answered by a sentence quoted before"
    assert _followed_answer("Why?", "Why?", []) == ""
    assert _followed_answer("Where else was it banned?", "Where else was it banned? (Turkey)", chat) == ""
    assert _followed_answer("Anything more?", "Anything more? (Wikipedia Turkey)", chat) != ""
    assert _followed_answer("When did he say it?", "When did he say it? (Gates)", chat) == "", \
        "asks a time, which the sentence quoted before may give"



def test_what_is_x_quotes_the_sentence_saying_what_x_is(tmp_path, embedder):
    """"What is Massif?" got sentences saying much of Massif and never what it is; the passage defining it, further
    down the ranking, takes the last place and its definition is quoted first."""
    from qa.evidence import defining
    from settings import Settings

    assert defining("What is Massif?").match("Massif is a heap profiler.")
    assert defining("What is a zero-sized type?").match("Zero-sized types are a curiosity of Rust's layout.")
    assert defining("What is t-SNE?").match("T-distributed Stochastic Neighbor Embedding (t-SNE) is a method.")
    assert not defining("What is Helgrind?").match("Helgrind is aware of the pthread abstractions.")
    assert defining("What is the capital of France and why?") is None, "more than a term"
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "massif.txt").write_text("Massif\n\nMassif is a heap profiler. It measures heap memory.\n")
    usage = " ".join(f"Massif option {n} changes how Massif samples the heap in Massif runs." for n in range(6))
    for n in range(4):
        (folder / f"options-{n}.txt").write_text(f"Massif options {n}\n\n{usage}\n")
    settings = Settings(index_dir=tmp_path / "index", articles_dir=folder, embed_model="hashing")
    pipeline = QAPipeline(settings, embedder=embedder)
    pipeline.collection.add([str(folder)])
    answer = pipeline.ask("What is Massif?", k=2)
    assert answer.citations[0].quote.startswith("Massif is a heap profiler.")


def test_a_sentence_of_an_options_description_answers_for_that_option_not_for_one_named_alike(tmp_path, embedder):
    from ingest.loaders import load_file
    from qa.evidence import defined_term, select_evidence
    from schema import Hit

    def option(name: str, *paragraphs: str) -> str:
        return f"<dt><code>{name}</code> (<code>integer</code>)</dt><dd>" + "".join(
            f"<p>{p}</p>" for p in paragraphs) + "</dd>"

    path = tmp_path / "runtime-config-resource.html"
    path.write_text("<html><head><title>20.4. Resource Consumption</title></head><body><article>"
                    "<h1>20.4. Resource Consumption</h1><h2>20.4.1. Memory</h2><dl>"
                    + option("work_mem", "Sets the base maximum amount of memory to be used by a query operation "
                             "before writing to temporary disk files. The default value is four megabytes (4MB).",
                             "Sort operations are used for ORDER BY, DISTINCT, and merge joins.")
                    + option("maintenance_work_mem", "Specifies the maximum amount of memory to be used by "
                             "maintenance operations, such as VACUUM. The default value of maintenance_work_mem "
                             "is 64 megabytes (64MB).")
                    + "</dl></article></body></html>")
    document = load_file(path)[0]
    text = document.text
    assert defined_term(document, text.index("The default value is four")) == "work_mem (integer)"
    assert defined_term(document, text.index("Sort operations")) == "work_mem (integer)"
    assert defined_term(document, text.index("20.4.1")) == ""
    hits = [Hit(Chunk("r#0", document.id, 0, text, 0, len(text)), 1.0, 1)]
    best = select_evidence("What is the default value of work_mem?", hits, {document.id: document}, embedder)[0]
    assert defined_term(document, best.start) == "work_mem (integer)"


def test_a_quote_from_an_options_description_starts_at_its_term_and_never_runs_on_into_the_next_option(tmp_path):
    from ingest.loaders import load_file
    from qa.evidence import with_their_terms, with_what_follows

    path = tmp_path / "git-config.html"
    path.write_text("<html><head><title>git-config</title></head><body><article><h1>git-config</h1><dl>"
                    "<dt><code>gc.autoPackLimit</code></dt><dd><p>When there are more than this many packs that are "
                    "not marked with a keep file in the repository, git gc --auto consolidates them into one larger "
                    "pack. The default value is 50.</p></dd>"
                    "<dt><code>gc.autoDetach</code></dt><dd><p>Make git gc --auto return immediately and run in the "
                    "background if the system supports it. Default is true.</p></dd></dl></article></body></html>")
    document = load_file(path)[0]
    text, documents, evidence = document.text, {document.id: document}, functools.partial(sentence_of, document)

    default = evidence("The default value is 50.", 1.0)
    quoted = with_their_terms([default], documents)
    assert [q.text for q in quoted] == [text[text.index("gc.autoPackLimit"):default.end]]
    # the next option's opening is likely enough to follow on, but it is about another option
    following = evidence(text[text.index("gc.autoDetach"):text.index(" Default is true")], 0.9)
    assert with_what_follows([default], [default, following], documents) == [default]


def test_the_default_an_option_states_is_quoted_when_the_likelier_sentences_state_none(tmp_path):
    from ingest.loaders import load_file
    from qa.evidence import stated_default, with_default_quoted

    path = tmp_path / "runtime-config-resource.html"
    path.write_text("<html><head><title>20.4. Resource Consumption</title></head><body><article>"
                    "<h1>20.4. Resource Consumption</h1><dl><dt><code>shared_buffers</code> (<code>integer</code>)</dt>"
                    "<dd><p>Sets the amount of memory the server uses for shared memory buffers. The default is "
                    "typically 128 megabytes (128MB).</p><p>A reasonable starting value for shared_buffers is 25% of "
                    "the memory in your system. Larger settings for shared_buffers usually require a larger "
                    "max_wal_size.</p></dd></dl><p>Other options follow below, each with its own description.</p>"
                    "</article></body></html>")
    document = load_file(path)[0]
    text, evidence = document.text, functools.partial(sentence_of, document)

    advice = [evidence("A reasonable starting value for shared_buffers is 25% of the memory in your system.", 1.0),
              evidence("Larger settings for shared_buffers usually require a larger max_wal_size.", 0.6),
              evidence("Other options follow below, each with its own description.", 0.3)]
    default = evidence("The default is typically 128 megabytes (128MB).", 0.1)
    question = "What is the default value of shared_buffers?"
    assert stated_default(question, advice + [default], {document.id: document}) == default
    assert stated_default("What is the default value of work_mem?", advice + [default], {document.id: document}) is None
    assert with_default_quoted(advice, default) == [default, advice[0], advice[1]]


def test_a_default_stated_under_a_heading_naming_what_is_asked_is_quoted(tmp_path):
    from ingest.loaders import load_file
    from qa.evidence import stated_default

    path = tmp_path / "sciposter.html"
    path.write_text("<html><head><title>sciposter</title></head><body><article><h1>sciposter</h1>"
                    "<h2>6.1 Paper-size options</h2><p>The class offers every ISO A size from a0 to a3 for posters. "
                    "Defaults are a0 and portrait.</p><h2>Colours</h2><p>The default colour of the section boxes is "
                    "a light grey, which the commands below change.</p></article></body></html>")
    document = load_file(path)[0]
    text, evidence = document.text, functools.partial(sentence_of, document)

    colours = evidence("The default colour of the section boxes is a light grey, which the commands below change.", 1)
    paper = evidence("Defaults are a0 and portrait.", 0.1)
    assert stated_default("What is the default paper size?", [colours, paper], {document.id: document}) == paper
    assert stated_default("What is the default font size?", [paper], {document.id: document}) is None


def sentence_of(document, sentence: str, score: float):
    """The Evidence of a sentence of the document (one chunk of it all), in its block's paragraph, with a score."""
    from qa.evidence import Evidence

    chunk = Chunk(f"{document.id}#0", document.id, 0, document.text, 0, len(document.text))
    start = document.text.index(sentence)
    paragraph = next(block[0] for block in document.blocks if block[0] <= start < block[1])
    return Evidence(chunk, start, start + len(sentence), sentence, paragraph, score=score)
