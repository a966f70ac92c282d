import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Copies of ../shared's sample article and seed questions: the tests run in a clone with nothing beside it.
SAMPLE_ARTICLE = ROOT / "data" / "articles" / "khalilzad-on-iskp-ttp-and-pakistan.txt"
SEED_DEV = ROOT / "tests" / "data" / "seed_dev.jsonl"
sys.path.insert(0, str(ROOT))

from index.embedders import HashingEmbedder  # noqa: E402
from settings import Settings  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow layer: real model, servers, browser")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow layer: run with --slow")
    for item in items:
        if "slow" in item.keywords or "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Every path in tmp_path, and the dependency-free hashing embedder."""
    return Settings(index_dir=tmp_path / "index", articles_dir=tmp_path / "articles", embed_model="hashing")


@pytest.fixture
def embedder():
    return HashingEmbedder()


@pytest.fixture
def cli_env(tmp_path):
    """Environment for running cli.py as a user would, with the fast embedder and a private index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(RAGQA_EMBED_MODEL="hashing", RAGQA_INDEX_DIR=str(tmp_path / "index"))
    return env


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean RAGQA_ environment with the fast embedder, for building settings or running cli.main in-process."""
    for name in [n for n in os.environ if n.startswith("RAGQA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAGQA_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAGQA_INDEX_DIR", str(tmp_path / "index"))
    return monkeypatch
