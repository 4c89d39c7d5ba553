"""``SafeFetcher``: fetch a web page for a panelist without letting it reach inside the network.

One hop, in order (redirects repeat every step for the next hop, at most ``max_redirects``):

1. parse with ``httpx.URL`` (:func:`~fusion_tool.pipeline.research.urls.parse_url`: http/https only,
   no userinfo, backslashes or control characters);
2. domain rules (``allowed_domains``/``blocked_domains``/plugin ``excluded_domains``);
3. host policy: IP literals in any spelling and names (``localhost``, metadata names...);
4. resolve the name **once** and check **every** address;
5. connect to the first checked address (the URL is rewritten to the IP; the ``Host`` header and
   TLS SNI/certificate check keep the name), so a second, rebinding answer is never asked for;
6. stream the body up to ``max_bytes`` decoded bytes, under one total timeout.

No proxy from the environment, no cookies, no credentials are ever sent. The test suite reaches
its loopback server through ``_allow_loopback_for_tests``, a constructor argument no
configuration file or environment variable can set.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import certifi
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

log = get_logger("fusion_tool.pipeline.research")

Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_MAX_CHARS = 32_000
DEFAULT_TIMEOUT = 20.0
DEFAULT_CONNECT_TIMEOUT = 5.0
MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; fusion-tool/0.1; research panel fetch)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class _Target:
    url: httpx.URL  # what was asked for
    ip: IPAddress  # where the connection goes
    name: str | None  # the DNS name, None for an IP literal


@dataclass
class _Body:
    url: httpx.URL
    status: int
    media_type: str
    charset: str | None
    data: bytes
    truncated: bool


class SafeFetcher:
    """Fetches public http(s) pages as text; see the module docstring for the guarantees."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        resolve: Resolver | None = None,
        user_agent: str = USER_AGENT,
        ssl_context: ssl.SSLContext | None = None,
        _allow_loopback_for_tests: bool | Iterable[str] = False,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_redirects = max_redirects
        self._resolve = resolve or system_resolve
        self._user_agent = user_agent
        # True: loopback addresses for any host; a set of names: only for those names.
        if isinstance(_allow_loopback_for_tests, bool):
            self._loopback: bool | frozenset[str] = _allow_loopback_for_tests
        elif isinstance(_allow_loopback_for_tests, str):
            self._loopback = frozenset({_allow_loopback_for_tests.lower().rstrip(".")})
        else:
            self._loopback = frozenset(n.lower().rstrip(".") for n in _allow_loopback_for_tests)
        self._ssl = ssl_context  # default: the system's TLS settings with certifi's CAs

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

    def _loopback_ok(self, name: str | None) -> bool:
        if isinstance(self._loopback, bool):
            return self._loopback
        return name is not None and name in self._loopback

    async def _check(self, url: httpx.URL, rules: DomainRules) -> _Target:
        """The address to connect to for ``url``, after every check; resolves at most once."""
        if (why := rules.refusal(url)) is not None:
            raise FetchRefused(why)
        try:
            host = classify_host(url.raw_host.decode("ascii"))
        except (HostError, UnicodeDecodeError) as exc:
            raise FetchRefused(str(exc) or "malformed host") from None
        if not isinstance(host, str):
            if problem := address_problem(host, allow_loopback=self._loopback_ok(None)):
                raise FetchRefused(problem)
            return _Target(url, host, None)
        if (problem := name_problem(host)) and host not in self._loopback_names():
            raise FetchRefused(problem)
        ips = await self._lookup(host, default_port(url))
        for ip in ips:
            if problem := address_problem(ip, allow_loopback=self._loopback_ok(host)):
                raise FetchRefused(f"host resolves to a blocked address ({problem})")
        return _Target(url, ips[0], host)

    def _loopback_names(self) -> frozenset[str]:
        return self._loopback if isinstance(self._loopback, frozenset) else frozenset()

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

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=certifi.where())
        return self._ssl

    def _client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.timeout, connect=self.connect_timeout)
        return httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=timeout,
            verify=self._ssl_context(),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
        )

    def _request_parts(self, target: _Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        headers = {"User-Agent": self._user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        if target.name is None:
            return target.url, headers, {}
        headers["Host"] = target.url.netloc.decode("ascii")
        extensions = (
            {"sni_hostname": target.name} if target.url.scheme == "https" else {}
        )
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
        except httpx.HTTPError as exc:
            if _caused_by(exc, ssl.SSLCertVerificationError):
                raise FetchError("TLS certificate check failed") from None
            raise FetchError(f"connection failed ({type(exc).__name__})") from None


def _next_url(current: httpx.URL, location: str | None) -> httpx.URL:
    if not location:
        raise FetchError("redirect without a location")
    if "\\" in location:
        raise FetchRefused("backslash in redirect location")
    try:
        joined = current.join(location.strip())
    except (httpx.InvalidURL, ValueError):
        raise FetchRefused("malformed redirect location") from None
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


def _decode(data: bytes, charset: str | None, media_type: str) -> str:
    if not charset and media_type in HTML_TYPES and (m := _META_CHARSET.search(data[:4096])):
        charset = m.group(1).decode("ascii")
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        codec = "utf-8"
    return data.decode(codec, errors="replace")


def render(body: _Body, max_chars: int) -> Page:
    """A fetched body as a :class:`Page` of readable, capped text (blocking: run in a thread)."""
    text = _decode(body.data, body.charset, body.media_type)
    media_type = body.media_type
    if media_type == "text/plain" and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        media_type = "text/html"
    title = ""
    if media_type in HTML_TYPES:
        title, text = html_to_text(text)
    text = _CONTROL.sub("", text)
    text, truncated = truncate(text, max_chars, cut=body.truncated)
    return Page(
        url=str(body.url),
        title=title or str(body.url),
        text=text,
        content_type=media_type,
        status=body.status,
        bytes_read=len(body.data),
        truncated=truncated,
    )
