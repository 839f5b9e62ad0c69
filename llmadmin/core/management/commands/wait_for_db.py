"""`manage.py wait_for_db`: start-up's first step, so an unreachable database is one line.

Containers often start before their database does, so it retries for a while; when the time
is up it says which variable to check and exits 2, instead of migrate's traceback.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections


def _reason(exc: BaseException) -> str:
    # The driver's first line names host and port (never the password); the rest is noise.
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


class Command(BaseCommand):
    help = "Wait until the database in DATABASE_URL answers; exit 2 with one line if it never does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=0, help="Seconds to keep trying (default: try once)."
        )

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        deadline = time.monotonic() + timeout
        while True:
            connection = connections["default"]
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return
            except DatabaseError as exc:
                connection.close()
                if time.monotonic() >= deadline:
                    self.stderr.write(
                        f"llmadmin: the database in DATABASE_URL is unreachable ({_reason(exc)}). "
                        "Check DATABASE_URL and that the database server is running."
                    )
                    sys.exit(2)
                time.sleep(0.5)
