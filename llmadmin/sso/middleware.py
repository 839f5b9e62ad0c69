from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property

from .client import Config
from .views import CHECKED_AT


class RecheckMiddleware:
    """Sends a person signed in with the provider back to it once LLMADMIN_OIDC_RECHECK_SECONDS
    have passed since it last confirmed them, so that someone removed there, or from a group,
    loses that access within that time even with a session open here. The provider answers
    without a page while its own session lasts (prompt=none); the callback re-reads the groups.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def exempt(self) -> tuple[str, ...]:
        # Resolved once, at the first request: the URLconf is loaded by then.
        return (reverse("sso:start"), reverse("sso:callback"), reverse("logout"))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The flow itself and log-out must get through; /healthz and static files read no session.
        if request.path in self.exempt or request.path.startswith(("/healthz", "/static/")):
            return self.get_response(request)
        checked_at = request.session.get(CHECKED_AT)
        if checked_at is None or not request.user.is_authenticated:
            return self.get_response(request)
        config = Config.current()
        if config is None:
            # Single sign-on was turned off: nobody can confirm these sessions any more.
            logout(request)
            messages.info(
                request, "Sign-in with the identity provider was turned off. Log in again."
            )
            return redirect("login")
        if time.time() - float(checked_at) < config.recheck_seconds:
            return self.get_response(request)
        # Where to come back to: the page asked for, or for a form sent or an htmx request the
        # page it was sent from (what was sent is not replayed; the start view checks the host).
        if request.headers.get("HX-Request"):
            back = request.headers.get("HX-Current-URL", "")
        elif request.method in ("GET", "HEAD"):
            back = request.get_full_path()
        else:
            back = request.headers.get("Referer", "")
        url = f"{reverse('sso:start')}?{urlencode({'recheck': '1', 'next': back})}"
        if request.headers.get("HX-Request"):
            # htmx can't follow a redirect to another origin: have it load the whole page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
