"""Fetch one http(s) URL for ingest: one total deadline, a size cap, every redirect re-checked, private targets
refused (SSRF), and a URL's credentials never stored or shown.

Private, loopback, link-local, multicast and reserved addresses are refused unless RAGQA_ALLOW_PRIVATE_URLS=1
(for fetching from your own machine or network). The host is resolved here, every address it resolves to is
checked, and the connection goes to a checked address: a second DNS answer cannot point it elsewhere.
"""
from __future__ import annotations

import base64
import functools
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus, urljoin, urlsplit, urlunsplit

from settings import Settings, variable

ALLOW_PRIVATE_ENV = variable("allow_private_urls")
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
USER_AGENT = "article-qa/1.0"
REDIRECT_CODES = {301, 302, 303, 307, 308}
# Query and fragment parameters whose name has one of these words (api_key, X-Amz-Signature, accessToken) are
# secrets: the URL is fetched with them but stored and shown without them.
SECRET_WORDS = {"token", "key", "apikey", "accesstoken", "secret", "password", "passwd", "pass", "pwd", "sig",
                "signature", "hmac", "auth", "authorization", "credential", "credentials", "session", "sessionid",
                "sid", "jwt", "otp"}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """Why one URL could not be fetched: one printable line that never holds the URL's credentials."""

    def __init__(self, reason: str):
        super().__init__(" ".join("".join(ch if ch.isprintable() else " " for ch in reason).split()))


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str


def private_urls_allowed() -> bool:
    """RAGQA_ALLOW_PRIVATE_URLS as the settings read it, now: ingest is given no Settings to carry it."""
    return Settings.from_env().allow_private_urls


def public_url(url: str) -> str:
    """The URL as stored and shown: no user name or password, no secret-looking query or fragment parameters."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises for a malformed authority, such as a password with a "/" in it
    except ValueError:
        return re.sub(r"//.*@", "//", re.split(r"[?#]", url, maxsplit=1)[0], count=1)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path,
                       _without_secrets(parts.query), _without_secrets(parts.fragment)))


def _without_secrets(query: str) -> str:
    return "&".join(p for p in query.split("&") if p and not _is_secret(unquote_plus(p.partition("=")[0])))


def _is_secret(name: str) -> bool:
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]  # snake, kebab, camelCase
    return "".join(words) in SECRET_WORDS or any(word in SECRET_WORDS for word in words)


def fetch(url: str, deadline_s: float, max_bytes: int, allow_private: bool | None = None) -> Fetched:
    """The body and content type of `url`, or FetchError. `deadline_s` bounds everything: name look-ups,
    connecting, TLS, headers, body and every redirect."""
    if allow_private is None:
        allow_private = private_urls_allowed()
    deadline = _Deadline(deadline_s)
    watchdog = _Watchdog(deadline_s)
    try:
        return _follow(url, deadline, watchdog, max_bytes, allow_private)
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired():  # the watchdog shut the socket, or a timeout ran out
            raise deadline.error() from None
        raise FetchError(_reason(exc)) from None
    finally:
        watchdog.stop()


def _follow(url: str, deadline: _Deadline, watchdog: _Watchdog, max_bytes: int, allow_private: bool) -> Fetched:
    credentials = _basic_auth(url)
    requested: list[str] = []
    current = url
    while True:
        try:
            target = _checked_target(current, allow_private, deadline)
        except FetchError as exc:
            if not requested:
                raise
            raise FetchError(f"redirect to {public_url(current)} refused: {exc}") from None
        requested.append(current)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if credentials and _origin(current) == _origin(url):  # a password goes only where it was given for
            headers["Authorization"] = credentials
        connection = target.connection(deadline, watchdog)
        try:
            connection.request("GET", target.path, headers=headers)
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in REDIRECT_CODES and location:
                current = urljoin(current, location.strip())
                if current in requested:
                    raise FetchError(f"redirect loop back to {public_url(current)}")
                if len(requested) > MAX_REDIRECTS:
                    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
                continue
            if not 200 <= response.status < 300:
                raise FetchError(f"HTTP {response.status} {response.reason}")
            data = _read_body(response, max_bytes)
            if deadline.expired():  # the watchdog may have cut a body that ends at the connection's close
                raise deadline.error()
            return Fetched(data, response.headers.get_content_type())
        finally:
            connection.close()


def _read_body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    limit = f"over the {max_bytes // 2**20} MB limit"
    declared = (response.getheader("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:  # refused before reading a byte of it
        raise FetchError(f"response is {int(declared) / 2**20:.1f} MB, {limit}")
    body = bytearray()
    while chunk := response.read(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"response is {limit}")
    return bytes(body)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    addresses: tuple[str, ...]  # every one checked

    def connection(self, deadline: _Deadline, watchdog: _Watchdog) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=deadline.left())
        # http.client's own hook for opening the socket: to the checked addresses, never a fresh look-up of host
        connection._create_connection = functools.partial(_connect, self.addresses, self.port, deadline, watchdog)
        return connection


def _checked_target(url: str, allow_private: bool, deadline: _Deadline) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"only http and https URLs are fetched, not {scheme or 'one without a scheme'}")
    if not parts.hostname:
        raise FetchError("the URL has no host")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port, deadline)
    if not allow_private:
        for address in addresses:  # all of them: any one may be the address a connection ends up at
            if kind := _non_public_kind(address):
                raise FetchError(f"{address} is a {kind} address (set {ALLOW_PRIVATE_ENV}=1 to fetch from it)")
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return _Target(scheme, parts.hostname, port, quote(path, safe="!$%&'()*+,/:;=?@[]~"), addresses)


def _resolve(host: str, port: int, deadline: _Deadline) -> tuple[str, ...]:
    """Every address `host` resolves to (numeric forms such as 2130706433 or 0x7f.1 included), within the
    deadline: getaddrinfo has no timeout of its own, so it runs in a thread that is left behind if it hangs."""
    found: list = []
    lookup = threading.Thread(target=_getaddrinfo, args=(host, port, found), daemon=True)
    lookup.start()
    lookup.join(deadline.left())
    if lookup.is_alive():
        raise deadline.error()
    if not found or isinstance(found[0], Exception):
        raise FetchError(f"cannot resolve the host {host}")
    return tuple(dict.fromkeys(info[4][0] for info in found[0]))


def _getaddrinfo(host: str, port: int, found: list) -> None:
    try:
        found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError) as exc:
        found.append(exc)


def _non_public_kind(address: str) -> str | None:
    """What makes an address unfit to fetch from by default ("loopback", "private"...), None when it is public.
    An IPv4 address carried inside an IPv6 one (::ffff:127.0.0.1, 6to4, Teredo, NAT64) is judged too."""
    ip = ipaddress.ip_address(address)
    carried = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())] if ip.version == 6 else []
    if ip.version == 6 and ip in NAT64:
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    for candidate in [*filter(None, carried), ip]:
        for kind in ("loopback", "unspecified", "link_local", "multicast", "reserved", "private"):
            if getattr(candidate, f"is_{kind}"):
                return kind.replace("_", "-")
        if not candidate.is_global:
            return "non-public"
    return None


def _connect(addresses: tuple[str, ...], port: int, deadline: _Deadline, watchdog: _Watchdog,
             _address=None, _timeout=None, _source=None) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), deadline.left())
        except OSError as exc:
            error = exc
            continue
        watchdog.watch(sock)
        return sock
    raise error or OSError("no address to connect to")


def _basic_auth(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # refused as "not a valid URL" when it is checked
        return None
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port


def _reason(exc: OSError | http.client.HTTPException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"untrusted TLS certificate: {exc.verify_message}"
    if isinstance(exc, http.client.HTTPException):
        return f"not a valid HTTP answer ({type(exc).__name__})"
    return f"cannot fetch: {exc.strerror or exc}"


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def error(self) -> FetchError:
        return FetchError(f"no complete answer within {self.seconds:g} s")


class _Watchdog:
    """Shuts every watched socket down when the deadline passes, whatever it is doing: a server that drips a byte
    at a time cannot hold a handshake, header or body read past it (socket timeouts only bound each read).
    It shuts its own duplicate of each socket, so it never touches a descriptor that was closed and reused."""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock.dup())
            if self._fired:
                _shut(self._sockets[-1])

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._fired = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def _fire(self) -> None:
        with self._lock:
            if self._fired:
                return
            self._fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
