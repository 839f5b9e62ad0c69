"""Reading the audit log: who may see which events, the auditor's filters, keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from llmadmin.core import memo
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import User

from .chain import EVENTS_TABLE, GENESIS, HEAD_PK, HEAD_TABLE, mac_matches
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
    events: list[Any]  # what the queryset yields: models, or named tuples of values
    older_cursor: int | None
    newer_cursor: int | None


@dataclass(frozen=True)
class ChainPosition:
    mac_verifies: bool
    links_to_previous: bool
    is_first: bool


def audit_event_visible(*, user: User, team: Team | None) -> QuerySet[AuditEvent]:
    """An org admin sees every event; anyone else only the events of `team`, their current one."""
    if user.is_authenticated and user.is_superuser:
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
    events: QuerySet[AuditEvent, Any],
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page, newest first, found by id (keyset) rather than by offset, and never counted,
    so the last page of a million rows costs what the first does.

    A cursor is the id of the row just beside the page (the last one of the page it was
    linked from), so the query reads that row too: finding it proves there is more on that
    side without asking again. Only a cursor that names no row of these events costs a
    second query. Rows are whatever `events` yields (models, or named tuples of values): each
    needs only an `id`."""
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


# An event is stamped when it is recorded and committed moments later, by the end of its
# request or command (gunicorn ends a request after GUNICORN_TIMEOUT, 60 s by default); two
# may commit in the other order. An hour after midnight no event stamped the day before can
# still appear: that day's counts are settled.
SETTLED_AFTER = timedelta(hours=1)
# How long settled counts are remembered: the bound on how long an event committed more than
# SETTLED_AFTER late (see audit_event_daily_counts) can be missing from the chart.
SETTLED_COUNTS_SECONDS = 60 * 60
# How long the open days' counts are remembered at most: the log's version sees every event
# the recorder commits; this bounds what rows written around it (a bulk load) can hide.
OPEN_COUNTS_SECONDS = 60
DailyCounts = dict[tuple[date, str], int]


def _grouped_counts(*, events: QuerySet[AuditEvent], first: date, last: date) -> DailyCounts:
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


def _log_state(using: str, settled: date) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """In one statement of index look-ups: the log's version, and the id and MAC of the
    newest event stamped before `settled`.

    The version changes whenever an event is committed: it is the newest id (an append takes
    its id under the chain's lock, so ids come in commit order) and the chain head's MAC
    (which tells a restored log from the one it replaced, even with the same newest id)."""
    connection = connections[using]
    before = connection.ops.adapt_datetimefield_value(_day_start(settled))
    newest = (
        f"FROM {EVENTS_TABLE} WHERE occurred_at < %s ORDER BY occurred_at DESC, id DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {EVENTS_TABLE}), "  # noqa: S608 - our tables' names
            f"(SELECT last_mac FROM {HEAD_TABLE} WHERE id = %s), "
            f"(SELECT id {newest}), (SELECT mac {newest})",
            [HEAD_PK, before, before],
        )
        newest_id, head_mac, settled_id, settled_mac = cursor.fetchone()
    return (newest_id, head_mac), (settled_id, settled_mac)


def audit_event_daily_counts(
    *, events: QuerySet[AuditEvent], first: date, last: date, now: datetime | None = None
) -> DailyCounts:
    """How many of `events` happened on each UTC day from `first` to `last`, per outcome.

    Counting is one grouped query bounded by the dates, so its cost follows the window, not
    the log; and it is remembered (core.memo), so while nothing is committed a page asks
    only for the log's state (_log_state). The log is append-only:
    - the counts of settled days are remembered by the query (scope and filters, so one
      team's counts never answer another's) and the newest event stamped before them, so a
      log restored or loaded anew is another key. Events stamped before that but committed
      after it was taken (more than SETTLED_AFTER late, or stamped by an instance whose clock
      is behind) are missed for SETTLED_COUNTS_SECONDS at most;
    - the counts of the days still open are remembered for one version of the log."""
    if events.query.is_empty():  # none(): nothing to count, and no SQL to name it by
        return {}
    open_from = ((now or timezone.now()) - SETTLED_AFTER).astimezone(UTC).date()
    settled = min(open_from, last + timedelta(days=1))
    open_first = max(first, settled)
    sql, params = events.order_by().query.sql_with_params()
    version, newest_settled = _log_state(events.db, settled)
    whole_window: list[DailyCounts] = []

    def count_settled_days() -> DailyCounts:
        # Count the whole window in the one query, and remember the settled part of it.
        whole_window.append(_grouped_counts(events=events, first=first, last=last))
        return {k: n for k, n in whole_window[0].items() if k[0] < settled}

    def count_open_days() -> DailyCounts:
        if whole_window:  # counted just now, after the version was read: as new or newer
            return {k: n for k, n in whole_window[0].items() if k[0] >= settled}
        return _grouped_counts(events=events, first=open_first, last=last)

    key = memo.key("audit-settled-counts", sql, params, first, settled, newest_settled)
    counts = memo.recall(key, count_settled_days, timeout=SETTLED_COUNTS_SECONDS)
    if settled > last:
        return dict(counts)
    open_key = memo.key("audit-open-counts", sql, params, open_first, last)
    open_counts = memo.recall_current(
        open_key, version, count_open_days, timeout=OPEN_COUNTS_SECONDS
    )
    return counts | open_counts


def audit_event_position(*, event: AuditEvent) -> ChainPosition:
    """Where `event` sits in the chain: does its MAC verify, and does it link to its predecessor."""
    previous = AuditEvent.objects.filter(id__lt=event.pk).order_by("-id").only("mac").first()
    expected = previous.mac if previous else GENESIS
    return ChainPosition(
        mac_verifies=mac_matches(event),
        links_to_previous=event.prev_mac == expected,
        is_first=previous is None,
    )
