"""Issue 17, point 10: first steps for someone in no team, a new team, and the audit back link."""

from __future__ import annotations

from llmadmin.audit.models import AuditEvent
from tests.teams.factories import PASSWORD, UserFactory, member


def test_someone_in_no_team_lands_on_teams_with_an_explanation(client, db) -> None:
    UserFactory(username="newbie")
    response = client.post(
        "/accounts/login/", {"username": "newbie", "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/teams/"
    assert "You are not in any team yet" in html and "<strong>newbie</strong>" in html
    assert client.get("/").url == "/teams/"
    refused = client.get("/llms/").content.decode()
    assert 'href="/teams/">See your teams' in refused and "Back to the LLMs" not in refused


def test_a_new_team_is_offered_a_first_sync(client, team) -> None:
    client.force_login(member("admin", team, username="ada"))
    html = client.get("/llms/").content.decode()
    assert '<a href="/llms/sync/">Run a first sync</a>' in html


def test_the_audit_event_page_links_back_to_the_filtered_list(client, team) -> None:
    client.force_login(member("admin", team, username="ada"))
    client.post(f"/teams/{team.slug}/members/999999/remove/", {"confirm": "1"})
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    listing = client.get(f"/audit/?actor={event.actor_username}").content.decode()
    assert f'href="/audit/{event.pk}/?actor={event.actor_username}"' in listing
    detail = client.get(f"/audit/{event.pk}/?actor=ada").content.decode()
    assert 'href="/audit/?actor=ada">Audit log' in detail
