"""`manage.py sync_llms`: the same sync as the UI's, for cron jobs and first set-up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import SyncRun
from llmadmin.llms.services import llm_sync, sync_start
from llmadmin.teams.policy import SYSTEM


class Command(BaseCommand):
    help = (
        "Reconcile the dashboard's LLM records with every LLM Vectara lists. Prints progress "
        "per page to stderr and the summary to stdout; exits 1 if the sync failed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        def on_page(pages: int, count: int) -> None:
            self.stderr.write(f"Fetched page {pages} ({count} LLMs so far).")

        origin = Origin.system("manage.py sync_llms")
        try:
            # Runs here rather than on the queue, but under the same one-at-a-time lock.
            run = sync_start(
                actor=SYSTEM, origin=origin, trigger=SyncRun.Trigger.COMMAND, queue=False
            )
            summary = llm_sync(actor=SYSTEM, origin=origin, run=run, on_page=on_page)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(summary.sentence())
