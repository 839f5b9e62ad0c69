from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmadmin.audit.verify import Checkpoint, read_checkpoints, verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit non-zero naming the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            metavar="ID:MAC",
            help="A head printed earlier by audit_checkpoint; the log must still extend it.",
        )
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help=(
                "A witness file: the collected llmadmin.audit.checkpoint log lines (JSON) or "
                "ID:MAC lines; the log must still hold every checkpoint in it."
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = Checkpoint.parse(options["checkpoint"]) if options["checkpoint"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        witnessed = self._read(options["checkpoints"]) if options["checkpoints"] else []
        report = verify_chain(
            checkpoint=checkpoint, checkpoints=witnessed, chunk_size=options["chunk_size"]
        )
        if not report.intact:
            raise CommandError(
                f"The audit log is NOT intact. {report.problem} "
                f"({report.checked} events before it verified.)"
            )
        head = f"; newest event {report.head}" if report.head else ""
        against = f", against {len(witnessed)} checkpoints" if options["checkpoints"] else ""
        self.stdout.write(
            f"The audit log is intact: {report.checked} events verified{head}{against}."
        )

    def _read(self, path: str) -> list[Checkpoint]:
        try:
            with open(path, encoding="utf-8", errors="replace") as witness:
                found = read_checkpoints(witness)
        except OSError as exc:
            raise CommandError(f"Can't read the witness file {path}: {exc.strerror}.") from None
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if not found:
            raise CommandError(
                f"{path} holds no checkpoint: give the collected llmadmin.audit.checkpoint log "
                "lines, or ID:MAC lines as audit_checkpoint prints them."
            )
        return found
