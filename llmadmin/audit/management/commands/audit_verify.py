from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmadmin.audit.verify import Checkpoint, verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit non-zero naming the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            metavar="ID:MAC",
            help="A head printed earlier by audit_checkpoint; the log must still extend it.",
        )
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = Checkpoint.parse(options["checkpoint"]) if options["checkpoint"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = verify_chain(checkpoint=checkpoint, chunk_size=options["chunk_size"])
        if not report.intact:
            raise CommandError(
                f"The audit log is NOT intact. {report.problem} "
                f"({report.checked} events before it verified.)"
            )
        head = f"; newest event {report.head}" if report.head else ""
        self.stdout.write(f"The audit log is intact: {report.checked} events verified{head}.")
