from __future__ import annotations

from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .sessions import user_for_request


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` from `sessions.user_for_request`: the same user, read
    in the session's own query."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))  # type: ignore[assignment]


def _user(request: HttpRequest) -> object:
    # As django.contrib.auth.middleware.get_user: once per request.
    if not hasattr(request, "_cached_user"):
        request._cached_user = user_for_request(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]
