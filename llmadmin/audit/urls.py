from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("<int:pk>/", views.event_detail, name="event"),
    re_path(r"^export\.(?P<fmt>csv|jsonl)$", views.event_export, name="export"),
]
