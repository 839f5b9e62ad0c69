from __future__ import annotations

from django.apps import AppConfig


class LlmsConfig(AppConfig):
    name = "llmadmin.llms"
    label = "llms"
