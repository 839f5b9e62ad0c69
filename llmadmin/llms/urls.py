from __future__ import annotations

from django.urls import path

from . import views

app_name = "llms"
urlpatterns = [
    path("", views.llm_list, name="list"),
    path("new/", views.llm_create, name="create"),
    path("new/auth-fields/", views.llm_auth_fields, name="auth_fields"),
    path("new/check-uri/", views.llm_check_uri, name="check_uri"),
    path("<int:pk>/", views.llm_detail, name="detail"),
]
