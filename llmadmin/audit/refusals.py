"""Repeated refusals, coalesced: a client hammering a locked account or a forbidden page
writes one event, then one summary with the count, instead of one event per request.

The tallies live in the database (models.RefusalTally), so every worker bumps the same count
with one atomic UPDATE. A closed tally becomes its summary event in the same transaction
that deletes it, so a count is written exactly once: by the next refusal of its kind, by any
append after its window (`sweep`), or by `manage.py audit_flush_refusals`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import chain
from .models import AuditEvent, RefusalTally

# Closed tallies flushed by one sweep, so an append never does unbounded work.
SWEEP_BATCH = 20


def window() -> timedelta:
    return timedelta(seconds=int(settings.LLMADMIN_AUDIT_COALESCE_SECONDS))


def key(*, action: str, who: str, team_id: int | None, same_as: Sequence[str]) -> str:
    raw = json.dumps([action, who, team_id, *same_as], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def bump(tally_key: str, *, now: datetime) -> bool:
    """Count one more repeat if the key's window is open; whether it was."""
    updated = RefusalTally.objects.filter(key=tally_key, first_at__gt=now - window()).update(
        count=F("count") + 1, last_at=now
    )
    return updated == 1


def open_tally(tally_key: str, event: AuditEvent) -> None:
    try:
        with transaction.atomic():
            RefusalTally.objects.create(
                key=tally_key,
                event_id=event.pk,
                first_at=event.occurred_at,
                last_at=event.occurred_at,
            )
    except IntegrityError:
        # Another worker opened it a moment earlier, or a closed one waits for the sweep:
        # this refusal stays an event of its own, nothing is lost.
        pass


def flush(*, tally_key: str | None = None, limit: int | None = None, open_too: bool = False) -> int:
    """Turn closed tallies (and with `open_too`, open ones) into summary events (those with
    repeats) and delete them; the number of summaries written. On the default connection,
    outside any transaction."""
    closed = RefusalTally.objects.order_by("first_at")
    if not open_too:
        closed = closed.filter(first_at__lte=timezone.now() - window())
    if tally_key is not None:
        closed = closed.filter(key=tally_key)
    ids = list(
        closed.values_list("pk", flat=True)[:limit]
        if limit
        else closed.values_list("pk", flat=True)
    )
    written = 0
    for pk in ids:
        with transaction.atomic():
            tally = RefusalTally.objects.select_for_update().filter(pk=pk).first()
            if tally is None:  # another worker flushed it
                continue
            tally.delete()
            if tally.count:
                chain.append(_summary(tally))
                written += 1
    return written


def sweep() -> None:
    """What every append outside a transaction does: one indexed query when nothing is due."""
    if window() > timedelta(0):
        flush(limit=SWEEP_BATCH)


def _summary(tally: RefusalTally) -> AuditEvent:
    first = AuditEvent.objects.filter(pk=tally.event_id).first() or AuditEvent(
        action="access.denied", outcome="denied"
    )
    what = first.details.get("action") or first.action
    who = first.actor_username or first.source_ip or "an unknown client"
    times = f"{tally.first_at:%Y-%m-%d %H:%M:%S} and {tally.last_at:%H:%M:%S} UTC"
    refusals = "refusal" if tally.count == 1 else "refusals"
    return AuditEvent(
        occurred_at=timezone.now(),
        actor_id=first.actor_id,
        actor_username=first.actor_username,
        source_ip=first.source_ip,
        user_agent=first.user_agent,
        team_id=first.team_id,
        team_slug=first.team_slug,
        action=first.action,
        outcome=first.outcome,
        target_type=first.target_type,
        target_id=first.target_id,
        target_label=first.target_label,
        message=(
            f"{tally.count} more {refusals} of {what} by {who} between {times}, "
            f"each like event {tally.event_id}: {first.message}"
        ),
        details={
            **{k: first.details[k] for k in ("action", "reason", "username") if k in first.details},
            "repeated": tally.count,
            "first_event_id": tally.event_id,
            "first_at": tally.first_at.isoformat(),
            "last_at": tally.last_at.isoformat(),
        },
    )
