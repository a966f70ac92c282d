"""Load test: many users asking the app at once. Errors must be zero; reports latency, memory and
the cold start (seconds from `python app.py` to the page, and to the first answer).

    python -m bench.load_test                 # 20 users for 180 s; writes the "load" section of docs/benchmarks.md
    python -m bench.load_test --users 30 --seconds 25 --squad-articles 4 --compare-with /tmp/main --no-write

Starts `python app.py` on 127.0.0.1 at a free port with a fresh index built from data/articles/ (plus the first
--squad-articles SQuAD dev articles) by the real packaged model (default settings, RAGQA_INDEX_DIR in a temporary
folder), timing the page and the first answer from the launch. First one user asks every question in turn (the
same-run baseline), then --users users ask the rotating questions through the public /ask endpoint for --seconds:
once as plain HTTP clients of Gradio's REST API (one asyncio task each, so the load generator costs little of the
cores it shares with the app), and once each with its own gradio_client Client in a thread (the Python client's own
cost is then part of what is measured). A request fails if it raises, times out, or returns an answer other than
the one the single user got for the same question (answers are deterministic, so a difference means requests
interfered).
The app's resident memory is sampled from /proc throughout. Then the app is started again on the index it built
(a restart) and timed the same way. With --compare-with DIR (another checkout, say of main) the same is done first
with that checkout's app.py, and the two apps' answers to every question are compared. Exit code 1 when any request
failed.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import update_section
from bench.screenshot import running_app
from evaluation.datasets import read_squad
from evaluation.report import markdown_table
from index.embedders import cpu_model

# Loopback only: without these, each gradio_client Client asks huggingface.co for agent lists and sends telemetry.
# Set before gradio_client is imported (in `connect`), which reads them then.
os.environ.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_COPY = ROOT / "tests" / "data" / "seed_dev.jsonl"  # the tests' copy, when ../shared is not beside the checkout
SQUAD = Path("benchmarks") / "squad-v1.1-dev" / "dev-v1.1.json"
SQUAD_QUESTIONS_PER_ARTICLE = 2
EXTRA_QUESTIONS = [  # stand-alone (no follow-ups): each user's questions are independent of each other
    "What does the author say about Bagram?",
    "Why does the author distrust Khalilzad?",
    "What is the TTP?",
    "Who pays for the war on terror in Pakistan?",
]
K = 5
TARGET_P95_MS = 1500  # issue 12: 30 users, p95 at most 1.5 s and no errors
ASK_DEFAULTS = ["offline", "", "", ""]  # /ask's mode, author, since, until: the REST API takes every input
START_TIMEOUT_S = 300  # the first call waits for the model and the first-start index build, on a busy machine
REQUEST_TIMEOUT_S = 300  # one answer, including its wait in the app's queue
MAX_USERS, MAX_SECONDS = 200, 3600
MAX_REQUESTS_PER_USER = 20_000  # a hard bound on each user's loop, whatever the clock says
SAMPLE_EVERY_S = 0.25
LATENCY_NOTE = ("Under load a request's latency is about the number of users over the answers per second. An app that "
                "uses less than the machine's cores is not what bounds that rate: the users' clients on the same "
                "cores, and other work, are.")


def questions(shared: Path) -> list[str]:
    seed_path = next((path for path in (shared / "qa" / "seed_dev.jsonl", SEED_COPY) if path.exists()), None)
    seed = []
    if seed_path is not None:
        seed = [json.loads(line)["question"] for line in seed_path.read_text().splitlines() if line.strip()]
    return seed + EXTRA_QUESTIONS


def squad_articles(shared: Path, count: int, folder: Path) -> list[str]:
    """The first `count` SQuAD dev articles (as the evaluation reads them) written into `folder` as text files; the
    first few questions of each."""
    if not count:
        return []
    dataset, asked = read_squad(shared / SQUAD), []
    for article in dataset.articles[:count]:
        (folder / f"squad-{article['id']}.txt").write_text(f"{article['title']}\n\n{article['text']}\n")
        asked += [q.question for q in dataset.questions if q.doc_id == article["id"]][:SQUAD_QUESTIONS_PER_ARTICLE]
    return asked


# ---- the app under test -----------------------------------------------------------------------------------

@dataclass
class Launched:
    url: str
    pid: int
    launched_at: float  # time.monotonic() just before `python app.py` started
    page_s: float  # from the launch to the page answering


@contextlib.contextmanager
def launched_app(root: Path, index_dir: Path, articles_dir: Path, log_path: Path):
    """`python app.py` of the checkout `root` with its own index and articles, timed from launch to page."""
    launched_at = time.monotonic()
    with running_app(index_dir, log_path, root, RAGQA_ARTICLES_DIR=str(articles_dir)) as url:
        yield Launched(url, child_pid(root / "app.py"), launched_at, time.monotonic() - launched_at)


def child_pid(script: Path) -> int:
    """The process id of this process's child running `script` (running_app does not say it)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and str(script).encode() in command:
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

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

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
    _judge(question, payload, expected, results, time.monotonic() - started)
    return payload


def _judge(question: str, payload, expected: dict | None, results: Results, elapsed: float) -> None:
    """Counts the answer's latency, or an error when it is no answer or not the single user's answer."""
    if not isinstance(payload, dict) or "answer" not in payload:
        results.add(0, f"not an answer: {str(payload)[:200]}")
    elif expected is not None and payload != expected:
        results.add(0, f"answer to {question!r} differs from the single user's")
    else:
        results.add(elapsed)


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


def http_load(url: str, asked: list[str], expected: dict[str, dict], users: int, seconds: float,
              transport=None) -> tuple[Results, float, int]:
    """`users` asyncio tasks in this process, each posting the rotating questions to Gradio's REST API
    (POST /gradio_api/call/ask, then its event stream) until `seconds` have passed; also the fewest requests any one
    user made. The same queue and endpoint as gradio_client, without a client's threads per user."""
    return asyncio.run(_http_users(url, asked, expected, users, seconds, transport))


async def _http_users(url: str, asked: list[str], expected: dict[str, dict], users: int, seconds: float,
                      transport=None) -> tuple[Results, float, int]:
    import httpx

    results, asked_per_user = Results(), [0] * users
    limits = httpx.Limits(max_connections=2 * users, max_keepalive_connections=2 * users)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits, transport=transport) as client:
        started = time.monotonic()

        async def user(number: int):
            for i in range(MAX_REQUESTS_PER_USER):
                await asyncio.sleep(0)  # let the other users in, even when a request never had to wait
                if time.monotonic() >= started + seconds:
                    break
                question = asked[(number + i) % len(asked)]
                await _http_ask(client, question, expected.get(question), results)
                asked_per_user[number] += 1

        await asyncio.gather(*(user(n) for n in range(users)))
    return results, time.monotonic() - started, min(asked_per_user, default=0)


async def _http_ask(client, question: str, expected: dict | None, results: Results) -> None:
    started = time.monotonic()
    try:
        posted = await client.post("/gradio_api/call/ask", json={"data": [question, K, *ASK_DEFAULTS]})
        posted.raise_for_status()
        payload = await _completed(client, f"/gradio_api/call/ask/{posted.json()['event_id']}")
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported, whatever its kind
        results.add(0, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
        return
    _judge(question, payload, expected, results, time.monotonic() - started)


async def _completed(client, path: str):
    """The data of the event stream's "complete" event; an "error" event raises."""
    event = ""
    async with client.stream("GET", path) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.partition(":")[2])
                if event == "error":
                    raise RuntimeError(f"the app answered with an error event: {data}")
                return data[0]
    raise RuntimeError("the event stream ended without an answer")


def load(url: str, asked: list[str], expected: dict[str, dict], users: int, seconds: float,
         processes: int = 1) -> tuple[Results, float, int]:
    """`users` threads, each with its own Client, asking the rotating questions until `seconds` have passed, spread
    over `processes` client processes (one Python process's lock would otherwise bound the clients); also the fewest
    requests any one user made."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(users + 1, timeout=START_TIMEOUT_S)  # the clock starts once every user has connected
    outcomes = context.Queue()
    groups = [list(range(users))[n::processes] for n in range(processes)]
    children = [context.Process(target=_user_group, args=(url, asked, expected, group, seconds, ready, outcomes),
                                daemon=True) for group in groups if group]
    for child in children:
        child.start()
    ready.wait()
    started = time.monotonic()
    results, asked_per_user = Results(), {}
    for _ in children:
        latencies, errors, counts = outcomes.get(timeout=seconds + REQUEST_TIMEOUT_S + START_TIMEOUT_S)
        results.latencies += latencies
        results.errors += errors
        asked_per_user.update(counts)
    for child in children:
        child.join(timeout=60)
    idle = sum(1 for count in asked_per_user.values() if count == 0)
    if idle or len(asked_per_user) < users:
        results.add(0, f"{idle + users - len(asked_per_user)} of {users} users asked nothing")
    return results, time.monotonic() - started, min(asked_per_user.values(), default=0)


def _user_group(url: str, asked: list[str], expected: dict[str, dict], numbers: list[int], seconds: float,
                ready, outcomes) -> None:
    """One client process: a thread per user number; puts (latencies, errors, requests per user) on `outcomes`."""
    results, asked_per_user = Results(), {number: 0 for number in numbers}

    def user(number: int):
        try:
            client = connect(url)
        except Exception as exc:  # noqa: BLE001
            results.add(0, f"connect: {type(exc).__name__}: {exc}"[:300])
            client = None
        try:
            ready.wait()
            deadline = time.monotonic() + seconds
            for i in range(MAX_REQUESTS_PER_USER if client is not None else 0):
                if time.monotonic() >= deadline:
                    break
                question = asked[(number + i) % len(asked)]
                ask(client, question, expected.get(question), results)
                asked_per_user[number] += 1
        finally:
            if client is not None:
                client.close()

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_S + START_TIMEOUT_S)
    outcomes.put((results.latencies, results.errors, asked_per_user))


# ---- one app, measured --------------------------------------------------------------------------------------

@dataclass
class Measured:
    """Everything measured of one checkout's app."""
    label: str
    rows: list[list] = field(default_factory=list)
    starts: list[list] = field(default_factory=list)  # [start, page s, first answer s]
    memory: dict[str, int] = field(default_factory=dict)
    cores_busy: float = 0.0  # the app's CPU seconds per second during the HTTP users' load
    cores_busy_clients: float = 0.0  # the same during the gradio_client users' load
    expected: dict[str, dict] = field(default_factory=dict)  # the single user's answer to each question
    errors: list[str] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)


def first_answer(app: Launched, question: str, results: Results) -> float:
    """Seconds from the launch to the first /ask answered (it waits for the model and the index)."""
    client, payload = connect(app.url), None
    try:
        payload = client.submit(question, K, api_name="/ask").result(timeout=START_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001
        results.add(0, f"first answer: {type(exc).__name__}: {exc}"[:300])
    finally:
        client.close()
    if not isinstance(payload, dict) or not payload.get("answered"):
        results.add(0, f"first answer: not an answer: {str(payload)[:200]}")
    return time.monotonic() - app.launched_at


def measure(label: str, root: Path, articles_dir: Path, asked: list[str], args, tmp: Path) -> Measured:
    """First start (builds the index), single user, `args.users` users, then a restart on the built index."""
    measured, folder = Measured(label), Path(tempfile.mkdtemp(dir=tmp))
    index_dir, log_path = folder / "index", folder / "app.log"
    print(f"{label}: first start (builds the index in {index_dir}) …", file=sys.stderr)
    with launched_app(root, index_dir, articles_dir, log_path) as app, MemorySampler(app.pid) as memory:
        started = Results()
        measured.starts.append(["first start (builds the index)", app.page_s, first_answer(app, asked[0], started)])
        idle_kb = memory.status_kb("VmRSS")
        print(f"{label}: baseline, 1 user, {args.baseline_rounds} × {len(asked)} questions …", file=sys.stderr)
        begun = time.monotonic()
        single, measured.expected = baseline(app.url, asked, args.baseline_rounds)
        single_elapsed = time.monotonic() - begun
        print(f"{label}: load, {args.users} HTTP users for {args.seconds:g} s …", file=sys.stderr)
        load_start, cpu_before = time.monotonic(), memory.cpu_seconds()
        loaded, load_elapsed, fewest = http_load(app.url, asked, measured.expected, args.users, args.seconds)
        middle, load_end = load_start + load_elapsed / 2, time.monotonic()
        measured.cores_busy = (memory.cpu_seconds() - cpu_before) / (load_end - load_start)
        print(f"{label}: load, {args.users} gradio_client users for {args.seconds:g} s …", file=sys.stderr)
        client_start, cpu_before = time.monotonic(), memory.cpu_seconds()
        by_client, client_elapsed, client_fewest = load(app.url, asked, measured.expected, args.users, args.seconds,
                                                        args.client_processes)
        measured.cores_busy_clients = (memory.cpu_seconds() - cpu_before) / (time.monotonic() - client_start)
        measured.memory = {"idle, index and model loaded": idle_kb,
                           "peak, first half of the HTTP users' load": memory.peak_kb(load_start, middle),
                           "peak, second half of the HTTP users' load": memory.peak_kb(middle, load_end),
                           "peak since start (VmHWM)": max(memory.status_kb("VmHWM"),
                                                           memory.peak_kb(0, time.monotonic())),
                           "after the load": memory.status_kb("VmRSS")}
    print(f"{label}: restart on the built index …", file=sys.stderr)
    with launched_app(root, index_dir, articles_dir, log_path) as app:
        measured.starts.append(["restart", app.page_s, first_answer(app, asked[0], started)])
    measured.rows = [row(label, "baseline", 1, single, single_elapsed, len(single.latencies) + len(single.errors)),
                     row(label, "load, HTTP users", args.users, loaded, load_elapsed, fewest),
                     row(label, "load, gradio_client users", args.users, by_client, client_elapsed, client_fewest)]
    measured.errors = started.errors + single.errors + loaded.errors + by_client.errors
    measured.log_problems = log_problems(log_path)
    return measured


# ---- the report -------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def row(label: str, phase: str, users: int, results: Results, elapsed: float, fewest: int) -> list:
    ms = [s * 1000 for s in results.latencies]
    done = len(results.latencies) + len(results.errors)
    return [label, phase, users, done, fewest, len(results.errors), f"{percentile(ms, 50):.0f}",
            f"{percentile(ms, 95):.0f}", f"{max(ms, default=0):.0f}",
            f"{len(results.latencies) / elapsed:.2f}" if elapsed else "-"]


def target_line(apps: list[Measured]) -> str:
    """Whether each app's HTTP users' p95 is within TARGET_P95_MS with no errors (row: see `row`)."""
    verdicts = []
    for app in apps:
        load_row = next(r for r in app.rows if r[1] == "load, HTTP users")
        met = int(load_row[7]) <= TARGET_P95_MS and load_row[5] == 0
        verdicts.append(f"{app.label}: p95 {load_row[7]} ms with {load_row[2]} HTTP users, {load_row[5]} errors, "
                        f"{'met' if met else 'not met'}")
    return f"Target: p95 at most {TARGET_P95_MS} ms and no errors. " + "; ".join(verdicts) + "."


def same_answers(apps: list[Measured]) -> str:
    """Whether the apps' single users got the same answers (hits, scores, citations, text) to every question."""
    if len(apps) < 2:
        return ""
    first, other = apps
    both = [q for q in first.expected if q in other.expected]
    differ = [q for q in both if _without_scores(first.expected[q]) != _without_scores(other.expected[q])]
    verdict = "identical" if not differ else f"{len(differ)} differ: " + "; ".join(repr(q) for q in differ[:5])
    scores = [abs(a["score"] - b["score"]) for q in both if q not in differ
              for a, b in zip(first.expected[q]["hits"], other.expected[q]["hits"])]
    if max(scores, default=0.0) > 0:  # each app embedded its own index: bf16 results depend on the batch
        verdict += f" (the hits' scores differ by up to {max(scores):.1e})"
    return (f"The single user's answers of the two apps to the {len(both)} questions (the `/ask` JSON: answer, "
            f"citations, hits): {verdict}.")


def _without_scores(payload: dict) -> dict:
    return {**payload, "hits": [{k: v for k, v in hit.items() if k != "score"} for hit in payload["hits"]]}


def report(command: str, apps: list[Measured], asked: list[str], squad: int, processes: int) -> str:
    import gradio

    load1, load5, _ = os.getloadavg()
    corpus = "the sample article" + (f" and the first {squad} SQuAD dev articles" if squad else "")
    lines = [
        "## Load: concurrent users of the app",
        "",
        f"    {command}",
        "",
        (f"`python app.py` (gradio {gradio.__version__}, offline answers, real packaged model) on 127.0.0.1 with "
        f"{corpus}. The users ask {len(asked)} rotating questions through `/ask` (k={K}) from the same machine: "
        "*HTTP users* are asyncio tasks of one process posting to Gradio's REST API (`/gradio_api/call/ask` and its "
        "event stream), cheap enough to leave the cores to the app; *gradio_client users* each have their own "
        f"`Client` in a thread of {'one process' if processes == 1 else f'one of {processes} client processes'}, "
        f"whose own CPU use then bounds the rate. {cpu_model() or 'CPU unknown'}, {os.cpu_count()} "
        f"cores, shared with other work (load average {load1:.1f} / {load5:.1f} at the end of the run), so timings "
        "are noisy. A request counts as an error if it raises, times out, or its answer differs from the one the "
        "single user got for the same question."),
        "",
        markdown_table(["app", "phase", "users", "requests", "fewest by a user", "errors", "p50 ms", "p95 ms",
                        "max ms", "answers/s"], [r for app in apps for r in app.rows]),
        "",
        "Cold start, seconds from `python app.py` to the page answering and to the first `/ask` answered:",
        "",
        markdown_table(["app", "start", "page s", "first answer s"],
                       [[app.label, start, f"{page:.1f}", f"{answer:.1f}"] for app in apps
                        for start, page, answer in app.starts]),
        "",
        markdown_table(["app memory (RSS), MB", *[app.label for app in apps]],
                       [[name, *[f"{app.memory.get(name, 0) / 1024:.0f}" for app in apps]] for name in apps[0].memory]),
    ]
    lines += ["", "CPU the app used during the load (the users' clients and other work share the machine): "
              + ", ".join(f"{app.label} {app.cores_busy:.2f} cores with HTTP users, {app.cores_busy_clients:.2f} "
                          "with gradio_client users" for app in apps) + ". " + LATENCY_NOTE]
    lines += ["", target_line(apps)]
    if len(apps) > 1:
        lines += ["", same_answers(apps)]
    errors = sorted({e for app in apps for e in app.errors})
    problems = [p for app in apps for p in app.log_problems]
    if errors or problems:
        lines += ["", "Errors seen:", ""] + [f"- `{e}`" for e in errors[:10]]
        lines += [f"- app log: `{p}`" for p in problems[:10]]
    return "\n".join(lines)


def log_problems(log_path: Path) -> list[str]:
    text = log_path.read_text(errors="replace")
    return [line.strip()[:200] for line in text.splitlines() if "Traceback" in line or "ERROR" in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="processes the gradio_client users are spread over (default 1)")
    parser.add_argument("--seconds", type=float, default=180, help="how long they ask (default 180)")
    parser.add_argument("--baseline-rounds", type=int, default=2, help="single-user rounds over the questions")
    parser.add_argument("--squad-articles", type=int, default=0, help="also index the first N SQuAD dev articles")
    parser.add_argument("--compare-with", type=Path, help="another checkout, whose app.py is measured first")
    parser.add_argument("--compare-name", default="compared", help="what to call it in the tables (a commit, say)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder (seed questions, SQuAD)")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave docs/benchmarks.md")
    args = parser.parse_args()
    if not (1 <= args.users <= MAX_USERS and 1 <= args.seconds <= MAX_SECONDS and 1 <= args.baseline_rounds <= 10
            and 0 <= args.squad_articles <= 48 and 1 <= args.client_processes <= args.users):
        parser.error(f"--users 1..{MAX_USERS}, --seconds 1..{MAX_SECONDS}, --baseline-rounds 1..10, "
                     "--squad-articles 0..48, --client-processes 1..users")
    if args.compare_with and not (args.compare_with / "app.py").is_file():
        parser.error(f"--compare-with {args.compare_with}: no app.py there")
    command = "python -m bench.load_test" + "".join(
        f" --{name.replace('_', '-')} {value:g}" for name, value in vars(args).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value != parser.get_default(name))
    if args.compare_with:
        command += f" --compare-with CHECKOUT --compare-name {shlex.quote(args.compare_name)}"

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so a stopped run still stops its apps
    with tempfile.TemporaryDirectory(prefix="ragqa-load-") as tmp:
        articles_dir = Path(tmp) / "articles"
        articles_dir.mkdir()
        for article in (ROOT / "data" / "articles").iterdir():
            (articles_dir / article.name).write_bytes(article.read_bytes())
        asked = questions(args.shared) + squad_articles(args.shared, args.squad_articles, articles_dir)
        checkouts = [(args.compare_name, args.compare_with.resolve())] if args.compare_with else []
        checkouts.append(("this checkout", ROOT))
        apps = [measure(label, root, articles_dir, asked, args, Path(tmp)) for label, root in checkouts]

    markdown = report(command, apps, asked, args.squad_articles, args.client_processes)
    print(markdown)
    if not args.no_write:
        update_section("load", markdown)
        print("wrote the load section of docs/benchmarks.md", file=sys.stderr)
    failed = any(app.errors or app.log_problems for app in apps)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
