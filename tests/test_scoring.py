"""The answer-sentence scorer and the check that a question's names are in the passages."""
import numpy as np

from qa.evidence import focus
from qa.scoring import (FEATURES, asking_sentence, feature_matrix, likelihoods, question_types, unmatched_names,
                        within_reach)


def test_question_types_name_the_kind_of_thing_asked_for():
    assert question_types("How many legislators backed him?") == {"quantity"}
    assert question_types("What was the score of the Worlds 2023 final?") == {"quantity"}  # "3-0"
    assert question_types("By what vote did the Senate confirm her?") == {"quantity"}
    assert "quantity" not in question_types("What exit status does it return on a syntax error?")
    assert question_types("When did the pier close?") == {"time"}
    assert question_types("Who founded the group?") == {"person"}
    assert question_types("Where in South Korea was it coldest?") == {"place"}
    assert question_types("Why copy requirements.txt first?") == {"reason"}
    assert question_types("How do I keep untracked files in a stash?") == {"method"}
    assert question_types("What does its manual recommend doing about it?") == {"method"}
    assert question_types("Is it OK to rebase a branch others pulled?") == {"method"}
    assert question_types("Should I commit fixes to the oldest branch?") == {"method"}
    assert question_types("Which hyperref option hides the link boxes?") == {"method"}
    assert question_types("Which state flag shows a bear?") == {"place"}
    assert question_types("What is the highest weight I can give a glob?") == {"quantity"}
    assert question_types("What is the highest mountain in Wales?") == set(), "a superlative of a thing, not a figure"


def test_a_why_question_is_answered_by_where_a_name_comes_from():
    sentences = ["R is case sensitive, as are most UNIX based packages.",
                 "The name is partly based on the first names of the first two R authors."]
    assert feature_of("Why is the R language called R?", {"r", "language", "call"}, sentences,
                      "reason_match") == [0.0, 1.0]


def test_a_number_in_a_name_is_no_quantity():
    sentences = ["Entries are removed by git reflog expire; see git-log(1) and gc.reflogExpire2 for more.",
                 "The expiration time defaults to 90 days (30 days for unreachable entries)."]
    assert feature_of("By default, how long are reflog entries kept?", {"reflog", "entries", "kept", "default"},
                      sentences, "quantity_match") == [0.0, 1.0]


def test_a_when_clause_does_not_ask_for_a_time():
    assert question_types("How old was Tesla when he died?") == {"quantity"}
    assert question_types("Should I pass [dvips] when I load graphicx?") == {"method"}
    assert question_types("Where was it coldest when the first cold wave came?") == {"place"}
    assert question_types("When was the treaty signed?") == {"time"}
    assert question_types("The treaty was signed when?") == {"time"}


def test_a_sentence_holding_the_asked_for_kind_of_thing_scores_higher():
    question = "How many state legislators back Steyer?"
    sentences = ["Steyer has been campaigning hard across the state.",
                 "Steyer has the backing of six state legislators."]
    words = [set(s.lower().strip(".").split()) for s in sentences]
    features = feature_matrix(question, {"state", "legislators", "back", "steyer"}, sentences, words,
                              np.array([0.6, 0.6]), [[1], [0]], [1, 1], [False, False])
    assert features.shape == (2, len(FEATURES))
    scores = likelihoods(features)
    assert scores[1] == 1.0 and scores[0] < 1.0


def test_how_often_asks_for_a_rate_not_any_number():
    sentences = ["The site has been used for more than 150 years.", "Burials now happen five days a week."]
    assert feature_of("How often are burials carried out?", {"burial", "carried"}, sentences,
                      "quantity_match") == [0.0, 1.0]


def test_the_candidate_closest_to_the_question_is_marked_as_such():
    sentences = ["The bridge opened in 1932.", "It carries eight lanes.", "Tolls were dropped in 1990."]
    words = [set(s.lower().strip(".").split()) for s in sentences]
    features = feature_matrix("When did the bridge open?", {"bridge", "open"}, sentences, words,
                              np.array([0.7, 0.4, 0.55]), [[], [], []], [1, 1, 1], [False] * 3)
    assert list(features[:, FEATURES.index("most_similar")]) == [1.0, 0.0, 0.0]


def feature_of(question: str, question_words: set[str], sentences: list[str], feature: str) -> list[float]:
    """One feature of each sentence, the sentences alike in all else (cosine 0.5, no neighbours, one passage)."""
    words = [set(s.lower().strip(".").split()) for s in sentences]
    features = feature_matrix(question, question_words, sentences, words, np.array([0.5] * len(sentences)),
                              [[] for _ in sentences], [1] * len(sentences), [False] * len(sentences))
    return list(features[:, FEATURES.index(feature)])


def test_an_option_named_anywhere_is_a_way_to_do_it_but_a_hyphenated_word_is_not():
    sentences = ["--follow\nContinue listing the history of a file beyond renames.", "For renames, see --follow.",
                 "A well-known rename is easy to spot."]
    assert feature_of("How do I keep showing a file's history across a rename?", {"file", "history", "rename"},
                      sentences, "method_match") == [1.0, 1.0, 0.0]
    advice = ["Always commit your fixes to the oldest branch.", "Fixes are tracked for the release."]
    features = feature_matrix("Should I commit fixes to the oldest branch?", {"commit", "fix", "oldest", "branch"},
                              advice, [set(s.lower().split()) for s in advice], np.array([0.5] * 2), [[], []],
                              [1, 1], [False] * 2)
    assert list(features[:, FEATURES.index("method_match")]) == [1.0, 0.0]


def test_a_sentence_read_with_the_one_before_it_shares_the_question_s_subject():
    question = "Who was Shi Tianze's father?"
    sentences = ["Shi Tianze was a Han Chinese official.", "His father was Shi Bingzhi.", "Marriages were common."]
    words = [set(s.lower().strip(".").split()) for s in sentences]
    features = feature_matrix(question, {"shi", "tianze", "father"}, sentences, words, np.array([0.5] * 3),
                              [[1], [0, 2], [1]], [1, 1, 1], [False] * 3)
    context = features[:, FEATURES.index("context_overlap")]
    assert context[1] > features[1, FEATURES.index("rare_overlap")] and context[1] == context.max()


def test_framing_words_that_point_at_the_document_are_left_out_of_the_comparison():
    assert focus("What does the article say about how often burials happen?") == "how often burials happen?"
    assert focus("According to the author, how does Rust compare with Go?") == "how does Rust compare with Go?"
    assert focus("Who won, according to the report?") == "Who won?"
    assert focus("How does git gc work?") == "How does git gc work?"


def test_names_the_passages_never_mention_are_reported():
    passages = ["Access to Wikipedia in Turkey was restored, the Wikimedia Foundation said."]
    question = "Did the Wikimedia Foundation suggest that people in Turkey use a VPN to reach Wikipedia?"
    assert unmatched_names(question, passages) == ["VPN"]
    assert unmatched_names("In Visual Studio Code, how do I see blame?", ["git blame shows code"]) == \
        ["Visual Studio Code"]


def test_names_count_as_mentioned_despite_accents_misspellings_possessives_and_compounds():
    assert unmatched_names("How did Celeron meet Old Briton?", ["Céloron threatened Old Briton."]) == []
    assert unmatched_names("What does the Wessel-Datteln canal run parallel to?", ["the Wesel-Datteln Canal"]) == []
    assert unmatched_names("What is Rust's async story?", ["Rust has async functions."]) == []
    assert unmatched_names("What is the drawback of his CDPATH-based setup?", ["My CDPATH setup is based on"]) == []


def test_a_name_that_adds_letters_to_a_word_of_the_passages_is_another_name():
    assert unmatched_names("What will Arkansas's minimum wage be?", ["Kansas raised its minimum wage."]) == ["Arkansas"]
    assert unmatched_names("What is Nigeria's capital?", ["Niger's capital is Niamey."]) == ["Nigeria"]
    assert unmatched_names("What is Colombia's capital?", ["Columbia's capital is Bogota."]) == []


def test_a_name_word_in_no_indexed_document_is_missing_even_if_the_rest_is_there():
    question = "How do I convert my thesis into a Microsoft Word file?"
    passages = ["Each word of the thesis is set in the file."]
    assert unmatched_names(question, passages) == []  # "word" is there: half the name
    assert unmatched_names(question, passages, in_collection=lambda w: w.lower() != "microsoft") == ["Microsoft Word"]


def test_code_like_terms_count_as_names():
    passages = ["LaTeX output can be converted to HTML; the listings package highlights code."]
    assert unmatched_names("How do I convert my thesis into a .docx file?", passages) == [".docx"]
    assert unmatched_names("Why does it need -shell-escape?", passages) == ["-shell-escape"]
    assert unmatched_names("Does \\lstinline work with the listings package?", ["\\lstinline sets code inline"]) == []


def test_two_letter_capitals_and_sentence_openings_are_not_names():
    assert unmatched_names("Is it OK to rebase a branch others pulled?", ["Rebasing a published branch"]) == []
    assert unmatched_names("Does the US policy change?", ["The policy changed."]) == []


def test_only_the_asking_sentence_is_checked_for_names():
    question = "My worktrees live on a USB drive. What does the documentation say about pruning them?"
    assert asking_sentence(question) == "What does the documentation say about pruning them?"
    assert unmatched_names(question, ["Worktrees are pruned after three months."]) == []
    # "i.e." and "e.g." end no sentence: the question goes on to the end
    question = "How often does the launcher wake up by default, i.e. what is autovacuum_naptime set to?"
    assert asking_sentence(question) == question
    # nor does an abbreviation's full stop: "9?" asks nothing on its own
    question = "How many Oscars did 'Parasite' win at the Academy Awards on Feb. 9?"
    assert asking_sentence(question) == question
    assert asking_sentence("My drive is unplugged. What does Dr. Kim say?") == "What does Dr. Kim say?"
    assert unmatched_names("Who did the U.S. Senate confirm?", ["The Senate confirmed her."]) == [], \
        "two dotted capitals are as ambiguous as 'US'"
    # a question of its own after an abbreviation is a sentence of its own: the scene's names are no subject
    for scene, asking in [("Our Jenkins job runs at 5 p.m.", "Why does the backup fail?"),
                          ("On my MacBook each query takes 300 ms.", "How can I make the query faster?"),
                          ("It shipped in Feb.", "What changed?")]:
        assert asking_sentence(f"{scene} {asking}") == asking


def test_an_acronym_written_out_in_the_passages_is_mentioned():
    assert unmatched_names("When did WJZ-TV in NYC begin broadcasting?", ["WJZ-TV in New York City began"]) == []
    assert unmatched_names("Which country scores higher than the U.S.?", ["Finland outscored the United States"]) == []
    assert unmatched_names("What does the UNHCR do?", ["The United Nations High Commissioner for Refugees"]) == []
    # lower-case words with the right initials are not the name written out
    assert unmatched_names("What does NASA plan?", ["a new agency's strategic aims"]) == ["NASA"]


def test_a_number_that_counts_the_thing_asked_about_is_told_from_another_number():
    question = "How much electricity may the robot hand have used?"
    sentences = ["It ran on more than 1,000 desktop computers for months.",
                 "It may have consumed about 2.8 gigawatt-hours of electricity."]
    words = [set(s.lower().strip(".").split()) for s in sentences]
    features = feature_matrix(question, {"electricity", "robot", "hand"}, sentences, words, np.array([0.5, 0.5]),
                              [[], []], [1, 1], [False, False], focus_words={"electricity"})
    assert list(features[:, FEATURES.index("counted_focus")]) == [0.0, 1.0]


def test_a_passage_scored_as_well_as_the_first_weighs_as_much_whatever_its_rank():
    from qa.evidence import candidate_features, candidate_sentences
    from schema import Chunk, Document, Hit

    texts = {"pull": "Rebasing on pull keeps a linear history of your own commits.",
             "rebase": "Rebasing a branch that others have based work on is a bad idea for everyone downstream."}
    documents = {name: Document(id=name, title=name, source=f"{name}.html", text=text) for name, text in texts.items()}
    chunks = [Chunk(id=f"{name}#0", doc_id=name, index=0, text=text, start=0, end=len(text))
              for name, text in texts.items()]

    def passage_scores(scores):
        hits = [Hit(chunk, score, rank) for rank, (chunk, score) in enumerate(zip(chunks, scores), 1)]
        candidates = candidate_sentences(hits, documents)
        features = candidate_features("Is it OK to rebase a branch others built on?", candidates,
                                      np.array([0.5, 0.7]), hits)
        return [round(value, 3) for value in features[:, FEATURES.index("passage_score")]]

    assert passage_scores([0.95, 0.94]) == [1.0, 0.989], "nearly tied passages weigh nearly alike"
    assert passage_scores([0.95, 0.30]) == [1.0, 0.316], "a much weaker passage weighs less"


def test_sentences_side_by_side_in_a_paragraph_are_neighbours_whichever_passages_were_found_between():
    from qa.evidence import candidate_features, candidate_sentences
    from schema import Chunk, Document, Hit

    first = "The small package xfp defined the commands fpeval and inteval for document authors. "
    second = "These two commands have now been moved into the kernel of the format itself."
    other = "The class guide explains how a package loads the options it was given."
    documents = {"news": Document(id="news", title="News", source="news.pdf", text=first + second,
                                  blocks=[[0, len(first + second), "paragraph", ""]]),
                 "guide": Document(id="guide", title="Guide", source="guide.pdf", text=other)}
    chunks = [Chunk(id=f"news#{i}", doc_id="news", index=i, text=text, start=start, end=start + len(text))
              for i, (start, text) in enumerate([(0, first.strip()), (len(first), second)])]
    chunks.append(Chunk(id="guide#0", doc_id="guide", index=0, text=other, start=0, end=len(other)))
    hits = [Hit(chunks[1], 0.9, 1), Hit(chunks[2], 0.85, 2), Hit(chunks[0], 0.8, 3)]  # found apart
    candidates = candidate_sentences(hits, documents, standalone=False)
    assert [c.text for c in candidates] == [second, other, first.strip()]
    features = candidate_features("Can I use fpeval without xfp?", candidates, np.array([0.2, 0.4, 0.6]), hits)
    assert list(features[:, FEATURES.index("neighbour_similarity")]) == [0.6, 0.0, 0.2]


def test_a_question_and_a_sentence_share_words_whatever_english_they_spell_them_in():
    from qa.evidence import content_words

    assert content_words("Which option removes the coloured boxes?") & content_words("Hide links (removing color).") \
        == {"remov", "color"}
    assert content_words("the centre of the town") == content_words("the center of the town")


def test_a_how_many_question_wants_a_figure_and_a_by_default_one_a_default_but_a_yes_no_one_neither():
    from qa.scoring import missing_kind

    topical = ["The client polls the index and may time out.", "Publishing uploads the package."]
    assert missing_kind("How long does cargo publish wait before it times out?", topical) == "no figure"
    assert missing_kind("How long does cargo publish wait?", topical + ["It waits 60 seconds."]) == ""
    assert missing_kind("How often are elections held?", ["Elections take place every five years."]) == ""
    assert missing_kind("Does Massif also measure how much stack my program uses?", topical) == ""
    assert missing_kind("What does cargo publish do?", topical) == ""
    example = ["This runs the tests on 3 threads: cargo test -- --test-threads 3"]
    assert missing_kind("By default, how many threads does cargo test use?", example) == "no default"
    assert missing_kind("By default, how many threads does cargo test use?",
                        example + ["It defaults to one thread per CPU."]) == ""
    launcher = ["The launcher starts one worker within each database every autovacuum_naptime seconds."]
    assert missing_kind("How often does the launcher wake up by default, i.e. what is autovacuum_naptime set to?",
                        launcher) == "no default"
    assert missing_kind("What is autovacuum_naptime set to out of the box?", launcher) == "no default"
    assert missing_kind("What is the size in bytes of a vtable?", ["There are two major DSTs."]) == "no figure"
    assert missing_kind("How many bytes does DHAT use per block?", ["It uses 16 bytes of each block."]) == ""
    assert missing_kind("How many seconds does it wait?", ["It waits 2 minutes."]) == ""
    # a length asked in a unit wants a length, in that unit or another ("0.4pt" for millimetres); points scored
    # in a game are counted, not measured
    widths = "What line widths, in millimetres, does CAD.asy use for each line group from 0 to 3?"
    assert missing_kind(widths, ["The parameter nLineGroup = 1 sets the line group."]) == "no figure"
    assert missing_kind(widths, ["Line group 1 draws lines 0.5mm wide."]) == ""
    assert missing_kind("How wide is the margin in inches?", ["The margin is 2.5 cm wide."]) == ""
    assert missing_kind("How wide is the margin in inches?", ["The default margin is 1in on each side."]) == ""
    assert missing_kind("How wide is the margin in inches?", ["There are 2 in the box."]) == "no figure"
    assert missing_kind("How many points did the team score?", ["They scored 31 points."]) == ""
    # a count of things is no time, distance or weight; a share of them is one
    assert missing_kind("How many cameras were installed?", ["He walked eight minutes to the gate."]) == "no figure"
    assert missing_kind("How many cameras were installed?", ["They mounted cameras 5km apart."]) == "no figure"
    assert missing_kind("How many cameras were installed?", ["Twelve cameras went up in 3 days."]) == ""
    assert missing_kind("How many students were affected?", ["It was 9.6% of students."]) == ""
    assert missing_kind("How many kgs of rock came back?", ["It brought back 382 kg of rock."]) == ""
    assert missing_kind("How many more years will it take?", ["It will take another 20 years."]) == ""
    walked = ["He passed the facial recognition camera and walked eight minutes to the checkpoint."]
    assert missing_kind("How many cameras are at the checkpoints?", walked + topical, figure_texts=topical) \
        == "no figure", "a number only in a loosely related runner-up gives no figure"
    assert missing_kind("Where does cargo login save my token by default?",
                        ["Unless a provider is configured, the token is saved in credentials.toml."]) == ""


def test_a_sum_an_age_or_a_relative_asked_for_must_be_in_the_quotes():
    from qa.scoring import missing_kind

    titles = ["T1 won titles in 2013, 2015 and 2016."]
    assert missing_kind("How much prize money did T1 win?", titles) == "no amount", "years are no sum of money"
    assert missing_kind("How much prize money did T1 win?", titles + ["It took home $450,000."]) == ""
    assert missing_kind("How much is the entry fee?", ["Entry is free, but booking is advised."]) == ""
    assert missing_kind("How much money could Francovich claim?", ["He could claim 6 million Lira."]) == ""
    assert missing_kind("How much did ad revenue grow?", ["Revenue rose almost 500%."]) == ""
    assert missing_kind("How much time did he spend in the office?", ["He spent about five years there."]) == ""
    assert missing_kind("How much memory does each connection cost?", ["It uses about 2 MB."]) == "", "no money"
    goats = ["The first step was relocating Redonda’s herd of approximately 60 wild goats.",
             "Volunteers went in with a plan, but after two months they’d only managed to capture a single animal."]
    assert missing_kind("How much did it cost to clear the goats off Redonda?", goats) == "no amount", \
        "'much' with no noun of its own is the sum the verb pays"
    assert missing_kind("How much per ton does Microsoft charge its groups?", ["It charges a fee."]) == "no amount"
    assert missing_kind("How much Bitcoin does the ransomware demand?", ["It locks files for 72 hours."]) == \
        "no amount"
    assert missing_kind("How much did the club spend on him?", ["It paid €25 million."]) == ""
    assert missing_kind("How much does a context switch cost?", ["One takes about 5 microseconds."]) == "", \
        "a cost paid in time"
    assert missing_kind("How much did the temperature rise?", ["It rose 2 degrees."]) == ""
    from qa.scoring import names_asked_sum
    irishman = "Martin Scorsese’s $170 million Netflix gangster movie “The Irishman” had another disappointing night."
    assert names_asked_sum("How much did The Irishman cost?", irishman)
    assert not names_asked_sum("How much did Parasite cost?", irishman), "another film's sum"
    assert not names_asked_sum("How many awards did The Irishman win?", irishman), "no sum asked"
    assert missing_kind("How much does the Raspberry Pi 4 cost?", ["It comes with 4 GB of RAM."]) == "no amount", \
        "a size that is no cost"
    for noun in ["How much did demand for oil fall in 2020?", "How much did the cost of living rise?"]:
        assert missing_kind(noun, ["It fell 9% to 91 million barrels a day."]) == "", "a noun: no sum asked"

    lectern = ["Alito, a Trenton native, once stood at the lectern that Prelogar commands today."]
    assert missing_kind("How old is Prelogar?", lectern) == "no age", "once is no age"
    assert missing_kind("How old was Tesla when he died?", ["Tesla died at the age of 86."]) == ""
    assert missing_kind("At what age did Chopin move?", ["He moved when he was seven months old."]) == ""
    assert missing_kind("How old are the fossils?", ["They date back 515 million years."]) == ""
    assert missing_kind("How old is Prelogar?", ["Prelogar, 43, argues the government’s cases."]) == ""
    assert missing_kind("How old is Alito?", ["Bush tapped him for an appellate post in 1990."]) == "no age", \
        "a year is no age"
    assert missing_kind("How old must you be to vote?", ["Citizens must be 18 or older to vote."]) == ""
    assert missing_kind("At what age did Mozart start composing?", ["He began composing at five."]) == ""
    assert missing_kind("What age came after the Bronze Age?", ["It was followed by the Iron Age."]) == "", "an era"
    assert missing_kind("What is Prelogar's husband's name?", lectern) == "no husband"
    assert missing_kind("Who is Prelogar married to?", lectern) == "no spouse"
    assert missing_kind("Who was Margaret's husband?", ["King Malcolm III married Edgar's sister Margaret."]) == ""
    romeo = ["It tested a suit by their parents against Friar Laurence, who had secretly married the young couple."]
    assert missing_kind("Who is Prelogar married to?", romeo) == "no spouse", "a marriage, not hers"
    assert missing_kind("Who was Ogedei's wife?", ["Töregene Khatun, Ögedei's wife, had it printed."]) == ""
    assert missing_kind("Who was Shi Tianze's father?", ["His father was Shi Bingzhi."]) == ""
    assert missing_kind("Who was Henry VIII's wife?", ["Henry VIII had six wives."]) == ""
    assert missing_kind("Whom did Emma marry?", ["Emma marries Mr. Knightley."]) == ""
    assert missing_kind("Who is Taylor Swift's fiancé?", ["Swift is engaged to Travis Kelce."]) == ""
    assert missing_kind("Who is OpenAI's partner?", ["OpenAI works with Microsoft."]) == "", "a business partner"
    assert missing_kind("What were Tesla's sisters' names?", ["He had three sisters, Milka, Angelina and Marica."]) \
        == "", "a plural kin word"
    assert missing_kind("Who was Richard's fiancée?", ["His fiancée Berengaria was on the boat."]) == ""
    assert missing_kind("Who was Genghis Khan's father?", ["He was the son of his father Yesügei."]) == ""
    assert missing_kind("What did Tesla's father ask him to do?", lectern) == "", "asks what the father did, not who"
    assert missing_kind("Who did Tesla partner with in 1886?", lectern) == "", "a business partner"
    assert missing_kind("Is Prelogar married?", lectern) == "", "asks whether"


def test_a_year_a_name_a_vote_or_a_size_in_a_unit_must_be_in_the_quotes():
    from qa.scoring import missing_kind

    founded = ["The R Foundation is a not for profit organization working in the public interest."]
    assert missing_kind("In what year was the R Foundation founded?", founded) == "no date"
    assert missing_kind("In what year was the R Foundation founded?", founded + ["It was founded in 2002."]) == ""
    assert missing_kind("To which year is the Gloucester Candlestick dated?", ["It is dated to c1110."]) == ""
    assert missing_kind("On what day does Question Time take place?", ["It takes place on a Thursday."]) == ""
    coma = ["In 1997, a woman spent more than three weeks in a coma after the balloon struck a pole."]
    assert missing_kind("What was the name of the woman left in a coma in 1997?", coma) == "no name"
    assert missing_kind("What was the name of the woman left in a coma?", coma + ["Kathleen Caronna sued."]) == ""
    assert missing_kind("By what vote did the Senate confirm him?", ["The Senate confirmed him."]) == "no figure"
    assert missing_kind("By what vote did the Senate confirm him?", ["The Senate confirmed him 53-36."]) == ""
    tarball = ["CRAN will not accept submissions containing binary files."]
    assert missing_kind("What is the largest tarball CRAN accepts, in MB?", tarball) == "no figure"
    assert missing_kind("What is the largest tarball CRAN accepts, in MB?", tarball + ["Keep it under 10MB."]) == ""
    assert missing_kind("What default tolerance does nls() use?", ["nls() iterates until it converges."]) == (
        "no default")
    assert missing_kind("Does git push overwrite remote commits by default?", ["Use --force to overwrite."]) == (
        "no default")  # a yes/no question asks whether, but "by default" still wants a default
    # "one" as a pronoun is no figure: "another one with assignments"; "only one that is reachable" is
    assert missing_kind("How many characters may an identifier have?",
                        ["asn1Coding reads a file of definitions and another one with assignments."]) == "no figure"
    assert missing_kind("How many copies are kept?", ["Only one that is reachable is kept."]) == ""
    assert missing_kind("How many Oscars did it win?", ["He said no-one could predict the Oscars."]) == "no figure"
    assert missing_kind("How many Oscars did it win?", ["It beat “Once Upon A Time in Hollywood” to it."]) == \
        "no figure", "a number word in a title counts nothing"
    assert missing_kind("How many died?", ["Three People died in the crash."]) == ""
    assert missing_kind("How many were freed?", ["“Two Americans were freed today,” the minister said."]) == ""
    assert missing_kind("How many were freed?", ["(Two Americans were freed.)"]) == ""
    # documentation's own ways of giving what is asked
    assert missing_kind("What is the name of the option that disables colour?", ["Pass --no-color to it."]) == ""
    assert missing_kind("What exit status does it return on failure?", ["It exits with a non-zero status."]) == ""
    assert missing_kind("What date format does git log use?", ["It uses the local format."]) == ""
    assert missing_kind("What value does core.autocrlf take on Windows?", ["Set core.autocrlf to true."]) == ""
    assert missing_kind("What value did the statements put on his resort?", ["He praised the resort."]) == (
        "no figure")
    assert missing_kind("In what year was it founded?", ["It may be founded."]) == "no date"


def test_a_file_name_or_a_word_joined_to_a_letter_must_be_named_as_written():
    passages = ["Cargo reads the toolchain from the rust toolchain override; see the toml reference.",
                "Valgrind runs on Linux for RISC processors such as PowerPC and on V8 builds."]
    assert unmatched_names("How do I pin a toolchain with a rust-toolchain.toml file?", passages) == \
        ["rust-toolchain.toml"]
    assert unmatched_names("Which Valgrind release first added RISC-V Linux support?", passages) == ["RISC-V Linux"]
    assert unmatched_names("Does Valgrind run on RISC-V?", ["Valgrind now runs on riscv64: RISC-V Linux."]) == []
    assert unmatched_names("What does the files field of package.json do?", ["The files field of package.json"]) == []


def test_i_m_is_no_name_and_what_is_the_size_of_asks_for_a_figure():
    from qa.scoring import question_names

    assert question_names("Is it fine to build with -O2 when I'm going to run it under Memcheck?") == ["Memcheck"]
    assert "quantity" in question_types("What is the maximum size of a .crate file that crates.io accepts?")
    assert "quantity" not in question_types("What is the size option of the geometry package for?")


def test_a_short_name_for_a_longer_one_the_passages_give_is_mentioned():
    passages = ["The Rustonomicon", "Drop flags are tracked on the stack.", "PostgreSQL stores rows in pages."]
    unheard = lambda word: False  # noqa: E731 - no indexed document writes these names alone
    assert unmatched_names("What does the Nomicon say about drop flags?", passages, unheard) == []
    assert unmatched_names("Where does Postgres store rows?", passages, unheard) == []
    assert unmatched_names("What does Lackey measure?", passages, unheard) == ["Lackey"]
    assert unmatched_names("Does Rust run in the browser?", ["The Rustonomicon"], unheard) == ["Rust"]  # too short
    assert unmatched_names("Who founded Apple?", ["Pineapple farms grew."]) == ["Apple"]  # the collection has it
    assert unmatched_names("Does it build file.c?", ["It builds profile.cpp."]) == ["file.c"]


def test_a_name_is_written_in_a_text_whole_in_any_case():
    from qa.scoring import written_in

    assert written_in("Unix", ["Some Unix-alike systems remove files under /tmp."])
    assert written_in("XML", ["Each package installs one xml file."])
    assert not written_in("RISC-V", ["It runs on RISC-VI boards."]) and not written_in("Lackey", ["Lackeys"])


def test_a_figure_the_question_gives_does_not_answer_it():
    from qa.scoring import missing_kind

    question = "What was the apartment's value cut to on his 2017 statement?"
    assert "quantity" in question_types(question)
    assert "quantity" not in question_types("What was the idealized value of imperialism?")
    assert "quantity" not in question_types("What is the default value of core.compression?")
    assert "quantity" in question_types("What's the most results cargo search can return in one go?")
    assert "quantity" in question_types("What is the maximum depth?")
    assert "quantity" not in question_types("What is the most dangerous animal there?")
    repeats = "The triplex was devalued on his financial statement in 2017."
    answers = "The value of the apartment fell to roughly $116.8 million in 2017."
    assert feature_of(question, {"apartment", "value", "cut", "2017", "statement"}, [repeats, answers],
                      "quantity_match") == [0.0, 1.0]
    assert missing_kind("How many cameras were installed in 2023?", ["Cameras went up in 2023."]) == "no figure"
    assert missing_kind("How many cameras were installed in 2023?", ["In 2023, 21 cameras went up."]) == ""


def test_what_a_named_person_said_must_be_quoted_from_them():
    from qa.scoring import unquoted_speaker

    gates = ["Tillerson has faced criticism over his relationship with Putin.",
             "But Gates said Tillerson's business relationship with Putin is mistaken for a friendship."]
    assert unquoted_speaker("What did Barack Obama say about Tillerson's friendship with Putin?", gates) == \
        "Barack Obama", "his is no speaker"
    assert unquoted_speaker("What did Gates say about Tillerson?", gates) == ""
    assert unquoted_speaker("What did Obama say about it?", ["“It is a mistake,” he said."]) == ""
    assert unquoted_speaker("What does the author say about Bagram?", gates) == "", "no one named"
    assert unquoted_speaker("What did Ögedei say?", ["Ogedei told them to stay."]) == ""


def test_a_name_in_capitals_or_with_digits_is_a_name_even_opening_a_sentence():
    from qa.scoring import _CAPITALISED, missing_kind

    assert _CAPITALISED.findall("T1 are your Worlds 2023 champions!") == ["T1", "Worlds"]
    assert _CAPITALISED.findall("NASA said it would. The Moon is far.") == ["NASA", "Moon"]
    assert _CAPITALISED.findall("The river rose. It flooded the town.") == [], "a sentence's first word is no name"
    assert missing_kind("What was the name of the winning team?", ["T1 won the final."]) == ""


def test_a_default_asked_in_other_words_is_asked_by_name():
    from qa.scoring import with_default_named

    for asked in ("What line spacing does the hepthesis class use if I don't change it?",
                  "What is work_mem set to in a stock PostgreSQL 15 install if I never touch it?",
                  "If I run git gc without passing any --prune option, how old must an object be?"):
        assert with_default_named(asked) == f"{asked} (by default)"
    for asked in ("What is the default value of work_mem?", "How do I change the line spacing?",
                  "Can I run git gc without a network connection?"):
        assert with_default_named(asked) == asked


def test_a_long_question_is_searched_for_its_asking_sentence_and_the_scene_just_before_it():
    scene = [f"Snapshot {n} of the tree was taken by the build server overnight." for n in range(30)]
    asking = "Which diff options compare two directory trees recursively, ignoring whitespace?"
    question = " ".join(scene + [asking])
    searched = within_reach(question, 200)
    assert searched.endswith(asking) and len(searched) <= 200
    assert searched == f"{scene[-1]} {asking}"  # the scene nearest the question, as much as fits
    assert within_reach("What does diff -r do?", 200) == "What does diff -r do?"
