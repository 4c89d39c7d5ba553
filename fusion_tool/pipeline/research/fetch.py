"""``SafeFetcher``: fetch a web page for a panelist without letting it reach inside the network.

One hop, in order (redirects repeat every step for the next hop, at most ``max_redirects``):

1. parse with ``httpx.URL`` (:func:`~fusion_tool.pipeline.research.urls.parse_url`: http/https only,
   no userinfo, backslashes or control characters);
2. domain rules (``allowed_domains``/``blocked_domains``/plugin ``excluded_domains``), and no port past 65535;
3. host policy: IP literals in any spelling and names (``localhost``, metadata names...);
4. resolve the name **once** and check **every** address;
5. connect to the first checked address (the URL is rewritten to the IP; the ``Host`` header and
   TLS SNI/certificate check keep the name), so a second, rebinding answer is never asked for;
6. stream the body up to ``max_bytes`` decoded bytes, under one total timeout.

A redirect's ``Location`` is judged by :func:`_next_url` as soon as the response arrives (an
httpx response hook, since httpx builds its own next request from it even when it does not
follow it): backslashes and a scheme without ``//`` (``http:127.0.0.1:8080/x``, read as a host
by some parsers and as a path by others) are refused, and so is anything httpx cannot parse.

No proxy from the environment, no cookies, no credentials are ever sent; the client comes from
:func:`fusion_tool.provider.http.fetch_client`. Every address that is not global unicast is
refused, loopback included, with no switch to open it: the test suite reaches its loopback
server by passing a ``transport`` (as ``httpx.MockTransport`` is passed), which receives each
request only after every check above has passed, addressed to the checked IP.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from fusion_tool.core.errors import FetchError, FetchRefused, HostError
from fusion_tool.core.log import get_logger
from fusion_tool.pipeline.research.addresses import (
    IPAddress,
    address_problem,
    classify_host,
    name_problem,
    parse_resolved,
)
from fusion_tool.pipeline.research.body import (
    ACCEPT,
    ACCEPT_ENCODING,
    HTML_TYPES,
    BoundedBody,
    check_content_type,
    parse_content_type,
)
from fusion_tool.pipeline.research.domains import DomainRules
from fusion_tool.pipeline.research.htmltext import html_to_text
from fusion_tool.pipeline.research.page import Page, truncate
from fusion_tool.pipeline.research.urls import default_port, parse_url
from fusion_tool.provider.http import FETCH_CONNECT_TIMEOUT, FETCH_TIMEOUT, fetch_client, fetch_tls

log = get_logger("fusion_tool.pipeline.research")

Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_MAX_CHARS = 32_000
MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; fusion-tool/0.1; research panel fetch)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class _Target:
    """One checked hop.

    Attributes:
        url: What was asked for.
        ip: Where the connection goes (checked).
        name: The DNS name (for ``Host`` and SNI); None for an IP literal.
    """

    url: httpx.URL
    ip: IPAddress
    name: str | None


@dataclass
class _Body:
    """The body of the last hop, as read (capped).

    Attributes:
        url: The URL it came from (after redirects).
        status: The HTTP status.
        media_type: The allowed media type it was read as.
        charset: The charset the response named, if any.
        data: The body, content-encoding undone, at most ``max_bytes``.
        truncated: Whether the cap cut it.
    """

    url: httpx.URL
    status: int
    media_type: str
    charset: str | None
    data: bytes
    truncated: bool


class SafeFetcher:
    """Fetches public http(s) pages as text; see the module docstring for the guarantees.

    ``resolve`` answers a name with its addresses (default: the system resolver); every answer
    is checked. ``transport`` carries each checked request instead of the network (an
    ``httpx.AsyncBaseTransport``: the tests' seam, as ``httpx.MockTransport`` is); it sees the
    request addressed to the checked IP, with the name in ``Host`` and in the ``sni_hostname``
    extension. ``ssl_context`` defaults to the system's TLS settings with certifi's CAs.
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = FETCH_TIMEOUT,
        connect_timeout: float = FETCH_CONNECT_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        resolve: Resolver | None = None,
        user_agent: str = USER_AGENT,
        ssl_context: ssl.SSLContext | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_redirects = max_redirects
        self._resolve = resolve or system_resolve
        self._user_agent = user_agent
        self._ssl = ssl_context
        self._transport = transport

    # -- the public call -------------------------------------------------------------------

    async def fetch(
        self, url: str, *, rules: DomainRules | None = None, max_chars: int = DEFAULT_MAX_CHARS
    ) -> Page:
        """The page at ``url`` as text, or :class:`FetchError` (:class:`FetchRefused` for policy)."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._follow(url, rules or DomainRules())
        except FetchRefused as exc:
            log.info("research.fetch_refused", reason=exc.reason, host=_host_of(url))
            raise
        except FetchError as exc:
            log.info("research.fetch_failed", reason=exc.reason, host=_host_of(url))
            raise
        except TimeoutError:
            log.info("research.fetch_failed", reason="timed out", host=_host_of(url))
            raise FetchError("timed out") from None
        page = await asyncio.to_thread(render, body, max_chars)
        ms = round((time.monotonic() - started) * 1000)
        log.info(
            "research.fetch_done",
            host=body.url.host,
            status=body.status,
            bytes=len(body.data),
            ms=ms,
            truncated=page.truncated,
        )
        return page

    async def _follow(self, raw: str, rules: DomainRules) -> _Body:
        url = parse_url(raw)
        for _ in range(self.max_redirects + 1):
            target = await self._check(url, rules)
            result = await self._hop(target)
            if isinstance(result, _Body):
                return result
            url = result
        raise FetchRefused(f"more than {self.max_redirects} redirects")

    # -- policy ----------------------------------------------------------------------------

    async def _check(self, url: httpx.URL, rules: DomainRules) -> _Target:
        """The address to connect to for ``url``, after every check; resolves at most once."""
        if (why := rules.refusal(url)) is not None:
            raise FetchRefused(why)
        if (port := default_port(url)) > 65535:  # httpx parses it; the socket would raise OverflowError
            raise FetchRefused("port out of range")
        try:
            host = classify_host(url.raw_host.decode("ascii"))
        except (HostError, UnicodeDecodeError) as exc:  # each has a message; raw_host is IDNA ASCII
            raise FetchRefused(str(exc)) from None
        if not isinstance(host, str):
            if problem := address_problem(host):
                raise FetchRefused(problem)
            return _Target(url, host, None)
        if problem := name_problem(host):
            raise FetchRefused(problem)
        ips = await self._lookup(host, port)
        for ip in ips:
            if problem := address_problem(ip):
                raise FetchRefused(f"host resolves to a blocked address ({problem})")
        return _Target(url, ips[0], host)

    async def _lookup(self, name: str, port: int) -> list[IPAddress]:
        try:
            answers = await self._resolve(name, port)
            ips = [parse_resolved(a) for a in answers]
        except (OSError, ValueError, UnicodeError):
            raise FetchError("could not resolve host") from None
        if not ips:
            raise FetchError("could not resolve host")
        return ips

    # -- one request -----------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._ssl is None and self._transport is None:
            self._ssl = fetch_tls()
        client = fetch_client(
            timeout=self.timeout, connect_timeout=self.connect_timeout, verify=self._ssl, transport=self._transport
        )
        client.event_hooks["response"].append(_judge_location)
        return client

    def _request_parts(self, target: _Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """The request for ``target``: to its checked IP (an IP literal too, in any spelling), with
        the URL's own host in ``Host`` and, over https, a name in SNI (and the certificate check)."""
        headers = {
            "User-Agent": self._user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Host": target.url.netloc.decode("ascii"),
        }
        named_https = target.name is not None and target.url.scheme == "https"
        extensions = {"sni_hostname": target.name} if named_https else {}
        return target.url.copy_with(host=str(target.ip)), headers, extensions

    async def _hop(self, target: _Target) -> _Body | httpx.URL:
        url, headers, extensions = self._request_parts(target)
        try:
            async with (
                self._client() as client,
                client.stream("GET", url, headers=headers, extensions=extensions) as resp,
            ):
                if resp.status_code in _REDIRECTS:
                    return _next_url(target.url, resp.headers.get("location"))
                if resp.status_code >= 400:
                    raise FetchError(f"HTTP {resp.status_code}")
                media_type, charset = parse_content_type(resp.headers.get("content-type"))
                media_type = check_content_type(media_type)
                body = BoundedBody(resp.headers.get("content-encoding"), self.max_bytes)
                async for chunk in resp.aiter_raw():
                    body.feed(chunk)
                    if body.truncated or body.raw_size > self.max_bytes:
                        body.truncated = True
                        break
                return _Body(target.url, resp.status_code, media_type, charset, body.body, body.truncated)
        except httpx.TimeoutException:
            raise FetchError("timed out") from None
        except httpx.InvalidURL:  # httpx's own reading of a Location our rules let through
            raise FetchRefused(_MALFORMED_LOCATION) from None
        except httpx.HTTPError as exc:
            if _caused_by(exc, ssl.SSLCertVerificationError):
                raise FetchError("TLS certificate check failed") from None
            raise FetchError(f"connection failed ({type(exc).__name__})") from None


async def _judge_location(response: httpx.Response) -> None:
    """Refuse a redirect's ``Location`` before httpx reads it (see the module docstring)."""
    if response.status_code in _REDIRECTS and "location" in response.headers:
        _next_url(response.request.url, response.headers["location"])


_MALFORMED_LOCATION = "malformed redirect location"
#: a scheme followed by anything but ``//``: no authority, so no host all parsers agree on
_SCHEME_WITHOUT_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!//)")


def _next_url(current: httpx.URL, location: str | None) -> httpx.URL:
    if not location:
        raise FetchError("redirect without a location")
    if "\\" in location:
        raise FetchRefused("backslash in redirect location")
    if _SCHEME_WITHOUT_AUTHORITY.match(location.strip()):
        raise FetchRefused("redirect location has a scheme but no //host")
    try:
        joined = current.join(location.strip())
    except (httpx.InvalidURL, ValueError):
        raise FetchRefused(_MALFORMED_LOCATION) from None
    return parse_url(str(joined))


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1  # type: ignore[assignment]
    return False


def _host_of(url: str) -> str:
    try:
        return httpx.URL(str(url)).host
    except Exception:
        return "?"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


#: an HTML page served as text/plain: sniffed from how its text starts
_HTML_START = re.compile(r"\s*(?:<!doctype html|<html)", re.IGNORECASE)


def _decode(data: bytes, charset: str | None, media_type: str) -> str:
    """``data`` as text in its charset (a ``<meta>`` one for HTML), else UTF-8; bad bytes become U+FFFD."""
    if not charset and media_type in HTML_TYPES and (m := _META_CHARSET.search(data[:4096])):
        charset = m.group(1).decode()  # the pattern matches ASCII only
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:  # unknown, or not a text encoding (base64, rot13...)
            pass
    return data.decode(errors="replace")


def render(body: _Body, max_chars: int) -> Page:
    """A fetched body as a :class:`Page` of readable, capped text (blocking: run in a thread)."""
    text = _decode(body.data, body.charset, body.media_type)
    media_type = body.media_type
    if media_type == "text/plain" and _HTML_START.match(text):
        media_type = "text/html"
    title = str(body.url)
    if media_type in HTML_TYPES:
        found, text = html_to_text(text)
        title = found or title
    text = _CONTROL.sub("", text)
    text, truncated = truncate(text, max_chars, cut=body.truncated)
    return Page(
        url=str(body.url),
        title=title,
        text=text,
        content_type=media_type,
        status=body.status,
        bytes_read=len(body.data),
        truncated=truncated,
    )
