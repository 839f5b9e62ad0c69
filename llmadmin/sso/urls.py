from __future__ import annotations

from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("login/", views.start, name="start"),
    path("callback/", views.callback, name="callback"),
    path("mapping/", views.mapping_page, name="mapping"),
]
