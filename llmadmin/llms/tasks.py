"""Jobs on the queue: Django's tasks API (django-tasks, the backport of Django 6.0's
django.tasks) with its database backend (django-tasks-db).

The queue is a table in the app's own database. A job is queued in the same transaction as
the row that asks for it, every worker on every machine takes jobs from it with row locks
(SKIP LOCKED on PostgreSQL), and a laptop on SQLite needs no extra service. Workers run
`manage.py run_jobs` (llmadmin/core/management/commands/run_jobs.py, README "Jobs").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.core.retry import retry_delay
from llmadmin.teams.policy import SYSTEM

from .models import SyncRun
from .services import sync


@task()
def sync_llms(run_id: int) -> None:
    """Run the sync that `run_id` asked for. A failure that may pass (Vectara down, slow or
    rate-limiting) is tried again later, at most LLMADMIN_JOB_ATTEMPTS times in all; only
    the last try's outcome is recorded, so each sync has one audit event."""
    claimed = SyncRun.objects.filter(
        pk=run_id, active=True, state__in=[SyncRun.State.QUEUED, SyncRun.State.WAITING]
    ).update(
        state=SyncRun.State.RUNNING,
        attempts=F("attempts") + 1,
        heartbeat_at=timezone.now(),
        retry_at=None,
    )
    if not claimed:  # it ended, or another worker has it (a job delivered twice)
        return
    run = SyncRun.objects.select_related("team", "started_by").get(pk=run_id)

    def heartbeat(pages: int, fetched: int) -> None:
        SyncRun.objects.filter(pk=run_id).update(
            pages=pages, fetched=fetched, heartbeat_at=timezone.now()
        )

    try:
        sync.llm_sync(
            actor=sync.actor_of(run),
            origin=Origin(**run.origin),
            team=run.team,
            run=run,
            last_try=run.attempts >= settings.LLMADMIN_JOB_ATTEMPTS,
            on_page=heartbeat,
        )
    except sync.TryAgainLater as later:
        retry_at = timezone.now() + retry_delay(run.attempts, later.error.retry_after)
        message = (
            f"{later.message} Trying again at {timezone.localtime(retry_at):%H:%M:%S} UTC "
            f"(attempt {run.attempts + 1} of {settings.LLMADMIN_JOB_ATTEMPTS})."
        )
        with transaction.atomic():
            SyncRun.objects.filter(pk=run_id, active=True).update(
                state=SyncRun.State.WAITING, retry_at=retry_at, message=message
            )
            sync_llms.using(run_after=retry_at).enqueue(run_id)
    except ApplicationError:
        pass  # recorded by the service, and the run ended with it


def start_scheduled_sync() -> SyncRun | None:
    """Queue the scheduled sync, which finds LLMs changed outside the dashboard, when
    LLMADMIN_SYNC_EVERY_MINUTES have passed since the newest sync began. Every worker asks;
    the one-at-a-time lock lets one of them queue it."""
    minutes = settings.LLMADMIN_SYNC_EVERY_MINUTES
    if minutes <= 0:
        return None
    newest = SyncRun.objects.order_by("-created_at").first()
    due = timezone.now() - timedelta(minutes=minutes)
    if newest is not None and (newest.active or newest.created_at > due):
        return None
    try:
        return sync.sync_start(
            actor=SYSTEM, origin=Origin.system("scheduled sync"), trigger=SyncRun.Trigger.SCHEDULE
        )
    except ApplicationError:  # another worker queued it first
        return None
