"""The fault server of fault_server.py behind TLS, with a throw-away certificate.

The certificate comes from the `openssl` command line (the `cryptography` package is not a
dependency); tests skip when it is missing. The server records the SNI name each client
sent, so a test can tell that a connection made to an IP still named the host.

    cert = self_signed(tmp_path, "model.test")
    with tls_fault_server(Fault.status(200, {}), cert) as server:
        ...  # server.base_url is https://127.0.0.1:<port>; server.sni lists the names sent
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .fault_server import Fault, FaultServer, serving


@dataclass(frozen=True)
class Certificate:
    cert: Path  # also the CA bundle that trusts it: it signs itself
    key: Path


def self_signed(directory: Path, name: str) -> Certificate:
    """A certificate for DNS name `name`, valid for a day; skips the test without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@dataclass
class TlsFaultServer(FaultServer):
    sni: list[str | None] = field(default_factory=list)
    handshakes_failed: int = 0


@contextlib.contextmanager
def tls_fault_server(behaviour: Fault, certificate: Certificate) -> Iterator[TlsFaultServer]:
    """Serves `behaviour` over TLS on a free port of 127.0.0.1 until the block ends. A client
    that rejects the certificate never gets as far as a request, so `hits` stays 0."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = TlsFaultServer(behaviour, base_url=f"https://127.0.0.1:{port}")
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(3)
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            server.handshakes_failed += 1
            conn.close()
            return
        server._handle(tls, stop)

    with serving(listener, handle, "tls-fault-server"):
        yield server
