"""The address a request came from, believing X-Forwarded-For only as far as our own proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:443
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is still that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address) -> bool:
    return any(
        address in network for network in _networks(tuple(settings.LLMADMIN_TRUSTED_PROXIES))
    )


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Did `request` come through one of our own proxies (so its X-headers are theirs)?"""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and _is_trusted(peer)


def client_ip(request: HttpRequest) -> str | None:
    """The source address of `request`.

    X-Forwarded-For is read only when the peer itself is a trusted proxy
    (`LLMADMIN_TRUSTED_PROXIES`), and then from the right, skipping our proxies: the first
    address a trusted proxy vouches for is the client. Anything to its left was written by
    the client and could say anything.
    """
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    if not _is_trusted(peer):
        return str(peer)
    source = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if not hop.strip():
            continue
        address = _parse(hop)
        if address is None:
            # A trusted proxy passed on garbage: it is the last hop we can vouch for.
            break
        source = address
        if not _is_trusted(address):
            break
    return str(source)
