"""What can go wrong when talking to Vectara, as exceptions a view can show to a person.

Every error carries `status`, `request_id` and `messages` (Vectara's own words, already
redacted by the client) and knows how to say what happened in one or two sentences via
`user_message(action)`. No error ever holds the request body, its headers or the API key:
the client only passes the status, Vectara's answer and short phrases it wrote itself.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC

_QUOTE_LIMIT = 300  # characters of Vectara's messages quoted to a person


def _shorten(text: str, limit: int = _QUOTE_LIMIT) -> str:
    text = " ".join(text.split())  # no newlines from upstream in a flash message or a log line
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _in_words(seconds: int) -> str:
    if seconds <= 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"about {math.ceil(seconds / 60)} minutes"


class VectaraError(Exception):
    """Base class. `maybe_applied` is True when the change may have happened in Vectara even
    though this call failed, so the person must look before trying again."""

    def __init__(
        self,
        *,
        status: int | None = None,
        request_id: str | None = None,
        messages: Iterable[str] = (),
        maybe_applied: bool = False,
        detail: str = "",
        retry_after: int | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after  # seconds Vectara asked us to wait (429, 503)
        self.request_id = request_id
        self.messages = tuple(messages)
        self.maybe_applied = maybe_applied
        self.detail = detail  # a short phrase written by the client, never upstream bytes
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [f"HTTP {self.status}" if self.status is not None else "no HTTP status"]
        parts += [self.detail] if self.detail else []
        parts += [_shorten(m, 200) for m in self.messages[:2]]
        parts += [f"request id {self.request_id}"] if self.request_id else []
        return "; ".join(parts)

    def _headline(self, action: str) -> str:
        return f"Vectara answered {self.status} when trying to {action}."

    def _next_step(self) -> str:
        if self.maybe_applied:
            return "The change may have been made anyway: check the list before trying again."
        return ""

    def user_message(self, action: str) -> str:
        sentences = [self._headline(action), self._next_step()]
        quoted = _shorten("; ".join(_shorten(m) for m in self.messages[:2])).rstrip(".")
        if quoted:
            sentences.append(f"Vectara said: “{quoted}”.")
        text = " ".join(s for s in sentences if s)
        return f"{text} (request id {self.request_id})" if self.request_id else text


class BadRequest(VectaraError):
    def __init__(self, *, field_errors: Mapping[str, str] | None = None, **kwargs: object) -> None:
        self.field_errors: Mapping[str, str] = dict(field_errors or {})
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def _headline(self, action: str) -> str:
        fields = "; ".join(f"{k}: {v}" for k, v in list(self.field_errors.items())[:3])
        reason = f": {_shorten(fields)}" if fields else ""
        return f"Vectara rejected the request to {action} (400){reason}."


class AuthenticationFailed(VectaraError):
    def _headline(self, action: str) -> str:
        return (
            f"Vectara refused the API key of this dashboard (401) when trying to {action}. "
            "Ask an org admin to check VECTARA_API_KEY."
        )


class PermissionDenied(VectaraError):
    def _headline(self, action: str) -> str:
        return (
            f"Vectara did not allow this dashboard to {action} (403): its API key lacks the "
            "rights, or the LLM is built into Vectara and cannot be changed."
        )


class NotFound(VectaraError):
    def _headline(self, action: str) -> str:
        return (
            f"Vectara answered “not found” (404) when trying to {action}. If the LLM was "
            "deleted meanwhile, reload the list; otherwise ask an org admin to check "
            "VECTARA_API_URL."
        )


class Conflict(VectaraError):
    def _headline(self, action: str) -> str:
        return (
            f"Vectara refused to {action} because it clashes with an existing LLM (409), "
            "for example the name is already taken."
        )


class RateLimited(VectaraError):
    def _headline(self, action: str) -> str:
        if self.retry_after is None:
            when = "Wait a minute and try again."
        else:
            when = f"Try again in {_in_words(self.retry_after)}."
        return f"Vectara is rate-limiting this dashboard (429) when trying to {action}. {when}"


class ServerError(VectaraError):
    def _headline(self, action: str) -> str:
        who = "Vectara's gateway" if self.status in (502, 503, 504) else "Vectara"
        how = f" {self.detail}" if self.detail else " (a failure on Vectara's side)"
        return f"{who} answered {self.status}{how} when trying to {action}."

    def _next_step(self) -> str:
        return super()._next_step() or "Try again in a few minutes."


class UnexpectedStatus(VectaraError):
    def _headline(self, action: str) -> str:
        return f"Vectara gave an unexpected answer ({self.status}) when trying to {action}."


class Busy(VectaraError):
    """Not sent: too many calls wait on Vectara already (llmadmin/core/in_flight.py)."""

    def _headline(self, action: str) -> str:
        return self.detail


class InvalidResponse(VectaraError):
    def _headline(self, action: str) -> str:
        answered = f"Vectara answered {self.status}" if self.status else "Vectara answered"
        why = f" ({self.detail})" if self.detail else ""
        return f"{answered} when trying to {action}, but its answer could not be understood{why}."

    def _next_step(self) -> str:
        if self.maybe_applied:
            return "The change was probably made: reload the list before trying again."
        return "Try again later; if it keeps happening, tell an org admin."


class TimedOut(VectaraError):
    def _headline(self, action: str) -> str:
        phase = f" ({self.detail})" if self.detail else ""
        return f"Vectara did not respond in time{phase} when trying to {action}."

    def _next_step(self) -> str:
        if self.maybe_applied:
            return "The request may have reached Vectara: check the list before trying again."
        return "Nothing was changed; try again in a moment."


class ConnectionFailed(VectaraError):
    def _headline(self, action: str) -> str:
        phase = f" ({self.detail})" if self.detail else ""
        return f"The connection to Vectara failed{phase} when trying to {action}."

    def _next_step(self) -> str:
        if self.maybe_applied:
            return "The request may have reached Vectara: check the list before trying again."
        return "Nothing was changed; try again later, or ask an org admin to check VECTARA_API_URL."


_BY_STATUS: dict[int, type[VectaraError]] = {
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> int | None:
    """Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil(when.timestamp() - (time.time() if now is None else now)))


def _describe_non_json(body: bytes, content_type: str) -> str:
    # A proxy's error page says nothing useful to a person, and may be huge: name it only.
    head = body.lstrip()[:15].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html")):
        return "with an HTML page"
    return "with an empty body" if not head else "with a body that is not JSON"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def error_for_response(
    status: int,
    body: bytes,
    *,
    content_type: str = "",
    retry_after: str | None = None,
    maybe_applied: bool = False,
    redact: Callable[[str], str] = lambda text: text,
) -> VectaraError:
    """The error for a non-success answer. The body is read leniently: Error, BadRequestError
    and NotFoundError all share `messages` and `request_id`; any key may be missing."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    detail = "" if isinstance(data, dict) else _describe_non_json(body, content_type)
    data = data if isinstance(data, dict) else {}
    request_id = data.get("request_id")
    common: dict[str, object] = {
        "status": status,
        "request_id": _shorten(request_id, 100) if isinstance(request_id, str) else None,
        "messages": tuple(redact(m) for m in _strings(data.get("messages"))),
        "maybe_applied": maybe_applied,
        "detail": detail,
        "retry_after": parse_retry_after(retry_after),
    }
    if status == 400:
        raw_fields = data.get("field_errors")
        fields = raw_fields if isinstance(raw_fields, dict) else {}
        return BadRequest(
            field_errors={str(k): redact(str(v)) for k, v in fields.items()}, **common
        )
    if status == 429:
        return RateLimited(**common)  # type: ignore[arg-type]
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else UnexpectedStatus)
    return cls(**common)  # type: ignore[arg-type]
