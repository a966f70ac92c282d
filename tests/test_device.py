"""RAGQA_DEVICE: the embedding model runs on the GPU when torch sees one (auto), or where the setting says; a device
that cannot work here is refused when the settings are built, in one line naming the variable. No GPU is needed:
torch.cuda is mocked, except in the one test that compares real CUDA vectors with CPU ones (skipped without a GPU)."""
import sys
import types

import numpy as np
import pytest
from fakes import RecordingModel

import cli
from index.embedders import SentenceTransformerEmbedder, choose_device, choose_precision, make_embedder
from schema import UserError
from settings import DEFAULT_MODEL, Settings


@pytest.fixture
def gpus(monkeypatch):
    """Makes torch see `count` GPUs (0: none) without touching a real one."""
    import torch

    def see(count: int):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    return see


def test_the_device_defaults_to_auto_and_takes_cpu(env):
    assert Settings.from_env().device == "auto"
    env.setenv("RAGQA_DEVICE", "cpu")
    assert Settings.from_env().device == "cpu"


@pytest.mark.parametrize("value, count, message", [
    ("gpu", 1, "RAGQA_DEVICE='gpu' is not one of auto, cpu, cuda, cuda:N"),
    ("cuda:x", 1, "RAGQA_DEVICE='cuda:x' is not one of auto, cpu, cuda, cuda:N"),
    ("CPU", 0, "RAGQA_DEVICE='CPU' is not one of auto, cpu, cuda, cuda:N"),
    ("cuda", 0, "RAGQA_DEVICE='cuda' asks for a GPU but torch sees none (use auto or cpu)"),
    ("cuda:0", 0, "RAGQA_DEVICE='cuda:0' asks for a GPU but torch sees none"),
    ("cuda:2", 2, "RAGQA_DEVICE='cuda:2' asks for GPU 2 but torch sees 2 (cuda:0 to cuda:1)"),
])
def test_a_device_that_cannot_work_here_is_refused_naming_the_variable(value, count, message, env, gpus):
    gpus(count)
    env.setenv("RAGQA_DEVICE", value)
    with pytest.raises(UserError) as refused:
        Settings.from_env()
    assert str(refused.value).startswith(f"environment variable {message}")


@pytest.mark.parametrize("value", ["cuda", "cuda:0", "cuda:1"])
def test_a_gpu_torch_sees_is_accepted(value, env, gpus):
    gpus(2)
    env.setenv("RAGQA_DEVICE", value)
    assert Settings.from_env().device == value


def test_the_cli_refuses_cuda_without_a_gpu_in_one_line(env, gpus, capsys):
    gpus(0)
    env.setenv("RAGQA_DEVICE", "cuda")
    assert cli.main(["ask", "What does the author say about Bagram?"]) == 2
    err = capsys.readouterr().err
    assert err == "error: environment variable RAGQA_DEVICE='cuda' asks for a GPU but torch sees none (use auto or cpu)\n"


@pytest.mark.parametrize("requested, cuda_available, chosen", [
    ("auto", True, "cuda"),
    ("auto", False, "cpu"),
    ("cpu", True, "cpu"),
    ("cuda:1", True, "cuda:1"),
])
def test_auto_takes_the_gpu_when_torch_sees_one(requested, cuda_available, chosen, gpus):
    gpus(2 if cuda_available else 0)
    assert choose_device(requested, cuda_available) == chosen


def test_choosing_a_gpu_that_is_not_there_names_the_variable(gpus):
    gpus(0)
    with pytest.raises(UserError, match="RAGQA_DEVICE='cuda' asks for a GPU but torch sees none"):
        choose_device("cuda", False)


@pytest.mark.parametrize("requested, chosen", [("auto", "fp16"), ("fp32", "fp32"), ("bf16", "bf16")])
def test_on_a_gpu_auto_precision_is_fp16_whatever_the_cpu_flags(requested, chosen):
    assert choose_precision(requested, {"avx512_bf16"}, "cuda") == chosen
    assert choose_precision(requested, set(), "cuda:1") == chosen


@pytest.fixture
def loads(monkeypatch):
    """Stands in for sentence-transformers: records the device each model is loaded on, imports nothing heavy."""
    devices = []

    class FakeSentenceTransformer(RecordingModel):
        tokenizer = None

        def __init__(self, path, device):
            super().__init__()
            devices.append(device)

        def preprocess(self, texts):
            return texts

    utils = types.SimpleNamespace(logging=types.SimpleNamespace(disable_progress_bar=lambda: None))
    monkeypatch.setitem(sys.modules, "sentence_transformers",
                        types.SimpleNamespace(SentenceTransformer=FakeSentenceTransformer))
    monkeypatch.setitem(sys.modules, "transformers", types.SimpleNamespace(utils=utils))
    monkeypatch.setitem(sys.modules, "transformers.utils", utils)
    return devices


@pytest.mark.parametrize("gpu_count, requested, device, precision", [
    (1, "auto", "cuda", "fp16"),
    (0, "auto", "cpu", None),  # None: the CPU's own choice
    (1, "cpu", "cpu", None),
    (2, "cuda:1", "cuda:1", "fp16"),
])
def test_the_model_loads_on_the_chosen_device_with_its_precision(gpu_count, requested, device, precision, gpus,
                                                                 loads):
    gpus(gpu_count)
    embedder = make_embedder(DEFAULT_MODEL, device=requested)
    embedder.model  # noqa: B018 - loads it
    assert loads == [device] and embedder.device == device
    cpu_choice = make_embedder(DEFAULT_MODEL, device="cpu").precision
    assert embedder.precision == (precision or cpu_choice)


def gpu_embedder(precision: str) -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, precision=precision, device="cuda")
    embedder.device, embedder.precision = "cuda", choose_precision(precision, set(), "cuda")
    embedder._model = RecordingModel()
    return embedder


def test_on_a_gpu_small_batches_keep_every_cpu_thread():
    import torch

    embedder = gpu_embedder("fp32")
    embedder.embed_query("a question")
    assert embedder._model.calls[0][1] == torch.get_num_threads()


@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_on_a_gpu_fp16_autocast_runs_on_cuda_and_vectors_are_renormalised_in_fp32():
    import torch

    embedder = gpu_embedder("auto")
    autocast = embedder._autocast()
    assert (autocast.device, autocast.fast_dtype) == ("cuda", torch.float16)
    vectors = embedder.embed_documents(["a", "b"])  # the recording model returns norm 1.2
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


@pytest.mark.slow
def test_cuda_vectors_of_the_real_model_match_cpu():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("torch sees no GPU (torch.cuda.is_available() is False): CUDA vectors not compared with CPU")
    texts = ["What does the author say about Bagram?",
             "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
             "Super Bowl 50 was an American football game to determine the champion of the NFL for the 2015 season."]
    cpu = make_embedder(DEFAULT_MODEL, precision="fp32", device="cpu").embed_documents(texts)
    gpu = make_embedder(DEFAULT_MODEL, device="auto")
    vectors = gpu.embed_documents(texts)
    assert gpu.device == "cuda" and gpu.precision == "fp16"
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(cpu * vectors, axis=1)) >= 0.999
