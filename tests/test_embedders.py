"""Embedding precision: bf16 autocast only where the CPU has native bf16, fp32 elsewhere; small batches on one
thread; the sentence-transformers import stays lazy."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fakes import RecordingModel
from helpers import ROOT
from index.embedders import (ONE_THREAD_BELOW, SentenceTransformerEmbedder, choose_precision, cpu_flags,
                             make_embedder)
from schema import UserError
from settings import DEFAULT_MODEL


@pytest.mark.parametrize("requested, flags, chosen", [
    ("auto", {"avx2", "fma"}, "fp32"),
    ("auto", set(), "fp32"),
    ("auto", {"avx2", "avx512f", "avx512_bf16"}, "bf16"),
    ("auto", {"amx_tile", "amx_bf16"}, "bf16"),
    ("fp32", {"avx512_bf16"}, "fp32"),
    ("bf16", {"avx2"}, "bf16"),
])
def test_precision_is_chosen_from_the_cpu_flags(requested, flags, chosen):
    assert choose_precision(requested, flags) == chosen


def test_unknown_precision_is_a_user_error():
    with pytest.raises(UserError, match="embedding precision 'fp16' is not one of auto, fp32, bf16"):
        choose_precision("fp16", set())


def test_cpu_flags_come_from_proc_cpuinfo():
    flags = cpu_flags()
    assert isinstance(flags, set)
    if sys.platform == "linux":
        assert flags and all(flag == flag.strip() for flag in flags)


def test_make_embedder_passes_the_precision_and_loads_nothing():
    embedder = make_embedder(DEFAULT_MODEL, precision="fp32")
    assert embedder.precision == "fp32" and embedder._model is None
    assert make_embedder(DEFAULT_MODEL, precision="bf16").precision == "bf16"
    assert make_embedder(DEFAULT_MODEL).precision == choose_precision("auto", cpu_flags())


def test_making_an_embedder_imports_neither_torch_nor_sentence_transformers():
    code = ("import sys; sys.path.insert(0, '.'); from index.embedders import make_embedder; "
            "make_embedder('packaged:all-MiniLM-L6-v2'); "
            "print(sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def fake_embedder(precision: str) -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, precision=precision, device="cpu")
    embedder._model = RecordingModel()
    return embedder


def test_bf16_encodes_under_autocast_and_returns_unit_float32_vectors():
    embedder = fake_embedder("bf16")
    vectors = embedder.embed_documents(["a", "b"])
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert embedder._model.calls[0][2] is True


def test_fp32_encodes_without_autocast():
    embedder = fake_embedder("fp32")
    embedder.embed_documents(["a"])
    assert embedder._model.calls[0][2] is False


def test_small_batches_run_on_one_thread_and_the_thread_count_is_restored():
    import torch

    before = torch.get_num_threads()
    embedder = fake_embedder("fp32")
    embedder.embed_query("a question")
    embedder.embed_documents(["text"] * ONE_THREAD_BELOW)
    assert [threads for _, threads, _ in embedder._model.calls] == [1, before]
    assert torch.get_num_threads() == before


@pytest.mark.slow
def test_bf16_vectors_of_the_real_model_match_fp32():
    texts = ["What does the author say about Bagram?",
             "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
             "Super Bowl 50 was an American football game to determine the champion of the NFL for the 2015 season."]
    fp32 = make_embedder(DEFAULT_MODEL, precision="fp32").embed_documents(texts)
    bf16 = make_embedder(DEFAULT_MODEL, precision="bf16").embed_documents(texts)
    assert bf16.dtype == np.float32 and np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fp32 * bf16, axis=1)) >= 0.999


def test_the_cpu_model_is_read_where_the_flags_are():
    from index.embedders import cpu_model

    if not Path("/proc/cpuinfo").exists():
        pytest.skip("no /proc/cpuinfo on this system")
    named = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
    model = cpu_model()
    assert model == (named[0].split(":", 1)[1].strip() if named else "")
    assert model == model.strip() and "model name" not in model
