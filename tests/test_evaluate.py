"""Evaluation: metrics on tiny hand-made cases with known answers, the three dataset readers, the eval command."""
import json
import math
from dataclasses import replace

import pytest

from evaluation.datasets import WHOLE, Question, Span, read_dataset
from evaluation.gold import evidence_documents, gold_units, id_from_source, texts_from_hits
from evaluation.metrics import (abstention_curve, answer_body, best_threshold, contains_answer, found_at,
                                matched_units, ndcg_at, normalize_answer, recall_at, reciprocal_rank, score_question,
                                summarize)
from evaluation.records import JudgedAnswer, JudgedCitation, Report, Row, Run
from evaluation.report import report_markdown
from evaluation.run import by_document
from helpers import SAMPLE_ARTICLE, SEED_DEV, cli_process
from schema import UserError


def item(doc_id, start=0, end=10, rank=1, score=1.0):
    return {"doc_id": doc_id, "start": start, "end": end, "rank": rank, "score": score, "chunk_id": f"{doc_id}#0"}


# -- metrics -----------------------------------------------------------------------------------------------

def test_squad_normalisation_and_whole_word_containment():
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert contains_answer("They beat the Denver Broncos, 24-10.", ["Denver Broncos"])
    assert not contains_answer("because of it", ["US"]), "a word inside another word is not the answer"
    assert contains_answer("the US wants it", ["the U.S", "US"])
    assert not contains_answer("anything", ["", "!"]), "an answer that normalises to nothing matches nothing"


def test_punctuation_separates_words_in_answers():
    assert normalize_answer("raises subprocess.CalledProcessError!") == "raises subprocess calledprocesserror"
    assert contains_answer("It raises subprocess.CalledProcessError.", ["CalledProcessError"])
    assert contains_answer("Mann calls it “misguided policy advocacy.”", ["misguided policy advocacy"])
    assert contains_answer("l’État, «c’est moi»", ["c'est moi"]), "a typographic apostrophe is an apostrophe"
    assert not contains_answer("It raises CalledProcessErrors.", ["CalledProcessError"])
    assert contains_answer("set gc.pruneExpire to 2.weeks.ago", ["2.weeks.ago"])
    assert contains_answer("default is 2 weeks ago", ["2.weeks.ago"]), "both sides normalise alike"
    assert contains_answer("about 1,000 people", ["1,000"]) and contains_answer("in the U.S. today", ["U.S."])
    assert contains_answer("a 30-year-old man", ["30"]), "a hyphen no longer glues the number to the word"


def test_ranking_metrics_on_a_known_ranking():
    gold = ((Span("a", 100, 120),), (Span("b", 0, 5), Span("c", 50, 60)))
    ranked = [item("a", 0, 50), item("a", 90, 110), item("a", 110, 200), item("c", 40, 55)]
    matched = matched_units(ranked, gold)
    assert matched == [set(), {0}, {0}, {1}]
    ranks = found_at(matched)
    assert ranks == [2, 4], "rank 3 finds unit 0 again: no new gold"
    assert [recall_at(ranks, 2, k) for k in (1, 2, 3, 4)] == [0.0, 0.5, 0.5, 1.0]
    assert reciprocal_rank(ranks, 10) == 0.5 and reciprocal_rank(ranks, 1) == 0.0
    # gains at ranks 2 and 4; ideal gains at ranks 1 and 2
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranks, 2, 10) == pytest.approx(expected) == pytest.approx(0.650921, abs=1e-6)
    assert ndcg_at([1], 1, 10) == 1.0 and ndcg_at([2], 3, 1) == 0.0 and ndcg_at([], 1, 10) == 0.0


def test_a_whole_document_gold_unit_matches_any_chunk_of_it():
    gold = ((Span("d1", 0, WHOLE),),)
    assert matched_units([item("d1", 5000, 6000), item("d2")], gold) == [{0}, set()]


def test_chunks_collapse_to_documents_at_their_best_score():
    hits = [item("x", rank=1, score=0.9), item("y", rank=2, score=0.8), item("x", rank=3, score=0.7)]
    assert [(h["doc_id"], h["rank"], h["score"]) for h in by_document(hits)] == [("x", 1, 0.9), ("y", 2, 0.8)]


def test_evidence_is_located_in_its_article_only_every_occurrence_counting():
    texts = [("a", 0, "one two one"), ("b", 0, "one")]
    assert gold_units(Question("q", "?", evidence=("one",), doc_id="a"), texts) == (
        (Span("a", 0, 3), Span("a", 8, 11)),)
    assert len(gold_units(Question("q", "?", evidence=("one",)), texts)[0]) == 3
    assert gold_units(Question("q", "?", evidence=("zzz",)), texts) == ((),)
    given = ((Span("a", 1, 2),),)
    assert gold_units(Question("q", "?", evidence=("one",), gold=given), texts) == given


@pytest.mark.parametrize("text, evidence, expected", [
    ("- --prune=<date>\n\n-\n\nPrune old objects (default is 2 weeks ago,\n\noverridable).",
     "Prune old objects (default is 2 weeks ago, overridable).",
     "Prune old objects (default is 2 weeks ago,\n\noverridable)."),
    ("Options:\nhidelinks\nHide links (removing color).", "hidelinks Hide links (removing color).",
     "hidelinks\nHide links (removing color)."),
    ("x --prune=<date>Prune them.", "--prune=<date> Prune them.", "--prune=<date>Prune them."),
    ("The ﬁrst ﬂoor’s “lobby”\u00a0is  open.", "The first floor's \"lobby\" is open.",
     "The ﬁrst ﬂoor’s “lobby”\u00a0is  open."),
    ("Soft\u00adware is fine.", "Software is ﬁne.", "Soft\u00adware is fine."),
    ("Options¶ Use --all.", "Options Use --all.", "Options¶ Use --all."),
    ("any set-\ntings of the font", "any settings of the font", "any set-\ntings of the font"),
    ("a well-\nknown rule", "a well-known rule", "a well-\nknown rule"),
])
def test_evidence_is_located_whitespace_and_typography_insensitively_at_exact_offsets(text, evidence, expected):
    document = "Intro.\n\n" + text + "\n\nOutro."
    (span,), = gold_units(Question("q", "?", evidence=(evidence,)), [("d", 100, document)])
    assert span.doc_id == "d" and document[span.start - 100:span.end - 100] == expected


def test_evidence_in_no_document_is_an_empty_unit():
    texts = [("d", 0, "Prune loose objects older than date.")]
    assert gold_units(Question("q", "?", evidence=("Prune loose objects newer than date.",)), texts) == ((),)
    assert gold_units(Question("q", "?", evidence=("¶",)), texts) == ((),), "nothing left to look for"


def test_a_source_path_names_its_document_by_file_path_else_by_the_id_ingest_gives_it():
    assert id_from_source("git-gc.html") == "git-gc" and id_from_source("howto/Logging.html") == "howto/logging"
    assert id_from_source("cbsnews.com.carolina.html") == "cbsnews-com-carolina"
    sources = {"gc": "/data/docs/git-gc.html", "sub/git-gc": "/data/docs/sub/git-gc.html",
               "git-gc": "/data/other/git-gc.html", "log": "/data/docs/howto/logging.html"}
    names = lambda **fields: evidence_documents(Question("q", "?", **fields), sources)  # noqa: E731
    assert names(source="howto/logging.html") == {"log"}, "path-component aware: by the file, whatever its id"
    assert names(source="sub/git-gc.html") == {"sub/git-gc"}
    assert names(source="git-gc.html") == {"git-gc"}, "of several files with that name, the one with its id"
    assert names(source="it-gc.html") == {"it-gc"}, "no file of that name: the id ingest would give it"
    assert names(source="git-gc.html", doc_id="gc") == {"gc"} and names() is None
    assert evidence_documents(Question("q", "?", source="howto/logging.html"), {}) == {"howto/logging"}, "remote"
    texts = [("gc", 0, "Run git gc."), ("other", 0, "Run git gc.")]
    question = Question("q", "?", evidence=("Run git gc.",), source="docs/git-gc.html")
    assert gold_units(question, texts, {"gc": "/x/docs/git-gc.html", "other": "/x/b.html"}) == ((Span("gc", 0, 11),),)


def test_evidence_not_found_counts_as_a_retrieval_miss_and_is_reported_by_id():
    question = Question("g07", "Where?", answers=("here",), evidence=("nowhere to be found",), source="a.html")
    gold = gold_units(question, [("a", 0, "It is here.")], {"a": "/docs/a.html"})
    row = replace(score_question(question, "qa", [item("a")], answer("It is here.", []), gold), evidence_found=False)
    assert gold == ((),) and row.scores["recall@10"] == 0.0 and row.judged.answer_hit is True
    found = replace(score_question(Question("g01", "?", evidence=("x",)), "qa", [item("a")], answer("x", []),
                                   ((Span("a", 0, 1),),)), evidence_found=True)
    assert summarize([row, found])["evidence_not_found"] == 1
    report = Report("dev", "qa", 5, "idx", [Run("bm25", summarize([row, found]), [row, found])])
    assert report.evidence_not_found() == ["g07"] and report.summary()["evidence_not_found"] == ["g07"]
    markdown = report_markdown(report)
    assert "## Evidence not found: 1 questions" in markdown and "- **g07**" in markdown
    assert "**g07** Where? (evidence not found in the indexed documents)" in markdown


def test_overlapping_hits_of_a_remote_app_are_joined_into_the_text_it_showed():
    text = "abcdefghijklmnopqrstuvwxyz"
    hits = [{"doc_id": "d", "start": 8, "end": 20, "text": text[8:20]},
            {"doc_id": "d", "start": 0, "end": 10, "text": text[0:10]},
            {"doc_id": "d", "start": 22, "end": 26, "text": text[22:26]},
            {"doc_id": "e", "start": 0, "end": 3, "text": "xyz"}]
    assert texts_from_hits(hits) == [("d", 0, text[0:20]), ("d", 22, text[22:26]), ("e", 0, "xyz")]


def answer(text, citations, answered=True):
    return {"answer": text, "answered": answered, "citations": citations, "hits": []}


def citation(n, doc_id, start, end, quote, title="Some Title"):
    return {"n": n, "doc_id": doc_id, "start": start, "end": end, "quote": quote, "title": title}


def test_answer_and_citations_are_judged():
    question = Question("q1", "Where?", answers=("Paris",), evidence=("in Paris",), doc_id="d")
    gold = ((Span("d", 100, 108),),)
    reply = answer("According to “Some Title”: It is in Paris. [1] Not here. [2] Paris again. [3]", [
        citation(1, "d", 95, 110, "It is in Paris."),  # overlaps the evidence
        citation(2, "d", 0, 9, "Not here."),  # neither
        citation(3, "e", 0, 13, "Paris again.")])  # holds the answer
    row = score_question(question, "qa", [item("d", 90, 200), item("e")], reply, gold)
    assert row.judged.answer_hit is True and row.judged.correct is True and row.first_relevant == 1
    assert [c.correct for c in row.judged.citations] == [True, False, True]
    assert row.scores == {"recall@1": 1.0, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 1.0}


def test_the_article_title_in_the_lead_in_is_not_an_answer():
    reply = answer("According to “Nikola Tesla”: He was born in 1856. [1]",
                   [citation(1, "d", 0, 20, "He was born in 1856.", title="Nikola Tesla")])
    assert "Tesla" not in answer_body(reply)
    row = score_question(Question("q", "Who?", answers=("Tesla",)), "qa", [], reply, ())
    assert row.judged.answer_hit is False and row.scores == {}, "no gold spans: no retrieval scores"
    by_author = answer("He was born. [1] Ann Lee, the author of “Nikola Tesla”, writes: Tesla came in 1884. [2]",
                       [citation(2, "d", 0, 20, "Tesla came in 1884.", title="Nikola Tesla")])
    assert answer_body(by_author).split() == ["He", "was", "born.", "[1]", "Tesla", "came", "in", "1884.", "[2]"]
    by_authors = answer("Ann Lee and Bo Wu, the authors of “Nikola Tesla”, write: Tesla came in 1884. [1]",
                        [citation(1, "d", 0, 20, "Tesla came in 1884.", title="Nikola Tesla")])
    assert answer_body(by_authors).split() == ["Tesla", "came", "in", "1884.", "[1]"]


def test_a_quote_naming_the_title_holds_the_answer():
    reply = answer("According to “Kenya”: Kenya is the biggest economy in East Africa. [1]",
                   [citation(1, "d", 0, 44, "Kenya is the biggest economy in East Africa.", title="Kenya")])
    assert answer_body(reply).split()[0] == "Kenya"


def test_a_declined_question_never_hits_even_if_the_refusal_repeats_the_answer():
    question = Question("q", "Was it Paris?", answers=("Paris",))
    row = score_question(question, "qa", [], answer("No passage answers “Was it Paris?”.", [], False), ())
    assert row.judged.answer_hit is False and row.judged.correct is False


def bare_row(answerable, scores, judged=None):
    return Row("q", "?", answerable, [], [], None, 0, [], scores, judged)


def test_summary_metrics_over_hand_made_rows():
    def row(answerable, answered, hit, citations, scores, seconds):
        judged = JudgedAnswer("", answered, [JudgedCitation(1, "d", 0, 1, "", c) for c in citations],
                              hit if answerable else None, hit if answerable else not answered, seconds)
        return bare_row(answerable, scores, judged)

    rows = [row(True, True, True, [True, False], {"recall@5": 1.0}, 1.0),
            row(True, True, False, [False], {"recall@5": 0.0}, 2.0),
            row(True, False, False, [], {"recall@5": 1.0}, 3.0),
            row(False, False, None, [], {}, 4.0),
            row(False, True, None, [False], {}, None)]
    assert summarize(rows) == {"questions": 5, "recall@5": pytest.approx(2 / 3), "answer_hit": pytest.approx(1 / 3),
                               "citation_precision": 0.25, "abstention_accuracy": 0.5,
                               "false_abstention": pytest.approx(1 / 3), "seconds_per_answer": 2.5}


def test_retrieval_only_rows_have_no_answer_metrics_and_empty_groups_give_none():
    assert summarize([bare_row(True, {"ndcg@10": 0.5})]) == {"questions": 1, "ndcg@10": 0.5}
    rows = [bare_row(True, {}, JudgedAnswer("", True, [], True, True, None))]
    metrics = summarize(rows)
    assert metrics["abstention_accuracy"] is None and metrics["citation_precision"] is None


def test_abstention_curve_and_the_threshold_of_best_balanced_accuracy():
    scores = [0.9, 0.8, 0.6, 0.3, 0.5, 0.2, 0.1]
    answerable = [True, True, True, True, False, False, False]
    curve = abstention_curve(scores, answerable, [0.0, 0.4, 0.55, 0.7])
    assert [(p.abstention_accuracy, p.false_abstention) for p in curve] == [
        (0.0, 0.0), (2 / 3, 0.25), (1.0, 0.25), (1.0, 0.5)]
    assert best_threshold(curve).threshold == 0.55
    flat = abstention_curve([0.9, 0.1], [True, False], [0.2, 0.3, 0.4, 0.5, 0.6])
    assert best_threshold(flat).threshold == 0.4, "the middle of a plateau"


# -- readers -----------------------------------------------------------------------------------------------

def write_lines(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


QA = {"id": "q1", "question": "Why?", "answers": ["because"], "evidence": ["because of it"], "doc_id": None,
      "answerable": True}


def test_qa_jsonl_reader(tmp_path):
    path = write_lines(tmp_path / "dev.jsonl", [QA, "", {**QA, "id": "q2", "answers": [], "evidence": [],
                                                        "answerable": False}])
    dataset = read_dataset(path)
    assert dataset.kind == "qa" and dataset.name == "dev"
    assert dataset.questions[0] == Question("q1", "Why?", ("because",), ("because of it",), None, True)
    assert not dataset.questions[1].answerable and read_dataset(path, limit=1).questions[0].id == "q1"


def test_qa_jsonl_reader_takes_a_source_path_and_ignores_unknown_fields(tmp_path):
    public = {"id": "g01", "question": "How old?", "answers": ["2 weeks"], "evidence": ["default is 2 weeks ago"],
              "source": "git-gc.html", "answerable": True, "type": "direct"}
    path = write_lines(tmp_path / "git.jsonl", [public, {**public, "id": "g02", "source": "./howto\\a.html"},
                                                {**public, "id": "g03", "source": None, "answerable": False}])
    assert [(q.source, q.doc_id) for q in read_dataset(path).questions] == [
        ("git-gc.html", None), ("howto/a.html", None), (None, None)]
    write_lines(path, [{**public, "source": 7}])
    with pytest.raises(UserError, match="git.jsonl:1: field 'source' must be a non-empty string or null"):
        read_dataset(path)


@pytest.mark.parametrize("line, message", [
    ("{not json", "dev.jsonl:1: invalid JSON"),
    ("[1]", "dev.jsonl:1: not a JSON object"),
    (json.dumps({**QA, "answers": "because"}), "dev.jsonl:1: field 'answers' must be a list of non-empty strings"),
    (json.dumps({**QA, "answerable": "yes"}), "dev.jsonl:1: field 'answerable' must be true or false"),
    (json.dumps({k: v for k, v in QA.items() if k != "question"}), "dev.jsonl:1: field 'question' must be"),
    (json.dumps({**QA, "answers": [], "evidence": []}), "dev.jsonl:1: an answerable question needs"),
])
def test_malformed_qa_lines_name_the_line_and_field(tmp_path, line, message):
    path = write_lines(tmp_path / "dev.jsonl", [line])
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        read_dataset(path)


def make_beir(folder):
    (folder / "qrels").mkdir(parents=True)
    write_lines(folder / "corpus.jsonl", [
        {"_id": "d1", "title": "Cats", "text": "Cats purr when they are content and sleep a lot."},
        {"_id": "d2", "title": "Dogs", "text": "Dogs bark at strangers and guard the house."},
        {"_id": "d3", "title": "Fish", "text": "Fish swim in rivers and breathe through gills."}])
    write_lines(folder / "queries.jsonl", [{"_id": "1", "text": "why do cats purr"},
                                           {"_id": "2", "text": "which animals bark or swim"},
                                           {"_id": "3", "text": "not in the test qrels"}])
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n2\td2\t1\n2\td3\t1\n2\td1\t0\n")
    return folder


def test_beir_reader_keeps_test_queries_and_their_relevant_documents(tmp_path):
    dataset = read_dataset(make_beir(tmp_path / "tiny"))
    assert dataset.kind == "beir" and dataset.corpus_file == tmp_path / "tiny" / "corpus.jsonl"
    assert [(q.id, q.question) for q in dataset.questions] == [("1", "why do cats purr"),
                                                               ("2", "which animals bark or swim")]
    assert dataset.questions[1].gold == ((Span("d2", 0, WHOLE),), (Span("d3", 0, WHOLE),))


def test_beir_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="is not a BEIR folder: missing corpus.jsonl, queries.jsonl, test.tsv"):
        read_dataset(tmp_path / "empty")
    folder = make_beir(tmp_path / "bad")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1 d1 1\n")
    with pytest.raises(UserError, match=r"test.tsv:2: expected 'query-id<TAB>corpus-id<TAB>score'"):
        read_dataset(folder)


SQUAD = {"version": "1.1", "data": [{"title": "Super_Bowl", "paragraphs": [
    {"context": "The  game was played in Santa Clara.", "qas": [
        {"id": "s1", "question": "Where was the game played?", "answers": [{"text": "Santa Clara", "answer_start": 24},
                                                       {"text": "Santa Clara.", "answer_start": 24}]}]},
    {"context": "Denver won. Denver beat Carolina.", "qas": [
        {"id": "s2", "question": "Which team did Denver beat?", "answers": [{"text": "Carolina", "answer_start": 24}]},
        {"id": "s3", "question": "Who won the game?", "answers": [{"text": "Denver", "answer_start": 12}]}]}]}]}


def test_squad_articles_keep_paragraph_order_and_answers_map_to_exact_spans(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(SQUAD))
    dataset = read_dataset(path)
    text = "The game was played in Santa Clara.\n\nDenver won. Denver beat Carolina."
    assert dataset.kind == "squad" and dataset.articles == [{"id": "super-bowl", "title": "Super Bowl", "text": text}]
    spans = {q.id: q.gold[0][0] for q in dataset.questions}
    assert text[spans["s1"].start:spans["s1"].end] == "Santa Clara.", "the double space is normalised away"
    assert text[spans["s2"].start:spans["s2"].end] == "Carolina"
    assert spans["s3"].start == text.index("Denver beat"), "the occurrence the offset points at, not the first"


def test_unknown_dataset_kinds_and_missing_files(tmp_path):
    with pytest.raises(UserError, match="no dataset at"):
        read_dataset(tmp_path / "nothing.jsonl")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(UserError, match="cannot tell what kind of dataset"):
        read_dataset(tmp_path / "data.csv")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(UserError, match="bad.json: not a SQuAD file"):
        read_dataset(tmp_path / "bad.json")


# -- the eval command --------------------------------------------------------------------------------------

SAMPLE_QA = [
    {"id": "bagram", "question": "What does the author say about Bagram?", "answers": ["strategic footprint"],
     "evidence": ["strategic footprint"], "doc_id": "khalilzad-on-iskp-ttp-and-pakistan", "answerable": True},
    {"id": "football", "question": "Who won the 2022 FIFA World Cup?", "answers": [], "evidence": [],
     "doc_id": None, "answerable": False}]


def test_eval_of_a_qa_file_prints_a_table_and_writes_reports(run_cli, tmp_path):
    assert run_cli("ingest", str(SAMPLE_ARTICLE)).returncode == 0
    dataset = write_lines(tmp_path / "dev.jsonl", SAMPLE_QA)
    result = run_cli("eval", str(dataset), "--retriever", "bm25,hybrid", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| retriever | questions | recall@1 |") and len(lines) == 4
    assert lines[2].startswith("| bm25 | 2 | 1.000 |") and "question" in result.stderr, "progress on stderr"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    bm25 = report["runs"][0]
    assert bm25["metrics"]["answer_hit"] == 1.0 and bm25["metrics"]["abstention_accuracy"] == 1.0
    row = bm25["questions"][0]
    assert row["hits"][0]["relevant"] and row["correct"] and row["citations"][0]["quote"]
    assert (tmp_path / "out" / "report.md").read_text().startswith("# Evaluation of dev (qa)")


def test_eval_locates_evidence_by_source_and_reports_evidence_in_no_document(run_cli, tmp_path):
    assert run_cli("ingest", str(SAMPLE_ARTICLE)).returncode == 0
    bagram = {"id": "bagram", "question": "What does the author say about Bagram?", "answers": ["strategic footprint"],
              "evidence": ["Khalilzad's remarks on Bagram   Airbase are equally revealing."],  # straight apostrophe
              "source": SAMPLE_ARTICLE.name, "answerable": True, "type": "direct"}
    ghost = {**bagram, "id": "ghost", "evidence": ["A sentence this article never had."]}
    dataset = write_lines(tmp_path / "dev.jsonl", [bagram, ghost])
    result = run_cli("eval", str(dataset), "--retriever", "bm25", "--json", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert ("warning: question ghost: evidence not found in the indexed documents (counted as a retrieval miss)\n"
            in result.stderr) and "question bagram:" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["evidence_not_found"] == ["ghost"] and summary["metrics"]["bm25"]["evidence_not_found"] == 1
    rows = json.loads((tmp_path / "out" / "report.json").read_text())["runs"][0]["questions"]
    assert rows[0]["evidence_found"] and rows[0]["first_relevant"] == 1, "recall against the located span"
    assert not rows[1]["evidence_found"] and rows[1]["scores"]["recall@10"] == 0.0
    assert "- **ghost**" in (tmp_path / "out" / "report.md").read_text()
    assert "not in the index" not in result.stderr, "the article is indexed: only the sentence is missing"


def test_eval_against_an_index_without_the_named_documents_says_so_first(run_cli, tmp_path):
    assert run_cli("ingest", str(SAMPLE_ARTICLE)).returncode == 0
    other = {"id": "tattoo", "question": "How old is he?", "answers": ["32"], "evidence": ["He is 32 years old."],
             "doc_id": "news/tattoo", "answerable": True}
    result = run_cli("eval", str(write_lines(tmp_path / "dev.jsonl", [other])), "--retriever", "bm25")
    warnings = result.stderr.splitlines()
    first = next(i for i, line in enumerate(warnings) if line.startswith("warning:"))
    assert warnings[first].startswith("warning: 1 document(s) the questions name are not in the index at ")
    assert "(e.g. 'news/tattoo'): is it the index of this dataset's documents?" in warnings[first]
    assert warnings[first + 1].startswith("warning: question tattoo: evidence not found")


def test_eval_of_beir_and_squad_ingests_the_corpus_into_an_empty_index(run_cli, tmp_path):
    beir = run_cli("eval", str(make_beir(tmp_path / "tiny")), "--index", str(tmp_path / "beir"), "--json",
               "--retriever", "bm25")
    assert beir.returncode == 0, beir.stderr
    metrics = json.loads(beir.stdout)["metrics"]["bm25"]
    assert metrics["questions"] == 2 and metrics["ndcg@10"] > 0.9 and metrics["recall@100"] == 1.0
    assert "answer_hit" not in metrics
    squad_file = tmp_path / "dev.json"
    squad_file.write_text(json.dumps(SQUAD))
    squad = run_cli("eval", str(squad_file), "--index", str(tmp_path / "squad"), "--json",
                "--out", str(tmp_path / "out"))
    assert squad.returncode == 0, squad.stderr
    metrics = json.loads(squad.stdout)["metrics"]["hybrid"]
    assert metrics["questions"] == 3 and metrics["recall@1"] == 1.0
    rows = json.loads((tmp_path / "out" / "report.json").read_text())["runs"][0]["questions"]
    quoted = [row["answer"].split("”:", 1)[1] for row in rows]  # after the lead-in naming the article
    hits = [any(gold.rstrip(".") in text for gold in row["gold_answers"]) for row, text in zip(rows, quoted)]
    assert [row["answer_hit"] for row in rows] == hits and metrics["answer_hit"] == sum(hits) / 3
    again = run_cli("eval", str(squad_file), "--index", str(tmp_path / "beir"))
    assert again.returncode == 2 and "lacks 1 of the 1 articles dev needs" in again.stderr


def test_eval_user_errors_are_one_line(run_cli, tmp_path):
    bad = write_lines(tmp_path / "bad.jsonl", ["{oops"])
    cases = [((str(tmp_path / "none.jsonl"),), "error: no dataset at"),
             ((str(bad),), f"error: {bad}:1: invalid JSON"),
             ((str(bad), "--retriever", "magic"), "error: argument --retriever: 'magic' is not one of dense, bm25"),
             ((str(bad), "--limit", "0"), "error: argument --limit: 0 must be at least 1"),
             ((str(make_beir(tmp_path / "b")), "--app", "http://127.0.0.1:9"), "error: --app evaluates Q&A")]
    for args, message in cases:
        result = run_cli("eval", *args)
        assert result.returncode == 2 and result.stderr.startswith(message), (args, result.stderr)
        assert result.stderr.count("\n") == 1


# -- slow layer: the real model on the seed dev set, and a running app over its API -------------------------

@pytest.mark.slow
def test_seed_dev_targets_with_the_packaged_model(tmp_path):
    from index.build import update_index
    from index.embedders import make_embedder
    from evaluation.run import run as evaluate
    from settings import Settings

    settings = Settings(index_dir=tmp_path / "index")
    update_index([str(SAMPLE_ARTICLE)], settings, make_embedder(settings.embed_model), progress=False)
    metrics = evaluate(str(SEED_DEV), settings, retrievers=["hybrid"], progress=False).runs[0].metrics
    assert metrics["recall@5"] == 1.0
    assert metrics["answer_hit"] >= 5 / 6
    assert metrics["abstention_accuracy"] == 1.0


@pytest.mark.slow
def test_eval_asks_a_running_app_through_its_api(cli_env, indexed, embedder, tmp_path):
    import gradio as gr

    from qa.answer import answer_to_dict
    from qa.pipeline import QAPipeline

    pipeline = QAPipeline(indexed, embedder=embedder)
    demo = gr.Interface(lambda question, k: answer_to_dict(pipeline.ask(question, k=int(k))),
                        [gr.Textbox(), gr.Number(precision=0)], gr.JSON(), api_name="ask")
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        dataset = write_lines(tmp_path / "dev.jsonl", SAMPLE_QA)
        result = cli_process({**cli_env, "RAGQA_INDEX_DIR": str(tmp_path / "no-index")}, "eval", str(dataset),
                     "--app", demo.local_url, "--k", "4", "--json", "--out", str(tmp_path / "out"))
    finally:
        demo.close()
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["metrics"]["app"]
    rows = json.loads((tmp_path / "out" / "report.json").read_text())["runs"][0]["questions"]
    local = [answer_to_dict(pipeline.ask(case["question"], k=4)) for case in SAMPLE_QA]
    assert [row["answer"] for row in rows] == [answer["answer"] for answer in local], "the app's own answers"
    relevant = ["strategic footprint" in hit["text"] for hit in local[0]["hits"]]
    assert [hit["relevant"] for hit in rows[0]["hits"]] == relevant and any(relevant)
    assert metrics["questions"] == 2 and metrics["recall@1"] == float(relevant[0])
    assert metrics["abstention_accuracy"] == float(not local[1]["answered"])
