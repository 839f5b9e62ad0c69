from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from tests.audit.support import append_only_lifted, reset_log


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        with append_only_lifted(connection):
            super().handle(**options)
            # The product never re-creates a missing head; leave the one a new database has.
            reset_log(connection)
