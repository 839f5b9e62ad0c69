"""A real HTTP server on 127.0.0.1 that misbehaves on command.

Tests talk to it over a real socket, so the client's whole stack (requests, urllib3,
http.client, the kernel) meets the failure exactly as it would meet it from Vectara or a proxy
in front of it. Raw sockets, not http.server, because several faults are about bytes that a
well-behaved server would never send: a short body, a reset, silence.

    with fault_server(Fault.status(409, json_body={"messages": ["taken"]})) as server:
        client = VectaraClient(base_url=server.base_url, api_key="k")
        ...
        assert server.hits == 1

Every connection gets one request and one answer, then is closed (`Connection: close`), so
`hits` counts exactly the requests that reached the server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

_POLL = 0.05  # how often sleeping handlers and the accept loop look at the stop flag


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # with the query string, as sent
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# An action gets the connected socket, the request it sent and the server's stop flag.
Action = Callable[[socket.socket, Received, threading.Event], None]


def _sleep(seconds: float, stop: threading.Event) -> None:
    """Sleeps, but wakes up as soon as the server stops, so no test waits for a handler."""
    stop.wait(seconds)


def _head(status: int, headers: Mapping[str, str], length: int | None) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:  # a status http.client has no name for; some proxies invent them
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _body_and_type(
    json_body: object, raw_body: bytes | str | None, content_type: str | None
) -> tuple[bytes, str]:
    if raw_body is not None:
        data = raw_body.encode() if isinstance(raw_body, str) else raw_body
        return data, content_type or "application/octet-stream"
    if json_body is None:
        return b"", content_type or "application/json"
    return json.dumps(json_body).encode(), content_type or "application/json"


@dataclass(frozen=True)
class Fault:
    """What the server does with each request. Build one with the constructors below."""

    name: str
    action: Action = field(repr=False)

    @classmethod
    def status(
        cls,
        code: int,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        raw_body: bytes | str | None = None,
        content_type: str | None = None,
    ) -> Fault:
        """A complete, well-formed answer (which may still be the wrong one)."""
        data, ctype = _body_and_type(json_body, raw_body, content_type)
        extra = {"Content-Type": ctype, **(headers or {})} if data else dict(headers or {})

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            conn.sendall(_head(code, extra, len(data)) + data)

        return cls(f"status {code}", action)

    @classmethod
    def hang_before_headers(cls, seconds: float = 5.0) -> Fault:
        """Reads the request, then says nothing for `seconds`, then closes."""

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            _sleep(seconds, stop)

        return cls(f"hang {seconds}s", action)

    @classmethod
    def slow_body(
        cls, status: int = 201, json_body: object = None, pause_seconds: float = 2.0
    ) -> Fault:
        """Sends the headers and half the body at once, then stalls for `pause_seconds`
        before the rest. A read time-out is per socket read, so the stall must exceed it."""
        data = json.dumps(json_body if json_body is not None else {"id": "llm_slow"}).encode()

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            head = _head(status, {"Content-Type": "application/json"}, len(data))
            conn.sendall(head + data[: len(data) // 2])
            _sleep(pause_seconds, stop)
            with contextlib.suppress(OSError):  # the client has usually given up by now
                conn.sendall(data[len(data) // 2 :])

        return cls(f"slow body {status}", action)

    @classmethod
    def reset(cls) -> Fault:
        """Reads the request, then aborts the connection with a TCP RST."""

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            # SO_LINGER on with a zero timeout makes close() send RST instead of FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

        return cls("reset", action)

    @classmethod
    def close_without_response(cls) -> Fault:
        """Reads the request, then closes cleanly (FIN) without a byte of answer."""

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            pass

        return cls("close", action)

    @classmethod
    def truncated_json(cls, status: int = 201, promised: int = 500) -> Fault:
        """Promises `promised` bytes in Content-Length, sends fewer, then closes."""
        partial = b'{"id": "llm_cut", "name": "cut", "type": "openai-compatible", "desc'

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            conn.sendall(_head(status, {"Content-Type": "application/json"}, promised) + partial)

        return cls("truncated json", action)

    @classmethod
    def held(cls, then: Fault, release: threading.Event, arrived: threading.Event) -> Fault:
        """Sets `arrived`, then holds each request until the test sets `release` (or the
        server stops), then acts as `then`: a slow upstream whose slowness the test decides."""

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            arrived.set()
            while not (release.is_set() or stop.is_set()):
                release.wait(_POLL)
            then.action(conn, request, stop)

        return cls(f"held, then {then.name}", action)

    @classmethod
    def sequence(cls, *faults: Fault) -> Fault:
        """The n-th request gets the n-th fault; the last one repeats."""
        lock, count = threading.Lock(), [0]

        def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
            with lock:
                index, count[0] = min(count[0], len(faults) - 1), count[0] + 1
            faults[index].action(conn, request, stop)

        return cls("sequence of " + ", ".join(f.name for f in faults), action)


def _read_request(conn: socket.socket, stop: threading.Event) -> Received | None:
    """Reads one request with a Content-Length body (all this client ever sends)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = _recv(conn, stop)
        if not chunk:
            return None
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers.get("content-length", "0")):
        chunk = _recv(conn, stop)
        if not chunk:
            return None
        body += chunk
    return Received(method, path, headers, body)


def _recv(conn: socket.socket, stop: threading.Event) -> bytes:
    while not stop.is_set():
        try:
            return conn.recv(65536)
        except TimeoutError:
            continue
    return b""


@dataclass
class FaultServer:
    behaviour: Fault
    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.received)

    def requests(self, method: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.method == method]

    def _handle(self, conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            conn.settimeout(_POLL)
            request = _read_request(conn, stop)
            if request is None:
                return
            with self._lock:
                self.received.append(request)
            with contextlib.suppress(OSError):  # the client may hang up first; that is fine
                self.behaviour.action(conn, request, stop)


@contextlib.contextmanager
def serving(
    listener: socket.socket, handle: Callable[[socket.socket, threading.Event], None], name: str
) -> Iterator[threading.Event]:
    """Accepts on `listener` and hands each connection to `handle` in a thread of its own,
    until the block ends; then stops every handler (they watch the event it yields)."""
    listener.settimeout(_POLL)
    stop = threading.Event()
    handlers: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=handle, args=(conn, stop), daemon=True)
            handlers.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept_loop, name=name, daemon=True)
    acceptor.start()
    try:
        yield stop
    finally:
        stop.set()
        acceptor.join(timeout=2)
        listener.close()
        for thread in handlers:
            thread.join(timeout=2)


@contextlib.contextmanager
def fault_server(behaviour: Fault) -> Iterator[FaultServer]:
    """Serves `behaviour` on a free port of 127.0.0.1 until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = FaultServer(behaviour, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    with serving(listener, server._handle, "fault-server"):
        yield server


def refused_url() -> str:
    """A URL on which nothing listens, so connecting is refused at once. (Another process
    could take the port in between; on a test machine that is vanishingly rare.)"""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def unaccepting_server() -> Iterator[str]:
    """A port whose accept queue is full, so the kernel drops new SYNs and connecting times
    out (a connect time-out, with nothing sent). Linux only in practice."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        # Fill the backlog; connections beyond it stay in SYN_SENT.
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
