"""The app's URLs, plus a bare view and Django admin with a default ModelAdmin for AuditEvent,
both under /bench/ and only in bench.settings."""

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
    """The least a request can cost on this server: the whole middleware stack, no work."""
    return HttpResponse("ok", content_type="text/plain")


@team_action_required(Action.LLM_VIEW)
def signed_in(request: HttpRequest) -> HttpResponse:
    """The least any page of the dashboard costs: the session, the user and their teams and
    roles read and checked, as /llms/ does before its own work; nothing rendered."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/signed-in/", signed_in, name="bench-signed-in"),
    path("bench/admin/", admin.site.urls),
    *app_urlpatterns,
]
