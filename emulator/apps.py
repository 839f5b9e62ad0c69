from __future__ import annotations

from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    """The Vectara /v2/llms emulator: an upstream for `make run` and the tests, not product code."""

    name = "emulator"
    label = "emulator"
