from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "llmadmin.audit"
    label = "audit"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import grant_app_role

        # Once per `migrate`, after every app's tables exist (sender: this app only).
        post_migrate.connect(grant_app_role, sender=self)
