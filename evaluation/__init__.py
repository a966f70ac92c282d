"""Evaluation: datasets, metrics, running a dataset through the QA pipeline (or a running app), reports."""
