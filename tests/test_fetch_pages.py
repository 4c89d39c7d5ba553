"""What a panelist gets from a page: SafeFetcher end to end against real loopback servers.

The text a page renders to (charsets, HTML served as text/plain, control characters, the size
cap), the request each hop puts on the wire, the reason each refusal or failure gives, what
the log records, and the TLS client a default fetcher builds: certificates verified (certifi's
CAs, or the caller's ``ssl_context``) against the name while the connection goes to the
checked address.

Pages are fetched by name; the names resolve (an injected resolver) to the public ``PUBLIC``,
and only the tests' relays turn ``PUBLIC`` into 127.0.0.1: ``Relay``, the fetcher's transport
seam, or, for a fetcher with no transport at all, ``socket_relay``, which rewrites the
address a socket connects to. Nothing leaves the machine (pytest-socket allows loopback only).
"""

from __future__ import annotations

import asyncio
import gzip
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fusion_tool.core.errors import FetchError, FetchRefused
from fusion_tool.pipeline.research import SafeFetcher
from fusion_tool.pipeline.research.body import ACCEPT, ACCEPT_ENCODING
from fusion_tool.pipeline.research.domains import DomainRules
from fusion_tool.pipeline.research.fetch import USER_AGENT, system_resolve

from .test_research_fetch import PUBLIC, LoopbackRelay

#: where every test name resolves to; only the relays below turn it into loopback
SITE = "pages.test"
#: what the fetcher drops from a page's text: C0 controls but tab, newline and carriage return, and DEL
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
    """One request as it arrived: its request line and its header lines, names as sent."""

    method: str
    target: str
    headers: list[tuple[str, str]]


@dataclass
class Server:
    """An HTTP/1.1 server on 127.0.0.1 (TLS with ``tls``) that answers each path from ``routes``."""

    routes: dict[str, Reply | Callable[[], Reply]] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    delay: float = 0.0
    stall: bool = False
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            writer.close()
            return
        line, *rest = head.split("\r\n")
        method, target, _ = line.split(" ", 2)
        headers = [(k, v.strip()) for k, _, v in (h.partition(":") for h in rest if h)]
        self.seen.append(Seen(method, target, headers))
        if self.stall:
            await asyncio.sleep(30)
        await asyncio.sleep(self.delay)
        route = self.routes.get(target, (404, {"content-type": "text/plain"}, b"not found"))
        status, extra, body = route() if callable(route) else route
        out = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", "connection: close"]
        out += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    def url(self, path: str = "/", host: str = SITE, scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


Relay = LoopbackRelay  # the fetcher's network: a request addressed to PUBLIC goes to 127.0.0.1


async def to_public(host: str, port: int) -> list[str]:
    return [PUBLIC]


def fetcher(**kwargs: object) -> SafeFetcher:
    kwargs.setdefault("transport", Relay())
    return SafeFetcher(resolve=to_public, **kwargs)  # type: ignore[arg-type]


def serve(reply: Reply, path: str = "/p", *, max_chars: int = 32_000, **kwargs: object):
    """The page ``reply`` is, as the fetcher renders it."""

    async def go():
        async with Server(routes={path: reply}) as server:
            return await fetcher(**kwargs).fetch(server.url(path), max_chars=max_chars)

    return asyncio.run(go())


def failure(reply: Reply, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as raised:
        serve(reply, **kwargs)
    return raised.value


# --------------------------------------------------------------------------- the text of a page


@pytest.mark.parametrize("body", [
    "<!DOCTYPE html><html><head><title>Tides</title></head><body><p>The Moon raises tides.</p></body></html>",
    "\n   <HTML><head><title>Tides</title></head><body><p>The Moon raises tides.</p></body></HTML>",
    "<html lang=en><title>Tides</title><p>The Moon raises tides.</p></html>",
    "<!doctype HTML>\n<title>Tides</title><p>The Moon raises tides.</p>",
])
def test_an_html_page_served_as_text_plain_is_read_as_html(body: str) -> None:
    page = serve((200, {"content-type": "text/plain; charset=utf-8"}, body.encode()))
    assert (page.content_type, page.title) == ("text/html", "Tides")
    assert "The Moon raises tides." in page.text and "<" not in page.text


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", "Start a page with <html> and end it with </html>."),
    ("text/plain", "html is a markup language; <!doctype html> comes first."),
    ("application/json", '<html><title>not a page</title></html>'),
    ("text/markdown", "<!DOCTYPE html> starts an HTML page."),
])
def test_text_that_only_mentions_html_stays_as_it_was_sent(content_type: str, body: str) -> None:
    page = serve((200, {"content-type": content_type}, body.encode()))
    assert (page.content_type, page.text) == (content_type, body)
    assert page.title == page.url


def test_an_html_page_without_a_title_is_titled_by_its_url() -> None:
    page = serve((200, {"content-type": "text/html"}, b"<html><body><p>No title here.</p></body></html>"))
    assert page.title == page.url and "No title here." in page.text


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
@example("bell\x07 null\x00 escape\x1b del\x7f\ttab\r\nnext line\x0bvt\x0cff")
def test_control_characters_are_dropped_and_the_rest_kept(text: str) -> None:
    page = serve((200, {"content-type": "text/plain; charset=utf-8"}, text.encode()))
    assert page.text == CONTROL.sub("", text) and not page.truncated


@pytest.mark.parametrize("status", [201, 203])
def test_a_page_keeps_the_status_it_came_with(status: int) -> None:
    page = serve((status, {"content-type": "text/plain"}, b"made"))
    assert (page.status, page.text) == (status, "made")


@pytest.mark.parametrize(("content_type", "body", "text"), [
    # bytes the charset cannot read become U+FFFD: not an error, and not read in another charset
    ("text/plain; charset=us-ascii", "café".encode(), "caf\ufffd\ufffd"),
    ("text/plain; charset=utf-8", b"caf\xe9 au lait", "caf\ufffd au lait"),
    ("text/plain", b"caf\xe9 au lait", "caf\ufffd au lait"),
    # a charset Python has no text codec for (unknown, or a bytes-to-bytes codec) reads as UTF-8
    ("text/plain; charset=base64", "naïve".encode(), "naïve"),
    ("text/plain; charset=rot13", "naïve\xff".encode(), "naïve\xff"),
    ("text/plain; charset=no-such-charset", b"na\xc3\xafve \xff", "naïve \ufffd"),
    ("text/plain; charset=windows-1252", "\u20ac5".encode("cp1252"), "\u20ac5"),
])
def test_a_body_is_read_in_its_charset_and_bad_bytes_are_replaced(content_type: str, body: bytes, text: str) -> None:
    assert serve((200, {"content-type": content_type}, body)).text == text


def _page_with_meta_at(end: int) -> bytes:
    """An HTML page in ISO-8859-1 whose ``<meta charset>`` declaration ends at byte ``end``."""
    meta = b'<meta charset="iso-8859-1">'
    start = b"<html><head><!--"
    pad = end - len(start) - len(b"-->") - len(meta) + len(b'">')
    page = start + b"x" * pad + b"-->" + meta + "</head><body><p>café crème</p></body></html>".encode("latin-1")
    assert page.index(b'1">') == end - 1
    return page


def test_a_meta_charset_counts_within_the_first_4096_bytes_only() -> None:
    inside = serve((200, {"content-type": "text/html"}, _page_with_meta_at(4096)))
    assert "café crème" in inside.text
    # one byte later the name is cut to "iso-8859-", no charset at all: the page reads as UTF-8
    cut = serve((200, {"content-type": "text/html"}, _page_with_meta_at(4097)))
    assert "caf\ufffd cr\ufffdme" in cut.text


# --------------------------------------------------------------------------- the size cap


CAP = 2000


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 3 * CAP))
@example(CAP)
@example(CAP + 1)
@example(CAP - 1)
def test_a_body_up_to_the_cap_is_whole_and_one_past_it_is_cut(size: int) -> None:
    body = (b"0123456789" * (size // 10 + 1))[:size]
    page = serve((200, {"content-type": "text/plain"}, body), max_bytes=CAP, max_chars=10 * CAP)
    assert page.bytes_read == min(size, CAP) and page.truncated is (size > CAP)
    if size <= CAP:
        assert page.text == body.decode()
    else:
        assert page.text == f"{body[:CAP].decode()}\n[truncated at {CAP} characters]"


def test_a_compressed_body_is_cut_at_the_cap_on_the_wire_even_when_it_inflates_to_nothing() -> None:
    nothing = gzip.compress(b"") * 2000  # 40 kB of empty gzip members: no text, ever
    page = serve((200, {"content-type": "text/plain", "content-encoding": "gzip"}, nothing), max_bytes=CAP)
    assert page.truncated and page.bytes_read == 0 and page.text == "\n[truncated at 0 characters]"


# --------------------------------------------------------------------------- the request on the wire


def test_each_hop_sends_a_get_with_the_usual_headers_spelt_as_browsers_spell_them() -> None:
    async def go():
        async with Server() as server:
            server.routes["/a"] = (302, {"location": "/b"}, b"")
            server.routes["/b"] = (200, {"content-type": "text/plain"}, b"here")
            page = await fetcher().fetch(server.url("/a"))
            return server, page

    server, page = asyncio.run(go())
    assert page.text == "here" and [s.target for s in server.seen] == ["/a", "/b"]
    for seen in server.seen:
        assert seen.method == "GET"
        sent = dict(seen.headers)
        assert {k: sent.get(k) for k in ("Host", "User-Agent", "Accept", "Accept-Encoding")} == {
            "Host": f"{SITE}:{server.port}", "User-Agent": USER_AGENT, "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING}
        assert not {k.lower() for k in sent} & {"cookie", "authorization", "proxy-authorization"}


def test_an_ip_literal_in_any_spelling_is_reached_at_the_address_that_was_checked() -> None:
    relay = Relay()

    async def go():
        async with Server(routes={"/n": (200, {"content-type": "text/plain"}, b"numeric")}) as server:
            # 1572395042 is 93.184.216.34 written as one decimal number
            return server, await fetcher(transport=relay).fetch(f"http://1572395042:{server.port}/n")

    server, page = asyncio.run(go())
    assert page.text == "numeric" and relay.hosts == [PUBLIC]
    assert dict(server.seen[0].headers)["Host"] == f"1572395042:{server.port}"


# --------------------------------------------------------------------------- refusals and failures


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 429, 500, 502, 503])
def test_an_error_status_fails_with_that_status(status: int) -> None:
    error = failure((status, {"content-type": "text/html"}, b"<p>go away</p>"))
    assert error.reason == f"HTTP {status}" and not isinstance(error, FetchRefused)


@pytest.mark.parametrize(("rules", "reason"), [
    (DomainRules.of(blocked=[SITE]), "blocked domain"),
    (DomainRules.of(allowed=["docs.python.org"]), "domain not in allowed_domains"),
])
def test_domain_rules_refuse_with_their_reason_before_any_request(rules: DomainRules, reason: str) -> None:
    async def go():
        async with Server(routes={"/": (200, {"content-type": "text/plain"}, b"x")}) as server:
            with pytest.raises(FetchRefused) as refused:
                await fetcher().fetch(server.url("/"), rules=rules)
            return server, refused.value

    server, refused = asyncio.run(go())
    assert refused.reason == reason and server.seen == []


@pytest.mark.parametrize(("url", "reason"), [
    ("http://1.2.3.4.5/", "malformed numeric host"),
    ("http://1.16777216/", "malformed numeric host"),
])
def test_a_malformed_host_is_refused_with_what_is_wrong_with_it(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        asyncio.run(fetcher().fetch(url))
    assert refused.value.reason == reason


@pytest.mark.parametrize("location", ["http://[::1", "https://pages.test:port/", "//[fe80::1/x"])
def test_a_redirect_httpx_cannot_parse_is_refused_as_malformed(location: str) -> None:
    async def go():
        async with Server(routes={"/r": (302, {"location": location}, b"")}) as server:
            with pytest.raises(FetchRefused) as refused:
                await fetcher().fetch(server.url("/r"))
            return server, refused.value

    server, refused = asyncio.run(go())
    assert refused.reason == "malformed redirect location" and [s.target for s in server.seen] == ["/r"]


@pytest.mark.parametrize("port", [65536, 99999])
def test_a_port_past_65535_is_refused_whether_asked_for_or_redirected_to(port: int) -> None:
    async def go():
        async with Server(routes={"/r": (302, {"location": f"http://{SITE}:{port}/x"}, b"")}) as server:
            for url in (f"http://{SITE}:{port}/", server.url("/r")):
                with pytest.raises(FetchRefused) as refused:
                    await fetcher().fetch(url)
                assert refused.value.reason == "port out of range"
            return server

    assert [s.target for s in asyncio.run(go()).seen] == ["/r"]


def test_port_65535_is_a_port_like_any_other() -> None:
    ports: list[int] = []

    async def resolve(host: str, port: int) -> list[str]:
        ports.append(port)
        return [PUBLIC]

    relay = Relay()
    try:  # whatever listens there (most likely nothing): it is tried, not refused
        asyncio.run(SafeFetcher(resolve=resolve, transport=relay).fetch(f"http://{SITE}:65535/"))
    except FetchRefused as refused:
        pytest.fail(f"refused: {refused.reason}")
    except FetchError:
        pass
    assert ports == [65535] and relay.hosts == [PUBLIC]


def _chain(depth: int) -> httpx.ConnectError:
    """A connection error with a certificate failure ``depth`` links down its cause chain."""
    below: BaseException = ssl.SSLCertVerificationError(1, "certificate verify failed")
    for i in range(depth - 1):
        wrapper = OSError(f"wrapped {i}")
        wrapper.__cause__ = below
        below = wrapper
    error = httpx.ConnectError("handshake failed")
    error.__cause__ = below
    return error


def _reason_for(error: Exception) -> str:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(FetchError) as raised:
        asyncio.run(fetcher(transport=httpx.MockTransport(fail)).fetch("https://pages.test/"))
    return raised.value.reason


@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_a_certificate_failure_down_a_chain_of_errors_says_so(depth: int) -> None:
    assert _reason_for(_chain(depth)) == "TLS certificate check failed"


def test_the_search_for_a_certificate_failure_stops_after_ten_links_and_at_a_cycle() -> None:
    assert _reason_for(_chain(10)) == "connection failed (ConnectError)"
    looped = httpx.ConnectError("loop")
    inner = OSError("inner")
    inner.__context__, looped.__context__ = looped, inner
    assert _reason_for(looped) == "connection failed (ConnectError)"


async def test_the_system_resolver_answers_for_the_host_it_is_asked_about() -> None:
    assert await system_resolve("127.0.0.2", 443) == ["127.0.0.2"]


# --------------------------------------------------------------------------- the log


def _events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "research.fetch" in r.getMessage()]


def test_a_fetch_logs_how_long_it_took_in_milliseconds(caplog: pytest.LogCaptureFixture) -> None:
    async def go():
        async with Server(routes={"/slow": (200, {"content-type": "text/plain"}, b"late")}, delay=0.25) as server:
            before = time.monotonic()
            await fetcher().fetch(server.url("/slow"))
            return time.monotonic() - before

    with caplog.at_level("INFO", logger="fusion_tool"):
        elapsed = asyncio.run(go())
    (done,) = _events(caplog)
    ms = int(re.search(r"\bms=(\d+)\b", done).group(1))  # type: ignore[union-attr]
    # the server waited 250 ms before answering; the whole call took ``elapsed``
    assert 250 <= ms <= round(elapsed * 1000) + 1


def test_a_fetch_that_runs_out_of_time_is_logged_as_failed(caplog: pytest.LogCaptureFixture) -> None:
    async def go():
        async with Server(stall=True) as server:
            with pytest.raises(FetchError) as failed:
                await fetcher(timeout=0.3).fetch(server.url("/"))
            return failed.value

    with caplog.at_level("INFO", logger="fusion_tool"):
        error = asyncio.run(go())
    assert error.reason == "timed out"
    (event,) = _events(caplog)
    assert "event='research.fetch_failed'" in event and "reason='timed out'" in event and f"host='{SITE}'" in event


def test_a_url_that_cannot_be_parsed_is_logged_with_an_unknown_host(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="fusion_tool"), pytest.raises(FetchRefused):
        asyncio.run(fetcher().fetch("http://[::1/"))
    (event,) = _events(caplog)
    assert "event='research.fetch_refused'" in event and "host='?'" in event


# --------------------------------------------------------------------------- the default TLS client


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server(self, sni: list[str | None]) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        context.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment]
        return context

    def trusted(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for ``SITE`` only (no public CA signed it)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={SITE}",
                    "-addext", f"subjectAltName=DNS:{SITE}", "-keyout", str(where / "key.pem"),
                    "-out", str(where / "cert.pem")], check=True, capture_output=True)
    return Certificate(where / "cert.pem", where / "key.pem")


@pytest.fixture
def socket_relay(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Sockets that connect to ``PUBLIC`` reach 127.0.0.1 instead (each address asked is kept);
    any other address goes on to pytest-socket's guard, which allows loopback only."""
    asked: list[tuple[str, int]] = []
    guarded_connect, guarded_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def rewrite(address: object) -> object:
        if isinstance(address, tuple) and address[0] == PUBLIC:
            asked.append((address[0], address[1]))
            return ("127.0.0.1", *address[1:])
        return address

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: guarded_connect(self, rewrite(address)))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: guarded_connect_ex(self, rewrite(address)))
    return asked


def _over_tls(certificate: Certificate, host: str, **kwargs: object) -> tuple[object, list[str | None], list[Seen]]:
    """Fetch ``https://host/`` with a default (transport-less) fetcher: the page or the error,
    the SNI names the server was sent, and the requests it read."""
    sni: list[str | None] = []

    async def go():
        async with Server(routes={"/": (200, {"content-type": "text/plain"}, b"secure")},
                          tls=certificate.server(sni)) as server:
            try:
                result: object = await SafeFetcher(resolve=to_public, **kwargs).fetch(  # type: ignore[arg-type]
                    server.url("/", host=host, scheme="https"))
            except FetchError as exc:
                result = exc
            return result, server.seen

    result, seen = asyncio.run(go())
    return result, sni, seen


def test_by_default_a_certificate_no_public_ca_signed_is_refused(certificate, socket_relay) -> None:
    error, sni, seen = _over_tls(certificate, SITE)
    assert isinstance(error, FetchError) and error.reason == "TLS certificate check failed"
    assert sni == [SITE] and seen == [] and [a for a, _ in socket_relay] == [PUBLIC]


def test_a_given_ssl_context_is_used_and_checks_the_name_while_the_address_is_pinned(certificate, socket_relay) -> None:
    page, sni, seen = _over_tls(certificate, SITE, ssl_context=certificate.trusted())
    assert getattr(page, "text", page) == "secure" and sni == [SITE]
    assert [dict(s.headers)["Host"] for s in seen] == [f"{SITE}:{socket_relay[0][1]}"]
    # the same trusted certificate, for a name it does not carry
    error, sni, seen = _over_tls(certificate, "other.test", ssl_context=certificate.trusted())
    assert isinstance(error, FetchError) and error.reason == "TLS certificate check failed"
    assert sni == ["other.test"] and seen == []
    assert [a for a, _ in socket_relay] == [PUBLIC, PUBLIC]
