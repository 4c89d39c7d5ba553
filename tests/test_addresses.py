"""The fetcher's address policy, table-driven: every spelling of a host reads as one address,
and every address that is not plainly global unicast is refused with the reason the panelist
reads ("web_fetch refused: loopback address")."""

from __future__ import annotations

import ipaddress

import pytest

from fusion_tool.core.errors import HostError
from fusion_tool.pipeline.research.addresses import (
    address_problem,
    classify_host,
    embedded_ipv4,
    loose_ipv4,
    name_problem,
)

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", LOOPBACK), ("127.1", LOOPBACK), ("2130706433", LOOPBACK), ("2130706433.", LOOPBACK),
    ("0x7f000001", LOOPBACK), ("017700000001", LOOPBACK), ("0x7f.1", LOOPBACK), ("0X7F.0.0.1", LOOPBACK),
    (" 127.0.0.1 ", LOOPBACK),
    ("01234567", ipaddress.IPv4Address(0o1234567)),  # every octal digit, in one part
    ("255.1.1.1", ipaddress.IPv4Address("255.1.1.1")), ("0x.1.1.1", ipaddress.IPv4Address("0.1.1.1")),
    ("1.2.65535", ipaddress.IPv4Address("1.2.255.255")), ("0", ipaddress.IPv4Address("0.0.0.0")),
    ("::1", ipaddress.IPv6Address("::1")), ("2600::5EFE:C0A8:101", ipaddress.IPv6Address("2600::5efe:c0a8:101")),
    ("a." * 126 + "b", "a." * 126 + "b"),  # 253 characters: the longest name there is
    ("Example.COM.", "example.com"), ("exa_mple.com", "exa_mple.com"), ("a-b.c", "a-b.c"),
])
def test_a_host_reads_as_one_address_or_name(host, expected):
    assert classify_host(host) == expected


@pytest.mark.parametrize(("host", "reason"), [
    ("1.256.1", "malformed numeric host"), ("256.1.1.1", "malformed numeric host"),
    ("1.2.3.4.0", "malformed numeric host"), ("1.2.3.4.5", "malformed numeric host"),
    ("08.1.1.1", "malformed numeric host"), ("1.2.65536", "malformed numeric host"),
    ("4294967296", "malformed numeric host"), ("example.1", "malformed numeric host"),
    ("[::1]", "malformed IPv6 address"), ("::ffff:zz", "malformed IPv6 address"),
    ("fe80::1%eth0", "scoped IPv6 address"),
    ("-bad.com", "malformed host name"), ("a..b", "malformed host name"), ("x" * 64 + ".com", "malformed host name"),
    ("a." * 126 + "bc", "malformed host name"),  # 254 characters
    ("", "missing host"), ("  ", "missing host"),
])
def test_a_host_that_cannot_be_read_is_refused_with_its_reason(host, reason):
    with pytest.raises(HostError) as refused:
        classify_host(host)
    assert str(refused.value) == reason


def test_a_name_is_not_an_address():
    assert loose_ipv4("") is None and loose_ipv4("example.com") is None and loose_ipv4("1.example") is None
    assert loose_ipv4("1.") == ipaddress.IPv4Address("0.0.0.1")


@pytest.mark.parametrize(("v6", "v4"), [
    ("::ffff:10.0.0.1", "10.0.0.1"),                          # mapped
    ("2002:c0a8:101::1", "192.168.1.1"),                      # 6to4
    ("64:ff9b::a00:1", "10.0.0.1"),                           # NAT64
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),  # Teredo: RFC 4380's example, bits inverted
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "8.8.8.8"),
    ("2600::5efe:c0a8:101", "192.168.1.1"),                   # ISATAP
    ("fe80::200:5efe:a00:1", "10.0.0.1"),                     # ISATAP, the universal/local bit set
    ("2600::1", None), ("2600::1:5efe:c0a8:101", None), ("2606:4700::1111", None),
])
def test_the_ipv4_address_an_ipv6_address_carries(v6, v4):
    assert embedded_ipv4(ipaddress.IPv6Address(v6)) == (ipaddress.IPv4Address(v4) if v4 else None)


@pytest.mark.parametrize(("address", "problem"), [
    ("8.8.8.8", None), ("2606:4700::1111", None), ("::ffff:8.8.8.8", None), ("2002:0808:0808::1", None),
    ("64:ff9b::808:808", None), ("2600::5efe:808:808", None),
    ("127.0.0.2", "loopback address"), ("::1", "loopback address"),
    ("169.254.169.254", "cloud metadata address"), ("168.63.129.16", "cloud metadata address"),
    ("fd00:ec2::254", "cloud metadata address"), ("100.100.100.200", "cloud metadata address"),
    ("0.0.0.0", "unspecified address"), ("::", "unspecified address"),
    ("169.254.1.1", "link-local address"), ("fe80::1", "link-local address"),
    ("224.0.0.1", "multicast address"), ("ff02::1", "multicast address"),
    ("100.64.0.1", "shared (CGNAT) address"),
    ("10.1.2.3", "private address"), ("192.168.1.1", "private address"), ("2001:db8::1", "private address"),
    ("192.88.99.1", "reserved address"),  # the old 6to4 relay anycast: global to Python, refused by our list
    ("::808:808", "reserved address"),    # IPv4-compatible, deprecated
    ("fe80::1%eth0", "scoped IPv6 address"),
    ("::ffff:127.0.0.1", "loopback address (embedded in IPv6)"),
    ("2002:7f00:1::1", "loopback address (embedded in IPv6)"),
    ("64:ff9b::a00:1", "private address (embedded in IPv6)"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private address (embedded in IPv6)"),  # Teredo for 10.0.0.1
    ("2600::5efe:c0a8:101", "private address (embedded in IPv6)"),                   # ISATAP for 192.168.1.1
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "private address"),  # Teredo, a public client: still 2001::/23
])
def test_every_address_that_is_not_global_unicast_is_refused_with_its_reason(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(("name", "problem"), [
    ("metadata.google.internal", "cloud metadata host"), ("METADATA.", "cloud metadata host"),
    ("kubernetes.default.svc", "cloud metadata host"),
    ("localhost", "loopback host name"), ("a.localhost", "loopback host name"),
    ("intranet", "single-label host name"), ("printer.lan", "internal host name"), ("db.home.arpa", "internal host name"),
    ("example.com", None), ("localhost.example.com", None),
])
def test_names_that_mean_something_only_inside_a_network(name, problem):
    assert name_problem(name) == problem
