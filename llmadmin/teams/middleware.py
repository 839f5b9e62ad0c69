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
        # Worked out once, on first use, as Django's own.
        request.user = SimpleLazyObject(lambda: user_for_request(request))  # type: ignore[assignment]
