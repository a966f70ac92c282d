"""Ingest with `--ray` (index/ray_embed.py): the embedding step on a local Ray, or on a Ray reached by its address,
gives the same index as the plain ingest; without the ray package, or with an address that does not answer, the flag
is refused in one line. The Ray tests are skipped, naming the package, without requirements-scale.txt; those that start
a Ray run only with --ray-network, since Ray's servers listen on every interface."""
import dataclasses
import importlib.util
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from helpers import SAMPLE_ARTICLE

import cli
from index.build import open_store, update_index
from index.store import embed_text, text_key
from ingest.units import chunk_units

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="needs the package ray (pip install -r requirements-scale.txt)")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "khalilzad.txt").write_text(SAMPLE_ARTICLE.read_text())
    (folder / "rivers.txt").write_text("Rivers\n\nThe river dam holds water for the valley. Water rights are "
                                       "disputed.\n\nFarmers along the river want a share of the water.")
    (folder / "border.txt").write_text("Border\n\nTrade across the border fell after the attacks. The army closed "
                                       "the roads. Markets stayed shut for a week.")
    for n, town in enumerate(["Arden", "Bexley", "Corran", "Dunmore", "Elsworth", "Fenwick"]):  # ~100 texts in all
        (folder / f"{town.lower()}.txt").write_text(f"{town}\n\n" + " ".join(
            f"In {town} the council met on day {day} and voted {n + day} times on the {topic} plan."
            for day, topic in enumerate(["road", "school", "bridge", "park", "water", "market", "library"], 1)))
    return folder


def index_content(settings, embedder):
    """Every chunk (id, span, section) with its vector, and every unit's vector, by chunk id and unit text."""
    store = open_store(settings, embedder)
    chunks, unit_keys = {}, []
    for doc_id, count in store.chunk_counts().items():
        document = store.documents[doc_id]
        for n in range(count):
            chunk = store.chunk(f"{doc_id}#{n}")
            key = text_key(settings.embed_model, embed_text(document, chunk, settings.embed_title))
            chunks[chunk.id] = dataclasses.asdict(chunk), store.stored_vectors({key})[key]
            unit_keys += [(chunk.id, document.text[start:end]) for start, end, *_ in chunk_units(document, chunk)]
    return chunks, dict(zip(unit_keys, store.unit_vectors_of(unit_keys)))


def assert_same_index(plain, on_ray):
    (plain_chunks, plain_units), (ray_chunks, ray_units) = plain, on_ray
    assert plain_chunks.keys() == ray_chunks.keys() and plain_units.keys() == ray_units.keys()
    for chunk_id, (chunk, vector) in plain_chunks.items():
        assert ray_chunks[chunk_id][0] == chunk
        np.testing.assert_allclose(ray_chunks[chunk_id][1], vector, atol=1e-5)
    for unit, vector in plain_units.items():
        np.testing.assert_allclose(ray_units[unit], vector, atol=1e-5)


def ingest_both_ways(settings, embedder, corpus, tmp_path):
    """The corpus ingested plainly and on a local Ray (into another index); the two indexes' contents."""
    on_ray = dataclasses.replace(settings, index_dir=tmp_path / "ray-index")
    plain_report = update_index([str(corpus)], settings, embedder, progress=False)
    ray_report = update_index([str(corpus)], on_ray, embedder, progress=False, ray="local")
    assert ray_report.as_dict() == plain_report.as_dict() and not ray_report.failed
    plain, ray_made = index_content(settings, embedder), index_content(on_ray, embedder)
    assert len(plain[0]) + len(plain[1]) >= 80  # chunk and unit texts embedded
    return plain, ray_made


@needs_ray
@pytest.mark.starts_ray
def test_ray_ingest_gives_the_plain_index(settings, embedder, corpus, tmp_path):
    import ray

    assert_same_index(*ingest_both_ways(settings, embedder, corpus, tmp_path))
    assert not ray.is_initialized()  # the local Ray it started is shut down


@needs_ray
@pytest.mark.slow
@pytest.mark.starts_ray
def test_ray_ingest_with_the_real_model_gives_the_plain_index(settings, corpus, tmp_path):
    import ray

    from index.embedders import make_embedder
    from settings import Settings

    real = dataclasses.replace(settings, embed_model=Settings().embed_model)
    assert_same_index(*ingest_both_ways(real, make_embedder(real.embed_model), corpus, tmp_path))
    assert not ray.is_initialized()


def test_ray_flag_without_ray_is_one_line(corpus, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` then raises ImportError, as when not installed
    monkeypatch.setenv("RAGQA_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAGQA_INDEX_DIR", str(tmp_path / "index"))
    assert cli.main(["ingest", str(corpus), "--ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --ray needs the package ray: pip install -r requirements-scale.txt"
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing saved


@needs_ray
def test_an_unreachable_ray_address_is_one_line(corpus, monkeypatch, capsys, tmp_path):
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("RAGQA_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAGQA_INDEX_DIR", str(tmp_path / "index"))
    assert cli.main(["ingest", str(corpus), f"--ray=127.0.0.1:{port}"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        f"error: cannot reach Ray at '127.0.0.1:{port}': Connection refused"
    assert not (tmp_path / "index" / "CURRENT").exists()  # nothing saved


HOLD_A_RAY = """
import sys, ray
ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR")
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()  # until the test closes stdin
ray.shutdown()
"""


@needs_ray
@pytest.mark.slow
@pytest.mark.starts_ray
def test_ray_ingest_on_a_cluster_address_gives_the_plain_index(settings, embedder, corpus, tmp_path, monkeypatch):
    """A Ray another process started (as a cluster's head), reached by its address: the project's code goes to its
    workers with the job. Ray's token authentication is on (its default for a new cluster), as the client's."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_RAY], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=tmp_path, env={**os.environ, "RAY_AUTH_MODE": "token"})
    try:
        address = holder.stdout.readline().strip()
        monkeypatch.setenv("RAY_AUTH_MODE", "token")
        on_ray = dataclasses.replace(settings, index_dir=tmp_path / "ray-index")
        update_index([str(corpus)], settings, embedder, progress=False)
        report = update_index([str(corpus)], on_ray, embedder, progress=False, ray=address)
        assert len(report.added) == 9 and not report.failed
        assert_same_index(index_content(settings, embedder), index_content(on_ray, embedder))
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@needs_ray
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("milvus_lite") is None, reason="needs the package milvus-lite")
@pytest.mark.starts_ray
def test_ray_ingest_into_milvus_gives_the_plain_index(settings, embedder, corpus, tmp_path):
    from index.milvus_store import forget_clients

    milvus = dataclasses.replace(settings, store="milvus", milvus_uri=str(tmp_path / "milvus.db"))
    try:
        on_ray = dataclasses.replace(milvus, milvus_collection="ray")
        update_index([str(corpus)], milvus, embedder, progress=False)
        assert not update_index([str(corpus)], on_ray, embedder, progress=False, ray="local").failed
        assert_same_index(index_content(milvus, embedder), index_content(on_ray, embedder))
    finally:
        forget_clients()


def test_an_actors_error_is_read_from_rays_text():
    from index.ray_embed import _first_line

    wrapped = RuntimeError('Traceback (most recent call last):\n  File "index/embedders.py", line 140, in _load\n'
                           "schema.UserError: cannot load embedding model 'm': Path m not found\n\n"
                           "The above exception was the direct cause of the following exception:\n\n"
                           "ray.exceptions.UserCodeException: UDF failed to process a data block.")
    assert _first_line(wrapped) == "cannot load embedding model 'm': Path m not found"
    assert _first_line(RuntimeError("x\nValueError: bad input")) == "ValueError: bad input"


@needs_ray
@pytest.mark.slow
@pytest.mark.starts_ray
def test_a_model_the_actors_cannot_load_fails_in_one_line_and_keeps_the_index(settings, embedder, corpus,
                                                                              tmp_path):
    from schema import UserError

    update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    before = (settings.index_dir / "CURRENT").read_text()
    missing = dataclasses.replace(settings, embed_model=str(tmp_path / "no-model"))  # what the actors load
    with pytest.raises(UserError, match=r"^embedding on Ray failed: cannot load embedding model '.*no-model'"):
        update_index([str(corpus)], missing, embedder, rebuild=True, progress=False, ray="local")
    assert (settings.index_dir / "CURRENT").read_text() == before


def test_an_actor_embeds_a_batch_and_names_the_texts_it_cannot(monkeypatch):
    """The actor's work, without Ray: the plain path's vectors, and a text that fails fails alone, with its reason."""
    from index.embedders import HashingEmbedder
    from index.ray_embed import EmbedActor

    actor = EmbedActor("hashing", "auto", "cpu")
    plain = HashingEmbedder().embed_documents
    monkeypatch.setattr(actor.embedder, "embed_documents",
                        lambda texts, **_: plain(texts) if "poison" not in texts else 1 / 0)
    batch = {"key": np.array(["a", "b", "c"], dtype=object),
             "text": np.array(["river dam", "poison", "border trade"], dtype=object)}
    out = actor(batch)
    assert list(out["key"]) == ["a", "b", "c"]
    assert list(out["error"]) == ["", "cannot read it (ZeroDivisionError: division by zero)", ""]  # as plainly
    np.testing.assert_array_equal(out["vector"][[0, 2]], plain(["river dam", "border trade"]))
