"""Test doubles at our own boundary: a generator that replays scripted LLM output."""
from __future__ import annotations


class ScriptedGenerator:
    """Streams the given replies in order, a few characters at a time, and records the messages it was sent."""

    name = "scripted"

    def __init__(self, *replies: str):
        self.replies = list(replies)
        self.calls: list[list[dict]] = []

    def stream(self, messages, max_tokens):
        self.calls.append(messages)
        reply = self.replies.pop(0)
        for i in range(0, len(reply), 7):
            yield reply[i:i + 7]
