"""Answering: evidence selection, answer composition with citations, the QA pipeline."""
