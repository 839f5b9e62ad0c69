from __future__ import annotations

from django.urls import path

from . import views

app_name = "llms"
urlpatterns = [
    path("", views.llm_list, name="list"),
    path("new/", views.llm_create, name="create"),
    path("new/auth-fields/", views.llm_auth_fields, name="auth_fields"),
    path("new/check-uri/", views.llm_check_uri, name="check_uri"),
    path("new/type-fields/", views.llm_type_fields, name="type_fields"),
    path("new/check-json/", views.llm_check_json, name="check_json"),
    path("<int:pk>/edit/", views.llm_edit, name="edit"),
    path("<int:pk>/edit/type-fields/", views.llm_edit_type_fields, name="edit_type_fields"),
    path("<int:pk>/edit/auth-fields/", views.llm_edit_auth_fields, name="edit_auth_fields"),
    path("test-connection/", views.llm_test_connection, name="test_connection"),
    path("<int:pk>/", views.llm_detail, name="detail"),
    path("<int:pk>/enabled/", views.llm_toggle, name="toggle"),
    path("<int:pk>/delete/", views.llm_delete, name="delete"),
    path("<int:pk>/assign/", views.llm_assign, name="assign"),
    path("sync/", views.llm_sync, name="sync"),
    path("sync/progress/", views.llm_sync_progress, name="sync_progress"),
]
