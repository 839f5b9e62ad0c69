from __future__ import annotations

from django.apps import AppConfig


class FlushAppConfig(AppConfig):
    name = "tests.audit.flushapp"
    label = "audit_flushapp"
