"""Membership and team services: each checks the role itself and writes one audit event."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.teams import services
from llmadmin.teams.models import Membership, Team
from tests.teams.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(team):
    return member("admin", team, username="ada")


def origin(user) -> Origin:
    return Origin(actor_id=user.pk, actor_username=user.username, source_ip="198.51.100.9")


def only_event() -> AuditEvent:
    [event] = AuditEvent.objects.all()
    return event


def role_of(username: str, team) -> str | None:
    return (
        Membership.objects.filter(team=team, user__username=username)
        .values_list("role", flat=True)
        .first()
    )


def test_an_admin_adds_an_existing_user(team, admin) -> None:
    UserFactory(username="bo")
    services.membership_add(
        actor=admin, origin=origin(admin), team=team, username="bo", role="viewer"
    )
    assert role_of("bo", team) == "viewer"
    event = only_event()
    assert (event.action, event.outcome, event.team_slug) == (
        "membership.add",
        "success",
        "platform",
    )
    assert (event.actor_username, event.target_label) == ("ada", "bo")
    assert event.details == {"username": "bo", "old_role": None, "new_role": "viewer"}


@pytest.mark.parametrize(
    ("username", "sentence"),
    [("nobody", "No active account is named 'nobody'"), ("ada", "ada is already a member")],
)
def test_adding_an_unknown_user_or_a_member_fails_with_a_sentence(
    team, admin, username, sentence
) -> None:
    with pytest.raises(ApplicationError, match=sentence):
        services.membership_add(
            actor=admin, origin=origin(admin), team=team, username=username, role="editor"
        )
    event = only_event()
    assert (event.action, event.outcome) == ("membership.add", "failure")
    assert role_of("ada", team) == "admin"


@pytest.mark.parametrize("role", ["viewer", "editor", "auditor"])
def test_other_roles_may_not_manage_members(team, role) -> None:
    actor = member(role, team)
    UserFactory(username="bo")
    with pytest.raises(services.ActionDenied, match="needs the admin role in the team Platform"):
        services.membership_add(
            actor=actor, origin=origin(actor), team=team, username="bo", role="admin"
        )
    assert role_of("bo", team) is None
    event = only_event()
    assert (event.action, event.outcome) == ("access.denied", "denied")
    assert event.details["action"] == "membership.add"
    assert (event.actor_username, event.target_label) == (actor.username, "bo")


def test_an_admin_changes_a_role_and_the_event_keeps_old_and_new(team, admin) -> None:
    bo = member("viewer", team, username="bo")
    membership = Membership.objects.get(user=bo)
    services.membership_change_role(
        actor=admin, origin=origin(admin), team=team, membership_id=membership.pk, role="editor"
    )
    assert role_of("bo", team) == "editor"
    event = only_event()
    assert (event.action, event.outcome) == ("membership.role_change", "success")
    assert (event.details["old_role"], event.details["new_role"]) == ("viewer", "editor")
    assert (event.target_type, event.target_id) == ("membership", str(membership.pk))


def test_the_last_admin_can_not_demote_themself(team, admin) -> None:
    membership = Membership.objects.get(user=admin)
    with pytest.raises(ApplicationError, match="ada is the last admin of Platform") as exc:
        services.membership_change_role(
            actor=admin, origin=origin(admin), team=team, membership_id=membership.pk, role="viewer"
        )
    assert "a team must keep one admin" in exc.value.message
    assert role_of("ada", team) == "admin"
    event = only_event()
    assert (event.action, event.outcome) == ("membership.role_change", "failure")
    assert (event.details["old_role"], event.details["new_role"]) == ("admin", "viewer")


def test_the_last_admin_can_not_be_removed_even_by_an_org_admin(team, admin) -> None:
    root = UserFactory(is_superuser=True)
    membership = Membership.objects.get(user=admin)
    with pytest.raises(ApplicationError, match="last admin"):
        services.membership_remove(
            actor=root, origin=origin(root), team=team, membership_id=membership.pk
        )
    assert role_of("ada", team) == "admin"
    assert (only_event().action, only_event().outcome) == ("membership.remove", "failure")


def test_an_admin_may_step_down_when_another_admin_remains(team, admin) -> None:
    member("admin", team, username="bo")
    membership = Membership.objects.get(user=admin)
    services.membership_change_role(
        actor=admin, origin=origin(admin), team=team, membership_id=membership.pk, role="editor"
    )
    assert role_of("ada", team) == "editor"


def test_an_admin_removes_a_member(team, admin) -> None:
    bo = member("auditor", team, username="bo")
    membership = Membership.objects.get(user=bo)
    services.membership_remove(
        actor=admin, origin=origin(admin), team=team, membership_id=membership.pk
    )
    assert role_of("bo", team) is None
    event = only_event()
    assert (event.action, event.outcome) == ("membership.remove", "success")
    assert event.details == {"username": "bo", "old_role": "auditor", "new_role": None}


def test_a_member_of_another_team_is_answered_as_not_a_member(team, admin) -> None:
    # ada is admin of Platform and also of Other; the post names Other's member from
    # Platform's page: refused, even though she could manage Other on its own page.
    other = TeamFactory(slug="other")
    Membership.objects.create(user=admin, team=other, role="admin")
    stranger = Membership.objects.create(user=UserFactory(username="cy"), team=other, role="viewer")
    with pytest.raises(services.MembershipNotFound, match="not a member of Platform"):
        services.membership_change_role(
            actor=admin, origin=origin(admin), team=team, membership_id=stranger.pk, role="admin"
        )
    with pytest.raises(services.MembershipNotFound):
        services.membership_remove(
            actor=admin, origin=origin(admin), team=team, membership_id=stranger.pk
        )
    stranger.refresh_from_db()
    assert stranger.role == "viewer"
    # Refused as forged, filed under no team and naming no other team.
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.outcome, e.team_id) for e in events] == [
        ("access.denied", "denied", None)
    ] * 2
    assert [e.details["action"] for e in events] == ["membership.role_change", "membership.remove"]
    assert all("other" not in str(e.details) + e.message for e in events)


def test_a_role_that_does_not_exist_is_refused_as_forged(team, admin) -> None:
    bo = member("viewer", team, username="bo")
    membership = Membership.objects.get(user=bo)
    with pytest.raises(services.ActionDenied, match="'owner' is not a role"):
        services.membership_change_role(
            actor=admin, origin=origin(admin), team=team, membership_id=membership.pk, role="owner"
        )
    assert role_of("bo", team) == "viewer"
    event = only_event()
    assert (event.action, event.details["role"]) == ("access.denied", "owner")


def test_only_org_admins_create_teams(team, admin) -> None:
    with pytest.raises(services.ActionDenied, match="Only an org admin"):
        services.team_create(actor=admin, origin=origin(admin), name="Research")
    assert not Team.objects.filter(name="Research").exists()
    root = UserFactory(is_superuser=True)
    created = services.team_create(actor=root, origin=origin(root), name="Research Lab")
    assert created.slug == "research-lab"
    with pytest.raises(ApplicationError, match="already exists"):
        services.team_create(actor=root, origin=origin(root), name="research lab")
    assert [(e.action, e.outcome) for e in AuditEvent.objects.order_by("id")] == [
        ("access.denied", "denied"),
        ("team.create", "success"),
        ("team.create", "failure"),
    ]
