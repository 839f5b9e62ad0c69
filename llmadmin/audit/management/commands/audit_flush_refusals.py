from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from llmadmin.audit.refusals import flush


class Command(BaseCommand):
    help = (
        "Write the summary event of every coalesced refusal whose window has closed. Any "
        "later audit event does it too; run this from cron so none waits for one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Also close the windows still open, e.g. before exporting the log.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        written = flush(open_too=options["all"])
        self.stdout.write(f"{written} summary event{'s' if written != 1 else ''} written.")
