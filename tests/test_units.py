"""Quotable units: a sentence that a code block or a displayed formula interrupts is one unit, never two fragments."""
from ingest.structure import CODE, ITEM, PARAGRAPH, Block, assemble, spans_to_records
from ingest.units import MAX_WHOLE_BLOCK_CHARS, _block_units, chunk_units
from schema import Chunk, Document


def unit_texts(*blocks: Block) -> list[str]:
    text, spans = assemble(list(blocks))
    return [" ".join(text[start:end].split()) for start, end, _ in _block_units(text, spans)]


def test_a_sentence_interrupted_by_a_command_is_one_unit_with_it_and_the_command_stays_a_unit_too():
    units = unit_texts(
        Block(PARAGRAPH, "The diff is shown first. Again, because this is common, you can shorthand it with"),
        Block(CODE, "$ git diff HEAD"),
        Block(PARAGRAPH, "which ends up doing the above for you. Commit the result as usual."))
    assert units == ["The diff is shown first.",
                     "Again, because this is common, you can shorthand it with $ git diff HEAD which ends up doing "
                     "the above for you.",
                     "$ git diff HEAD", "Commit the result as usual."]


def test_a_sentence_interrupted_by_a_command_set_as_a_paragraph_of_its_own_is_one_unit():
    units = unit_texts(
        Block(PARAGRAPH, "In those undefined, a penalty is used. For instance,"),
        Block(PARAGRAPH, "\\newcommand{\\sectionbreak}{\\clearpage}"),
        Block(PARAGRAPH, "makes sections begin a new page. In some layouts the space above the title is kept."))
    assert units == ["In those undefined, a penalty is used.",
                     "For instance, \\newcommand{\\sectionbreak}{\\clearpage} makes sections begin a new page.",
                     "In some layouts the space above the title is kept."]


def test_a_sentence_running_through_a_displayed_formula_in_a_pdf_is_one_unit():
    units = unit_texts(
        Block(ITEM, "• If the margin ratio is not specified, geometry sets body with the default scale (= 0.7). "
                    "For example, if top=2.4cm is specified, geometry sets"),
        Block(PARAGRAPH, "height = 0.7 × layoutheight (= 0.7\\paperheight by default),"),
        Block(PARAGRAPH, "then S(1,0) goes to S(1,1), in which bottom is calculated."))
    assert units == ["If the margin ratio is not specified, geometry sets body with the default scale (= 0.7).",
                     "For example, if top=2.4cm is specified, geometry sets height = 0.7 × layoutheight "
                     "(= 0.7\\paperheight by default), then S(1,0) goes to S(1,1), in which bottom is calculated."]


def test_an_interrupted_sentence_too_long_to_quote_as_one_keeps_its_pieces():
    units = unit_texts(Block(PARAGRAPH, "Intro. Run the following to list them all, for example with"),
                       Block(CODE, "\n".join(f"$ git show-branch v1.{n}" for n in range(MAX_WHOLE_BLOCK_CHARS // 25))),
                       Block(PARAGRAPH, "which lists every branch. The list may be long."))
    assert [u for u in units if not u.startswith("$")] == [
        "Intro.", "Run the following to list them all, for example with", "which lists every branch.",
        "The list may be long."]


def test_a_paragraph_between_two_listings_ends_one_sentence_and_begins_the_next():
    units = unit_texts(Block(PARAGRAPH, "You can shorthand it with"), Block(CODE, "$ git diff HEAD"),
                       Block(PARAGRAPH, "which does the above. Then you can run"), Block(CODE, "$ make"),
                       Block(PARAGRAPH, "to build it."))
    assert units == ["You can shorthand it with $ git diff HEAD which does the above.", "$ git diff HEAD",
                     "Then you can run $ make to build it.", "$ make"]


def test_a_sentence_ending_in_the_code_it_introduces_or_going_on_with_a_command_is_one_unit():
    assert unit_texts(Block(PARAGRAPH, "To set all the page margins to 2 cm just specify"),
                      Block(CODE, "\\setmargins[2cm]"), Block(PARAGRAPH, "This is done in the preamble.")) == [
        "To set all the page margins to 2 cm just specify \\setmargins[2cm]", "\\setmargins[2cm]",
        "This is done in the preamble."]
    assert unit_texts(Block(PARAGRAPH, "The # bond might not work inside other commands. In this case, use"),
                      Block(PARAGRAPH, "\\bond{3} instead.")) == [
        "The # bond might not work inside other commands.", "In this case, use \\bond{3} instead."]


def test_blocks_that_end_a_sentence_or_open_a_new_one_stay_apart():
    units = unit_texts(Block(PARAGRAPH, "Example"), Block(CODE, "$ make"),
                       Block(PARAGRAPH, "Then install it. It goes to /usr/local by default."),
                       Block(PARAGRAPH, "Everything is in place now."), Block(PARAGRAPH, "Except the manual pages."))
    assert units == ["Example", "$ make", "Then install it.", "It goes to /usr/local by default.",
                     "Everything is in place now.", "Except the manual pages."]


def test_a_sentence_leaning_on_one_joined_across_code_is_quoted_with_it():
    from ingest.units import _standalone_span

    text, spans = assemble([Block(PARAGRAPH, "You can shorthand it with"), Block(CODE, "$ git diff HEAD"),
                            Block(PARAGRAPH, "which does the above. This is what most people want to see.")])
    units = _block_units(text, spans)
    leaning = next(i for i, unit in enumerate(units) if text[unit[0]:unit[1]].startswith("This is"))
    start, end = _standalone_span(text, units, leaning)
    assert " ".join(text[start:end].split()) == ("You can shorthand it with $ git diff HEAD which does the above. "
                                                 "This is what most people want to see.")


def test_a_sentence_a_chunk_boundary_cuts_is_quoted_whole_from_either_chunk():
    text, spans = assemble([
        Block(PARAGRAPH, "Page breaks can differ from one sectioning level to the next. For instance,"),
        Block(PARAGRAPH, "\\newcommand{\\sectionbreak}{\\clearpage}"),
        Block(PARAGRAPH, "makes sections begin a new page. Other layouts keep the space above the title.")])
    document = Document(id="guide", title="Guide", source="guide.pdf", text=text, metadata={},
                        blocks=spans_to_records(spans))
    cut = text.index("makes")  # where the splitter ended one chunk and began the next
    first, second = (Chunk(f"guide#{i}", "guide", i, text[start:end], start, end)
                     for i, (start, end) in enumerate([(0, cut), (cut, len(text))]))
    whole = "For instance,\n\n\\newcommand{\\sectionbreak}{\\clearpage}\n\nmakes sections begin a new page."
    assert [text[start:end] for start, end, *_ in chunk_units(document, first, standalone=False)] == [
        "Page breaks can differ from one sectioning level to the next.", whole]
    assert [text[start:end] for start, end, *_ in chunk_units(document, second, standalone=False)] == [
        whole, "Other layouts keep the space above the title."]
