"""URL ingest: one total deadline, size cap, SSRF guard on every hop, credentials never stored or shown.

Every server here listens on 127.0.0.1, which the guard refuses unless RAGQA_ALLOW_PRIVATE_URLS=1: tests that need
to reach it set that; the ones proving the guard go without it (or count 127.0.0.1 as public to test later hops).
"""
import base64
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler

import pytest

import ingest.fetch as fetch
import ingest.loaders as loaders
from helpers import ROOT, http_server
from ingest.loaders import LoadFailure, iter_documents

ARTICLE = (b"<html><head><title>Dams</title></head><body><article><p>" + b"Words about dams and rivers. " * 60
           + b"</p></article></body></html>")
DRIP_PAUSE_S = 0.25  # under the 1 s deadline the tests set: a per-read timeout alone never fires
SECRETS = ("pa55w0rd", "s3cr3t", "k3y")


class _Site(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        if parts[0] == "article":
            self._send(200, ARTICLE)
        elif parts[0] == "to":  # /to?http://elsewhere: a redirect to the query
            self._send(302, b"", Location=query)
        elif parts[0] == "loop":  # /loop/a -> /loop/b -> /loop/a
            self._send(302, b"", Location="/loop/" + ("b" if parts[1] == "a" else "a"))
        elif parts[0] == "hops":  # /hops/N: N redirects, then the article; /hops/N/slow waits before each
            if parts[-1] == "slow":
                time.sleep(0.6)
            hops_left = int(parts[1])
            if hops_left:
                self._send(302, b"", Location=f"/hops/{hops_left - 1}/{'/'.join(parts[2:])}")
            else:
                self._send(200, ARTICLE)
        elif parts[0] == "drip-body":
            self._drip(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nTitle\n\n", b"x" * 40)
        elif parts[0] == "drip-headers":
            self._drip(b"HTTP/1.0 200 OK\r\nX-Padding: ", b"p" * 40)
        elif parts[0] == "declared-huge":  # announces 50 MB, then sends it slowly
            self._drip(b"HTTP/1.0 200 OK\r\nContent-Length: 52428800\r\n\r\n", b"x" * 40)
        else:
            self._send(404, b"no such page")

    def _send(self, status, body, **headers):
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, head, tail):
        try:
            self.wfile.write(head)
            for byte in tail:
                time.sleep(DRIP_PAUSE_S)
                self.wfile.write(bytes([byte]))
        except OSError:  # the client hung up: what the deadline is for
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    with http_server(_Site) as server:
        server.seen = []
        yield server


@pytest.fixture
def allow_private(monkeypatch):
    monkeypatch.setenv("RAGQA_ALLOW_PRIVATE_URLS", "1")


def load(url):
    return list(iter_documents([url]))


def failure(url) -> str:
    items = load(url)
    assert len(items) == 1 and isinstance(items[0], LoadFailure), items
    assert "\n" not in str(items[0])
    return str(items[0])


def test_a_local_server_is_refused_unless_private_urls_are_allowed(site, monkeypatch):
    monkeypatch.delenv("RAGQA_ALLOW_PRIVATE_URLS", raising=False)
    hint = "(set RAGQA_ALLOW_PRIVATE_URLS=1 to fetch from it)"
    assert failure(f"{site.base}/article") == f"{site.base}/article: 127.0.0.1 is a loopback address {hint}"
    assert site.seen == [], "nothing reached the server"
    monkeypatch.setenv("RAGQA_ALLOW_PRIVATE_URLS", "1")
    [document] = load(f"{site.base}/article")
    assert document.title == "Dams" and document.source == f"{site.base}/article"


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1", "[::ffff:127.0.0.1]",
                                  "localhost", "0.0.0.0", "[::ffff:7f00:1]"])
def test_numeric_and_named_forms_of_loopback_are_refused(site, monkeypatch, host):
    monkeypatch.delenv("RAGQA_ALLOW_PRIVATE_URLS", raising=False)
    url = f"http://{host}:{site.server_address[1]}/article"
    assert " address (set RAGQA_ALLOW_PRIVATE_URLS=1" in failure(url)
    assert site.seen == [], "nothing reached the server"


@pytest.mark.parametrize("address, kind", [("169.254.169.254", "link-local"), ("10.0.0.1", "private"),
                                           ("192.168.1.1", "private"), ("224.0.0.1", "multicast"),
                                           ("240.0.0.1", "reserved"), ("fd00::1", "private"),
                                           ("2002:7f00:1::", "loopback"), ("64:ff9b::a00:1", "private"),
                                           ("100.64.0.1", "non-public"), ("8.8.8.8", None)])
def test_every_kind_of_non_public_address_is_named(address, kind):
    assert fetch._non_public_kind(address) == kind


def test_every_redirect_hop_is_checked_again(site, monkeypatch):
    monkeypatch.delenv("RAGQA_ALLOW_PRIVATE_URLS", raising=False)
    judge = fetch._non_public_kind  # the test server stands for a public site; every other address is judged
    monkeypatch.setattr(fetch, "_non_public_kind", lambda address: None if address == "127.0.0.1" else judge(address))
    assert load(f"{site.base}/hops/1")[0].title == "Dams"
    expected = {
        "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is a link-local address",
        f"http://[::1]:{site.server_address[1]}/article": "::1 is a loopback address",
        "http://0x0a000001/": "10.0.0.1 is a private address",
        "ftp://127.0.0.1/notes.txt": "only http and https URLs are fetched, not ftp",
        "file:///etc/hosts": "only http and https URLs are fetched, not file",
        "gopher://127.0.0.1:25/": "only http and https URLs are fetched, not gopher",
    }
    for target, reason in expected.items():
        assert failure(f"{site.base}/to?{target}").startswith(f"{site.base}/to?{target}: redirect to {target} "
                                                               f"refused: {reason}")


def fake_dns(monkeypatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Each look-up of a host takes its next answer (a list of addresses); returns the hosts looked up."""
    looked_up, real = [], socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:  # numeric addresses, as socket.create_connection looks them up
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host].pop(0)]
    monkeypatch.setattr(fetch.socket, "getaddrinfo", getaddrinfo)
    return looked_up


def test_a_host_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    monkeypatch.delenv("RAGQA_ALLOW_PRIVATE_URLS", raising=False)
    fake_dns(monkeypatch, {"mixed.test": [["8.8.8.8", "127.0.0.1"]]})
    assert failure("http://mixed.test/").startswith("http://mixed.test/: 127.0.0.1 is a loopback address")


def test_the_connection_goes_to_the_checked_address_not_a_second_answer(site, monkeypatch):
    monkeypatch.delenv("RAGQA_ALLOW_PRIVATE_URLS", raising=False)
    judge = fetch._non_public_kind  # the test server stands for a public site
    monkeypatch.setattr(fetch, "_non_public_kind", lambda address: None if address == "127.0.0.1" else judge(address))
    looked_up = fake_dns(monkeypatch, {"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})  # DNS rebinding
    [document] = load(f"http://rebind.test:{site.server_address[1]}/article")
    assert document.title == "Dams" and looked_up == ["rebind.test"]


def test_redirect_loops_and_long_chains_fail_in_one_line(site, allow_private):
    assert failure(f"{site.base}/loop/a") == f"{site.base}/loop/a: redirect loop back to {site.base}/loop/a"
    assert load(f"{site.base}/hops/{fetch.MAX_REDIRECTS}")[0].title == "Dams"
    assert failure(f"{site.base}/hops/{fetch.MAX_REDIRECTS + 1}").endswith(
        f": more than {fetch.MAX_REDIRECTS} redirects")


@pytest.mark.parametrize("path", ["drip-body", "drip-headers", "hops/3/slow"])
def test_a_slow_server_cannot_outlast_the_total_deadline(site, allow_private, monkeypatch, path):
    monkeypatch.setattr(loaders, "URL_TIMEOUT_S", 1)
    started = time.monotonic()
    reason = failure(f"{site.base}/{path}")
    assert time.monotonic() - started < 1.8, "one deadline for the whole URL, not one per read or per hop"
    assert reason == f"{site.base}/{path}: no complete answer within 1 s"


def test_a_declared_oversize_body_is_refused_before_reading_it(site, allow_private):
    started = time.monotonic()
    assert failure(f"{site.base}/declared-huge") == f"{site.base}/declared-huge: response is 50.0 MB, over the 20 MB limit"
    assert time.monotonic() - started < DRIP_PAUSE_S * 4, "refused on the header, not after reading"


def test_credentials_are_sent_to_their_own_site_only(site, allow_private):
    port = site.server_address[1]
    [document] = load(f"http://alice:pa55w0rd@127.0.0.1:{port}/to?http://localhost:{port}/article")
    sent = base64.b64encode(b"alice:pa55w0rd").decode()
    assert site.seen == [(f"/to?http://localhost:{port}/article", f"Basic {sent}"), ("/article", None)]
    assert document.source == f"{site.base}/to?http://localhost:{port}/article"


def test_credentials_and_secret_parameters_are_never_stored_or_printed(site, cli_env, tmp_path):
    base = f"http://alice:pa55w0rd@127.0.0.1:{site.server_address[1]}"
    good = f"{base}/article?id=7&token=s3cr3t&API_KEY=k3y#access_token=s3cr3t"
    bad = [f"{base}/missing?sig=s3cr3t", f"{base}/loop/a?password=s3cr3t", "http://alice:pa55w0rd@[::1/x",
           "http://alice:pa55w0rd/k3y@127.0.0.1/"]
    env = {**cli_env, "RAGQA_ALLOW_PRIVATE_URLS": "1"}
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", good, *bad], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=120)
    assert site.seen[0][0] == "/article?id=7&token=s3cr3t&API_KEY=k3y", "the URL is fetched as given"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "1 added" in result.stdout, result.stdout + result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    public = f"http://127.0.0.1:{site.server_address[1]}"
    assert failed[:2] == [f"failed: {public}/missing: HTTP 404 Not Found",
                          f"failed: {public}/loop/a: redirect loop back to {public}/loop/b"]
    assert len(failed) == len(bad)
    stored = "".join(path.read_text(errors="replace") for path in (tmp_path / "index").rglob("*.json"))
    assert f"{public}/article?id=7" in stored
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr + stored


def test_public_url_drops_user_info_and_secret_looking_parameters():
    assert fetch.public_url("https://bob:pw@ex.org/a/b?x=1&access_token=t&X-Amz-Signature=s&AWSAccessKeyId=k"
                            "&keyword=dams&apiKey=k#sig=s") == "https://ex.org/a/b?x=1&keyword=dams"
    assert fetch.public_url("https://ex.org/@user/post?page=2#part-3") == "https://ex.org/@user/post?page=2#part-3"
