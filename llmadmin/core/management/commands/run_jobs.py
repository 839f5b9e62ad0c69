"""`manage.py run_jobs`: a queue worker. Run as many as you like, on as many machines."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from llmadmin.audit.siem import queue_deliveries
from llmadmin.llms.tasks import start_scheduled_sync


class Command(BaseCommand):
    help = (
        "Run queued jobs (syncs, audit deliveries to the SIEM, and their retries) until "
        "stopped, and queue the scheduled sync and deliveries when due. SIGTERM lets the "
        "job in hand finish first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between looks at the queue."
        )
        parser.add_argument(
            "--once", action="store_true", help="Run what is due now, then exit (for cron)."
        )

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        # db_worker announces every start and stop, which here is every `interval`.
        quiet = 2 if options["verbosity"] >= 2 else 0
        if not once and options["verbosity"]:
            self.stdout.write("Running queued jobs until stopped (Ctrl-C).")
        while True:
            start_scheduled_sync()
            # As jobs, not called here: a sink's retries then wait on the queue (run_after),
            # which outlives this process, while this loop carries on.
            queue_deliveries()
            # django-tasks-db's own worker: takes each ready job under a row lock, runs it,
            # records its result, and returns when none is ready.
            call_command(
                "db_worker",
                batch=True,
                startup_delay=False,
                reload=False,
                verbosity=quiet,
            )
            if once:
                return
            time.sleep(interval)
