"""The one HTTP client for Vectara's /v2/llms API.

Rules it keeps, because a person acts on what it reports:
- nothing is ever sent twice: no retries, no redirects (a re-sent POST creates twice, and a
  redirect would carry the API key to wherever the Location header points);
- every failure becomes a `VectaraError` that says whether the change may have happened;
- request bodies carry LLM credentials: they are never logged, and never end up in an error.
  Vectara's own messages are scrubbed of the secrets sent, in case it echoes them back.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors

from llmadmin.core import in_flight

from .contract import MASK, SECRET_AUTH_FIELDS
from .errors import (
    Busy,
    ConnectionFailed,
    InvalidResponse,
    TimedOut,
    VectaraError,
    error_for_response,
)
from .types import LLM, LLMPage

logger = logging.getLogger(__name__)

T = TypeVar("T")
LLMS_PATH = "/v2/llms"
_JSON_CONTENT = {"Content-Type": "application/json"}
MAX_BODY_BYTES = 5 * 1024 * 1024  # a page of 100 LLMs is a few hundred KB at most


@functools.cache
def _version() -> str:
    # llmadmin is run from its checkout, not installed, so pyproject.toml is the one source.
    try:
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _secrets_in(body: Mapping[str, Any] | None) -> set[str]:
    auth = (body or {}).get("auth")
    if not isinstance(auth, Mapping):
        return set()
    values = (auth.get(name) for name in SECRET_AUTH_FIELDS)
    return {v for v in values if isinstance(v, str) and len(v) >= 4 and v != MASK}


def _transport_error(exc: requests.RequestException, method: str) -> VectaraError:
    """Says whether the request may have reached Vectara: only a failure to connect at all
    (refused, DNS, connect time-out, bad URL) proves that not a byte of it left."""
    mutating = method != "GET"
    # With retries off, urllib3 wraps only connect-phase failures in MaxRetryError.
    wrapped = exc.args[0] if exc.args else None
    cause = wrapped.reason if isinstance(wrapped, urllib3_errors.MaxRetryError) else None
    if isinstance(exc, requests.ConnectTimeout):  # a ConnectionError too: test it first
        return TimedOut(maybe_applied=False, detail="while connecting")
    if isinstance(exc, requests.ReadTimeout):
        return TimedOut(maybe_applied=mutating, detail="no answer after the request was sent")
    if isinstance(cause, urllib3_errors.NameResolutionError):
        return ConnectionFailed(maybe_applied=False, detail="Vectara's host name did not resolve")
    if isinstance(cause, urllib3_errors.NewConnectionError):
        return ConnectionFailed(maybe_applied=False, detail="could not connect")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return ConnectionFailed(maybe_applied=False, detail="VECTARA_API_URL is not a usable URL")
    return ConnectionFailed(maybe_applied=mutating, detail="closed before Vectara answered")


def _read_body(resp: requests.Response, mutating: bool) -> bytes:
    """Reads the whole answer, mapping failures mid-body. Vectara has already acted by now
    (it sent a status), so for a change the result is "maybe applied"."""
    status = resp.status_code
    known: dict[str, Any] = {"status": status, "maybe_applied": _maybe_applied(mutating, status)}
    chunks, size = [], 0
    try:
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise InvalidResponse(detail="the answer is too large", **known)
            chunks.append(chunk)
    except requests.ConnectionError as exc:  # requests turns a read time-out mid-body into this
        if exc.args and isinstance(exc.args[0], urllib3_errors.ReadTimeoutError):
            raise TimedOut(detail="the answer stopped arriving", **known) from exc
        raise ConnectionFailed(detail="closed while answering", **known) from exc
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise InvalidResponse(detail="the answer was cut off or garbled", **known) from None
    return b"".join(chunks)


def _maybe_applied(mutating: bool, status: int | None) -> bool:
    # A 4xx means Vectara refused the change; any other answer, or none, leaves it open.
    return mutating and not (status is not None and 400 <= status < 500)


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidResponse(detail="the answer is not valid JSON") from None


def _log(method: str, path: str, started: float, status: int | None, error: object = None) -> None:
    # Method, path, status, time and request id only: never headers, bodies or query strings.
    level, outcome = (logging.WARNING, type(error).__name__) if error else (logging.INFO, "ok")
    request_id = getattr(error, "request_id", None) or "-"
    ms = round((time.monotonic() - started) * 1000)
    msg = "Vectara %s %s -> %s %s in %d ms (request id %s)"
    logger.log(level, msg, method, path, status, outcome, ms, request_id)


class VectaraClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        # A key read from a secret file often ends in a newline; requests would reject it
        # with an error that quotes the key, so strip it and refuse anything else unprintable.
        api_key = api_key.strip()
        if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
            raise ValueError("VECTARA_API_KEY contains spaces or unprintable characters")
        self._api_key = api_key
        self._timeout = (connect_timeout, read_timeout)
        self._owns_session = session is None
        self._session = session or requests.Session()
        # Mounted for Vectara's prefix only, so a session shared by the caller keeps its other
        # adapters; max_retries=0 also means urllib3 re-raises read errors instead of retrying.
        self._session.mount(self._base_url + "/", HTTPAdapter(max_retries=0))
        self._headers = {
            "x-api-key": api_key,
            "Accept": "application/json",
            "User-Agent": f"llmadmin/{_version()}",
        }

    def __repr__(self) -> str:  # the key is in self._headers: never show the instance's dict
        return f"<VectaraClient {self._base_url}>"

    @classmethod
    def from_settings(cls) -> VectaraClient:
        return cls(
            base_url=settings.VECTARA_API_URL,
            api_key=settings.VECTARA_API_KEY,
            connect_timeout=settings.VECTARA_CONNECT_TIMEOUT,
            read_timeout=settings.VECTARA_READ_TIMEOUT,
        )

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # --- the API ---------------------------------------------------------------------------

    # Bodies carry LLM credentials and headers the API key: Django's error reports hide every
    # local of these frames and of the ones they call (requests' included).
    @sensitive_variables()
    def create_llm(self, body: Mapping[str, Any]) -> LLM:
        return self._call("POST", LLMS_PATH, ok=(201, 200), body=body, parse=LLM.from_answer)

    def list_llms(
        self, *, filter: str | None = None, limit: int | None = None, page_key: str | None = None
    ) -> LLMPage:
        params = {"filter": filter, "limit": limit, "page_key": page_key}
        params = {k: v for k, v in params.items() if v is not None}
        return self._call("GET", LLMS_PATH, ok=(200,), params=params, parse=LLMPage.from_json)

    def iter_llms(self, *, filter: str | None = None, page_size: int = 100) -> Iterator[LLM]:
        seen: set[str] = set()
        page_key: str | None = None
        while True:
            page = self.list_llms(filter=filter, limit=page_size, page_key=page_key)
            yield from page.llms
            if page.page_key is None:
                return
            if page.page_key in seen:  # a server bug would otherwise make this loop forever
                raise InvalidResponse(status=200, detail="it repeated a page of the list")
            seen.add(page.page_key)
            page_key = page.page_key

    def get_llm(self, llm_id: str) -> LLM:
        return self._call("GET", self._llm_path(llm_id), ok=(200,), parse=LLM.from_json)

    @sensitive_variables()
    def update_llm(self, llm_id: str, body: Mapping[str, Any]) -> LLM:
        path = self._llm_path(llm_id)
        return self._call("PATCH", path, ok=(200,), body=body, parse=LLM.from_answer)

    def delete_llm(self, llm_id: str) -> int:
        """Returns the status Vectara answered: the contract says 204, but 200 is success too,
        and the audit log records which one it was."""
        return self._call("DELETE", self._llm_path(llm_id), ok=(204, 200), parse=None)

    # --- one exchange ----------------------------------------------------------------------

    @staticmethod
    def _llm_path(llm_id: str) -> str:
        # "" would address the collection, and ".." is undone by URL normalisation.
        if llm_id in ("", ".", ".."):
            raise ValueError(f"not an LLM id: {llm_id!r}")
        return f"{LLMS_PATH}/{quote(llm_id, safe='')}"

    def _redactor(self, body: Mapping[str, Any] | None) -> Callable[[str], str]:
        # Very short strings would mangle ordinary words and hide nothing worth hiding.
        sent = {s for s in _secrets_in(body) | {self._api_key} if len(s) >= 4}
        secrets = sorted(sent, key=len, reverse=True)

        def redact(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, MASK)
            return text

        return redact

    @sensitive_variables()
    def _call(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...],
        parse: Callable[[object], T] | None,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> T:
        """One request, one log line, and either the parsed answer or a VectaraError."""
        started, mutating, status = time.monotonic(), method != "GET", None
        try:
            with in_flight.slot():
                resp = self._send(method, path, params, body)
                with resp:
                    status, raw = resp.status_code, _read_body(resp, mutating)
            if status not in ok:  # 3xx included: redirects are never followed
                content_type = resp.headers.get("Content-Type", "")
                raise error_for_response(
                    status,
                    raw,
                    content_type=content_type,
                    retry_after=resp.headers.get("Retry-After"),
                    maybe_applied=_maybe_applied(mutating, status),
                    redact=self._redactor(body),
                )
            result = status if parse is None else parse(_json(raw))  # no body: its status
        except in_flight.Busy as busy:
            _log(method, path, started, None, busy)
            raise Busy(detail=str(busy)) from None
        except VectaraError as error:
            if error.status is None and status is not None:  # from parsing a 2xx answer
                error = InvalidResponse(status=status, maybe_applied=mutating, detail=error.detail)
            _log(method, path, started, error.status, error)
            raise error
        _log(method, path, started, status)
        return result  # type: ignore[return-value]

    @sensitive_variables()
    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
    ) -> requests.Response:
        # Encoded here, not by requests, so an unserialisable body is a programming error
        # rather than something that looks like a network failure.
        data = None if body is None else json.dumps(dict(body), allow_nan=False).encode()
        headers = self._headers if data is None else {**self._headers, **_JSON_CONTENT}
        try:
            return self._session.request(
                method,
                self._base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,  # also for GET: a redirect would carry x-api-key along
                stream=True,  # so the status is known even if reading the body fails
            )
        except requests.RequestException as exc:
            raise _transport_error(exc, method) from exc


_local = threading.local()
_SETTINGS = (
    "VECTARA_API_URL",
    "VECTARA_API_KEY",
    "VECTARA_CONNECT_TIMEOUT",
    "VECTARA_READ_TIMEOUT",
)


def get_client() -> VectaraClient:
    """A client per thread (a requests.Session is not thread-safe), rebuilt whenever the
    settings change, as tests do with override_settings."""
    config = tuple(getattr(settings, name) for name in _SETTINGS)
    cached: tuple[tuple[object, ...], VectaraClient] | None = getattr(_local, "client", None)
    if cached is None or cached[0] != config:
        if cached is not None:
            cached[1].close()
        cached = (config, VectaraClient.from_settings())
        _local.client = cached
    return cached[1]
