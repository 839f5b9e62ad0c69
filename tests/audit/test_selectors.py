from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.selectors import (
    DAILY_COUNTS_SECONDS,
    audit_event_daily_counts,
    audit_event_page,
)
from tests.audit.factories import event, events_at
from tests.teams.factories import TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
FIRST = TODAY - timedelta(days=29)


def counts(team) -> dict[tuple[date, str], int]:
    events = AuditEvent.objects.filter(team_id=team.pk)
    return audit_event_daily_counts(events=events, first=FIRST, last=TODAY)


def test_the_window_is_counted_per_day_and_outcome_in_one_query(
    team, django_assert_num_queries
) -> None:
    events_at(datetime(2024, 2, 9, 23, 59, tzinfo=UTC), team=team)  # the day before the window
    events_at(datetime(2024, 2, 10, 8, tzinfo=UTC), team=team)
    events_at(datetime(2024, 3, 9, 8, tzinfo=UTC), count=2, outcome=Outcome.DENIED, team=team)
    events_at(NOW + timedelta(days=1), team=team)  # after it
    with django_assert_num_queries(1):
        assert counts(team) == {(FIRST, "success"): 1, (date(2024, 3, 9), "denied"): 2}


def test_a_new_event_is_counted_once_the_kept_counts_expire(team, monkeypatch) -> None:
    today = datetime.now(UTC).date()
    events = AuditEvent.objects.filter(team_id=team.pk)
    event(team=team)
    assert audit_event_daily_counts(events=events, first=today, last=today) == {
        (today, "success"): 1
    }
    event(team=team, outcome=Outcome.FAILURE)
    # Kept for a few seconds: a busy log is counted once, not on every page view.
    assert audit_event_daily_counts(events=events, first=today, last=today) == {
        (today, "success"): 1
    }
    later = time.time() + DAILY_COUNTS_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert audit_event_daily_counts(events=events, first=today, last=today) == {
        (today, "success"): 1,
        (today, "failure"): 1,
    }


def test_one_teams_counts_never_include_anothers(team) -> None:
    other = TeamFactory(slug="other")
    events_at(datetime(2024, 3, 1, 8, tzinfo=UTC), count=3, team=team)
    events_at(datetime(2024, 3, 1, 9, tzinfo=UTC), outcome=Outcome.FAILURE, team=other)
    assert counts(team) == {(date(2024, 3, 1), "success"): 3}
    assert counts(other) == {(date(2024, 3, 1), "failure"): 1}


def ids(page) -> list[int]:
    return [event.pk for event in page.events]


def test_following_the_pages_own_links_costs_one_query_a_page(
    team, django_assert_num_queries
) -> None:
    all_ids = [e.pk for e in events_at(NOW, count=120, team=team)][::-1]
    events = AuditEvent.objects.filter(team_id=team.pk)
    first = audit_event_page(events=events)
    with django_assert_num_queries(1):
        second = audit_event_page(events=events, before=first.older_cursor)
    with django_assert_num_queries(1):
        back = audit_event_page(events=events, after=second.newer_cursor)
    assert ids(second) == all_ids[50:100]
    assert (second.newer_cursor, second.older_cursor) == (all_ids[50], all_ids[99])
    assert ids(back) == all_ids[:50]
    assert (back.newer_cursor, back.older_cursor) == (None, all_ids[49])


def test_a_cursor_naming_no_event_of_the_filter_still_pages_both_ways(team) -> None:
    failures, successes = [], []
    for _ in range(120):
        failures += events_at(NOW, outcome=Outcome.FAILURE, team=team)
        successes += events_at(NOW, team=team)
    newest_failures = [e.pk for e in failures][::-1]
    events = AuditEvent.objects.filter(team_id=team.pk, outcome=Outcome.FAILURE)
    # A hand-edited link: the success just after the 41st newest failure.
    cursor = successes[-41].pk
    older = audit_event_page(events=events, before=cursor)
    assert ids(older) == newest_failures[40:90]
    assert (older.newer_cursor, older.older_cursor) == (newest_failures[40], newest_failures[89])
    newer = audit_event_page(events=events, after=cursor)
    assert ids(newer) == newest_failures[:40]
    assert (newer.newer_cursor, newer.older_cursor) == (None, newest_failures[39])
