"""The emulator's HTTP side: stdlib http.server speaking Vectara's /v2/llms over real sockets.

Every answer is compact JSON with a Content-Length (204 excepted), errors carry a request_id,
and nothing written to a client or to stderr contains a secret: LLMs go out through
rules.public_view(), error messages never quote submitted values, and the access log is one
"METHOD /path STATUS" line, only when verbose.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import re
import secrets
import socket
import socketserver
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .rules import apply_update, build_record, public_view, validate_create, validate_update
from .store import EmulatorStore, Record

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
_CONTENT_LENGTH = re.compile(r"[0-9]{1,15}")
_ITEM_PATH = re.compile(r"/v2/llms/([^/]+)/?")


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # names lower-cased, since HTTP header names ignore case
    json: Any  # the parsed body, or None when absent or not JSON


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Abort(Exception):
    """Stop handling and answer `reply`; lets small helpers refuse from deep inside."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def error(status: int, *messages: str) -> Reply:
    return Reply(status, {"messages": list(messages)})


def bad_request(field_errors: dict[str, str]) -> Reply:
    messages = [f"{path}: {message}" for path, message in field_errors.items()]
    return Reply(400, {"field_errors": field_errors, "messages": messages})


def not_found(llm_id: str) -> Reply:
    return Reply(404, {"id": llm_id, "messages": [f"No LLM with the ID or name {llm_id!r}."]})


@dataclass
class Call:
    """One routed request, as the endpoint functions see it."""

    store: EmulatorStore
    query: dict[str, str]
    body: Any
    body_problem: str | None  # why the body isn't JSON, if it isn't
    llm_id: str = ""
    create_delay: float = 0.0  # seconds a valid create waits before it is stored and answered

    def json_object(self) -> dict[str, Any]:
        if self.body_problem:
            raise Abort(error(400, self.body_problem))
        if not isinstance(self.body, dict):
            raise Abort(error(400, "The request body must be a JSON object."))
        return self.body


# --- endpoints -------------------------------------------------------------------------------


def _encode_page_key(offset: int, pattern: str) -> str:
    # The filter travels in the key so that a client dropping it on page 2 gets a 400, not
    # silently different results.
    raw = json.dumps({"offset": offset, "filter": pattern}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_page_key(page_key: str, pattern: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(page_key + "=" * (-len(page_key) % 4))
        data = json.loads(raw)
    except (ValueError, RecursionError):  # binascii.Error and JSONDecodeError are ValueErrors
        return None
    offset = data.get("offset") if isinstance(data, dict) else None
    valid = type(offset) is int and offset >= 0 and data.get("filter") == pattern
    return offset if valid else None


def list_llms(call: Call) -> Reply:
    errors: dict[str, str] = {}
    limit_text = call.query.get("limit", "10")
    # Bounded digits: int() refuses strings of over 4300 digits, which would be a 500.
    limit = int(limit_text) if re.fullmatch(r"[0-9]{1,6}", limit_text) else 0
    if not 1 <= limit <= 100:
        errors["limit"] = "Enter a whole number from 1 to 100."
    pattern = call.query.get("filter", "")
    try:
        regex = re.compile(pattern)
    except re.error:
        errors["filter"] = "This is not a valid regular expression."
    offset = 0
    if "page_key" in call.query:
        decoded = _decode_page_key(call.query["page_key"], pattern)
        if decoded is None:
            errors["page_key"] = "This page_key is invalid or belongs to another filter."
        else:
            offset = decoded
    if errors:
        raise Abort(bad_request(errors))
    matches = [
        llm
        for llm in call.store.listing()
        if regex.search(llm["name"]) or regex.search(llm.get("description") or "")
    ]
    page = matches[offset : offset + limit]
    metadata = {}
    if offset + limit < len(matches):
        metadata["page_key"] = _encode_page_key(offset + limit, pattern)
    return Reply(200, {"llms": [public_view(llm) for llm in page], "metadata": metadata})


def create_llm(call: Call) -> Reply:
    body = call.json_object()
    field_errors = validate_create(body)
    if field_errors:
        raise Abort(bad_request(field_errors))
    # Stands in for Vectara testing the model before it saves (seconds, in real life).
    time.sleep(call.create_delay)
    created = call.store.create(build_record(body))
    if created is None:
        raise Abort(error(409, f"An LLM named {body['name']!r} already exists."))
    return Reply(201, public_view(created))


def get_llm(call: Call) -> Reply:
    record = call.store.get(call.llm_id)
    if record is None:
        raise Abort(not_found(call.llm_id))
    return Reply(200, public_view(record))


def _changeable(call: Call, record: Record | None, verb: str) -> Record:
    if record is None:
        raise Abort(not_found(call.llm_id))
    if record["ownership"] != "customer":
        raise Abort(error(403, f"Built-in LLMs can't be {verb}."))
    return record


def update_llm(call: Call) -> Reply:
    body = call.json_object()

    def change(current: Record | None) -> Record:
        current = _changeable(call, current, "updated")
        field_errors = validate_update(body, current)
        if field_errors:
            raise Abort(bad_request(field_errors))
        return apply_update(current, body)

    return Reply(200, public_view(call.store.update(call.llm_id, change)))


def delete_llm(call: Call) -> Reply:
    call.store.delete(call.llm_id, lambda current: _changeable(call, current, "deleted"))
    return Reply(204)


Endpoint = Callable[[Call], Reply]
COLLECTION: dict[str, Endpoint] = {"GET": list_llms, "POST": create_llm}
ITEM: dict[str, Endpoint] = {"GET": get_llm, "PATCH": update_llm, "DELETE": delete_llm}


# --- HTTP plumbing ---------------------------------------------------------------------------


def _parse_body(raw: bytes) -> tuple[Any, str | None]:
    if not raw.strip():
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "The request body is not valid UTF-8."
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except (ValueError, RecursionError):
        return None, "The request body is not valid JSON."


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity are Python extensions


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True  # a client holding a keep-alive connection must not block exit
    request_queue_size = 64  # the dashboard may open several connections at once

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: EmulatorStore,
        api_key: str | None = None,
        verbose: bool = False,
        record_requests: bool = False,
        create_delay: float = 0.0,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.store = store
        self.api_key = api_key or None
        self.verbose = verbose
        self.record_requests = record_requests
        self.create_delay = create_delay
        self.requests: list[RecordedRequest] = []
        super().__init__(address, EmulatorHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can stall startup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an AF_INET(6) socket's address, never a Unix path
        self.server_name, self.server_port = host, port

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback whose exception text could hold request data.
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            logger.error("Vectara emulator: unhandled %s", type(exc).__name__)


class EmulatorHandler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API behind a load balancer
    server_version = "VectaraEmulator/1.0"
    timeout = 30  # seconds a silent client may hold a handler thread
    # The headers and the body leave in two writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK of the headers (40 ms on Linux) on a kept-alive connection.
    # Real servers set TCP_NODELAY too.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def _handle(self) -> None:
        request_id = "req_" + secrets.token_hex(8)
        try:
            reply = self._process()
        except Abort as abort:
            reply = abort.reply
        except Exception as exc:
            logger.error("Vectara emulator: unhandled %s (%s)", type(exc).__name__, request_id)
            reply = error(500, "The emulator failed to handle this request.")
            self.close_connection = True
        self._send(reply, request_id)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_OPTIONS = do_HEAD = _handle

    def _process(self) -> Reply:
        url = urlsplit(self.path)
        query = {
            key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()
        }
        try:
            raw = self._read_body()  # before anything may fail, so the connection stays usable
        except Abort:
            self._record(url.path, query, None)
            raise
        body, body_problem = _parse_body(raw)
        self._record(url.path, query, body)
        self._check_api_key()
        endpoints, llm_id = self._route(url.path)
        endpoint = endpoints.get(self.command)
        if endpoint is None:
            allowed = ", ".join(endpoints)
            raise Abort(
                Reply(405, {"messages": [f"Use {allowed} on {url.path}."]}, {"Allow": allowed})
            )
        if self.command in ("POST", "PATCH") and raw.strip():
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise Abort(error(415, "Send the request body as application/json."))
        call = Call(self.server.store, query, body, body_problem, llm_id, self.server.create_delay)
        return endpoint(call)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise Abort(error(411, "Send a Content-Length; chunked bodies are not supported."))
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        if not _CONTENT_LENGTH.fullmatch(declared.strip()):
            self.close_connection = True
            raise Abort(error(400, "The Content-Length header is not a number."))
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be parsed as the next request
            raise Abort(error(413, f"The request body is larger than {MAX_BODY_BYTES} bytes."))
        raw = self.rfile.read(length)
        if len(raw) < length:
            self.close_connection = True
            raise Abort(error(400, "The request body is shorter than its Content-Length."))
        return raw

    def _record(self, path: str, query: dict[str, str], body: Any) -> None:
        if self.server.record_requests:
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.server.requests.append(RecordedRequest(self.command, path, query, headers, body))

    def _check_api_key(self) -> None:
        expected = self.server.api_key
        if expected is None:
            return
        given = self.headers.get("x-api-key")
        if given is None:
            raise Abort(error(401, "The x-api-key header is missing."))
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Abort(error(401, "The x-api-key header does not hold a valid API key."))

    def _route(self, path: str) -> tuple[dict[str, Endpoint], str]:
        if path in ("/v2/llms", "/v2/llms/"):
            return COLLECTION, ""
        match = _ITEM_PATH.fullmatch(path)
        if match:
            return ITEM, unquote(match.group(1))  # names travel percent-encoded
        raise Abort(error(404, f"There is no endpoint at {path}."))

    def _send(self, reply: Reply, request_id: str) -> None:
        body = reply.body
        if body is not None and reply.status >= 400:
            body = {**body, "request_id": request_id}
        self.send_response(reply.status)
        self.send_header("X-Request-Id", request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        data = b""
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own failures (bad request line, unsupported method, huge headers) would
        # answer HTML quoting the raw request; answer JSON with the bare status phrase instead.
        self.close_connection = True
        self._send(error(code, HTTPStatus(code).phrase), "req_" + secrets.token_hex(8))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.verbose:
            path = urlsplit(getattr(self, "path", "") or "").path or "-"
            status = getattr(code, "value", code)
            sys.stderr.write(f"{getattr(self, 'command', None) or '-'} {path} {status}\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the base logs raw request lines and error details, which can hold anything
        a client sent. log_request above writes the only access log line."""


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    store_path: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
    verbose: bool = False,
    record_requests: bool = False,
    create_delay: float = 0.0,
) -> EmulatorServer:
    """A bound, not yet serving emulator; port 0 picks a free port (see server_address[1]).
    `create_delay`: seconds each valid create waits before it is stored and answered."""
    store = EmulatorStore(store_path)
    return EmulatorServer(
        (host, port),
        store=store,
        api_key=api_key,
        verbose=verbose,
        record_requests=record_requests,
        create_delay=create_delay,
    )
