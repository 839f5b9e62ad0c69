from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_script_prefix

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.recorder import Target
from tests.audit.factories import event, events_at
from tests.audit.support import append_only_lifted, raw
from tests.teams.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_team():
    return TeamFactory(name="Research", slug="research")


def login(client, role: str, team, username: str):
    client.force_login(member(role, team, username=username))
    return client


def whole_counts(queries: CaptureQueriesContext) -> list[str]:
    """COUNT queries other than the chart's, which is grouped by day and bounded to 30 days."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "GROUP BY" not in q["sql"].upper()
    ]


def ids(response) -> list[int]:
    return [e.id for e in response.context["page"].events]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_people_without_the_audit_role_are_refused_and_see_no_link(client, team, role) -> None:
    login(client, role, team, "pat")
    assert client.get("/audit/").status_code == 403
    assert 'href="/audit/"' not in client.get("/llms/").content.decode()


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_see_only_their_teams_events_newest_first(
    client, team, other_team, role
) -> None:
    mine = [event(team=team, message=f"mine {n}").pk for n in range(3)]
    event(team=other_team, message="theirs")
    login(client, role, team, "aud")
    response = client.get("/audit/")
    assert response.status_code == 200
    assert ids(response) == mine[::-1]
    assert "theirs" not in response.content.decode()
    assert 'href="/audit/"' in client.get("/llms/").content.decode()


def test_an_org_admin_sees_every_team(client, team, other_team) -> None:
    a, b = event(team=team).pk, event(team=other_team).pk
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = client.get("/audit/")
    assert ids(response)[:2] == [b, a]
    assert ids(client.get(f"/audit/?team={other_team.pk}")) == [b]


def test_filters_narrow_the_list_and_stay_in_the_url(client, team) -> None:
    hit = event(
        team=team,
        actor="mallory",
        action="llm.delete",
        outcome=Outcome.DENIED,
        target=Target("llm", "42", "gpt-prod"),
        message="Vectara refused the key.",
    ).pk
    event(team=team, actor="erin", action="llm.create")
    login(client, "auditor", team, "aud")
    for query in (
        "actor=mallory",
        "action=llm.delete",
        "action=llm.d*",
        "outcome=denied",
        "target=llm:42",
        "target=prod",
        "q=refused",
        "actor=mallory&outcome=denied&q=key",
    ):
        assert ids(client.get(f"/audit/?{query}")) == [hit], query
    assert ids(client.get("/audit/?actor=nobody")) == []
    response = client.get("/audit/?actor=mallory")
    assert 'value="mallory"' in response.content.decode()


def test_the_date_range_is_in_utc_days(client, team) -> None:
    old, new = event(team=team).pk, event(team=team).pk
    with append_only_lifted():
        raw(
            "UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s",
            ["2024-01-31 23:59:59+00:00", old],
        )
        raw(
            "UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s",
            ["2024-02-01 00:00:00+00:00", new],
        )
    login(client, "auditor", team, "aud")
    assert ids(client.get("/audit/?since=2024-02-01")) == [new]
    assert ids(client.get("/audit/?until=2024-01-31")) == [old]
    assert ids(client.get("/audit/?since=not-a-date")) == [new, old]


def test_an_htmx_filter_change_gets_only_the_results(client, team) -> None:
    event(team=team, message="only me")
    login(client, "auditor", team, "aud")
    response = client.get("/audit/?q=only", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="audit-results"')
    assert "only me" in html
    assert "<form" not in html
    assert response["Vary"].count("HX-Request") == 1


def test_the_filter_form_drives_htmx_and_pushes_the_url(client, team) -> None:
    login(client, "auditor", team, "aud")
    html = client.get("/audit/").content.decode()
    assert 'hx-trigger="change, keyup changed delay:300ms"' in html
    assert 'hx-target="#audit-results"' in html
    assert 'hx-push-url="true"' in html


def test_keyset_pages_walk_older_and_newer_without_counting(client, team) -> None:
    all_ids = [event(team=team, outcome=Outcome.FAILURE).pk for _ in range(120)][::-1]
    login(client, "auditor", team, "aud")
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/audit/?outcome=failure")
    assert not whole_counts(queries)
    page = first.context["page"]
    assert ids(first) == all_ids[:50] and page.newer_cursor is None
    html = first.content.decode()
    assert f"before={all_ids[49]}" in html and "outcome=failure" in html

    second = client.get(f"/audit/?outcome=failure&before={page.older_cursor}")
    assert ids(second) == all_ids[50:100]
    third = client.get(f"/audit/?outcome=failure&before={second.context['page'].older_cursor}")
    assert ids(third) == all_ids[100:]
    assert third.context["page"].older_cursor is None

    back = client.get(f"/audit/?outcome=failure&after={third.context['page'].newer_cursor}")
    assert ids(back) == all_ids[50:100]
    assert back.context["page"].newer_cursor == all_ids[50]


def test_the_detail_page_shows_the_event_its_diff_and_its_chain_position(client, team) -> None:
    first = event(team=team)
    written = event(
        team=team,
        action="llm.edit",
        details={
            "before": {"model": "gpt-4o", "enabled": True},
            "after": {"model": "gpt-4.1", "enabled": True},
        },
    )
    login(client, "auditor", team, "aud")
    response = client.get(f"/audit/{written.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    changes = {c.key: c for c in response.context["diff"]}
    assert changes["model"].changed and (changes["model"].before, changes["model"].after) == (
        "gpt-4o",
        "gpt-4.1",
    )
    assert not changes["enabled"].changed
    assert written.mac in html and first.mac in html
    assert "verifies" in html and "intact" in html


def test_the_detail_page_says_when_an_event_was_tampered_with(client, team) -> None:
    written = event(team=team, message="original")
    with append_only_lifted():
        raw("UPDATE audit_auditevent SET message = 'forged' WHERE id = %s", [written.pk])
    login(client, "auditor", team, "aud")
    html = client.get(f"/audit/{written.pk}/").content.decode()
    assert "does not verify" in html


def test_another_teams_event_is_not_found(client, team, other_team) -> None:
    theirs = event(team=other_team)
    login(client, "auditor", team, "aud")
    assert client.get(f"/audit/{theirs.pk}/").status_code == 404
    assert AuditEvent.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("query", ["", "?outcome=success", "?before={middle}", "?after={middle}"])
def test_the_list_costs_the_same_queries_at_10_and_at_1000_events(
    client, team, query, django_assert_num_queries
) -> None:
    login(client, "auditor", team, "aud")
    now = datetime.now(UTC)

    def grow_to(total: int) -> str:
        events_at(now, count=total - AuditEvent.objects.count(), team=team)
        middle = AuditEvent.objects.order_by("id").values_list("id", flat=True)[total // 2]
        return "/audit/" + query.format(middle=middle)

    url = grow_to(10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    url = grow_to(1000)
    cache.clear()  # the chart's counts are kept briefly; count them again
    with django_assert_num_queries(len(small)) as large:
        response = client.get(url)
    assert len(response.context["page"].events) == 50
    assert not whole_counts(small) and not whole_counts(large)


def test_rows_show_what_each_event_holds_and_a_team_column_only_to_an_org_admin(
    client, team
) -> None:
    written = event(
        team=team,
        actor="mallory",
        action="llm.delete",
        outcome=Outcome.DENIED,
        target=Target("llm", "42", "gpt-prod"),
        message="Refused the delete.",
    )
    login(client, "auditor", team, "aud")
    html = client.get("/audit/").content.decode()
    row = re.search(r'class="audit-table">.*?<tbody>\s*(<tr>.*?</tr>)', html, re.S)[1]
    assert row == (
        f'<tr><td><a href="/audit/{written.pk}/"><time>'
        f"{written.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}</time></a></td>"
        "<td>mallory</td>"
        '<td><code>llm.delete</code><br><span class="muted">Refused the delete.</span></td>'
        '<td><span class="badge denied">Denied</span></td>'
        '<td>gpt-prod <span class="muted">llm:42</span></td></tr>'
    )
    client.force_login(UserFactory(username="root", is_superuser=True))
    html = client.get("/audit/").content.decode()
    assert '<th scope="col">Team</th>' in html
    assert f'<span class="muted">llm:42</span></td><td>{team.slug}</td></tr>' in html


def test_the_list_shows_an_event_as_it_is_stored_now(client, team) -> None:
    written = event(team=team, message="original")
    login(client, "auditor", team, "aud")
    assert "original" in client.get("/audit/").content.decode()
    with append_only_lifted():
        raw("UPDATE audit_auditevent SET message = 'forged' WHERE id = %s", [written.pk])
    html = client.get("/audit/").content.decode()
    assert "forged" in html and "original" not in html


def test_the_filter_form_shows_the_values_and_errors_of_its_own_url(client, team) -> None:
    login(client, "auditor", team, "aud")
    for actor in ("mallory", "erin", "mallory"):
        html = client.get(f"/audit/?actor={actor}&since=not-a-date").content.decode()
        assert f'name="actor" value="{actor}"' in html
        assert "Enter a valid date." in html
    assert 'name="actor" value' not in client.get("/audit/").content.decode()


def test_a_page_of_50_events_with_a_busy_month_stays_under_30_kb(client, team) -> None:
    now = datetime.now(UTC)
    for days_ago in range(30):
        for outcome in Outcome:
            events_at(now - timedelta(days=days_ago), count=2, outcome=outcome, team=team)
    for n in range(50):
        event(
            team=team,
            actor=f"member{n:02d}",
            target=Target("llm", str(4000 + n), f"llm-{n:04d}"),
            message=f"member{n:02d} did llm.create on llm-{n:04d} (event {999_900 + n}).",
        )
    login(client, "auditor", team, "aud")
    html = client.get("/audit/").content.decode()
    assert html.count("<tr><td><a href=") == 50
    assert len(html.encode()) < 30_000


def test_remembered_rows_follow_the_script_prefix(client, team) -> None:
    written = event(team=team)
    login(client, "auditor", team, "aud")
    assert f'href="/audit/{written.pk}/"' in client.get("/audit/").content.decode()
    with override_script_prefix("/dash/"):
        assert f'href="/dash/audit/{written.pk}/"' in client.get("/audit/").content.decode()


def test_an_org_admins_team_filter_lists_a_team_created_since_the_last_view(client, team) -> None:
    client.force_login(UserFactory(username="root", is_superuser=True))

    def filters() -> str:
        html = client.get("/audit/").content.decode()
        return re.search(r'<form id="audit-filters".*?</form>', html, flags=re.S)[0]

    assert "Newly made" not in filters()
    TeamFactory(name="Newly made", slug="newly-made")
    assert "Newly made" in filters()
