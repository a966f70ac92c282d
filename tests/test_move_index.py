"""`python cli.py move-index --to milvus`: the FAISS index copied into Milvus as stored (nothing re-embedded), so the
moved index holds the same records and answers the seed questions exactly as the FAISS one."""
import dataclasses
import json

import numpy as np
import pytest
from helpers import SAMPLE_ARTICLE, SEED_DEV
from helpers import milvus_settings, needs_milvus, records

from index.build import open_store, update_index
from index.embedders import HashingEmbedder
from qa.pipeline import QAPipeline

pytestmark = [needs_milvus, pytest.mark.slow]  # Milvus Lite: seconds a test


def answers(settings, embedder, questions):
    pipeline = QAPipeline(settings, embedder=embedder)
    return [(a.text, a.answered, [dataclasses.asdict(c) for c in a.citations]) for a in map(pipeline.ask, questions)]


def test_a_moved_index_answers_the_seed_questions_as_the_faiss_one(run_cli, env, settings, embedder, tmp_path,
                                                                  closed_clients):  # noqa: F811
    update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    milvus = milvus_settings(settings, tmp_path)
    env.setenv("RAGQA_MILVUS_URI", milvus.milvus_uri)
    embedded = []
    embed = HashingEmbedder.embed_documents
    env.setattr(HashingEmbedder, "embed_documents",
                lambda self, texts, **options: embedded.append(texts) or embed(self, texts, **options))

    result = run_cli("move-index", "--to", "milvus")

    assert result.returncode == 0, result.stderr
    assert embedded == [], "nothing re-embedded"
    assert result.stderr == "moved 1/1 articles\n"
    faiss_store, moved = open_store(settings, embedder), open_store(milvus, embedder)
    units = int(faiss_store.unit_counts.sum())
    assert units > 0 and result.stdout == (f"moved 1 articles, {faiss_store.count} chunks and {units} sentence "
                                           f"vectors into Milvus at {milvus.milvus_uri}, collection ragqa\n")
    assert records(faiss_store) == records(moved)
    ids = [chunk.id for chunk in faiss_store.chunks]
    assert np.array_equal(faiss_store.vectors, moved.vectors_of(ids))
    questions = [json.loads(line)["question"] for line in SEED_DEV.read_text().splitlines() if line.strip()]
    assert answers(settings, embedder, questions) == answers(milvus, embedder, questions)


def test_an_index_already_in_milvus_is_kept_unless_replace(run_cli, env, settings, embedder, tmp_path,
                                                          closed_clients):  # noqa: F811
    update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    milvus = milvus_settings(settings, tmp_path)
    (tmp_path / "other.txt").write_text("Other\n\nThe river dam holds water for the valley.")
    update_index([str(tmp_path / "other.txt")], milvus, embedder, progress=False)
    env.setenv("RAGQA_MILVUS_URI", milvus.milvus_uri)

    refused = run_cli("move-index", "--to", "milvus")
    assert refused.returncode == 2 and refused.stderr == (
        "error: Milvus collection ragqa already holds an index: add --replace to drop it, or name another with "
        "RAGQA_MILVUS_COLLECTION\n")
    assert set(open_store(milvus, embedder).documents) == {"other"}
    assert run_cli("move-index", "--to", "milvus", "--replace").returncode == 0
    assert set(open_store(milvus, embedder).documents) == set(open_store(settings, embedder).documents)


def test_no_faiss_index_to_move_is_one_line(run_cli, env, tmp_path, closed_clients):  # noqa: F811
    env.setenv("RAGQA_MILVUS_URI", str(tmp_path / "milvus.db"))
    result = run_cli("move-index", "--to", "milvus")
    assert result.returncode == 2 and result.stderr.startswith(f"error: no index at {tmp_path / 'index'}")
    assert not (tmp_path / "milvus.db").exists(), "nothing created"
