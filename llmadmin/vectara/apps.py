from __future__ import annotations

from django.apps import AppConfig


class VectaraConfig(AppConfig):
    name = "llmadmin.vectara"
    label = "vectara"
