"""check_uri: splitting an endpoint URI into its parts and checking each one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils.module_loading import import_string

from .addresses import refuse_address
from .dns import Resolver, resolve
from .hosts import check_name, normalise_allow_list, parse_host
from .messages import reject
from .providers import ProviderHint, provider_hint

MAX_URI_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class UriCheck:
    uri: str  # as sent upstream: scheme and host lower-cased, host in IDNA ASCII, no trailing dot
    host: str  # ASCII, no trailing dot, IPv6 without brackets
    port: int  # explicit or the scheme's default
    addresses: tuple[str, ...]  # the vetted addresses; empty when the name did not resolve
    warnings: tuple[str, ...]  # whole sentences
    hint: ProviderHint | None


def _check_characters(uri: str) -> None:
    if not uri:
        raise reject("empty")
    if len(uri) > MAX_URI_LENGTH:
        raise reject("too_long", length=len(uri), limit=MAX_URI_LENGTH)
    for ch in uri:
        category = unicodedata.category(ch)
        if ch == "\\":  # browsers read it as /, other parsers don't: a classic parser confusion
            raise reject("backslash")
        if category in ("Cc", "Cf", "Cs", "Co"):  # NUL, CR/LF, tab, zero-width and bidi marks
            raise reject("control", point=ord(ch))
        if ch.isspace() or category.startswith("Z"):
            raise reject("whitespace", point=ord(ch))


def _split(uri: str, allow_http: bool) -> tuple[str, str, str]:
    """(scheme, authority, path and query)."""
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", uri, re.DOTALL)
    if match is None:
        raise reject("relative")
    scheme, after = match.group(1).lower(), match.group(2)
    if scheme not in DEFAULT_PORTS:
        # "llm.example.com:8443/v1" has a port where the scheme's rest would be.
        raise reject("no_scheme" if re.match(r"[0-9]", after) else "scheme", scheme=scheme)
    if scheme == "http" and not allow_http:
        raise reject("http")
    if not after.startswith("//"):
        raise reject("slashes", scheme=scheme)
    split = re.fullmatch(r"([^/?#]*)(.*)", after[2:], re.DOTALL)
    assert split is not None  # both groups match anything, so any string matches
    authority, rest = split.groups()
    if "@" in authority:  # also the https://api.openai.com@169.254.169.254/ trick
        raise reject("userinfo")
    if "#" in rest:
        raise reject("fragment")
    _refuse_query_secrets(rest)
    return scheme, authority, rest


# Query parameters that carry credentials (AI Studio's ?key=, signed URLs…). A URI is not a
# secret: it is stored, logged and shown, so a key inside it would leak everywhere.
_SECRET_QUERY_NAMES = frozenset(
    {"key", "api_key", "apikey", "api-key", "token", "access_token", "client_secret", "secret",
     "password", "sig", "signature", "x-amz-signature", "x-goog-signature", "code"}
)  # fmt: skip


def _refuse_query_secrets(path_and_query: str) -> None:
    query = path_and_query.partition("?")[2]
    for name, _ in parse_qsl(query, keep_blank_values=True):
        if name.strip().lower() in _SECRET_QUERY_NAMES:
            raise reject("query_secret", name=name.strip())


def _split_authority(authority: str) -> tuple[str, bool, str | None]:
    """(host, whether it was in brackets, the port text or None)."""
    if authority.startswith("["):
        host, bracket, tail = authority[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise reject("brackets", authority=authority)
        return host, True, tail[1:] if tail else None
    if authority.count(":") > 1:
        raise reject("brackets", authority=authority)
    host, colon, port = authority.partition(":")
    return host, False, port if colon else None


def _parse_port(text: str | None, scheme: str) -> int:
    if text is None:
        return DEFAULT_PORTS[scheme]
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
        raise reject("port", port=text)
    return int(text)


def check_uri(
    uri: str,
    *,
    resolver: Resolver | None = None,
    allow_http: bool | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> UriCheck:
    """Check an LLM endpoint URI before it is registered with Vectara; raise UriRejected if unsafe.

    Accepted: absolute https (http only when allowed) to a public host on any port 1-65535,
    without user-info or fragment. Refused: loopback, private, link-local, metadata, reserved
    and other non-public addresses however they are spelled, and names that resolve to any
    such address. `allowed_hosts` (exact names or IP literals) admits internal hosts, but never
    cloud metadata. A name that does not resolve here is accepted with a warning, as Vectara
    resolves it from its own network. Arguments left as None come from the LLMADMIN_* settings.
    """
    if allow_http is None:
        allow_http = getattr(settings, "LLMADMIN_URI_ALLOW_HTTP", False)
    if allowed_hosts is None:
        allowed_hosts = getattr(settings, "LLMADMIN_URI_ALLOWED_HOSTS", [])
    if resolver is None:
        default = f"{__package__}.system_resolver"  # the package re-exports it
        resolver = import_string(getattr(settings, "LLMADMIN_DNS_RESOLVER", default))
    if not isinstance(uri, str):
        raise reject("empty")
    _check_characters(uri)
    scheme, authority, rest = _split(uri, bool(allow_http))
    raw_host, bracketed, port_text = _split_authority(authority)
    port = _parse_port(port_text, scheme)
    host, ip = parse_host(raw_host, bracketed)
    listed = host in normalise_allow_list(allowed_hosts)
    if ip is None:
        check_name(host, listed)
        addresses, warnings = resolve(host, resolver, listed)
        if not raw_host.isascii():
            warnings.append(
                f"The host {raw_host} is an internationalised name and is sent as {host}; make"
                " sure it is the host you meant."
            )
    else:
        plain = bracketed or raw_host == host
        written = f"The host {raw_host} is another way of writing {ip} and"
        refuse_address(ip, f"The address {raw_host}" if plain else written, host, listed)
        addresses, warnings = (host,), []
        if not plain:
            warnings.append(f"The host {raw_host} was read as the IPv4 address {ip}, as sent.")
    if scheme == "http":
        warnings.append("This URI uses plain http, so the API key and prompts travel unencrypted.")
    shown = f"[{host}]" if bracketed else host
    normalised = f"{scheme}://{shown}{'' if port_text is None else f':{port}'}{rest}"
    hint = provider_hint(host, rest) if ip is None else None
    return UriCheck(normalised, host, port, addresses, tuple(warnings), hint)
