"""The offline follow-up rewrite: a question pointing back gets the previous subject; one naming its own keeps it."""
import pytest

from qa.followup import condense_offline


def history(*questions):
    messages = []
    for question in questions:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": "An answer. [1]"}]
    return messages


@pytest.mark.parametrize("previous, question, searched", [
    # pointing back and naming nothing: the previous subject is borrowed
    ("What does the author say about Bagram?", "Why would the US want personnel there?",
     "Why would the US want personnel there? (Bagram)"),
    ("What did Khalilzad say about the TTP?", "What did he say about it?", "What did he say about it? (Khalilzad TTP)"),
    ("How are ISKP fighters recruited?", "Where do they come from?",
     "Where do they come from? (ISKP fighters recruited)"),
    # a bare question word asks about the previous subject
    ("What does git bisect skip do?", "Why?", "Why? (git bisect skip)"),
    # "the article" with nothing to tell which is the one the chat is about
    ("What do the farmers want?", "Who wrote the article?", "Who wrote the article? (farmers want)"),
    # "there" in a question naming something else still stands for the previous place
    ("What does the author say about Bagram?", "Why would Russia want it there?",
     "Why would Russia want it there? (Bagram)"),
    # "what about …" asks the previous question again of another subject: its topic is replaced, the rest carried
    ("What does fs.readFile do?", "What about the synchronous version?",
     "What about the synchronous version? (fs readFile)"),
    ("What did Khalilzad say about the Taliban?", "And how about Pakistan?", "And how about Pakistan? (Khalilzad)"),
    # "it", "that" with nothing in the question to stand for
    ("What is pickle in Python?", "What are the main security risks of using it in production?",
     "What are the main security risks of using it in production? (pickle Python)"),
    ("What is the requests library?", "How do I set a custom timeout value with it?",
     "How do I set a custom timeout value with it? (requests library)"),
    ("What is git rebase?", "When should I prefer merge over rebasing and why is that?",
     "When should I prefer merge over rebasing and why is that? (git)"),
    ("What is the default value of HISTSIZE?", "What happens when it is set?",
     "What happens when it is set? (default value HISTSIZE)"),
    # going on from the answer before ("And how …?"), naming next to nothing
    ("How do I pretty-print JSON with indentation using json.dumps?", "And how do I sort the keys?",
     "And how do I sort the keys? (pretty-print JSON indentation using dumps)"),
    # asking for an example or an explanation names nothing of its own
    ("What is lazy evaluation in R?", "Can you give an example?", "Can you give an example? (lazy evaluation)"),
    ("What is lazy evaluation in R?", "Please explain.", "Please explain. (lazy evaluation)"),
])
def test_a_follow_up_pointing_back_gets_the_previous_subject(previous, question, searched):
    assert condense_offline(question, history(previous)) == searched


@pytest.mark.parametrize("previous, question, searched", [
    # the case: a new named subject is searched alone, without "(US want personnel there)"
    ("Why would the US want personnel there?", "What does he think about Pakistan?",
     "What does he think about Pakistan?"),
    ("What does the author say about Bagram?", "What does he think about Pakistan?",
     "What does he think about Pakistan?"),
    # "he" is the person asked about before; the new topic replaces the old one
    ("What did Khalilzad say about the Taliban?", "What does he think about Pakistan?",
     "What does he think about Pakistan? (Khalilzad)"),
    ("Why would the US want personnel there?", "What does she say about drone strikes?",
     "What does she say about drone strikes?"),
    ("Why copy requirements.txt before the code in a Docker image?",
     "Did the Wikimedia Foundation suggest a VPN while it was blocked?",
     "Did the Wikimedia Foundation suggest a VPN while it was blocked?"),
    ("What is lazy evaluation in R?", "Can you show me how to install R packages?",
     "Can you show me how to install R packages?"),
    ("How do I install numpy?", "What about Rust makes it memory safe?", "What about Rust makes it memory safe?"),
    ("How much does S3 storage cost?", "What is an instance?", "What is an instance?"),
    ("What does json.dumps do?", "And what is a decorator?", "And what is a decorator?"),
    ("How do I undo a commit in git?", "And how do I delete a remote branch?", "And how do I delete a remote branch?"),
    ("What is the default value of HISTSIZE?", "What does the nullglob shell option do when it is set?",
     "What does the nullglob shell option do when it is set?"),
    # "that", "them", "it" after the question has said enough of its own stand for something in it
    ("Which diff option ignores changes in the amount of white space?",
     "When comparing two directories, how do I make diff treat a file that exists in only one of them as empty?",
     "When comparing two directories, how do I make diff treat a file that exists in only one of them as empty?"),
    ("What does the -m option of diff3 do?",
     "I applied a patch to my source tree and it broke the build. How do I undo the patch?",
     "I applied a patch to my source tree and it broke the build. How do I undo the patch?"),
])
def test_a_follow_up_naming_its_own_subject_keeps_it(previous, question, searched):
    assert condense_offline(question, history(previous)) == searched


def test_without_history_or_pointing_words_the_question_is_searched_as_asked():
    assert condense_offline("Why would they want it?", []) == "Why would they want it?"
    assert condense_offline("Who won the 2022 World Cup?", history("What about Bagram?")) == \
        "Who won the 2022 World Cup?"


def test_a_chain_of_follow_ups_keeps_the_first_questions_subject():
    chat = history("Who wrote the article about the Assange spying operation?", "When was it published?")
    assert condense_offline("Which site published it?", chat) == \
        "Which site published it? (Assange spying operation)"
    assert condense_offline("Why?", history("What happened to Pamela Anderson's passwords?", "Who took them?")) == \
        "Why? (took happened Pamela Anderson's passwords)"


def test_his_after_a_name_the_question_gives_is_that_names_and_brings_no_old_subject():
    assert condense_offline("What did Pompeo call WikiLeaks in his first speech?",
                            history("What did Pompeo say at College Station?")) == \
        "What did Pompeo call WikiLeaks in his first speech?"
    assert condense_offline("What does Pakistan want from him?", history("What did Khalilzad say?")) == \
        "What does Pakistan want from him? (Khalilzad)"


def test_the_page_or_the_column_of_a_question_with_its_own_subject_points_nowhere():
    chat = history("What does the booktabs documentation say about vertical rules?")
    assert condense_offline("How do I put the page number in the footer with fancyhdr?", chat) == \
        "How do I put the page number in the footer with fancyhdr?"
    assert condense_offline("How do I make the column wider?", chat) == "How do I make the column wider?"
    assert condense_offline("When was the article published?", chat) == \
        "When was the article published? (booktabs documentation vertical rules)"


def test_the_carried_subject_leaves_out_words_that_ask():
    chat = history("How much electricity may OpenAI's robot hand have used?", "What else does it say about that?")
    assert condense_offline("Who wrote it?", chat) == "Who wrote it? (electricity OpenAI's robot hand used)"



def test_a_name_that_is_also_an_asking_word_is_carried_whole():
    assert condense_offline("Why?", history("What did Theresa May say about the backstop?")) == \
        "Why? (Theresa May backstop)"


def test_the_subject_a_follow_up_carries_is_read_back_as_written():
    from qa.followup import subject_carried, with_subject

    assert subject_carried(with_subject("Who is the author?", ["DiEM25", "plan"])) == ("Who is the author?", "DiEM25 plan")
    assert subject_carried(with_subject("Who is the author?", [])) == ("Who is the author?", "")
