"""Which hosts and addresses ``web_fetch`` may reach.

Every check here is a pure function, so the policy reads in one place and tests table-drive it:

* :func:`classify_host` turns a URL's host into an IP address or a normalised DNS name. Any
  host whose last label is numeric is read the way ``inet_aton`` and browsers read it
  (``127.1``, ``2130706433``, ``0x7f000001``, ``017700000001`` are all 127.0.0.1), so no
  numeric spelling reaches a resolver that would read it differently.
* :func:`name_problem` refuses names that only mean something inside a network
  (``localhost``, single-label names, ``.internal``, cloud metadata names).
* :func:`address_problem` refuses every address that is not plainly global unicast: loopback,
  private, link-local, CGNAT, multicast, reserved, unspecified, documentation, cloud metadata
  (every cloud's, including Azure's public 168.63.129.16), and IPv4 embedded in IPv6 is judged
  by its IPv4 address: mapped, compatible, 6to4 and NAT64 stand for that address alone; ISATAP
  (``…:0:5efe:a.b.c.d``, ``…:200:5efe:a.b.c.d``) and Teredo (``2001::/32``, the client's address
  in the last 32 bits, inverted) are refused for an embedded address that is, and judged as
  IPv6 addresses too.
"""

from __future__ import annotations

import ipaddress
import re

from fusion_tool.core.errors import HostError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.170.23",  # AWS EKS Pod Identity Agent
        "169.254.169.253",  # AWS DNS
        "168.63.129.16",  # Azure WireServer and platform channel: a public address
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud Classic
        "169.254.42.42",  # Scaleway
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS Pod Identity Agent over IPv6
        "fd20:ce::254",  # GCP, IPv6-only instances
        "fd00:42::42",  # Scaleway over IPv6
    )
)

METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.platformequinix.com",
        "kubernetes.default",
        "kubernetes.default.svc",
    }
)

# names that resolve inside a network (RFC 6761, RFC 8375 and common private suffixes)
INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".home.arpa",
    ".corp",
    ".svc",
    ".cluster.local",
)

_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)

_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ORCHID...)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local (includes fd00:ec2::254)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")
#: ISATAP interface identifiers (RFC 5214): bits 64-95 of the address, before the IPv4 address
_ISATAP_IDS = frozenset({0x00005EFE, 0x02005EFE})
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def _ipv4_part(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        if not set(part) <= set("01234567"):
            raise HostError("malformed numeric host")
        return int(part, 8)
    return int(part, 10)


def loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read ``host`` as IPv4 in any ``inet_aton`` spelling; None when it is a name.

    A host whose last label is numeric is an address (as in the WHATWG URL standard); if it does
    not parse as one it is refused rather than handed to a resolver.
    """
    parts = host.lower().split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _NUMERIC_LABEL.match(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMERIC_LABEL.match(p) for p in parts):
        raise HostError("malformed numeric host")
    numbers = [_ipv4_part(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostError("malformed numeric host")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def classify_host(host: str) -> IPAddress | str:
    """An IP address, or a lower-case DNS name without its trailing dot.

    ``host`` is the ASCII host as the URL parser gives it (IDNA already applied, IPv6 without
    brackets).
    """
    host = host.strip().lower()
    if not host:
        raise HostError("missing host")
    if ":" in host:
        if "%" in host:
            raise HostError("scoped IPv6 address")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise HostError("malformed IPv6 address") from None
    ip = loose_ipv4(host)
    if ip is not None:
        return ip
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise HostError("malformed host name")
    return name


def name_problem(name: str) -> str | None:
    """Why a DNS name must not be fetched, or None."""
    name = name.lower().rstrip(".")
    if name in METADATA_NAMES:
        return "cloud metadata host"
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback host name"
    if "." not in name:
        return "single-label host name"
    if name.endswith(INTERNAL_SUFFIXES):
        return "internal host name"
    return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo, ISATAP), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _TEREDO:  # the client's address, every bit inverted (RFC 4380)
        return ipaddress.IPv4Address((int(ip) & 0xFFFFFFFF) ^ 0xFFFFFFFF)
    if (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _stands_for_ipv4(ip: ipaddress.IPv6Address) -> bool:
    """Mapped, 6to4 and NAT64 addresses reach their IPv4 address and nothing else."""
    return ip.ipv4_mapped is not None or ip.sixtofour is not None or ip in _NAT64


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be connected to, or None when it is global unicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "scoped IPv6 address"
        inner = embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            if problem:
                return f"{problem} (embedded in IPv6)"
            if _stands_for_ipv4(ip):
                return None
    if ip.is_loopback:
        return "loopback address"
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("100.64.0.0/10"):
        return "shared (CGNAT) address"
    if ip.is_private:
        return "private address"
    blocked = _BLOCKED_V4 if isinstance(ip, ipaddress.IPv4Address) else _BLOCKED_V6
    if ip.is_reserved or any(ip in net for net in blocked) or not ip.is_global:
        return "reserved address"
    return None


def parse_resolved(address: str) -> IPAddress:
    """An address as a resolver returned it (``fe80::1%eth0`` keeps its scope)."""
    return ipaddress.ip_address(address)
