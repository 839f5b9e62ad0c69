"""Reading the host of a URI: IPv4 in all its spellings, IPv6 literals, IDNA and plain names."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import idna

from .addresses import IP
from .messages import reject

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63

_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "instance-data"})
# Names that only mean something inside one network (RFC 6761, RFC 8375, common practice).
_LOCAL_SUFFIXES = ("localhost", "localdomain", "local", "internal", "intranet", "lan", "home.arpa")


# How inet_aton reads one part of an IPv4 address: 0x-hex, 0-octal or decimal.
_IPV4_PARTS = ((r"0x([0-9a-f]*)", 16), (r"0([0-7]+)", 8), (r"(0|[1-9][0-9]*)", 10))


def _parse_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """inet_aton's reading: 1-4 parts, each decimal, octal or hex; the last fills the rest."""
    numbers = []
    for part in labels:
        for pattern, base in _IPV4_PARTS:
            if match := re.fullmatch(pattern, part):
                numbers.append(int(match.group(1) or "0", base))
                break
        else:
            return None
    *head, last = numbers
    if len(numbers) > 4 or any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    return ipaddress.IPv4Address(sum(n << 8 * (3 - i) for i, n in enumerate(head)) + last)


def _encode_name(labels: list[str], raw: str) -> str:
    ascii_labels = []
    for label in labels:
        if not label:
            raise reject("empty_label", raw=raw)
        if len(label) > MAX_LABEL_LENGTH:
            raise reject("label_long", raw=raw)
        try:  # IDNA 2008 refuses symbols, many homoglyph tricks and misplaced hyphens
            ascii_labels.append(idna.alabel(label).decode("ascii"))
        except UnicodeError as exc:
            raise reject("idna", raw=raw, error=str(exc)) from None
    host = ".".join(ascii_labels)
    if len(host) > MAX_HOST_LENGTH:
        raise reject("host_long")
    return host


def parse_host(raw: str, bracketed: bool) -> tuple[str, IP | None]:
    """(the ASCII host, its IP address if the host is an address literal)."""
    if not raw:
        raise reject("no_host")
    if "%" in raw:
        if bracketed:
            raise reject("zone_id", raw=raw, zone=raw[raw.index("%") :])
        raise reject("percent", raw=raw)
    if bracketed:
        try:
            ip: IP | None = ipaddress.IPv6Address(raw)
        except ValueError:
            raise reject("ipv6", raw=raw) from None
        return str(ip), ip
    if len(raw) > MAX_HOST_LENGTH:
        raise reject("host_long")
    try:  # UTS 46 maps full-width digits and dots, circled letters and capitals to plain ASCII
        mapped = idna.uts46_remap(raw, std3_rules=True)
    except UnicodeError:
        raise reject("host_chars", raw=raw) from None
    labels = mapped.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot names the same host
    # The WHATWG rule: a host whose last label is a number is an IPv4 address, never a name.
    if re.fullmatch(r"[0-9]+|0x[0-9a-f]*", labels[-1]):
        ip = _parse_ipv4(labels)
        if ip is None:
            raise reject("ipv4", raw=raw)
        return str(ip), ip
    return _encode_name(labels, raw), None


def check_name(host: str, listed: bool) -> None:
    if host in _METADATA_NAMES or (host.startswith("metadata.") and host.endswith(".internal")):
        raise reject("metadata_name", host=host)
    if listed:
        return
    suffix = next((s for s in _LOCAL_SUFFIXES if host == s or host.endswith("." + s)), None)
    if suffix in ("localhost", "localdomain"):
        raise reject("localhost", host=host)
    if suffix:
        raise reject("local_name", host=host, suffix=suffix)
    if "." not in host:
        raise reject("dotless", host=host)


def normalise_allow_list(entries: Iterable[str]) -> frozenset[str]:
    names = set()
    for entry in entries:
        text = str(entry).strip().strip("[]").rstrip(".").lower()
        try:
            names.add(str(ipaddress.ip_address(text)))
        except ValueError:
            try:
                names.add(idna.encode(text, uts46=True).decode("ascii"))
            except UnicodeError:
                names.add(text)
    return frozenset(names)
