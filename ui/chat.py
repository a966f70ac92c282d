"""The conversation: turns kept in the session, the streaming reply, and the messages the chat shows."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Iterator

from schema import Answer, UserError
from ui.library import hide_paths
from ui.render import answer_markdown, escape_markdown

log = logging.getLogger(__name__)
ABSTAINED = "The indexed articles don't cover this"  # how qa/answer.py's refusals open
UNEXPECTED = "Something went wrong while answering; the details are in the server log. Please try again."


@dataclass(frozen=True)
class Turn:
    question: str
    text: str = ""  # the answer so far, as the pipeline wrote it
    answer: Answer | None = None  # set once the answer is complete
    error: str = ""  # a UserError, as one plain sentence
    stopped: bool = False  # the reader pressed Stop before the answer was complete

    @property
    def settled(self) -> bool:
        """Complete, failed or stopped: nothing more will be written to it."""
        return self.answer is not None or bool(self.error) or self.stopped


@dataclass(frozen=True)
class AskOptions:
    mode: str | None = None
    k: int | None = None
    doc_ids: tuple[str, ...] = ()


def respond(pipeline, question: str, turns: list[Turn], options: AskOptions) -> Iterator[list[Turn]]:
    """Yield the turns after each streamed piece of the answer to `question`; the last yield holds the complete
    Answer, or the error as a sentence. Blank input starts no turn."""
    question = " ".join((question or "").split())
    if not question:
        return
    turns = [*turns, Turn(question)]
    yield turns
    try:
        for text, answer in pipeline.ask_stream(question, history=pipeline_history(turns[:-1]), k=options.k,
                                                doc_ids=set(options.doc_ids) or None, mode=options.mode):
            if answer is not None and not answer.answered and options.doc_ids:
                answer = naming_the_selection(answer, pipeline, options.doc_ids)
                text = answer.text
            turns = [*turns[:-1], replace(turns[-1], text=text, answer=answer)]
            yield turns
    except UserError as exc:
        error = plain_sentence(hide_paths(str(exc), pipeline.settings))
        yield [*turns[:-1], replace(turns[-1], text="", error=error)]
    except Exception:  # a bug or a broken backend: the reader gets a sentence, the log gets the traceback
        log.exception("answering %r failed", question)
        yield [*turns[:-1], replace(turns[-1], text="", error=UNEXPECTED)]


def naming_the_selection(answer: Answer, pipeline, doc_ids: tuple[str, ...]) -> Answer:
    """A refusal over a filtered search names the articles searched, not "the indexed articles"."""
    documents = pipeline.collection.documents()
    titles = [f"“{documents[i].title}”" for i in doc_ids if i in documents]
    if not titles or not answer.text.startswith(ABSTAINED):
        return answer
    plural = len(titles) > 1
    named = f"The selected article{'s' * plural} ({', '.join(titles)}) {'do' if plural else 'does'}n't cover this"
    return replace(answer, text=named + answer.text[len(ABSTAINED):])


def stop(turns: list[Turn]) -> list[Turn]:
    """The turns with the one being answered marked stopped, its text so far kept."""
    if not turns or turns[-1].settled:
        return turns
    return [*turns[:-1], replace(turns[-1], stopped=True)]


def plain_sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return "Something went wrong."
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def pipeline_history(turns: list[Turn]) -> list[dict]:
    """The conversation as the pipeline reads it: plain questions and answers, failed turns left out."""
    history = []
    for turn in turns:
        if turn.answer is not None:
            history += [{"role": "user", "content": turn.question},
                        {"role": "assistant", "content": turn.answer.text}]
    return history


def chat_messages(turns: list[Turn]) -> list[dict]:
    """Messages for gr.Chatbot: escaped markdown, [n] markers linked to their source cards."""
    messages = []
    for index, turn in enumerate(turns):
        messages.append({"role": "user", "content": escape_markdown(turn.question)})
        if turn.error:
            messages.append({"role": "assistant", "content": escape_markdown(turn.error)})
        elif turn.stopped:
            shown = escape_markdown(turn.text) + "\n\n" if turn.text else ""  # its [n] have no sources yet
            messages.append({"role": "assistant", "content": shown + "*Stopped.*"})
        elif turn.text:
            messages.append({"role": "assistant", "content": answer_markdown(turn.text, index, turn.answer)})
    return messages
