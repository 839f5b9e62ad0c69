"""The app's URLs, plus, under /bench/ and only in bench.settings: the signed-in floor, a bare
view, and Django admin with a default ModelAdmin for AuditEvent."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action
from llmadmin.urls import urlpatterns as app_urlpatterns

admin.site.register(AuditEvent)


def bare(request: HttpRequest) -> HttpResponse:
    """The middleware stack and nothing else: no session, no user read."""
    return HttpResponse("ok", content_type="text/plain")


# team_action_required is login_required plus the policy's answer for the current team, read
# from request.access: what every team page runs before its own work.
@team_action_required(Action.LLM_VIEW)
def signed_in_floor(request: HttpRequest) -> HttpResponse:
    """The session, the person and their teams read, the permission asked; nothing rendered."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/floor/", signed_in_floor, name="bench-floor"),
    path("bench/admin/", admin.site.urls),
    *app_urlpatterns,
]
