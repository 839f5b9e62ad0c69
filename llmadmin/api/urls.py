from __future__ import annotations

from django.urls import path, re_path

from . import pages, views

app_name = "api"
# Mounted at /v2/: Vectara's paths, with and without the trailing slash.
urlpatterns = [
    re_path(r"^llms/?$", views.llms, name="llms"),
    re_path(r"^llms/(?P<llm_id>[^/]+)/?$", views.llm, name="llm"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]

# Mounted at /account/api-keys/.
key_urlpatterns = (
    [
        path("", pages.key_list, name="list"),
        path("<int:pk>/revoke/", pages.key_revoke_view, name="revoke"),
    ],
    "apikeys",
)
