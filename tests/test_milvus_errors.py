"""A Milvus failure during an operation (opening, searching, writing) is one line naming the URI (never the token)
and the reason, exit 2, never pymilvus' traceback."""
import socket

import pytest
from helpers import SAMPLE_ARTICLE
from helpers import milvus_settings, needs_milvus

from index.build import open_store, update_index
from schema import UserError

pytestmark = [needs_milvus, pytest.mark.slow]  # Milvus Lite: seconds a test


@pytest.fixture
def lite(run_cli, env, tmp_path, closed_clients):  # noqa: F811
    """The sample article ingested into a Milvus Lite file through the CLI; the file's path."""
    uri = str(tmp_path / "milvus.db")
    env.setenv("RAGQA_STORE", "milvus")
    env.setenv("RAGQA_MILVUS_URI", uri)
    assert run_cli("ingest", SAMPLE_ARTICLE).returncode == 0
    return uri


def drop_behind_the_stores_back(uri, collection):
    from index.milvus_store import client_for

    class Where:
        milvus_uri, milvus_token = uri, ""
    client_for(Where).drop_collection(collection)


def assert_one_line(result, *expected):
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(part in result.stderr for part in expected), result.stderr


def test_a_collection_dropped_behind_the_stores_back_is_one_line(run_cli, lite):
    drop_behind_the_stores_back(lite, "ragqa_chunks")
    assert_one_line(run_cli("ask", "What does Khalilzad claim about ISKP?"),
                    f"error: Milvus at {lite} failed", "collection 'ragqa_chunks' does not exist")


def test_a_write_that_fails_is_one_line(run_cli, lite, tmp_path):
    drop_behind_the_stores_back(lite, "ragqa_units")
    (tmp_path / "new.txt").write_text("News\n\nThe river dam holds water for the valley.")
    assert_one_line(run_cli("ingest", tmp_path / "new.txt"), f"error: Milvus at {lite} failed",
                    "collection 'ragqa_units' does not exist")


def test_a_search_that_fails_is_a_user_error(settings, embedder, tmp_path, closed_clients):  # noqa: F811
    milvus = milvus_settings(settings, tmp_path)
    update_index([str(SAMPLE_ARTICLE)], milvus, embedder, progress=False)
    store = open_store(milvus, embedder)
    drop_behind_the_stores_back(milvus.milvus_uri, "ragqa_chunks")
    with pytest.raises(UserError, match=r"^Milvus at .*milvus\.db failed \(search\): .*ragqa_chunks"):
        store.dense_top(embedder.embed_query("dam"), 3, None)


def test_an_unreachable_server_is_one_line_naming_it_without_the_token(run_cli, env):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.setenv("RAGQA_STORE", "milvus")
    env.setenv("RAGQA_MILVUS_URI", f"http://127.0.0.1:{port}")
    env.setenv("RAGQA_MILVUS_TOKEN", "root:sekrit")
    result = run_cli("ask", "What does Khalilzad claim about ISKP?")
    assert_one_line(result, f"error: cannot open Milvus at http://127.0.0.1:{port}: ")
    assert "sekrit" not in result.stderr
