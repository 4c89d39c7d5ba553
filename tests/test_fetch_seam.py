"""SafeFetcher through its transport seam: exactly what each checked request carries, where it
goes, and the reason each failure gives the panelist (no socket: httpx.MockTransport)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fusion_tool.core.errors import FetchError, FetchRefused
from fusion_tool.pipeline.research import SafeFetcher
from fusion_tool.pipeline.research.body import ACCEPT, ACCEPT_ENCODING
from fusion_tool.pipeline.research.fetch import USER_AGENT, system_resolve

PUBLIC = "93.184.215.14"
PAGE = b"<html><head><title>Boiling</title></head><body><p>Water boils at 100 C.</p></body></html>"


def answers(*addresses):
    async def resolve(host, port):
        resolve.asked.append((host, port))
        return list(addresses)
    resolve.asked = []
    return resolve


def serving(*replies):
    """A transport that answers the requests in turn and keeps them."""
    seen = []
    it = iter(replies)

    def handler(request):
        seen.append(request)
        reply = next(it)
        if isinstance(reply, Exception):
            raise reply
        return reply

    transport = httpx.MockTransport(handler)
    transport.seen = seen
    return transport


class _Body(httpx.AsyncByteStream):
    """A body streamed as a server sends it (a ``content=`` body counts as read already)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self):
        for i in range(0, len(self.data), 512):
            yield self.data[i:i + 512]


def response(status, headers, body: bytes) -> httpx.Response:
    return httpx.Response(status, headers=headers, stream=_Body(body))


def html(body=PAGE, status=200, **headers):
    return response(status, {"content-type": "text/html; charset=utf-8", **headers}, body)


def fetch(url, transport, resolve=None, **kwargs):
    fetcher = SafeFetcher(resolve=resolve or answers(PUBLIC), transport=transport, **kwargs)
    return asyncio.run(fetcher.fetch(url))


def test_a_named_https_host_is_reached_at_its_checked_address_with_its_name_for_sni():
    transport, resolve = serving(html()), answers(PUBLIC, "2606:4700::1111")
    page = fetch("https://Example.org:8443/a/b?c=1", transport, resolve)
    request = transport.seen[0]
    assert str(request.url) == f"https://{PUBLIC}:8443/a/b?c=1"
    assert request.headers["host"] == "example.org:8443"
    assert request.extensions["sni_hostname"] == "example.org"
    assert (request.headers["user-agent"], request.headers["accept"], request.headers["accept-encoding"]) == (
        USER_AGENT, ACCEPT, ACCEPT_ENCODING)
    assert resolve.asked == [("example.org", 8443)]
    assert (page.url, page.title, page.status, page.content_type, page.truncated) == (
        "https://example.org:8443/a/b?c=1", "Boiling", 200, "text/html", False)
    assert "Water boils at 100 C." in page.text


def test_plain_http_has_no_sni_and_an_ip_literal_is_not_resolved():
    transport, resolve = serving(html(), html()), answers(PUBLIC)
    fetch("http://example.org/x", transport, resolve)
    assert "sni_hostname" not in transport.seen[0].extensions and resolve.asked == [("example.org", 80)]
    fetch(f"https://{PUBLIC}/y", transport, resolve)
    assert str(transport.seen[1].url) == f"https://{PUBLIC}/y" and transport.seen[1].headers["host"] == PUBLIC
    assert "sni_hostname" not in transport.seen[1].extensions and len(resolve.asked) == 1


def test_every_address_a_name_resolves_to_is_checked():
    with pytest.raises(FetchRefused) as refused:
        fetch("https://example.org/", serving(), answers(PUBLIC, "10.0.0.1"))
    assert refused.value.reason == "host resolves to a blocked address (private address)"


@pytest.mark.parametrize("resolve", [answers(), answers("not an address")])
def test_a_name_that_does_not_resolve(resolve):
    with pytest.raises(FetchError) as failed:
        fetch("https://example.org/", serving(), resolve)
    assert failed.value.reason == "could not resolve host" and not isinstance(failed.value, FetchRefused)


def test_redirects_are_followed_and_each_hop_checked():
    transport = serving(html(status=302, location="/next"), html(status=301, location="https://other.example/z"), html())
    page = fetch("https://example.org/start", transport)
    assert [str(r.url) for r in transport.seen] == [f"https://{PUBLIC}/start", f"https://{PUBLIC}/next", f"https://{PUBLIC}/z"]
    assert [r.headers["host"] for r in transport.seen] == ["example.org", "example.org", "other.example"]
    assert page.url == "https://other.example/z"


@pytest.mark.parametrize(("location", "error", "reason"), [
    (None, FetchError, "redirect without a location"),
    ("", FetchError, "redirect without a location"),
    ("http:\\\\127.0.0.1\\x", FetchRefused, "backslash in redirect location"),
    ("http:127.0.0.1/x", FetchRefused, "redirect location has a scheme but no //host"),
    ("http://127.0.0.1/x", FetchRefused, "loopback address"),
])
def test_a_bad_redirect_is_refused_with_its_reason(location, error, reason):
    headers = {} if location is None else {"location": location}
    with pytest.raises(error) as raised:
        fetch("https://example.org/", serving(html(status=307, **headers)))
    assert raised.value.reason == reason


def test_redirects_stop_at_the_cap():
    transport = serving(*(html(status=302, location=f"/{i}") for i in range(3)))
    with pytest.raises(FetchRefused) as refused:
        fetch("https://example.org/", transport, max_redirects=2)
    assert refused.value.reason == "more than 2 redirects" and len(transport.seen) == 3


@pytest.mark.parametrize(("failure", "reason"), [
    (httpx.ReadTimeout("slow"), "timed out"),
    (httpx.ConnectError("refused"), "connection failed (ConnectError)"),
])
def test_a_failed_request_says_why(failure, reason):
    with pytest.raises(FetchError) as failed:
        fetch("https://example.org/", serving(failure))
    assert failed.value.reason == reason


def test_an_error_status_is_a_failure():
    with pytest.raises(FetchError) as failed:
        fetch("https://example.org/", serving(html(status=404)))
    assert failed.value.reason == "HTTP 404"


def test_a_body_past_the_cap_is_cut_and_says_so():
    body = b"<html><body><p>" + b"word " * 4000 + b"</p></body></html>"
    page = fetch("https://example.org/", serving(html(body)), max_bytes=1000)
    assert page.truncated and page.bytes_read <= 1000 + 8192


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/html", '<html><head><meta charset="iso-8859-1"><title>t</title></head><body><p>café</p></body></html>'),
    ("text/plain; charset=iso-8859-1", "café au lait"),
])
def test_the_charset_named_by_the_page_is_used(content_type, body):
    reply = response(200, {"content-type": content_type}, body.encode("iso-8859-1"))
    assert "café" in fetch("https://example.org/", serving(reply)).text


def test_an_unknown_charset_reads_as_utf8():
    reply = response(200, {"content-type": "text/plain; charset=no-such"}, "naïve".encode())
    assert "naïve" in fetch("https://example.org/", serving(reply)).text


async def test_the_system_resolver_lists_each_address_once():
    addresses = await system_resolve("localhost", 80)
    assert "127.0.0.1" in addresses and len(addresses) == len(set(addresses))


def _events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "research.fetch" in r.getMessage()]


def test_each_fetch_is_logged_with_its_host_and_outcome(caplog):
    with caplog.at_level("INFO", logger="fusion_tool"):
        fetch("https://example.org/a", serving(html()))
        with pytest.raises(FetchRefused):
            fetch("https://printer.lan/", serving())
        with pytest.raises(FetchError):
            fetch("https://example.org/missing", serving(html(status=404)))
    done, refused, failed = _events(caplog)
    assert "event='research.fetch_done'" in done and "host='example.org'" in done and "status=200" in done
    assert f"bytes={len(PAGE)}" in done and "truncated=False" in done and "ms=" in done
    assert "event='research.fetch_refused'" in refused and "reason='internal host name'" in refused
    assert "host='printer.lan'" in refused
    assert "event='research.fetch_failed'" in failed and "reason='HTTP 404'" in failed and "host='example.org'" in failed


def test_the_whole_fetch_has_a_time_limit(caplog):
    async def slow(request):
        await asyncio.sleep(5)
        return html()

    with caplog.at_level("INFO", logger="fusion_tool"), pytest.raises(FetchError) as failed:
        fetch("https://example.org/", httpx.MockTransport(slow), timeout=0.2)
    assert failed.value.reason == "timed out" and not isinstance(failed.value, FetchRefused)
    assert any("reason='timed out'" in e and "host='example.org'" in e for e in _events(caplog))
