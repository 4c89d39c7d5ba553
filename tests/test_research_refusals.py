"""What the red team got past ``web_fetch`` (issue #14, fixes 6 and 7): odd redirect locations
raised httpx's ``InvalidURL`` instead of a refusal, and Azure's wireserver and private IPv4
inside ISATAP and Teredo IPv6 addresses were not refused. Loopback only: the page server and
the relay are those of ``test_research_fetch``."""

from __future__ import annotations

import ipaddress

import pytest

from fusion_tool.pipeline.research import FetchRefused, ResearchConfig
from fusion_tool.pipeline.research.addresses import address_problem, embedded_ipv4

from .test_research_fetch import OK, PUBLIC, LoopbackServer, Resolver, jail, relayed, run  # noqa: F401  (jail: a fixture)


def teredo(client: str, server: str = "65.54.227.120") -> str:
    """The Teredo address (RFC 4380) of ``client`` behind ``server``: 2001:0::/32, the server's
    IPv4, flags, an obfuscated port, then the client's IPv4 with every bit inverted."""
    value = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64) | (0x8000 << 48) | (0xFFFF << 32)
    return str(ipaddress.IPv6Address(value | (int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF)))


# -- fix 7: the addresses ------------------------------------------------------------------------

REFUSED = [
    ("168.63.129.16", "cloud metadata address"),  # Azure wireserver: a public address
    ("::ffff:168.63.129.16", "cloud metadata address (embedded in IPv6)"),
    ("64:ff9b::a83f:8110", "cloud metadata address (embedded in IPv6)"),  # NAT64 of 168.63.129.16
    ("169.254.170.23", "cloud metadata address"),
    ("fd20:ce::254", "cloud metadata address"),
    ("2600::5efe:c0a8:101", "private address (embedded in IPv6)"),  # ISATAP, 192.168.1.1
    ("2600::200:5efe:a00:1", "private address (embedded in IPv6)"),  # ISATAP (global id), 10.0.0.1
    ("2600::5efe:7f00:1", "loopback address (embedded in IPv6)"),
    ("2600::5efe:a9fe:a9fe", "cloud metadata address (embedded in IPv6)"),  # 169.254.169.254
    (teredo("192.168.1.1"), "private address (embedded in IPv6)"),
    (teredo("127.0.0.1"), "loopback address (embedded in IPv6)"),
    (teredo("168.63.129.16"), "cloud metadata address (embedded in IPv6)"),
    (teredo("8.8.8.8"), None),  # a public client: Teredo's prefix is still not global unicast
]


@pytest.mark.parametrize(("address", "reason"), REFUSED, ids=[a for a, _ in REFUSED])
def test_metadata_isatap_and_teredo_addresses_are_refused(address, reason):
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None
    if reason is not None:
        assert problem == reason


@pytest.mark.parametrize(("address", "inner"), [
    ("2600::5efe:c0a8:101", "192.168.1.1"),
    ("2001:db8:1::200:5efe:808:808", "8.8.8.8"),
    (teredo("192.168.1.1"), "192.168.1.1"),
    (teredo("10.1.2.3", server="1.2.3.4"), "10.1.2.3"),
    ("2002:c0a8:101::1", "192.168.1.1"),
    ("::ffff:10.0.0.1", "10.0.0.1"),
    ("2606:4700::1111", None),
    ("2600::5eff:c0a8:101", None),  # not an ISATAP interface id
])
def test_the_ipv4_inside(address, inner):
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found is not None else None) == inner


@pytest.mark.parametrize("address", ["2600::5efe:808:808", "2600::200:5efe:101:101", "2606:4700::1111",
                                     "::ffff:8.8.8.8", "2002:808:808::1"])
def test_global_addresses_with_a_public_ipv4_inside_stay_allowed(address):
    assert address_problem(ipaddress.ip_address(address)) is None


# -- fix 6: redirect locations httpx cannot read -------------------------------------------------

LOCATIONS = [
    ("http:127.0.0.1:{port}/x", "redirect location has a scheme but no //host"),
    ("https:127.0.0.1:{port}/x", "redirect location has a scheme but no //host"),
    ("http:/127.0.0.1:{port}/x", "redirect location has a scheme but no //host"),
    ("http:\\\\127.0.0.1\\x", "backslash in redirect location"),
    ("http:\\127.0.0.1\\x", "backslash in redirect location"),
    ("http://[::1", "malformed redirect location"),
]


@pytest.mark.parametrize(("template", "reason"), LOCATIONS, ids=[t for t, _ in LOCATIONS])
def test_an_odd_redirect_location_is_refused_with_a_reason_and_no_request(template, reason, request):
    jailed = request.getfixturevalue("jail")  # loopback only, every other connection recorded

    async def go() -> None:
        async with LoopbackServer() as server:
            server.routes["/r"] = (302, {"location": template.format(port=server.port)}, b"")
            server.routes["/x"] = OK
            fetcher = relayed(Resolver({"allowed.test": [[PUBLIC]]}))
            rules = ResearchConfig.from_tools(None).fetch_rules
            with pytest.raises(FetchRefused) as refused:
                await fetcher.fetch(f"http://allowed.test:{server.port}/r", rules=rules)
            assert refused.value.reason == reason
            assert [h.target for h in server.hits] == ["/r"]  # the redirect, and nothing after it
        assert jailed.connects == []

    run(go())


@pytest.mark.usefixtures("jail")
def test_relative_and_absolute_redirects_still_work():
    async def go() -> None:
        async with LoopbackServer() as server:
            server.routes["/a"] = (302, {"location": "b"}, b"")
            server.routes["/b"] = (301, {"location": f"http://allowed.test:{server.port}/c"}, b"")
            server.routes["/c"] = (200, {"content-type": "text/plain"}, b"arrived")
            page = await relayed(Resolver({"allowed.test": [[PUBLIC]]})).fetch(f"http://allowed.test:{server.port}/a")
            assert page.text == "arrived"
            assert [h.target for h in server.hits] == ["/a", "/b", "/c"]

    run(go())
