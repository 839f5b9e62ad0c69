from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from llmadmin.audit.chart import DAYS, PLOT_HEIGHT, audit_event_chart
from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.selectors import EventFilter, audit_event_filter
from tests.audit.factories import events_at
from tests.teams.factories import TeamFactory, member

pytestmark = pytest.mark.django_db

TODAY = date(2024, 3, 10)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def known_month(team):
    """A known set of events around the 30 days that end on TODAY, and one of another team."""
    first = TODAY - timedelta(days=DAYS - 1)
    events_at(at(TODAY, 23, 59, 59), count=2, team=team)
    events_at(at(TODAY, 0), outcome=Outcome.FAILURE, team=team, action="llm.edit")
    events_at(at(TODAY - timedelta(days=1), 0), count=3, outcome=Outcome.DENIED, team=team)
    events_at(at(first, 0), team=team)
    events_at(at(first - timedelta(days=1), 23, 59, 59), team=team)  # the day before: outside
    events_at(at(TODAY + timedelta(days=1), 0), team=team)  # "tomorrow": outside
    events_at(at(TODAY), count=5, outcome=Outcome.FAILURE, team=TeamFactory(slug="other"))
    return first


def team_chart(team, **filters):
    events = audit_event_filter(
        events=AuditEvent.objects.filter(team_id=team.pk), filters=EventFilter(**filters)
    )
    return audit_event_chart(events=events, until=filters.get("until"), today=TODAY)


def by_day(chart) -> dict[date, tuple[int, int, int]]:
    return {d.day: (d.success, d.failure, d.denied) for d in chart.days if d.segments}


def test_the_chart_counts_each_utc_day_and_outcome_of_the_last_30_days(team, known_month) -> None:
    chart = team_chart(team)
    assert (chart.first, chart.last) == (known_month, TODAY)
    assert len(chart.days) == DAYS
    assert [d.day for d in chart.days] == [known_month + timedelta(days=n) for n in range(DAYS)]
    assert by_day(chart) == {
        known_month: (1, 0, 0),
        TODAY - timedelta(days=1): (0, 0, 3),
        TODAY: (2, 1, 0),
    }
    assert [(e.outcome, e.count) for e in chart.legend] == [
        ("success", 3),
        ("failure", 1),
        ("denied", 3),
    ]
    assert chart.summary == (
        "From 2024-02-10 to 2024-03-10 (UTC): 3 successes, 1 failure, 3 denied. "
        "The busiest day was 2024-03-09 with 0 successes, 0 failures, 3 denied."
    )
    assert chart.days[-1].summary == "2024-03-10: 2 successes, 1 failure, 0 denied"


def test_bars_stack_success_failure_denied_from_the_bottom_inside_the_plot(
    team, known_month
) -> None:
    today = team_chart(team).days[-1]
    assert [s.outcome for s in today.segments] == ["success", "failure"]
    success, failure = today.segments
    assert float(success.y) + float(success.height) == PLOT_HEIGHT
    assert float(failure.y) + float(failure.height) == pytest.approx(float(success.y))
    assert float(success.height) == pytest.approx(2 * float(failure.height))
    assert all(float(s.y) >= 0 for d in team_chart(team).days for s in d.segments)


def test_the_chart_counts_only_what_the_filter_lets_through(team, known_month) -> None:
    assert by_day(team_chart(team, outcome="denied")) == {TODAY - timedelta(days=1): (0, 0, 3)}
    assert by_day(team_chart(team, action="llm.edit")) == {TODAY: (0, 1, 0)}
    assert by_day(team_chart(team, action="llm.*", since=TODAY)) == {TODAY: (2, 1, 0)}


def test_a_filter_ending_earlier_moves_the_window_to_its_end(team, known_month) -> None:
    chart = team_chart(team, until=known_month)
    assert chart.last == known_month
    assert by_day(chart) == {
        known_month - timedelta(days=1): (1, 0, 0),
        known_month: (1, 0, 0),
    }


def test_one_denial_among_many_successes_still_shows(team) -> None:
    events_at(at(TODAY), count=400, team=team)
    events_at(at(TODAY), outcome=Outcome.DENIED, team=team)
    denied = team_chart(team).days[-1].segments[-1]
    assert denied.outcome == "denied" and float(denied.height) >= 1.5


def test_an_empty_window_says_so(team) -> None:
    chart = team_chart(team)
    assert not by_day(chart)
    assert chart.summary.endswith("no events match these filters.")


def test_the_charts_markup_does_not_grow_with_the_log(client, team) -> None:
    now = datetime.now(UTC)
    for days_ago in range(DAYS):
        for outcome in Outcome:
            events_at(now - timedelta(days=days_ago), count=3, outcome=outcome, team=team)
    client.force_login(member("auditor", team, username="aud"))

    html = client.get("/audit/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    # One path per outcome draws every day's segment of it, in whole units; one column per
    # day carries the day's counts as a tooltip.
    paths = re.findall(r'<path class="bar (\w+)" d="([^"]+)"', svg)
    assert [outcome for outcome, _ in paths] == ["success", "failure", "denied"]
    assert all(re.fullmatch(r"(M\d+ \d+h10v\d+h-10z){30}", d) for _, d in paths)
    assert svg.count("<rect ") == svg.count("<title>") == DAYS
    assert f"<title>{now:%Y-%m-%d}: 3 successes, 3 failures, 3 denied</title>" in svg


def test_the_list_page_draws_the_chart_accessibly_and_redraws_it_with_the_filter(
    client, team
) -> None:
    now = datetime.now(UTC)
    events_at(now, count=2, team=team)
    events_at(now, outcome=Outcome.DENIED, team=team)
    client.force_login(member("auditor", team, username="aud"))

    html = client.get("/audit/").content.decode()
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="audit-chart-title audit-chart-desc"' in svg
    assert '<title id="audit-chart-title">Events per day by outcome</title>' in html
    assert "2 successes, 0 failures, 1 denied." in html
    assert '<table class="visually-hidden">' in html
    assert html.count('class="bar denied"') == 1 and html.count('class="bar success"') == 1
    assert "style=" not in html.split('id="audit-results"')[1]

    partial = client.get("/audit/?outcome=success", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert html.lstrip().startswith('<section id="audit-results"')
    assert "2 successes, 0 failures, 0 denied." in html
    assert 'class="bar denied"' not in html
