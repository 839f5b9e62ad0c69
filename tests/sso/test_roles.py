"""Groups decide the roles: at every sign-in the provider-granted memberships become what
the groups give now, each change one audit event naming the group."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Membership, Role, Source, Team


def alice():
    return get_user_model().objects.get(username="alice@example.com")


def roles(user) -> dict[str, tuple[str, str]]:
    return {m.team.slug: (m.role, m.source) for m in Membership.objects.filter(user=user)}


def sign_in_again(client, sign_in, login: str):
    client.post("/accounts/logout/")
    return sign_in(login)


def test_group_changes_take_effect_at_the_next_sign_in(client, provider, sign_in):
    sign_in("alice")
    provider.set_groups("alice", ["platform-eng", "platform-leads", "data-eng"])
    sign_in_again(client, sign_in, "alice")
    # The strongest role wins in a team; a group of another team adds that team.
    assert roles(alice()) == {
        "platform": (Role.ADMIN, Source.PROVIDER),
        "data": (Role.VIEWER, Source.PROVIDER),
    }
    change = AuditEvent.objects.get(action="membership.role_change")
    assert (change.details["old_role"], change.details["new_role"]) == ("editor", "admin")
    assert change.details["group"] == "platform-leads"
    assert AuditEvent.objects.get(action="membership.add", team_slug="data").details["group"] == (
        "data-eng"
    )

    provider.set_groups("alice", ["data-eng"])
    sign_in_again(client, sign_in, "alice")
    assert roles(alice()) == {"data": (Role.VIEWER, Source.PROVIDER)}
    removal = AuditEvent.objects.get(action="membership.remove")
    assert removal.details["group"] == "platform-leads"
    assert "no longer in the provider group platform-leads" in removal.message
    assert client.get("/llms/").status_code == 200  # now in Data only
    assert client.get("/teams/platform/members/").status_code == 404


def test_an_unchanged_sign_in_writes_no_membership_event(client, provider, sign_in):
    sign_in("alice")
    sign_in_again(client, sign_in, "alice")
    assert AuditEvent.objects.filter(action__startswith="membership.").count() == 1


def test_the_org_admin_group_makes_and_unmakes_an_org_admin(client, provider, sign_in):
    sign_in("bob")
    bob = get_user_model().objects.get(username="bob@example.com")
    assert bob.is_superuser
    grant = AuditEvent.objects.get(action="sso.org_admin_grant")
    assert grant.details["group"] == "llm-admins"
    assert client.get("/sso/mapping/").status_code == 200

    provider.set_groups("bob", [])
    sign_in_again(client, sign_in, "bob")
    bob.refresh_from_db()
    assert not bob.is_superuser
    assert (
        "not in the provider group llm-admins"
        in AuditEvent.objects.get(action="sso.org_admin_revoke").message
    )
    assert client.get("/sso/mapping/").status_code == 403


def test_roles_granted_by_hand_stay_and_are_shown_apart(client, provider, sign_in):
    from tests.teams.factories import member

    sign_in("alice")
    ops = Team.objects.create(name="Ops", slug="ops")
    Membership.objects.create(user=alice(), team=ops, role=Role.VIEWER)  # by hand
    admin = member("admin", Team.objects.get(slug="platform"), username="pat")
    sign_in_again(client, sign_in, "alice")
    assert roles(alice())["ops"] == (Role.VIEWER, Source.HAND)

    client.force_login(admin)
    page = client.get("/teams/platform/members/").content.decode()
    assert "from provider group <code>platform-eng</code>" in page
    assert "Change it at the identity provider" in page
    # A change by hand would be undone at the next sign-in: refused with a sentence.
    membership = Membership.objects.get(user=alice(), team__slug="platform")
    answer = client.post(
        f"/teams/platform/members/{membership.pk}/role/", {"role": "viewer"}, follow=True
    )
    said = " ".join(m.message for m in answer.context["messages"])
    assert "comes from the provider group platform-eng" in said
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR


def test_org_admins_see_the_mapping_read_only(client, provider):
    from tests.teams.factories import UserFactory, member

    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    page = client.get("/sso/mapping/").content.decode()
    assert "<code>platform-leads</code>" in page
    assert "admin of the team <code>platform</code>" in page
    assert "no such team: nothing is granted until an org admin creates it" in page
    assert "<form" not in page.split("<main")[1].split("</main>")[0]
    assert "Acme ID" in page

    client.force_login(member("editor", Team.objects.get(slug="platform"), username="ed"))
    assert client.get("/sso/mapping/").status_code == 403


def test_groups_sent_from_userinfo_only_count_too(client, provider, sign_in):
    provider.set_groups("alice", ["platform-leads"], groups_in_userinfo_only=True)
    sign_in("alice")
    assert roles(alice()) == {"platform": (Role.ADMIN, Source.PROVIDER)}


def test_groups_left_out_past_a_size_limit_are_said_plainly(client, provider, sign_in):
    sign_in("alice")
    provider.set_groups("alice", None, overage=True)
    answer = sign_in_again(client, sign_in, "alice")
    page = client.get(answer["Location"], follow=True)
    said = " ".join(m.message for m in page.context["messages"])
    assert "left your groups out of the sign-in because there are too many" in said
    assert roles(alice()) == {}
    assert AuditEvent.objects.filter(action="sso.groups_missing").count() == 1
