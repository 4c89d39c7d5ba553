"""Every connection to the proxy is bounded (issue #14, fix 5): a connection that sends nothing,
half a header, a body shorter than its Content-Length, or that idles after a response, is closed
within its timeout, before any token check. Raw sockets against a real uvicorn server on
127.0.0.1; every wait is bounded by WAIT (a failure, not a hang), far above the timeouts used."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from fusion_tool.core.connections import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_KEEP_ALIVE_TIMEOUT,
    BoundedConfig,
    BoundedH11Protocol,
)
from fusion_tool.proxy import create_app, running

from .conftest import JUDGE, PANEL

TOKEN = "proxy-token-for-the-connection-tests"
#: the timeouts of the server under test, in seconds
HEADER, BODY, KEEP_ALIVE = 2.0, 2.0, 2.0
#: a pause well within every one of them
PAUSE = 0.2
#: the longest any test waits for the server to act; a server without the bounds never does
WAIT = 15.0


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    from fusion_tool import FusionConfig

    config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), base_url="http://127.0.0.1:9/v1", api_key="k")
    with running(create_app(config, token=TOKEN), header_timeout=HEADER, body_timeout=BODY,
                 keep_alive_timeout=KEEP_ALIVE) as url:
        host, port = url.removeprefix("http://").removesuffix("/v1").split(":")
        yield host, int(port)


def connect(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and the seconds that took; a server that
    keeps the connection open past WAIT fails the test."""
    started, data = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {WAIT} s (got {data[:80]!r})")
    except ConnectionResetError:
        pass
    return data, time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers, then a body of its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or pytest.fail(f"closed mid-response: {data!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0])
    while len(body) < length:
        body += sock.recv(65536) or pytest.fail(f"closed mid-body: {data!r}")
    return head + b"\r\n\r\n" + body


def request(path: str = "/healthz", *, method: str = "GET", headers: dict[str, str] | None = None,
            body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {TOKEN}",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_a_connection_that_sends_nothing_gets_a_408_and_is_closed(address):
    with connect(address) as sock:
        data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_half_a_header_gets_a_408_and_is_closed_before_any_token_check(address):
    with connect(address) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ") and b"401" not in data


def test_a_header_sent_a_byte_at_a_time_is_bounded_as_a_whole(address):
    """The header timeout runs from the start: a slowloris trickle does not reset it."""
    head = request()
    with connect(address) as sock:
        started, closed = time.monotonic(), False
        for byte in head[:-4]:  # never the blank line that ends the headers
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(PAUSE)
            if time.monotonic() - started > WAIT:
                break
        if not closed:
            data, _ = read_until_closed(sock)
            assert data.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < WAIT


def test_a_body_shorter_than_its_content_length_is_closed(address):
    head = request("/v1/chat/completions", method="POST",
                   headers={"Content-Type": "application/json", "Content-Length": "100"})
    with connect(address) as sock:
        sock.sendall(head + b'{"model": ')
        data, _ = read_until_closed(sock)
    assert b"200 OK" not in data  # nothing answered from half a body: the connection is just closed


def test_an_idle_keep_alive_connection_is_closed_after_its_response(address):
    with connect(address) as sock:
        sock.sendall(request())
        data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 ") and data.count(b"HTTP/1.1") == 1


def test_a_connection_kept_busy_within_the_bounds_is_served_every_time(address):
    with connect(address) as sock:
        for _ in range(3):
            sock.sendall(request())
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(PAUSE)
        sock.sendall(request("/v1/chat/completions", method="POST",
                             headers={"Content-Type": "application/json", "Content-Length": "2"}))
        time.sleep(PAUSE)  # a body that comes a little later, within the bound
        sock.sendall(b"{}")
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 400 ")  # read whole and refused for what it says, not for time


def test_the_unauthenticated_get_the_same_bounds(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data, _ = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 401 ")  # the token check answered, and the idle connection closed after


# -- the defaults and where they are wired ------------------------------------------------------------

def test_the_defaults_are_named_and_the_proxy_serves_with_them(monkeypatch):
    import logging

    from fusion_tool import FusionConfig
    from fusion_tool.proxy import server

    assert (DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT) == (10.0, 30.0, 5.0)
    seen = []
    monkeypatch.setattr(server.uvicorn.Server, "run", lambda self, sockets=None: seen.append(self.config))
    logger = logging.getLogger("fusion_tool")  # serve() configures logging for the process: put it back
    kept = (logger.handlers[:], logger.level, logger.propagate)
    try:
        server.serve(port=0, config=FusionConfig(api_key="k"))
    finally:
        logger.handlers[:], logger.level, logger.propagate = kept
    [config] = seen
    assert isinstance(config, BoundedConfig)
    config.load()
    assert config.http_protocol_class is BoundedH11Protocol
    assert (config.header_timeout, config.body_timeout, config.timeout_keep_alive) == (
        DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT)


def test_a_timeout_that_is_not_positive_is_refused():
    for bad in ({"header_timeout": 0}, {"body_timeout": -1}, {"keep_alive_timeout": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            BoundedConfig(lambda scope, receive, send: None, **bad)
