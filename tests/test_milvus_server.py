"""Several processes over one `milvus-lite server` (issue 15): one ingests while two others answer questions through
http://127.0.0.1:PORT, with no failed answer. Slow: it starts a server and four Python processes."""
import json
import socket
import subprocess
import sys
import time

import pytest
from helpers import ROOT, SAMPLE_ARTICLE, SEED_DEV, cli_process, needs_milvus

from bench.screenshot import stop

pytestmark = [pytest.mark.slow, needs_milvus]

READER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from qa.pipeline import QAPipeline
from settings import Settings

questions, done = json.loads(sys.argv[1]), Path(sys.argv[2])
pipeline = QAPipeline(Settings.from_env())
asked, failed, answered = 0, [], 0
while True:
    finished = done.exists()  # one more round after the writer finished: it sees the final index
    for question in questions:
        try:
            answered += pipeline.ask(question).answered
        except Exception as exc:
            failed.append(f"{{type(exc).__name__}}: {{exc}}"[:300])
        asked += 1
    if finished:
        break
print(json.dumps({{"asked": asked, "answered": answered, "failed": failed,
                  "documents": len(pipeline.collection.documents())}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def milvus_server(tmp_path):
    """`milvus-lite server` on 127.0.0.1 and a free port: its URI; stopped (and waited for) on leaving."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus"),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "milvus-lite server did not start in 60 s"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server, 20)


def test_two_processes_answer_while_a_third_ingests(milvus_server, cli_env, tmp_path):
    env = {**cli_env, "RAGQA_STORE": "milvus", "RAGQA_MILVUS_URI": milvus_server}
    first = cli_process(env, "ingest", SAMPLE_ARTICLE)
    assert first.returncode == 0, first.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(40):
        (corpus / f"river-{n}.txt").write_text(f"River {n}\n\nThe dam on river {n} holds water for the valley. "
                                               f"Farmers along river {n} want a share of the water.\n\n"
                                               + "Water rights are disputed in the valley. " * 30)
    questions = [json.loads(line)["question"] for line in SEED_DEV.read_text().splitlines() if line.strip()][:4]
    done = tmp_path / "done"
    readers = [subprocess.Popen([sys.executable, "-c", READER.format(root=str(ROOT)), json.dumps(questions),
                                 str(done)], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    try:
        writer = cli_process(env, "ingest", corpus)
        done.touch()
        results = [reader.communicate(timeout=300) for reader in readers]
    finally:
        for reader in readers:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
    assert writer.returncode == 0, writer.stderr
    for reader, (out, err) in zip(readers, results):
        assert reader.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["failed"] == [] and report["asked"] >= 2 * len(questions), report
        assert report["documents"] == 41, "the last round saw the whole index"
