from __future__ import annotations

from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "llmadmin.sso"
    label = "sso"
    verbose_name = "Sign-in with the identity provider"
