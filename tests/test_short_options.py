"""One-letter command-line options are words of their own: "git clean -x" is not "git clean", nor "-X"."""
from index.lexical import Bm25, short_options, terms
from qa.evidence import content_words

ENTRIES = [
    "git clean -n, --dry-run: Don't actually remove anything, just show what would be done.",
    "git clean -x: Don't use the standard ignore rules, but still use the rules given with -e options.",
    "git clean -X: Remove only files ignored by Git. This may be useful to rebuild everything from scratch.",
    "git clean removes untracked files from the working tree, starting from the current directory.",
]


def best(query: str) -> int:
    return int(Bm25.build(ENTRIES).scores(query).argmax())


def test_bm25_finds_the_entry_of_the_option_asked_about_case_kept():
    assert best("How does git clean -x behave?") == 1
    assert best("How does git clean -X behave?") == 2
    assert best("git clean -n") == 0


def test_hyphenated_words_dashes_and_long_options_are_not_short_options():
    text = "a non-x value - a dash, --dry-run, x-ray, e-mail and -1"
    assert short_options(text) == []
    assert "x_opt" not in terms([text])[0]
    assert short_options("(see -e) and [-x | -X]") == ["-e", "-x", "-X"]


def test_the_evidence_scorer_reads_options_as_words_too():
    assert "-x" in content_words("What does git clean -x do?")
    assert "-X" not in content_words("What does git clean -x do?")


def test_a_footnote_mark_is_no_part_of_the_word_it_marks():
    assert terms(["geometry supports the package calc¹ and x²"]) == terms(["geometry supports the package calc and x"])
