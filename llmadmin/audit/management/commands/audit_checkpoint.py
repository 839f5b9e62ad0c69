from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from llmadmin.audit.chain import emit_checkpoint
from llmadmin.audit.verify import newest_checkpoint


class Command(BaseCommand):
    help = (
        "Print the newest audit event as ID:MAC. Keep it off this machine and later run "
        "`audit_verify --checkpoint ID:MAC` to prove no event up to it was removed. The same "
        "checkpoint goes to the JSON log stream (logger llmadmin.audit.checkpoint): run it "
        "from cron so quiet periods are witnessed too."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = newest_checkpoint()
        if checkpoint is None:
            raise CommandError("The audit log is empty; there is no head to print yet.")
        emit_checkpoint(checkpoint.event_id, checkpoint.mac)
        self.stdout.write(str(checkpoint))
