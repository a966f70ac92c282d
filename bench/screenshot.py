"""Screenshot the app as a newcomer sees it: the Bagram question, a follow-up, and the cited source in view.

    python -m bench.screenshot                      # starts the app on a fresh index, writes docs/screenshot.png
    python -m bench.screenshot --url http://127.0.0.1:7860/ --phone /tmp/phone.png

Also the helpers the browser tests share: start the app in a subprocess, drive Debian's Chromium, ask a question.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# No sandbox (root in a container), no GPU, and nothing that phones home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
BAGRAM = "What does the author say about Bagram?"
FOLLOW_UP = "Why would the US want personnel there?"
START_TIMEOUT_S = 180  # importing gradio and loading the model take ~25 s on two cores; a first-start build more


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(index_dir: Path, log_path: Path, root: Path = ROOT, **env_overrides: str):
    """`python app.py` (of the checkout `root`) on 127.0.0.1 at a free port with its own index; yields the URL once
    the page answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(RAGQA_INDEX_DIR=str(index_dir), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False", **env_overrides)
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, str(root / "app.py")], cwd=root, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            _wait_until_serving(url, process, log_path)
            yield url
        finally:
            stop(process, 15)


def stop(process: subprocess.Popen, timeout: float) -> None:
    """Ends a server process: asked to stop, then killed if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"app.py did not serve {url} within {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def ask(scope, question: str, turn: int, timeout_ms: int = 60_000) -> None:
    """Type a question into the page (or a frame) and wait for the first source card of that turn's answer."""
    box = scope.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    scope.locator(f"#src-{turn}-1").wait_for(timeout=timeout_ms)


def wait_until_ready(page, timeout_ms: int = 120_000) -> None:
    page.locator("#status", has_text="indexed").wait_for(timeout=timeout_ms)


def take(url: str, out: Path, phone: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for viewport, path in ((LAPTOP, out), (PHONE, phone)):
            if path is None:
                continue
            page = browser.new_page(viewport=viewport, device_scale_factor=1)
            page.goto(url)
            wait_until_ready(page)
            ask(page, BAGRAM, turn=0)
            ask(page, FOLLOW_UP, turn=1)
            page.locator('#chat a[href="#src-1-1"]').click()  # a cited source, in view and flashing
            page.wait_for_timeout(700)
            page.screenshot(path=str(path), full_page=viewport is PHONE)
            page.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running app (default: start one on a fresh index)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png", help="laptop-width PNG")
    parser.add_argument("--phone", type=Path, help="also a phone-width full-page PNG here")
    args = parser.parse_args()
    if args.url:
        take(args.url, args.out, args.phone)
        return
    with tempfile.TemporaryDirectory() as tmp:
        with running_app(Path(tmp) / "index", Path(tmp) / "app.log") as url:
            take(url, args.out, args.phone)
    print(f"wrote {args.out}" + (f" and {args.phone}" if args.phone else ""))


if __name__ == "__main__":
    main()
