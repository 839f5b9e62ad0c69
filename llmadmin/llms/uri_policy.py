"""Whether an LLM endpoint URI typed by an admin is safe to hand to Vectara, plus provider hints.

Vectara, not the dashboard, calls the URI. The danger is server-side request forgery: a URI
that points Vectara at loopback, a private network or a cloud metadata service. This module
parses the URI itself, strictly, reads numeric hosts the way browsers and inet_aton do, and
never talks HTTP.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qsl

import idna
from django.conf import settings
from django.utils.module_loading import import_string

MAX_URI_LENGTH = 2048
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
DNS_TIMEOUT_SECONDS = 2.0
DEFAULT_PORTS = {"https": 443, "http": 80}
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnresolvableHost(Exception):
    """Raised by a resolver when a name does not resolve."""


Resolver = Callable[[str], Sequence[str]]


class UriRejected(ValueError):
    """The URI is refused; `message` says what is wrong and how to fix it, `code` which rule."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ProviderHint:
    provider: str
    message: str
    auth_type: str | None
    header: str | None


@dataclass(frozen=True)
class UriCheck:
    uri: str  # as sent upstream: scheme and host lower-cased, host in IDNA ASCII, no trailing dot
    host: str  # ASCII, no trailing dot, IPv6 without brackets
    port: int  # explicit or the scheme's default
    addresses: tuple[str, ...]  # the vetted addresses; empty when the name did not resolve
    warnings: tuple[str, ...]  # whole sentences
    hint: ProviderHint | None


_EXAMPLE = "https://api.openai.com/v1/chat/completions"
_ASK = (
    " If it really is inside your network, an operator can add {host} to"
    " LLMADMIN_URI_ALLOWED_HOSTS."
)
# Every refusal as whole sentences a user can act on, filled in with str.format.
_MESSAGES = {
    "empty": f"Enter the model's endpoint URI, e.g. {_EXAMPLE}.",
    "too_long": "The URI is {length} characters long, more than the limit of {limit}; shorten it.",
    "backslash": "The URI contains a backslash (\\); use forward slashes (/) only.",
    "control": "The URI contains the invisible control character U+{point:04X}; retype the URI or"
    " delete that character.",
    "whitespace": "The URI contains a space or other whitespace (U+{point:04X}); remove it, and"
    " write a space the path needs as %20.",
    "relative": f"The URI must be absolute and start with https://, e.g. {_EXAMPLE}.",
    "no_scheme": "The URI has no scheme; add https:// in front of the host.",
    "scheme": "The scheme {scheme}: is not allowed; only https:// URIs can be registered.",
    "http": "Plain http:// is not allowed because it would send the API key unencrypted; use"
    " https:// (an operator can allow http with LLMADMIN_URI_ALLOW_HTTP).",
    "slashes": "The URI must have // after {scheme}:, as in " + _EXAMPLE + ".",
    "userinfo": "The URI contains user information (a name or password before @ in the host);"
    " remove it and put the key in the key field.",
    "query_secret": "The URI carries a credential in its query string ({name}=…); remove it and put"
    " the key in the authentication fields, where it stays write-only. A URI is stored and shown"
    " in clear.",
    "fragment": "The URI contains a fragment (the part after #), which is never sent to a server;"
    " remove it.",
    "no_host": f"The URI has no host; write it as https://<host>/<path>, e.g. {_EXAMPLE}.",
    "brackets": "The host part {authority} is malformed; write a host name, or an IPv6 address in"
    " brackets as in https://[2606:4700::1]:8443/, then an optional :port.",
    "port": "The port {port!r} is not a port number; use a number from 1 to 65535, or remove the"
    " colon to use the default.",
    "zone_id": "The IPv6 address {raw} has a zone id ({zone}), which names a network interface of"
    " the local machine; remove it.",
    "percent": "The host {raw} contains percent-encoding (%); type the host name plainly.",
    "ipv6": "The host [{raw}] is not a valid IPv6 address; check it, or use the host name.",
    "host_long": "The host is longer than 253 characters, which no host name can be; check it.",
    "label_long": "The host {raw} has a part longer than 63 characters, which no host name can"
    " have; check it.",
    "host_chars": "The host {raw} contains characters that are not allowed in a host name; use"
    " letters, digits, hyphens and dots only.",
    "empty_label": "The host {raw} has an empty part between dots; remove the extra dot.",
    "ipv4": "The host {raw} ends in a number but is not a valid IPv4 address; write an address as"
    " four numbers like 8.8.8.8, or use a host name.",
    "idna": "The host {raw} is not a valid host name ({error}); type the provider's host name"
    " exactly, in plain letters, digits and hyphens.",
    "metadata_name": "The host {host} is a cloud metadata service name; such names are refused to"
    " prevent server-side request forgery. Use the model server's public host name.",
    "localhost": "The host {host} means this machine (loopback), which Vectara can't reach; such"
    " names are refused to prevent server-side request forgery. Use the server's public host name.",
    "local_name": "The host {host} is a local network name (.{suffix}) that only works inside one"
    " network; such names are refused to prevent server-side request forgery. Use the model"
    " server's public host name." + _ASK,
    "dotless": "The host {host} has no dot, so it is not a public domain name; use the server's"
    " full domain name, such as llm.example.com." + _ASK,
    "address": "{subject} {reason}; such addresses are refused to prevent server-side request"
    " forgery. Use the model server's public address.",
    "bad_dns": "The host {host} resolves to {text!r}, which is not an IP address; ask an operator"
    " to check the dashboard's DNS.",
}


def _reject(code: str, **values: object) -> UriRejected:
    return UriRejected(_MESSAGES[code].format(**values), code)


# --- addresses -----------------------------------------------------------------------------

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


def _address_kind(ip: _IP) -> str | None:
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


def _embedded_ipv4(ip: _IP) -> ipaddress.IPv4Address | None:
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


def _why_refused(ip: _IP) -> tuple[str | None, bool]:
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


def _refuse_address(ip: _IP, subject: str, host: str, listed: bool) -> None:
    reason, metadata = _why_refused(ip)
    if reason is None or (listed and not metadata):  # the allow-list never admits metadata
        return
    error = _reject("address", subject=subject, reason=reason)
    if not metadata:
        error = UriRejected(error.message + _ASK.format(host=host), error.code)
    raise error


# --- host names ----------------------------------------------------------------------------

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
            raise _reject("empty_label", raw=raw)
        if len(label) > MAX_LABEL_LENGTH:
            raise _reject("label_long", raw=raw)
        try:  # IDNA 2008 refuses symbols, many homoglyph tricks and misplaced hyphens
            ascii_labels.append(idna.alabel(label).decode("ascii"))
        except UnicodeError as exc:
            raise _reject("idna", raw=raw, error=str(exc)) from None
    host = ".".join(ascii_labels)
    if len(host) > MAX_HOST_LENGTH:
        raise _reject("host_long")
    return host


def _parse_host(raw: str, bracketed: bool) -> tuple[str, _IP | None]:
    """(the ASCII host, its IP address if the host is an address literal)."""
    if not raw:
        raise _reject("no_host")
    if "%" in raw:
        if bracketed:
            raise _reject("zone_id", raw=raw, zone=raw[raw.index("%") :])
        raise _reject("percent", raw=raw)
    if bracketed:
        try:
            ip = ipaddress.IPv6Address(raw)
        except ValueError:
            raise _reject("ipv6", raw=raw) from None
        return str(ip), ip
    if len(raw) > MAX_HOST_LENGTH:
        raise _reject("host_long")
    try:  # UTS 46 maps full-width digits and dots, circled letters and capitals to plain ASCII
        mapped = idna.uts46_remap(raw, std3_rules=True)
    except UnicodeError:
        raise _reject("host_chars", raw=raw) from None
    labels = mapped.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot names the same host
    # The WHATWG rule: a host whose last label is a number is an IPv4 address, never a name.
    if re.fullmatch(r"[0-9]+|0x[0-9a-f]*", labels[-1]):
        ip = _parse_ipv4(labels)
        if ip is None:
            raise _reject("ipv4", raw=raw)
        return str(ip), ip
    return _encode_name(labels, raw), None


def _check_name(host: str, listed: bool) -> None:
    if host in _METADATA_NAMES or (host.startswith("metadata.") and host.endswith(".internal")):
        raise _reject("metadata_name", host=host)
    if listed:
        return
    suffix = next((s for s in _LOCAL_SUFFIXES if host == s or host.endswith("." + s)), None)
    if suffix in ("localhost", "localdomain"):
        raise _reject("localhost", host=host)
    if suffix:
        raise _reject("local_name", host=host, suffix=suffix)
    if "." not in host:
        raise _reject("dotless", host=host)


# --- the URI -------------------------------------------------------------------------------


def _check_characters(uri: str) -> None:
    if not uri:
        raise _reject("empty")
    if len(uri) > MAX_URI_LENGTH:
        raise _reject("too_long", length=len(uri), limit=MAX_URI_LENGTH)
    for ch in uri:
        category = unicodedata.category(ch)
        if ch == "\\":  # browsers read it as /, other parsers don't: a classic parser confusion
            raise _reject("backslash")
        if category in ("Cc", "Cf", "Cs", "Co"):  # NUL, CR/LF, tab, zero-width and bidi marks
            raise _reject("control", point=ord(ch))
        if ch.isspace() or category.startswith("Z"):
            raise _reject("whitespace", point=ord(ch))


def _split(uri: str, allow_http: bool) -> tuple[str, str, str]:
    """(scheme, authority, path and query)."""
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", uri, re.DOTALL)
    if match is None:
        raise _reject("relative")
    scheme, after = match.group(1).lower(), match.group(2)
    if scheme not in DEFAULT_PORTS:
        # "llm.example.com:8443/v1" has a port where the scheme's rest would be.
        raise _reject("no_scheme" if re.match(r"[0-9]", after) else "scheme", scheme=scheme)
    if scheme == "http" and not allow_http:
        raise _reject("http")
    if not after.startswith("//"):
        raise _reject("slashes", scheme=scheme)
    authority, rest = re.fullmatch(r"([^/?#]*)(.*)", after[2:], re.DOTALL).groups()
    if "@" in authority:  # also the https://api.openai.com@169.254.169.254/ trick
        raise _reject("userinfo")
    if "#" in rest:
        raise _reject("fragment")
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
            raise _reject("query_secret", name=name.strip())


def _split_authority(authority: str) -> tuple[str, bool, str | None]:
    """(host, whether it was in brackets, the port text or None)."""
    if authority.startswith("["):
        host, bracket, tail = authority[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise _reject("brackets", authority=authority)
        return host, True, tail[1:] if tail else None
    if authority.count(":") > 1:
        raise _reject("brackets", authority=authority)
    host, colon, port = authority.partition(":")
    return host, False, port if colon else None


def _parse_port(text: str | None, scheme: str) -> int:
    if text is None:
        return DEFAULT_PORTS[scheme]
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65535:
        raise _reject("port", port=text)
    return int(text)


def _normalise_allow_list(entries: Iterable[str]) -> frozenset[str]:
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


def _resolve(host: str, resolver: Resolver, listed: bool) -> tuple[tuple[str, ...], list[str]]:
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
            raise _reject("bad_dns", host=host, text=text) from None
        _refuse_address(ip, f"The host {host} resolves to {ip}, which", host, listed)
        if str(ip) not in addresses:
            addresses.append(str(ip))
    return tuple(addresses), []


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
        default = f"{__name__}.system_resolver"
        resolver = import_string(getattr(settings, "LLMADMIN_DNS_RESOLVER", default))
    if not isinstance(uri, str):
        raise _reject("empty")
    _check_characters(uri)
    scheme, authority, rest = _split(uri, bool(allow_http))
    raw_host, bracketed, port_text = _split_authority(authority)
    port = _parse_port(port_text, scheme)
    host, ip = _parse_host(raw_host, bracketed)
    listed = host in _normalise_allow_list(allowed_hosts)
    if ip is None:
        _check_name(host, listed)
        addresses, warnings = _resolve(host, resolver, listed)
        if not raw_host.isascii():
            warnings.append(
                f"The host {raw_host} is an internationalised name and is sent as {host}; make"
                " sure it is the host you meant."
            )
    else:
        plain = bracketed or raw_host == host
        written = f"The host {raw_host} is another way of writing {ip} and"
        _refuse_address(ip, f"The address {raw_host}" if plain else written, host, listed)
        addresses, warnings = (host,), []
        if not plain:
            warnings.append(f"The host {raw_host} was read as the IPv4 address {ip}, as sent.")
    if scheme == "http":
        warnings.append("This URI uses plain http, so the API key and prompts travel unencrypted.")
    shown = f"[{host}]" if bracketed else host
    normalised = f"{scheme}://{shown}{'' if port_text is None else f':{port}'}{rest}"
    hint = provider_hint(host, rest) if ip is None else None
    return UriCheck(normalised, host, port, addresses, tuple(warnings), hint)


# --- DNS -----------------------------------------------------------------------------------

# getaddrinfo can't be interrupted; a small shared pool bounds the threads hung lookups hold.
_DNS_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="uri-policy-dns")


def system_resolver(host: str) -> list[str]:
    """The operating system's addresses for `host`, giving up after DNS_TIMEOUT_SECONDS."""
    future = _DNS_POOL.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=DNS_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()
        raise UnresolvableHost(f"{host}: the lookup timed out") from None
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise UnresolvableHost(f"{host}: {exc}") from exc
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


# --- provider hints ------------------------------------------------------------------------

_Q = r"/?(?:\?.*)?"  # an optional trailing slash and query after the usual path


@dataclass(frozen=True)
class _Provider:
    name: str
    hosts: str  # regex matched against the whole ASCII host
    auth_type: str | None
    header: str | None
    auth: str  # how to send the key, as a sentence
    path: str  # regex matched against the whole path and query
    usual: str  # the usual path, for people
    when: str = ""  # regex the path must start with for this entry to apply


def _bearer(name: str, hosts: str, path: str, usual: str = "", when: str = "") -> _Provider:
    auth = f"{name} takes the key as a bearer token; choose 'Bearer token'."
    return _Provider(name, hosts, "bearer", None, auth, path + _Q, usual or path, when)


def _header(name: str, hosts: str, header: str, path: str, usual: str, also: str = "") -> _Provider:
    auth = f"{name} expects the key in the header {header}; choose 'Custom header' with header"
    auth += f" name {header}{also}."
    return _Provider(name, hosts, "header", header, auth, path + _Q, usual)


_AZURE_PATH = r"/openai/(?:deployments/[^/?]+/chat/completions\?(?:.*&)?api-version=.*|v1/.+)"
_AI_STUDIO = r"generativelanguage\.googleapis\.com"
_PROVIDERS = (
    _bearer("OpenAI", r"api\.openai\.com", r"/v1/(?:chat/completions|responses)",
            "/v1/chat/completions, or /v1/responses for the openai-responses type"),
    _header("Azure OpenAI", r"[a-z0-9-]+\.(?:openai|cognitiveservices)\.azure\.com", "api-key",
            _AZURE_PATH, "/openai/deployments/<deployment>/chat/completions?api-version=…"),
    _header("Anthropic", r"api\.anthropic\.com", "x-api-key", "/v1/messages", "/v1/messages",
            ", and also send the header anthropic-version (e.g. 2023-06-01)"),
    _Provider("Vertex AI", r"(?:[a-z0-9-]+-)?aiplatform\.googleapis\.com", None, None,
              "Vertex AI authenticates with a Google Cloud service account, not a static API key.",
              r"/v1(?:beta1)?/projects/[^/]+/locations/[^/]+/.+",
              "/v1/projects/<project>/locations/<region>/endpoints/openapi/chat/completions"),
    # AI Studio's OpenAI-compatible path takes a bearer token, its native API a header.
    _bearer("Google AI Studio", _AI_STUDIO, "/v1beta/openai/chat/completions",
            when="/v1beta/openai/"),
    _header("Google AI Studio", _AI_STUDIO, "x-goog-api-key", r"/v1(?:beta)?/models/[^/]+:\w+",
            "/v1beta/openai/chat/completions (OpenAI-compatible, bearer token)"),
    _bearer("OpenRouter", r"openrouter\.ai", "/api/v1/chat/completions"),
    _bearer("Groq", r"api\.groq\.com", "/openai/v1/chat/completions"),
    _bearer("Mistral", r"api\.mistral\.ai", "/v1/chat/completions"),
    _bearer("Together AI", r"api\.together\.xyz", "/v1/chat/completions"),
    _bearer("Fireworks AI", r"api\.fireworks\.ai", "/inference/v1/chat/completions"),
    _bearer("DeepSeek", r"api\.deepseek\.com", "(?:/v1)?/chat/completions", "/chat/completions"),
)  # fmt: skip


def provider_hint(host: str, path: str) -> ProviderHint | None:
    """How a well-known provider wants its key sent; `path` is the URI's path with its query."""
    host = host.lower().rstrip(".")
    for p in _PROVIDERS:
        if re.fullmatch(p.hosts, host) and re.match(p.when, path):
            message = p.auth
            if not re.fullmatch(p.path, path):
                message += f" The path is usually {p.usual}."
            return ProviderHint(p.name, message, p.auth_type, p.header)
    return None
