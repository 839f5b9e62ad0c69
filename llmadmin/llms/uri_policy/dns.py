"""Looking host names up, and vetting every address a name resolves to."""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from .addresses import refuse_address
from .messages import reject


class UnresolvableHost(Exception):
    """Raised by a resolver when a name does not resolve."""


Resolver = Callable[[str], Sequence[str]]

# getaddrinfo can't be interrupted; a small shared pool bounds the threads hung lookups hold.
_DNS_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="uri-policy-dns")


def system_resolver(host: str) -> list[str]:
    """The operating system's addresses for `host`, giving up after DNS_TIMEOUT_SECONDS."""
    # Read from the package at each call: DNS_TIMEOUT_SECONDS is defined there, so that is the
    # one place to change it (tests shorten it on the package).
    timeout = sys.modules[__package__].DNS_TIMEOUT_SECONDS
    future = _DNS_POOL.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except TimeoutError:
        future.cancel()
        raise UnresolvableHost(f"{host}: the lookup timed out") from None
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise UnresolvableHost(f"{host}: {exc}") from exc
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


def resolve(host: str, resolver: Resolver, listed: bool) -> tuple[tuple[str, ...], list[str]]:
    """(the vetted addresses, warnings); refuses the URI if any address is refused."""
    try:
        found = [str(a) for a in resolver(host)]
    except UnresolvableHost:
        found = []
    if not found:  # Vectara resolves from its own network, which may know the name
        return (), [
            f"The name {host} does not resolve from this dashboard's network; Vectara will"
            " resolve it from its own. Check the spelling."
        ]
    addresses: list[str] = []
    for text in found:
        try:
            ip = ipaddress.ip_address(text.partition("%")[0])  # getaddrinfo may add a zone id
        except ValueError:
            raise reject("bad_dns", host=host, text=text) from None
        refuse_address(ip, f"The host {host} resolves to {ip}, which", host, listed)
        if str(ip) not in addresses:
            addresses.append(str(ip))
    return tuple(addresses), []
