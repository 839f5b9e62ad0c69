"""When a job that failed in a way that may pass tries again (syncs, SIEM deliveries)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

MAX_RETRY_DELAY = timedelta(minutes=10)


def retry_delay(failures: int, retry_after: int | None) -> timedelta:
    """Doubling from LLMADMIN_JOB_RETRY_SECONDS with each failure in a row, capped at ten
    minutes, and never sooner than the upstream's Retry-After asked."""
    backoff = timedelta(seconds=settings.LLMADMIN_JOB_RETRY_SECONDS * 2 ** (failures - 1))
    return max(min(backoff, MAX_RETRY_DELAY), timedelta(seconds=retry_after or 0))
