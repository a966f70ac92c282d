import os
import subprocess
import sys

import pytest

from helpers import MILVUS_MISSING
from helpers import ROOT, SAMPLE_ARTICLE, write

sys.path.insert(0, str(ROOT))

import cli  # noqa: E402
from index.build import update_index  # noqa: E402
from index.embedders import HashingEmbedder  # noqa: E402
from settings import KEY_VARIABLES, PREFIX, Settings  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow layer: real model, servers, browser")
    parser.addoption("--ray-network", action="store_true",
                     help="also run the tests that start a local Ray, whose servers listen on every interface")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--ray-network"):  # the tests' servers listen on 127.0.0.1 only; Ray cannot be told to
        off = pytest.mark.skip(reason="starts a local Ray, whose servers listen on every network interface (Ray has "
                                      "no loopback-only setting): run with --ray-network on a machine where that is safe")
        for item in items:
            if "starts_ray" in item.keywords:
                item.add_marker(off)
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
def indexed(settings, embedder) -> Settings:
    """The `settings` with the sample article indexed (an in-process ingest with the hashing embedder: ~10 ms)."""
    update_index([str(SAMPLE_ARTICLE)], settings, embedder, progress=False)
    return settings


def _own_variable(name: str) -> bool:
    return name.startswith(PREFIX) or name in KEY_VARIABLES.values()


@pytest.fixture
def cli_env(tmp_path):
    """Environment for running cli.py as a user would, with the fast embedder and a private index."""
    env = {k: v for k, v in os.environ.items() if not _own_variable(k)}
    env.update(RAGQA_EMBED_MODEL="hashing", RAGQA_INDEX_DIR=str(tmp_path / "index"))
    return env


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean RAGQA_ environment (no LLM keys either) with the fast embedder, for building settings or running
    cli.main in-process."""
    for name in [n for n in os.environ if _own_variable(n)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAGQA_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAGQA_INDEX_DIR", str(tmp_path / "index"))
    return monkeypatch


@pytest.fixture
def run_cli(env, capsys):
    """`python cli.py ARGS` run in this process (`cli.main`) in the `env` environment: a CompletedProcess with the
    exit code and what it printed. Set variables with env.setenv before the call."""
    def run(*args) -> subprocess.CompletedProcess:
        capsys.readouterr()
        argv = [str(arg) for arg in args]
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # --help
            code = exit_.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["cli.py", *argv], code, out, err)
    return run


# The shared Chromium fixtures of the browser tests: each browser test module defines `app_url`, the app it drives.
@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    from bench.screenshot import launch_chromium

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh laptop-sized page that records dialogs (an alert would mean injected script ran) and JS errors."""
    from bench.screenshot import LAPTOP

    page = browser.new_page(viewport=LAPTOP)
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    page.close()


@pytest.fixture
def closed_clients():
    yield
    if MILVUS_MISSING is None:
        from index.milvus_store import forget_clients

        forget_clients()


@pytest.fixture
def corpus(tmp_path):
    """A folder of three articles for the index tests: two short ones (one with a byline) and the sample article."""
    folder = tmp_path / "corpus"
    write(folder, "rivers.txt", "Rivers\n\nBy Ann Lee | 2021-03-04\n\nThe river dam holds water for the valley. Water "
                                "rights are disputed.\n\nFarmers along the river want a share of the water.")
    write(folder, "border.txt", "Border\n\nTrade across the border fell after the attacks. The army closed roads.")
    write(folder, "khalilzad.txt", SAMPLE_ARTICLE.read_text())
    return folder


@pytest.fixture
def library(settings, embedder):
    """The app's article library over an index of the sample article, copied into the articles folder."""
    import shutil

    from qa.collection import Collection
    from ui.library import Library

    settings.articles_dir.mkdir(parents=True)
    shutil.copy(SAMPLE_ARTICLE, settings.articles_dir)
    library = Library(Collection(settings, embedder))
    library.ensure_ready()
    return library
