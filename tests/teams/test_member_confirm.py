"""Issue 17, point 4 without JavaScript: admin grants and removals ask first; undo is offered."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Membership
from tests.teams.factories import member

MEMBERS = "/teams/platform/members/"


@pytest.fixture
def admin_client(client, team):
    client.force_login(member("admin", team, username="ada"))
    return client


def test_granting_admin_shows_the_question_and_changes_nothing(admin_client, team) -> None:
    row = Membership.objects.get(user=member("viewer", team, username="bo"))
    response = admin_client.post(f"{MEMBERS}{row.pk}/role/", {"role": "admin"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Make bo an admin of Platform?" in html and "Yes, make bo admin" in html
    row.refresh_from_db()
    assert row.role == "viewer" and not AuditEvent.objects.exists()


def test_removing_shows_the_question_then_offers_undo(admin_client, team) -> None:
    row = Membership.objects.get(user=member("editor", team, username="bo"))
    html = admin_client.post(f"{MEMBERS}{row.pk}/remove/").content.decode()
    assert "Remove bo from Platform?" in html
    assert Membership.objects.filter(pk=row.pk).exists()

    page = admin_client.post(f"{MEMBERS}{row.pk}/remove/", {"confirm": "1"}, follow=True)
    assert "Undo: add bo back as editor" in page.content.decode()
    admin_client.post(MEMBERS, {"username": "bo", "role": "editor"})
    assert Membership.objects.get(user__username="bo").role == "editor"
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "membership.remove",
        "membership.add",
    ]


def test_a_role_change_without_javascript_offers_undo_once(admin_client, team) -> None:
    row = Membership.objects.get(user=member("viewer", team, username="bo"))
    page = admin_client.post(f"{MEMBERS}{row.pk}/role/", {"role": "editor"}, follow=True)
    assert "Undo: make bo viewer again" in page.content.decode()
    assert "Undo: make bo" not in admin_client.get(MEMBERS).content.decode()
