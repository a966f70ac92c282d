"""Settings are checked once, when built: every bad variable and every bad flag is one line naming it and exit 2,
before any work starts; each list of choices exists once, in settings.py, and the CLI, the modules and the README
state that one."""
import argparse
import re
import runpy
from dataclasses import fields

import pytest
from helpers import ROOT

import cli
import ingest.loaders as loaders
from schema import UserError
from settings import ANSWER_MODES, LLM_BACKENDS, MAX_UPLOAD_MB, PRECISIONS, RETRIEVERS, Settings, variable

FILE = "<a file>"  # stands for the path of an existing file, made per test
FREE_TEXT = {"llm_model", "llm_api_key"}  # any text is a valid model name or key: nothing to refuse

# (variable, value, the refusal's start after "error: environment variable "); at least one per setting.
BAD_VARIABLES = [
    ("RAGQA_INDEX_DIR", FILE, f"RAGQA_INDEX_DIR='{FILE}' is a file, not a folder"),
    ("RAGQA_ARTICLES_DIR", FILE, f"RAGQA_ARTICLES_DIR='{FILE}' is a file, not a folder"),
    ("RAGQA_EMBED_MODEL", "  ", "RAGQA_EMBED_MODEL='  ' must name a model"),
    ("RAGQA_CHUNK_TOKENS", "0", "RAGQA_CHUNK_TOKENS=0 must be at least 1"),
    ("RAGQA_CHUNK_TOKENS", "many", "RAGQA_CHUNK_TOKENS='many' is not a valid chunk_tokens (a whole number)"),
    ("RAGQA_CHUNK_OVERLAP", "500", "RAGQA_CHUNK_OVERLAP=500 must be at least 0 and below RAGQA_CHUNK_TOKENS=200"),
    ("RAGQA_CHUNK_OVERLAP", "-1", "RAGQA_CHUNK_OVERLAP=-1 must be at least 0 and below RAGQA_CHUNK_TOKENS=200"),
    ("RAGQA_EMBED_PRECISION", "fp16", "RAGQA_EMBED_PRECISION='fp16' is not one of auto, fp32, bf16"),
    ("RAGQA_DEVICE", "gpu", "RAGQA_DEVICE='gpu' is not one of auto, cpu, cuda, cuda:N"),
    ("RAGQA_EMBED_TITLE", "maybe", "RAGQA_EMBED_TITLE='maybe' is not a valid embed_title (true or false)"),
    ("RAGQA_UNIT_VECTORS", "2", "RAGQA_UNIT_VECTORS='2' is not a valid unit_vectors (true or false)"),
    ("RAGQA_TOP_K", "0", "RAGQA_TOP_K=0 must be at least 1"),
    ("RAGQA_TOP_K", "many", "RAGQA_TOP_K='many' is not a valid top_k (a whole number)"),
    ("RAGQA_RETRIEVER", "foo", "RAGQA_RETRIEVER='foo' is not one of dense, bm25, hybrid, rrf, mmr"),
    ("RAGQA_MIN_RELEVANCE", "high", "RAGQA_MIN_RELEVANCE='high' is not a valid min_relevance (a number)"),
    ("RAGQA_MIN_RELEVANCE", "nan", "RAGQA_MIN_RELEVANCE=nan must be a number"),
    ("RAGQA_ANSWER_MODE", "chat", "RAGQA_ANSWER_MODE='chat' is not one of offline, llm"),
    ("RAGQA_LLM_BACKEND", "gpt", "RAGQA_LLM_BACKEND='gpt' is not one of openai, hf, local (or unset for none)"),
    ("RAGQA_LLM_BACKEND", "openai", "RAGQA_LLM_BACKEND='openai' needs RAGQA_LLM_BASE_URL"),
    ("RAGQA_LLM_BACKEND", "hf", "RAGQA_LLM_BACKEND='hf' needs a Hugging Face token in HF_TOKEN"),
    ("RAGQA_LLM_BASE_URL", "127.0.0.1:8080", "RAGQA_LLM_BASE_URL is not an http(s) URL"),
    ("RAGQA_LLM_BASE_URL", "http://alice:pa55w0rd@127.0.0.1:port/v1", "RAGQA_LLM_BASE_URL is not a valid URL"),
    ("RAGQA_LLM_MAX_TOKENS", "0", "RAGQA_LLM_MAX_TOKENS=0 must be at least 1"),
    ("RAGQA_ALLOW_UPLOADS", "maybe", "RAGQA_ALLOW_UPLOADS='maybe' is not a valid allow_uploads (true or false)"),
    ("RAGQA_ALLOW_DELETE", "maybe", "RAGQA_ALLOW_DELETE='maybe' is not a valid allow_delete (true or false)"),
    ("RAGQA_MAX_UPLOAD_MB", "0", "RAGQA_MAX_UPLOAD_MB=0 must be from 1 to 20"),
    ("RAGQA_MAX_UPLOAD_MB", "21", "RAGQA_MAX_UPLOAD_MB=21 must be from 1 to 20 (ingest reads no larger file)"),
    ("RAGQA_ALLOW_PRIVATE_URLS", "maybe",
     "RAGQA_ALLOW_PRIVATE_URLS='maybe' is not a valid allow_private_urls (true or false)"),
    ("RAGQA_STORE", "pgvector", "RAGQA_STORE='pgvector' is not one of faiss, milvus"),
    ("RAGQA_MILVUS_URI", "tcp://u:pa55w0rd@host", "RAGQA_MILVUS_URI is neither an http(s) URL of a Milvus server nor a "
                                                "Milvus Lite file ending in .db"),
    ("RAGQA_MILVUS_URI", "http://u:pa55w0rd@host:port", "RAGQA_MILVUS_URI is not a valid URL"),
    ("RAGQA_MILVUS_TOKEN", "u:pa55w0rd", "RAGQA_MILVUS_TOKEN is for a Milvus server, but RAGQA_MILVUS_URI is a local"),
    ("RAGQA_MILVUS_COLLECTION", "9-lives", "RAGQA_MILVUS_COLLECTION='9-lives' must be up to 200 letters, digits"),
    ("RAGQA_TOPK", "5", "RAGQA_TOPK is not a setting (did you mean RAGQA_TOP_K?)"),
]

# (command line, the refusal's start after "error: "); at least one per flag that takes a value.
BAD_FLAGS = [
    (["ingest", "x.txt", "--ray", "a b"], "argument --ray: 'a b' must be local, auto, HOST:PORT or ray://HOST:PORT"),
    (["ask", "x", "--k", "0"], "argument --k: 0 must be at least 1"),
    (["ask", "x", "--k", "lots"], "argument --k: invalid int value: 'lots'"),
    (["eval", "d.jsonl", "--k", "-1"], "argument --k: -1 must be at least 1"),
    (["ask", "x", "--retriever", "foo"], "argument --retriever: invalid choice: 'foo'"),
    (["eval", "d.jsonl", "--retriever", "dense,foo"],
     "argument --retriever: 'foo' is not one of dense, bm25, hybrid, rrf, mmr"),
    (["ask", "x", "--mode", "chat"], "argument --mode: invalid choice: 'chat'"),
    (["eval", "d.jsonl", "--mode", "chat"], "argument --mode: invalid choice: 'chat'"),
    (["eval", "d.jsonl", "--limit", "0"], "argument --limit: 0 must be at least 1"),
    (["eval", "d.jsonl", "--every", "0"], "argument --every: 0 must be at least 1"),
    (["eval", "d.jsonl", "--every", "2.5"], "argument --every: invalid int value: '2.5'"),
    (["eval", "d.jsonl", "--app", "127.0.0.1:7860"],
     "argument --app: the URL is not an http(s) URL such as http://127.0.0.1:7860"),
    (["eval", "d.jsonl", "--app", "http://alice:pa55w0rd@127.0.0.1:port/"], "argument --app: the URL is not a valid"),
    (["eval", "d.jsonl", "--out", FILE], f"argument --out: '{FILE}' is a file, not a folder"),
    (["ingest", "x.txt", "--index", FILE], f"argument --index: '{FILE}' is a file, not a folder"),
    (["ask", "x", "--index", FILE], f"argument --index: '{FILE}' is a file, not a folder"),
    (["eval", "d.jsonl", "--index", FILE], f"argument --index: '{FILE}' is a file, not a folder"),
    (["move-index", "--to", "milvus", "--index", FILE], f"argument --index: '{FILE}' is a file, not a folder"),
    (["move-index", "--to", "faiss"], "argument --to: invalid choice: 'faiss'"),
    (["ingest", "x.txt", "--model", " "], "argument --model: ' ' must name a model"),
    (["ask", "x", "--model", ""], "argument --model: '' must name a model"),
    (["eval", "d.jsonl", "--model", ""], "argument --model: '' must name a model"),
    (["ask", "x", "--since", "yesterday"], "--since must be a date such as 2025-03-31"),
    (["eval", "d.jsonl", "--until", "2025-13"], "--until must be a date such as 2025-03-31"),
    (["ask", "x", "--until", "soon"], "--until must be a date such as 2025-03-31"),
    (["eval", "d.jsonl", "--since", "2025-02-30"], "--since must be a date such as 2025-03-31"),
]
FREE_FLAGS = {"--article", "--author"}  # any text narrows the search, or finds nothing


@pytest.fixture
def a_file(tmp_path) -> str:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return str(path)


@pytest.mark.parametrize("name, value, message", BAD_VARIABLES)
def test_a_bad_variable_is_one_line_naming_it_and_exit_2(name, value, message, env, run_cli, a_file):
    env.setenv(name, value.replace(FILE, a_file))
    result = run_cli("ask", "What does the author say about Bagram?")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: environment variable {message.replace(FILE, a_file)}"), result.stderr
    assert "pa55w0rd" not in result.stderr, "a URL setting is never echoed: it may hold a password"


@pytest.mark.parametrize("argv, message", BAD_FLAGS)
def test_a_bad_flag_is_one_line_naming_it_and_exit_2(argv, message, run_cli, a_file):
    result = run_cli(*[arg.replace(FILE, a_file) for arg in argv])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {message.replace(FILE, a_file)}"), result.stderr
    assert "pa55w0rd" not in result.stderr


def test_every_setting_and_every_flag_has_a_bad_value_above():
    tested = {name for name, _, _ in BAD_VARIABLES}
    assert {variable(f.name) for f in fields(Settings) if f.name not in FREE_TEXT} <= tested
    commands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    taking_values = {(command, option) for command, parser in commands.items() for action in parser._actions
                     if action.nargs != 0 for option in action.option_strings}
    flagged = {(argv[0], argv[i]) for argv, _ in BAD_FLAGS for i in range(len(argv)) if argv[i].startswith("--")}
    assert {(c, o) for c, o in taking_values if o not in FREE_FLAGS} <= flagged


def test_a_flag_is_refused_under_its_own_name_and_wins_over_the_variable(env):
    env.setenv("RAGQA_TOP_K", "7")
    assert Settings.from_env(cli.SETTING_FLAGS, top_k=3).top_k == 3
    with pytest.raises(UserError, match="^argument --k: 0 must be at least 1$"):
        Settings.from_env(cli.SETTING_FLAGS, top_k=0)


def test_a_default_made_wrong_by_another_setting_is_named_as_the_default(env):
    env.setenv("RAGQA_CHUNK_TOKENS", "30")
    with pytest.raises(UserError, match="^the default RAGQA_CHUNK_OVERLAP=40 must be at least 0 and below "
                                        "RAGQA_CHUNK_TOKENS=30$"):
        Settings.from_env()


def test_settings_built_in_code_are_checked_too():
    with pytest.raises(UserError, match="RAGQA_RETRIEVER='foo' is not one of"):
        Settings(retriever="foo")


@pytest.mark.parametrize("backend, secret", [("openai", "OPENAI_API_KEY"), ("hf", "HF_TOKEN")])
def test_the_llm_key_is_read_by_settings_from_its_backends_variable(backend, secret, env):
    env.setenv("RAGQA_LLM_BACKEND", backend)
    env.setenv("RAGQA_LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    env.setenv(secret, "s3cret")
    settings = Settings.from_env()
    assert settings.llm_api_key == "s3cret" and "s3cret" not in repr(settings)
    env.setenv("RAGQA_LLM_API_KEY", "own")
    assert Settings.from_env().llm_api_key == "own"


def test_no_product_module_reads_the_environment_but_settings():
    """Secrets and RAGQA_* variables are read in settings.py only (setting a variable for a library is allowed)."""
    product = [*ROOT.glob("*.py"), *(p for package in ("ingest", "index", "qa", "ui")
                                     for p in (ROOT / package).rglob("*.py"))]
    readers = [p.relative_to(ROOT).as_posix() for p in product
               if re.search(r"environ\.get\(|environ\[|getenv\(", p.read_text())]
    assert readers == ["settings.py"]


def test_private_urls_are_allowed_through_settings(env):
    from ingest.fetch import private_urls_allowed

    assert private_urls_allowed() is False
    env.setenv("RAGQA_ALLOW_PRIVATE_URLS", "on")
    assert private_urls_allowed() is True


def test_the_upload_cap_is_the_largest_file_ingest_reads():
    assert MAX_UPLOAD_MB * 2**20 == loaders.MAX_BYTES


@pytest.mark.parametrize("name, choices", [("RAGQA_RETRIEVER", RETRIEVERS), ("RAGQA_ANSWER_MODE", ANSWER_MODES),
                                           ("RAGQA_LLM_BACKEND", LLM_BACKENDS),
                                           ("RAGQA_EMBED_PRECISION", PRECISIONS)])
def test_the_readme_states_each_list_of_choices_as_settings_has_it(name, choices):
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(f"| `{name}`"))
    meaning = re.sub(r"\([^)]*\)", "", row.split("|")[3])  # the choices, without what the parentheses say of them
    assert re.findall(r"\b(?:" + "|".join(choices) + r")\b", meaning)[:len(choices)] == list(choices), row


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    assert [variable(f.name) for f in fields(Settings) if f"`{variable(f.name)}`" not in readme] == []


def test_the_cli_offers_the_retrievers_and_modes_settings_has():
    commands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    ask = {action.dest: action.choices for action in commands["ask"]._actions}
    assert tuple(ask["retriever"]) == RETRIEVERS and tuple(ask["mode"]) == ANSWER_MODES


def test_the_app_refuses_a_bad_setting_in_one_line_and_exits_2(env, capsys):
    env.setenv("RAGQA_RETRIEVER", "foo")
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(ROOT / "app.py"), run_name="app_with_a_bad_setting")
    assert stopped.value.code == 2
    message = capsys.readouterr().err
    assert message.startswith("error: environment variable RAGQA_RETRIEVER='foo' is not one of")
    assert message.count("\n") == 1 and "Traceback" not in message


def test_main_returns_the_exit_code_and_help_exits_0(run_cli):
    assert cli.main(["ask", "x", "--k", "0"]) == 2
    with pytest.raises(SystemExit) as helped:
        cli.main(["--help"])
    assert helped.value.code == 0
