from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from llmadmin.audit.models import AuditEvent, ChainHead, Outcome
from llmadmin.audit.selectors import (
    SETTLED_COUNTS_SECONDS,
    audit_event_daily_counts,
    audit_event_page,
)
from tests.audit.factories import event, events_at
from tests.audit.support import append_only_lifted, raw
from tests.teams.factories import TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
FIRST = TODAY - timedelta(days=29)


def counts(team, now: datetime = NOW) -> dict[tuple[date, str], int]:
    events = AuditEvent.objects.filter(team_id=team.pk)
    return audit_event_daily_counts(events=events, first=FIRST, last=TODAY, now=now)


def test_days_that_are_over_are_counted_once_and_today_whenever_the_log_changed(
    team, django_assert_num_queries
) -> None:
    events_at(datetime(2024, 2, 10, 8, tzinfo=UTC), team=team)
    events_at(datetime(2024, 3, 9, 8, tzinfo=UTC), count=2, outcome=Outcome.DENIED, team=team)
    with django_assert_num_queries(2) as cold:  # the log's state, then the whole window
        assert counts(team) == {(FIRST, "success"): 1, (date(2024, 3, 9), "denied"): 2}
    assert "2024-02-10" in cold.captured_queries[1]["sql"]
    with django_assert_num_queries(1):  # nothing committed since: the state only
        counts(team)

    events_at(NOW - timedelta(minutes=1), outcome=Outcome.FAILURE, team=team)
    expected = {(FIRST, "success"): 1, (date(2024, 3, 9), "denied"): 2, (TODAY, "failure"): 1}
    with django_assert_num_queries(2) as changed:  # the state, then today alone
        assert counts(team) == expected
    assert "2024-02-10" not in changed.captured_queries[1]["sql"]
    with django_assert_num_queries(1):
        assert counts(team) == expected


def test_a_settled_day_written_late_is_counted_within_the_hour(team, monkeypatch) -> None:
    # Stamped before the newest settled event but committed after the count (a late commit,
    # a clock behind): its key can't tell, so remembered settled counts expire.
    events_at(datetime(2024, 3, 1, 8, tzinfo=UTC), team=team)
    assert counts(team) == {(date(2024, 3, 1), "success"): 1}
    events_at(datetime(2024, 3, 1, 7, tzinfo=UTC), team=team)
    assert counts(team) == {(date(2024, 3, 1), "success"): 1}  # remembered, as documented
    later = time.time() + SETTLED_COUNTS_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert counts(team) == {(date(2024, 3, 1), "success"): 2}


def real_counts(team) -> dict[tuple[date, str], int]:
    now = datetime.now(UTC)
    events = AuditEvent.objects.filter(team_id=team.pk)
    return audit_event_daily_counts(
        events=events, first=now.date() - timedelta(days=29), last=now.date(), now=now
    )


def test_an_event_the_recorder_commits_is_counted_on_the_next_view(team) -> None:
    event(team=team)
    today = datetime.now(UTC).date()
    for _ in range(2):  # counted, then remembered
        assert real_counts(team) == {(today, "success"): 1}
    event(team=team, outcome=Outcome.FAILURE)
    assert real_counts(team) == {(today, "success"): 1, (today, "failure"): 1}


def test_a_log_restored_or_reloaded_under_a_running_server_is_counted_again(team) -> None:
    events_at(datetime(2024, 3, 1, 8, tzinfo=UTC), count=3, team=team)
    assert counts(team) == {(date(2024, 3, 1), "success"): 3}
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent")
    events_at(datetime(2024, 3, 2, 8, tzinfo=UTC), outcome=Outcome.DENIED, team=team)
    assert counts(team) == {(date(2024, 3, 2), "denied"): 1}


def test_a_log_restored_with_the_same_newest_id_is_counted_again(team) -> None:
    first = event(team=team)
    today = datetime.now(UTC).date()
    for _ in range(2):
        assert real_counts(team) == {(today, "success"): 1}
    # An empty backup restored (its id sequence too), then another event with the same id:
    # only the chain head's MAC tells the two logs apart.
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent")
    ChainHead.objects.all().delete()
    if connection.vendor == "postgresql":
        raw(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s, false)", [first.pk]
        )
    else:
        raw("UPDATE sqlite_sequence SET seq = %s WHERE name = 'audit_auditevent'", [first.pk - 1])
    assert event(team=team, outcome=Outcome.DENIED).pk == first.pk
    assert real_counts(team) == {(today, "denied"): 1}


def test_one_teams_remembered_counts_never_answer_for_another(team) -> None:
    other = TeamFactory(slug="other")
    events_at(datetime(2024, 3, 1, 8, tzinfo=UTC), count=3, team=team)
    events_at(datetime(2024, 3, 1, 9, tzinfo=UTC), outcome=Outcome.FAILURE, team=other)
    event(team=team)  # and today, which the open days' counts hold
    event(team=other, outcome=Outcome.FAILURE)
    today = datetime.now(UTC).date()
    for _ in range(3):  # counted, then remembered, then remembered
        assert counts(team) == {(date(2024, 3, 1), "success"): 3}
        assert counts(other) == {(date(2024, 3, 1), "failure"): 1}
        assert real_counts(team) == {(today, "success"): 1}
        assert real_counts(other) == {(today, "failure"): 1}


def test_in_the_first_hour_of_a_day_the_day_before_is_still_counted_afresh(team) -> None:
    # An event is stamped before it commits: one stamped at 23:59:58 may commit after one
    # stamped at 23:59:59, and after midnight, and must still be counted.
    events_at(datetime(2024, 3, 9, 23, 59, 59, tzinfo=UTC), team=team)
    just_after_midnight = datetime(2024, 3, 10, 0, 30, tzinfo=UTC)
    for _ in range(2):  # counted, then remembered
        assert counts(team, now=just_after_midnight) == {(date(2024, 3, 9), "success"): 1}
    events_at(datetime(2024, 3, 9, 23, 59, 58, tzinfo=UTC), team=team)
    assert counts(team, now=just_after_midnight) == {(date(2024, 3, 9), "success"): 2}


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
