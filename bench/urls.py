"""The app's URLs, plus a bare view and Django admin with a default ModelAdmin for AuditEvent,
both under /bench/ and only in bench.settings."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from llmadmin.audit.models import AuditEvent
from llmadmin.urls import urlpatterns as app_urlpatterns

admin.site.register(AuditEvent)


def bare(request: HttpRequest) -> HttpResponse:
    """The least a request can cost on this server: the whole middleware stack, no work."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/admin/", admin.site.urls),
    *app_urlpatterns,
]
