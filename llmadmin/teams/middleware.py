from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .policy import Access

# Where the session remembers the team chosen in the top bar.
SESSION_KEY = "current_team_id"


class AccessMiddleware:
    """Puts `request.access` on every request: the person, the teams they work in with their
    role in each, and the current team, read in one query on first use (teams.policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Lazy: a page that never asks (the health check, a static file) reads nothing.
        request.access = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: Access(request.user, chosen_team_id=request.session.get(SESSION_KEY))
        )
        return self.get_response(request)
