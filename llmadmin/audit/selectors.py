"""Reading the audit log: who may see which events, the auditor's filters, keyset pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from llmadmin.teams.models import Team
from llmadmin.teams.policy import Access

from .chain import GENESIS, mac_matches
from .models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventFilter:
    actor: str = ""
    team_id: int | None = None
    action: str = ""
    outcome: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    older_cursor: int | None
    newer_cursor: int | None


@dataclass(frozen=True)
class ChainPosition:
    mac_verifies: bool
    links_to_previous: bool
    is_first: bool


def audit_event_visible(*, access: Access, team: Team | None) -> QuerySet[AuditEvent]:
    """An org admin sees every event; anyone else only the events of `team`, their current one."""
    if access.is_org_admin:
        return AuditEvent.objects.all()
    if team is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(team_id=team.pk)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_event_filter(
    *, events: QuerySet[AuditEvent], filters: EventFilter
) -> QuerySet[AuditEvent]:
    if filters.actor:
        events = events.filter(actor_username=filters.actor)
    if filters.team_id is not None:
        events = events.filter(team_id=filters.team_id)
    if filters.action:
        # "llm.*" means every llm action.
        if filters.action.endswith("*"):
            events = events.filter(action__startswith=filters.action[:-1])
        else:
            events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.target:
        kind, sep, ident = filters.target.partition(":")
        if sep and kind and ident:
            events = events.filter(target_type=kind, target_id=ident)
        else:
            events = events.filter(
                Q(target_label__icontains=filters.target) | Q(target_id=filters.target)
            )
    if filters.since:
        events = events.filter(occurred_at__gte=_day_start(filters.since))
    if filters.until:
        events = events.filter(occurred_at__lt=_day_start(filters.until + timedelta(days=1)))
    if filters.text:
        text = filters.text
        events = events.filter(
            Q(message__icontains=text)
            | Q(target_label__icontains=text)
            | Q(actor_username__icontains=text)
            | Q(action__icontains=text)
            | Q(request_id=text)
            | Q(upstream_request_id=text)
        )
    return events


def audit_event_page(
    *,
    events: QuerySet[AuditEvent],
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page, newest first, found by id (keyset) rather than by offset, and never counted,
    so the last page of a million rows costs what the first does.

    A cursor is the id of the row just beside the page (the last one of the page it was
    linked from), so the query reads that row too: finding it proves there is more on that
    side without asking again. Only a cursor that names no row of these events costs a
    second query."""
    if after is not None:
        rows = list(events.filter(id__gte=after).order_by("id")[: size + 2])
        beside = bool(rows) and rows[0].id == after
        rows = rows[1:] if beside else rows
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = bool(rows) and (beside or events.filter(id__lt=rows[-1].id).exists())
    else:
        scoped = events.filter(id__lte=before) if before is not None else events
        rows = list(scoped.order_by("-id")[: size + 2])
        beside = bool(rows) and rows[0].id == before
        rows = rows[1:] if beside else rows
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = (
            before is not None
            and bool(rows)
            and (beside or events.filter(id__gt=rows[0].id).exists())
        )
    if not rows and (before is not None or after is not None):
        # A cursor past either end (an old link): show the newest page rather than nothing.
        return audit_event_page(events=events, size=size)
    return EventPage(
        events=rows,
        older_cursor=rows[-1].id if has_older else None,
        newer_cursor=rows[0].id if has_newer else None,
    )


DailyCounts = dict[tuple[date, str], int]


# How long the chart's counts are kept in Django's cache: at a million events the 30 days'
# grouped count is most of /audit/'s time (bench/README.md, figure 2).
DAILY_COUNTS_SECONDS = 30


def audit_event_daily_counts(
    *, events: QuerySet[AuditEvent], first: date, last: date
) -> DailyCounts:
    """How many of `events` happened on each UTC day from `first` to `last`, per outcome:
    one grouped query bounded by the dates, kept for DAILY_COUNTS_SECONDS per query."""
    if events.query.is_empty():  # none(): nothing to count, and no SQL to name it by
        return {}
    sql, params = events.query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params, first, last)).encode()).hexdigest()
    return cast(
        DailyCounts,
        cache.get_or_set(
            f"audit-daily-counts:{digest}",
            lambda: _grouped_counts(events, first, last),
            timeout=DAILY_COUNTS_SECONDS,
        ),
    )


def _grouped_counts(events: QuerySet[AuditEvent], first: date, last: date) -> DailyCounts:
    rows = (
        events.filter(
            occurred_at__gte=_day_start(first),
            occurred_at__lt=_day_start(last + timedelta(days=1)),
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        # No ordering: Meta.ordering's -id must not end up in the GROUP BY.
        .order_by()
        .values_list("day", "outcome")
        .annotate(n=Count("id"))
    )
    return {(day, outcome): n for day, outcome, n in rows}


def audit_event_position(*, event: AuditEvent) -> ChainPosition:
    """Where `event` sits in the chain: does its MAC verify, and does it link to its predecessor."""
    previous = AuditEvent.objects.filter(id__lt=event.pk).order_by("-id").only("mac").first()
    expected = previous.mac if previous else GENESIS
    return ChainPosition(
        mac_verifies=mac_matches(event),
        links_to_previous=event.prev_mac == expected,
        is_first=previous is None,
    )
