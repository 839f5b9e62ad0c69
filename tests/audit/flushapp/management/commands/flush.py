from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from tests.audit.support import append_only_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with append_only_lifted(connections[options["database"]]):
            super().handle(**options)
