"""The front ends' way to move the FAISS index into Milvus (index/move.py), with the embedder the settings name
(only its name and dimension are checked against the FAISS manifest: nothing is embedded)."""
from __future__ import annotations

from index.embedders import make_embedder
from index.move import MoveReport, move_to_milvus
from settings import Settings

__all__ = ["MoveReport", "move_index"]


def move_index(settings: Settings, *, replace: bool = False, progress=lambda line: None) -> MoveReport:
    embedder = make_embedder(settings.embed_model, settings.embed_precision, settings.device)
    return move_to_milvus(settings, embedder, replace=replace, progress=progress)
