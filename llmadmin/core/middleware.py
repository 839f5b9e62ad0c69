from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .http import AppRequest
from .logging import bind_request, unbind_request
from .proxies import from_trusted_proxy

# A load balancer's id is kept only when it looks like an id, so it can't inject into logs.
_INBOUND_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_logger = logging.getLogger("llmadmin.access")


class RequestIdMiddleware:
    """Gives every request an id that the audit log, the logs and the response share."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AppRequest) -> HttpResponse:
        # Only our own load balancer's id is kept: a client's could forge audit entries' ids.
        inbound = request.headers.get("X-Request-ID", "") if from_trusted_proxy(request) else ""
        request.request_id = inbound if _INBOUND_ID.match(inbound) else uuid.uuid4().hex
        # Every log line written while this request runs carries its id, user and path.
        token = bind_request(request)
        try:
            response = self.get_response(request)
        finally:
            unbind_request(token)
        response["X-Request-ID"] = request.request_id
        return response


class AccessLogMiddleware:
    """One log line per request: method, path, status, duration, user and request id.

    Never the query string, headers or body: a POST carries credentials typed into a form,
    and even a GET's query string is the user's to type anything into.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        status = 500  # if the view raises, Django's handler answers 500 outside of us
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            access_logger.info(
                "%s %s %s in %s ms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={"status": status, "duration_ms": duration_ms},
            )
