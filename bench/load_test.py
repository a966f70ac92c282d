"""Load test: many gradio_client users asking the app at once. Errors must be zero; reports latency and memory.

    python bench/load_test.py                 # 20 users for 180 s; writes the "load" section of docs/benchmarks.md
    python bench/load_test.py --users 5 --seconds 20 --no-write

Starts `python app.py` on 127.0.0.1 at a free port with a fresh index built from data/articles/ by the real packaged
model (default settings, RAGQA_INDEX_DIR in a temporary folder). First one user asks every question in turn (the
same-run baseline), then --users threads, each with its own Client, ask the rotating questions through the public
/ask endpoint for --seconds. A request fails if it raises, times out, or returns an answer other than the one the
single user got for the same question (answers are deterministic, so a difference means requests interfered).
The app's resident memory is sampled from /proc throughout. Exit code 1 when any request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Loopback only: without these, each gradio_client Client asks huggingface.co for agent lists and sends telemetry.
os.environ.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")

from bench.report import markdown_table, update_section  # noqa: E402
from bench.screenshot import running_app  # noqa: E402

SEED_QUESTIONS = ROOT.parent / "shared" / "qa" / "seed_dev.jsonl"
EXTRA_QUESTIONS = [  # stand-alone (no follow-ups): each user's questions are independent of each other
    "What does the author say about Bagram?",
    "Why does the author distrust Khalilzad?",
    "What is the TTP?",
    "Who pays for the war on terror in Pakistan?",
]
K = 5
START_TIMEOUT_S = 300  # the first call waits for the model and the first-start index build, on a busy machine
REQUEST_TIMEOUT_S = 300  # one answer, including its wait in the app's queue
MAX_USERS, MAX_SECONDS = 200, 3600
MAX_REQUESTS_PER_USER = 20_000  # a hard bound on each user's loop, whatever the clock says
SAMPLE_EVERY_S = 0.25


def questions() -> list[str]:
    seed = []
    if SEED_QUESTIONS.exists():
        seed = [json.loads(line)["question"] for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()]
    return seed + EXTRA_QUESTIONS


# ---- the app under test -----------------------------------------------------------------------------------

def child_pid(script: str) -> int:
    """The process id of this process's child running `script` (running_app does not say it)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and any(part.endswith(script.encode()) for part in command):
            return int(stat.parent.name)
    raise RuntimeError(f"no child process runs {script}")


class MemorySampler:
    """Resident memory of one process, read from /proc/PID/status every SAMPLE_EVERY_S seconds."""

    def __init__(self, pid: int):
        self.pid = pid
        self.samples: list[tuple[float, int]] = []  # (monotonic time, VmRSS kB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status_kb(self, key: str) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def peak_kb(self, start: float, end: float) -> int:
        return max((kb for t, kb in self.samples if start <= t <= end), default=0)

    def _run(self):
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.samples.append((time.monotonic(), self.status_kb("VmRSS")))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ---- the users --------------------------------------------------------------------------------------------

@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str = "") -> None:
        with self.lock:
            (self.errors.append(error) if error else self.latencies.append(seconds))


def connect(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False, max_workers=2)


def ask(client, question: str, expected: dict | None, results: Results) -> dict | None:
    started = time.monotonic()
    try:
        payload = client.submit(question, K, api_name="/ask").result(timeout=REQUEST_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported, whatever its kind
        results.add(0, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
        return None
    elapsed = time.monotonic() - started
    if not isinstance(payload, dict) or "answer" not in payload:
        results.add(0, f"not an answer: {str(payload)[:200]}")
    elif expected is not None and payload != expected:
        results.add(0, f"answer to {question!r} differs from the single user's")
    else:
        results.add(elapsed)
    return payload


def baseline(url: str, asked: list[str], rounds: int) -> tuple[Results, dict[str, dict]]:
    """One user asking every question `rounds` times in turn; also the expected answer to each question."""
    client = connect(url)
    results, expected = Results(), {}
    try:
        for _ in range(rounds):
            for question in asked:
                payload = ask(client, question, expected.get(question), results)
                if payload is not None:
                    expected.setdefault(question, payload)
    finally:
        client.close()
    return results, expected


def load(url: str, asked: list[str], expected: dict[str, dict], users: int,
         seconds: float) -> tuple[Results, float, int]:
    """`users` threads, each with its own Client, asking the rotating questions until `seconds` have passed; also
    the fewest requests any one user made."""
    results = Results()
    deadline = [0.0]
    # The barrier's action runs once every user has connected, before any of them is released: the clock starts there.
    ready = threading.Barrier(users + 1, action=lambda: deadline.__setitem__(0, time.monotonic() + seconds),
                              timeout=START_TIMEOUT_S)
    asked_per_user = [0] * users

    def user(number: int):
        try:
            client = connect(url)
        except Exception as exc:  # noqa: BLE001
            results.add(0, f"connect: {type(exc).__name__}: {exc}"[:300])
            client = None
        try:
            ready.wait()
            if client is None:
                return
            for i in range(MAX_REQUESTS_PER_USER):
                if time.monotonic() >= deadline[0]:
                    break
                question = asked[(number + i) % len(asked)]
                ask(client, question, expected.get(question), results)
                asked_per_user[number] += 1
        finally:
            if client is not None:
                client.close()

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_S + 60)
    idle = sum(1 for count in asked_per_user if count == 0)
    if idle:
        results.add(0, f"{idle} of {users} users asked nothing")
    return results, time.monotonic() - started, min(asked_per_user)


# ---- the report -------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def row(label: str, users: int, results: Results, elapsed: float, fewest: int) -> list:
    ms = [s * 1000 for s in results.latencies]
    done = len(results.latencies) + len(results.errors)
    return [label, users, done, fewest, len(results.errors), f"{percentile(ms, 50):.0f}", f"{percentile(ms, 95):.0f}",
            f"{max(ms, default=0):.0f}", f"{len(results.latencies) / elapsed:.2f}" if elapsed else "-"]


def report(command: str, rows: list[list], memory: dict, errors: list[str], log_problems: list[str],
           asked: list[str]) -> str:
    import gradio

    load1, load5, _ = os.getloadavg()
    lines = [
        "## Load: concurrent users of the app",
        "",
        f"    {command}",
        "",
        f"`python app.py` (gradio {gradio.__version__}, offline answers, real packaged model) on 127.0.0.1 with the "
        f"sample article; each user is a separate gradio_client `Client` in a thread of one process on the same "
        f"machine, asking {len(asked)} rotating questions (the seed dev questions and {len(EXTRA_QUESTIONS)} more) "
        f"through `/ask` (k={K}). {os.cpu_count()} CPU cores, shared with other work (load average "
        f"{load1:.1f} / {load5:.1f} at the end of the run), so timings are noisy. A request counts as an error if "
        "it raises, times out, or its answer differs from the one the single user got for the same question.",
        "",
        markdown_table(["phase", "users", "requests", "fewest by a user", "errors", "p50 ms", "p95 ms", "max ms",
                        "answers/s"], rows),
        "",
        markdown_table(["app memory (RSS)", "MB"], [[name, f"{kb / 1024:.0f}"] for name, kb in memory.items()]),
        "",
        "The app computes offline answers one at a time (a lock around retrieval and evidence in `qa/pipeline.py`; "
        "the `/ask` endpoint and the chat share the queue `answers`, one place for offline work and one per LLM "
        "lane, so an offline answer never waits behind an LLM's writing), so under load a request's latency "
        "is mostly its wait in gradio's queue and grows with the number of users, while answers per second stay "
        "at or a little above the single user's (the queue never idles between requests): the work per answer is "
        "CPU-bound embedding.",
    ]
    if errors or log_problems:
        lines += ["", "Errors seen:", ""] + [f"- `{e}`" for e in sorted(set(errors))[:10]]
        lines += [f"- app log: `{p}`" for p in log_problems[:10]]
    return "\n".join(lines)


def log_problems(log_path: Path) -> list[str]:
    text = log_path.read_text(errors="replace")
    return [line.strip()[:200] for line in text.splitlines() if "Traceback" in line or "ERROR" in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent gradio_client users (default 20)")
    parser.add_argument("--seconds", type=float, default=180, help="how long they ask (default 180)")
    parser.add_argument("--baseline-rounds", type=int, default=2, help="single-user rounds over the questions")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/benchmarks.md")
    args = parser.parse_args()
    if not (1 <= args.users <= MAX_USERS and 1 <= args.seconds <= MAX_SECONDS and 1 <= args.baseline_rounds <= 10):
        parser.error(f"--users 1..{MAX_USERS}, --seconds 1..{MAX_SECONDS}, --baseline-rounds 1..10")
    command = "python bench/load_test.py" + "".join(
        f" --{name.replace('_', '-')} {value:g}" for name, value in vars(args).items()
        if name != "no_write" and value != parser.get_default(name))
    asked = questions()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so a stopped run still stops its app
    with tempfile.TemporaryDirectory(prefix="ragqa-load-") as tmp:
        print(f"starting app.py (first start builds the index in {tmp}) …", file=sys.stderr)
        log_path = Path(tmp) / "app.log"
        with running_app(Path(tmp) / "index", log_path, RAGQA_ARTICLES_DIR=str(ROOT / "data" / "articles")) as url:
            with MemorySampler(child_pid("app.py")) as memory:
                warm = connect(url)  # the first call waits for the first-start index and the model
                warm.submit(api_name="/articles").result(timeout=START_TIMEOUT_S)
                warm.close()
                idle_kb = memory.status_kb("VmRSS")
                print(f"baseline: 1 user, {args.baseline_rounds} × {len(asked)} questions …", file=sys.stderr)
                started = time.monotonic()
                single, expected = baseline(url, asked, args.baseline_rounds)
                single_elapsed = time.monotonic() - started
                print(f"load: {args.users} users for {args.seconds:g} s …", file=sys.stderr)
                load_start = time.monotonic()
                loaded, load_elapsed, fewest = load(url, asked, expected, args.users, args.seconds)
                middle, load_end = load_start + load_elapsed / 2, time.monotonic()
            figures = {"idle, index and model loaded": idle_kb,
                       "peak, first half of the load": memory.peak_kb(load_start, middle),
                       "peak, second half of the load": memory.peak_kb(middle, load_end),
                       "peak since start (VmHWM)": max(memory.status_kb("VmHWM"), memory.peak_kb(0, load_end)),
                       "after the load": memory.status_kb("VmRSS")}
        problems = log_problems(log_path)

    rows = [row("baseline", 1, single, single_elapsed, len(single.latencies) + len(single.errors)),
            row("load", args.users, loaded, load_elapsed, fewest)]
    errors = single.errors + loaded.errors
    markdown = report(command, rows, figures, errors, problems, asked)
    print(markdown)
    if not args.no_write:
        update_section("load", markdown)
        print("wrote the load section of docs/benchmarks.md", file=sys.stderr)
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
