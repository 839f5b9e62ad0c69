"""Classifying IP addresses: which ones Vectara must never be pointed at, and why."""

from __future__ import annotations

import ipaddress

from .messages import ASK, UriRejected, reject

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer: looks public, is platform-internal
        "192.0.0.192",  # Oracle Cloud
    )
)
_METADATA_KIND = "a cloud metadata service address"
# First match wins, so the most telling description comes first.
_PREDICATES = (
    ("is_unspecified", "the unspecified address (this machine)"),
    ("is_loopback", "a loopback address (the machine making the request)"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
)
_RANGES = tuple(
    (ipaddress.ip_network(net), kind)
    for nets, kind in (
        ("100.64.0.0/10", "a carrier-grade NAT (100.64.0.0/10) address"),
        ("10.0.0.0/8 172.16.0.0/12 192.168.0.0/16", "a private (RFC 1918) address"),
        ("fc00::/7", "a unique-local (private) IPv6 address"),
        ("fec0::/10", "a site-local (private) IPv6 address"),
        (
            "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32 3fff::/20",
            "a documentation address",
        ),
        ("198.18.0.0/15 2001:2::/48", "a benchmarking address"),
        ("0.0.0.0/8", 'a reserved "this network" address'),
        ("192.0.0.0/24 2001::/23", "a reserved IETF protocol-assignment address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
    for net in nets.split()
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _address_kind(ip: IP) -> str | None:
    """Why `ip` is refused, as a noun phrase, or None for a public address."""
    if ip in _METADATA:
        return _METADATA_KIND
    for attribute, kind in _PREDICATES:
        if getattr(ip, attribute):
            return kind
    for net, kind in _RANGES:
        if ip in net:
            return kind
    if ip.is_reserved:
        return "a reserved address"
    return None if ip.is_global else "not a public internet address"


def _embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 mapped, compatible, 6to4, NAT64 or Teredo address."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]  # the client, which is where traffic would go
    value = int(ip)
    # NAT64, IPv4-compatible ::a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d keep it in the low bits.
    if any(ip in net for net in _NAT64) or (value >> 32 in (0, 0xFFFF0000) and value > 1):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def _why_refused(ip: IP) -> tuple[str | None, bool]:
    """(the reason, starting with a verb, or None if `ip` is fine; whether it is metadata)."""
    inner = None if ip in _METADATA else _embedded_ipv4(ip)
    if inner is not None:
        kind = _address_kind(inner)
        if kind:
            return f"carries the IPv4 address {inner}, which is {kind}", kind == _METADATA_KIND
        # A transition form of a public address has no use here except confusing parsers.
        return f"is an IPv6 transition form of the IPv4 address {inner}", False
    kind = _address_kind(ip)
    return (f"is {kind}" if kind else None), kind == _METADATA_KIND


def refuse_address(ip: IP, subject: str, host: str, listed: bool) -> None:
    reason, metadata = _why_refused(ip)
    if reason is None or (listed and not metadata):  # the allow-list never admits metadata
        return
    error = reject("address", subject=subject, reason=reason)
    if not metadata:
        error = UriRejected(error.message + ASK.format(host=host), error.code)
    raise error
