"""One HTTP request from the dashboard to a model endpoint, pinned to a vetted address.

`uri_policy.check_uri` vets the addresses a host name resolves to. Connecting by name would
resolve it again, and a hostile DNS server can answer a public address to the check and a
private one to the connection (DNS rebinding). So the socket goes to the vetted IP, while
the name still travels where the server expects it: in the Host header, in TLS SNI, and as
the name the certificate must match.

urllib3 is used directly rather than through requests: a connection pool made for the IP
with `server_hostname` (SNI) and `assert_hostname` (certificate check) set to the real name
is exactly this, and it leaves out what requests adds from the environment (proxies, which
would resolve the name themselves, and ~/.netrc credentials).
"""

from __future__ import annotations

import errno
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

import certifi
import urllib3
from django.views.decorators.debug import sensitive_variables
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.ssl_match_hostname import CertificateError

from .validators import HOP_BY_HOP_HEADERS

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "llmadmin-test-connection/1"


@dataclass(frozen=True)
class Target:
    """Where to connect: `address` (an IP that passed the URI checks) in place of `host`."""

    scheme: str  # "https" or "http"
    host: str  # the name, for Host, SNI and the certificate
    port: int
    address: str  # the vetted IP the socket goes to
    path: str  # path and query, as sent


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes  # at most MAX_BODY_BYTES
    latency_ms: int  # until the status line and headers arrived


class OutboundError(Exception):
    """The request got no HTTP answer; `kind` says why, for a sentence that fits."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # refused | unreachable | connect_timeout | read_timeout | tls_*
        self.detail = detail


def merged_headers(*layers: Mapping[str, str]) -> dict[str, str]:
    """The layers' headers as one set, later layers winning, compared without regard to case:
    `host` and `Host` are one header, and a name given twice would reach the server twice."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())


def host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


@sensitive_variables()  # the headers carry the credential
def post(
    target: Target,
    *,
    body: bytes,
    headers: Mapping[str, str],
    ca_certs: str | None = None,
) -> Answer:
    """POST `body` to `target.address`, never following a redirect; raise OutboundError when
    no HTTP answer comes. `ca_certs` replaces the public CA bundle (tests only)."""
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            # The public CAs Vectara trusts too, so a certificate fine here is fine there.
            ca_certs=ca_certs or certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False
        )
    # The framing is written here, over whatever the caller's headers say: a Host given here
    # stops urllib3 writing the IP in its place, a caller's Content-Length or hop-by-hop
    # header would desync the body or steer the connection. urllib3 adds only what is
    # missing, case-insensitively, so no header goes out twice.
    own = {"Host": host_header(target), "User-Agent": USER_AGENT, "Content-Length": str(len(body))}
    passed = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP_HEADERS}
    sent = merged_headers(passed, own)
    started = time.monotonic()
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=sent,
                # A redirect could carry the key to a host nobody vetted; the person is told
                # where it points instead. retries=False alone would stop it too: belt and braces.
                redirect=False,
                retries=False,
                preload_content=False,
            )
            latency_ms = round((time.monotonic() - started) * 1000)
            try:
                # One bounded read: a chatty or hostile server can't fill the worker's memory.
                data = response.read(MAX_BODY_BYTES, decode_content=True)
            except (HTTPError, OSError):
                data = b""  # the status is still worth showing
            finally:
                response.release_conn()
            return Answer(response.status, dict(response.headers), data, latency_ms)
    except HTTPError as exc:
        raise _classify(exc) from None


def _classify(exc: HTTPError) -> OutboundError:
    # NewConnectionError subclasses ConnectTimeoutError, so it must be looked at first.
    if isinstance(exc, NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        code = getattr(cause, "errno", None)
        if code == errno.ECONNREFUSED:
            return OutboundError("refused")
        if isinstance(cause, TimeoutError):
            return OutboundError("connect_timeout")
        return OutboundError("unreachable", getattr(cause, "strerror", "") or "")
    if isinstance(exc, ConnectTimeoutError):
        return OutboundError("connect_timeout")
    if isinstance(exc, ReadTimeoutError):
        return OutboundError("read_timeout")
    if isinstance(exc, SSLError):
        return _classify_tls(exc)
    if isinstance(exc, ProtocolError):
        return OutboundError("no_answer")
    return OutboundError("other", type(exc).__name__)


def _classify_tls(exc: SSLError) -> OutboundError:
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, ssl.SSLCertVerificationError):
        if cause.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            return OutboundError("tls_name")
        return OutboundError("tls_untrusted", cause.verify_message or "")
    if isinstance(cause, CertificateError):
        return OutboundError("tls_name")  # urllib3's own name check (assert_hostname)
    return OutboundError("tls_handshake", str(getattr(cause, "reason", "") or ""))
