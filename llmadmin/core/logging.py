"""Log lines as one JSON object each, carrying the request they were written for.

The request travels in a context variable set by `RequestContextMiddleware`, so a line from
deep inside a service (the Vectara client, the audit recorder) still says which request and
which user it belongs to. Only fields listed here ever leave: a record's `extra` (Django puts
the whole request there) is never dumped, so headers, bodies and query strings can't leak.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import SimpleLazyObject, empty

_request: contextvars.ContextVar[Any] = contextvars.ContextVar("llmadmin_request", default=None)


def bind_request(request: Any) -> contextvars.Token[Any]:
    return _request.set(request)


def unbind_request(token: contextvars.Token[Any]) -> None:
    _request.reset(token)


def user_id(request: Any) -> int | str | None:
    """The logged-in user's id, but only if something already looked the user up: logging
    must not add a session query to a request that didn't need one (e.g. /healthz)."""
    user: Any = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]  # private, absent from the stubs
        if wrapped is empty:
            return None
        user = wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


def request_fields(request: Any) -> dict[str, Any]:
    if request is None:
        return {"request_id": None, "user_id": None, "path": None}
    return {
        "request_id": getattr(request, "request_id", None),
        "user_id": user_id(request),
        "path": request.path,  # never the query string: it may carry anything
    }


class RequestContextFilter(logging.Filter):
    """Copies the current request's id, user and path onto every record, for any format."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in request_fields(_request.get()).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request's context."""

    def format(self, record: logging.LogRecord) -> str:
        fields = request_fields(_request.get())
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or fields["request_id"],
            "user_id": getattr(record, "user_id", None) or fields["user_id"],
            "path": getattr(record, "path", None) or fields["path"],
            # Django's request logger names it status_code; the access log, status.
            "status": getattr(record, "status", None) or getattr(record, "status_code", None),
            "duration_ms": getattr(record, "duration_ms", None),
        }
        if hasattr(record, "checkpoint"):  # llmadmin.audit.chain.emit_checkpoint: id, MAC, time
            line["checkpoint"] = record.checkpoint
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
