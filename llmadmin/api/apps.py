from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "llmadmin.api"
    label = "api"
    verbose_name = "Scripting API"
