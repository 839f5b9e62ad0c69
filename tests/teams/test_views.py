"""Team pages through Django's test client: 403 with the role needed, 404 for other teams,
switching teams, and the members page (add, change role in place, remove)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.context_processors import teams as teams_context
from llmadmin.teams.models import Membership, Team
from llmadmin.teams.policy import Access
from tests.teams.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db

MEMBERS = "/teams/platform/members/"


def llm(team, name: str) -> LLMDefinition:
    return LLMDefinition.objects.create(
        team=team, vectara_id=f"llm_{name}", name=name, type="openai-compatible", auth_type="bearer"
    )


@pytest.fixture
def admin_client(client, team):
    client.force_login(member("admin", team, username="ada"))
    return client


def role_url(membership: Membership) -> str:
    return f"{MEMBERS}{membership.pk}/role/"


# --- 403 and 404 ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor", "auditor"])
def test_the_members_page_needs_the_admin_role(client, team, role) -> None:
    user = member(role, team)
    client.force_login(user)
    for response in (client.get(MEMBERS), client.post(MEMBERS, {"username": user.username})):
        assert response.status_code == 403
        assert "This needs the admin role in the team Platform" in response.content.decode()
    # The same refusal twice in a row is one event, and its repeat a count (audit/refusals.py).
    call_command("audit_flush_refusals", "--all", stdout=StringIO())
    events = AuditEvent.objects.order_by("id")
    assert [(e.action, e.actor_username, e.team_slug) for e in events] == [
        ("access.denied", user.username, "platform")
    ] * 2
    assert events[0].details["action"] == "members.manage"
    assert events[1].details["repeated"] == 1


def test_another_teams_members_page_is_not_found(admin_client) -> None:
    TeamFactory(slug="other")
    assert admin_client.get("/teams/other/members/").status_code == 404
    assert admin_client.get("/teams/no-such-team/members/").status_code == 404


def test_another_teams_llm_is_not_found(editor_client, team) -> None:
    mine, theirs = llm(team, "mine"), llm(TeamFactory(slug="other"), "theirs")
    assert editor_client.get(f"/llms/{mine.pk}/").status_code == 200
    assert editor_client.get(f"/llms/{theirs.pk}/").status_code == 404


def test_an_unowned_llm_is_for_org_admins_only(client, editor_client) -> None:
    unowned = llm(None, "unowned")
    assert editor_client.get(f"/llms/{unowned.pk}/").status_code == 404
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(f"/llms/{unowned.pk}/").status_code == 200


# --- team list, creation and switching --------------------------------------------------------


def test_the_team_list_links_to_members_only_where_the_role_allows(client, team) -> None:
    user = member("editor", team)
    Membership.objects.create(user=user, team=TeamFactory(name="Lab", slug="lab"), role="admin")
    client.force_login(user)
    html = client.get("/teams/").content.decode()
    assert "/teams/lab/members/" in html and MEMBERS not in html
    assert "Create a team" not in html


def test_an_org_admin_creates_a_team(client, db) -> None:
    client.force_login(UserFactory(is_superuser=True))
    assert "Create a team" in client.get("/teams/").content.decode()
    response = client.post("/teams/new/", {"name": "Research", "slug": ""})
    assert response.status_code == 302 and response["Location"] == "/teams/research/members/"
    assert Team.objects.filter(slug="research").exists()


def test_a_team_admin_may_not_create_a_team(admin_client) -> None:
    response = admin_client.post("/teams/new/", {"name": "Research"})
    assert response.status_code == 403
    assert "Only an org admin can do this" in response.content.decode()
    assert not Team.objects.filter(name="Research").exists()
    assert AuditEvent.objects.get().action == "access.denied"


def test_the_switcher_shows_only_for_people_with_several_teams(client, team) -> None:
    user = member("viewer", team)
    client.force_login(user)
    assert 'name="team"' not in client.get("/llms/").content.decode()
    Membership.objects.create(user=user, team=TeamFactory(name="Lab", slug="lab"), role="viewer")
    assert 'name="team"' in client.get("/llms/").content.decode()


def test_switching_team_shows_only_that_teams_llms(client, team) -> None:
    user = member("viewer", team)
    lab = TeamFactory(name="Lab", slug="lab")
    Membership.objects.create(user=user, team=lab, role="editor")
    llm(team, "platform-llm")
    llm(lab, "lab-llm")
    client.force_login(user)
    # "Lab" sorts before "Platform", so it is the first, default, team.
    html = client.get("/llms/").content.decode()
    assert "lab-llm" in html and "platform-llm" not in html

    response = client.post("/teams/switch/", {"team": team.pk})
    assert response.status_code == 302
    html = client.get("/llms/").content.decode()
    assert "platform-llm" in html and "lab-llm" not in html
    # The role follows the team: a viewer in Platform can't open the create form there.
    assert "Register an LLM" not in html
    assert client.get("/llms/new/").status_code == 403


def test_switching_with_htmx_answers_a_client_redirect(client, team) -> None:
    user = member("viewer", team)
    Membership.objects.create(user=user, team=TeamFactory(slug="lab"), role="viewer")
    client.force_login(user)
    response = client.post("/teams/switch/", {"team": team.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == "/"


@pytest.mark.parametrize("forged", ["other", "999999", "not-a-number"])
def test_switching_to_a_team_one_is_not_in_is_refused(editor_client, team, forged) -> None:
    other = TeamFactory(slug="other")
    wanted = str(other.pk) if forged == "other" else forged
    response = editor_client.post("/teams/switch/", {"team": wanted})
    assert response.status_code == 403
    assert "not a member of that team" in response.content.decode()
    assert "current_team_id" not in editor_client.session
    event = AuditEvent.objects.get()
    assert (event.action, event.details["action"], event.actor_username) == (
        "access.denied",
        "team.switch",
        "erin",
    )


def test_the_context_processor_costs_one_query_shared_with_the_decorator(team) -> None:
    user = member("admin", team)
    Membership.objects.create(user=user, team=TeamFactory(slug="lab"), role="viewer")
    request = RequestFactory().get("/llms/")
    request.access = Access(user, chosen_team_id=team.pk)
    with CaptureQueriesContext(connection) as queries:
        context = teams_context(request)
        assert request.access.team == team  # what the decorator asks: already answered
    assert len(queries) == 1
    assert context["current_team"] == team and len(context["my_teams"]) == 2
    assert context["perms_in_team"]["MEMBERS_MANAGE"] is True


# --- members page ---------------------------------------------------------------------------


def test_the_members_page_lists_members_with_a_role_select_each(admin_client, team) -> None:
    bo = member("viewer", team, username="bo")
    html = admin_client.get(MEMBERS).content.decode()
    row = Membership.objects.get(user=bo)
    assert f'id="member-{row.pk}"' in html and f'hx-post="{role_url(row)}"' in html


def test_adding_a_member_by_username(admin_client, team) -> None:
    UserFactory(username="bo")
    response = admin_client.post(MEMBERS, {"username": "bo", "role": "auditor"}, follow=True)
    assert "bo is now auditor of Platform." in response.content.decode()
    assert Membership.objects.get(user__username="bo").role == "auditor"


def test_adding_an_unknown_user_shows_a_sentence(admin_client) -> None:
    response = admin_client.post(MEMBERS, {"username": "nobody", "role": "viewer"})
    assert response.status_code == 200
    assert "No active account is named &#x27;nobody&#x27;" in response.content.decode()


def test_a_forged_role_on_add_is_refused_with_403(admin_client, team) -> None:
    UserFactory(username="bo")
    response = admin_client.post(MEMBERS, {"username": "bo", "role": "owner"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="bo").exists()
    assert AuditEvent.objects.get().action == "access.denied"


def test_changing_a_role_with_htmx_re_renders_only_that_row(admin_client, team) -> None:
    row = Membership.objects.get(user=member("viewer", team, username="bo"))
    response = admin_client.post(role_url(row), {"role": "editor"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="member-{row.pk}"')
    assert "bo is now editor." in html and "<html" not in html
    assert '<option value="editor" selected>' in html
    row.refresh_from_db()
    assert row.role == "editor"


def test_changing_a_role_without_javascript_redirects_back(admin_client, team) -> None:
    row = Membership.objects.get(user=member("viewer", team, username="bo"))
    response = admin_client.post(role_url(row), {"role": "auditor"})
    assert response.status_code == 302 and response["Location"] == MEMBERS


def test_the_last_admin_demoting_themself_gets_a_sentence_in_the_row(admin_client, team) -> None:
    row = Membership.objects.get(user__username="ada")
    response = admin_client.post(
        role_url(row), {"role": "viewer", "confirm": "1"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "ada is the last admin of Platform, so they can&#x27;t be demoted" in html
    assert '<option value="admin" selected>' in html
    row.refresh_from_db()
    assert row.role == "admin"
    assert AuditEvent.objects.get().outcome == "failure"


def test_the_last_admin_can_not_remove_themself(admin_client, team) -> None:
    row = Membership.objects.get(user__username="ada")
    response = admin_client.post(f"{MEMBERS}{row.pk}/remove/", {"confirm": "1"}, follow=True)
    assert "ada is the last admin of Platform" in response.content.decode()
    assert Membership.objects.filter(pk=row.pk).exists()


def test_removing_a_member(admin_client, team) -> None:
    row = Membership.objects.get(user=member("editor", team, username="bo"))
    response = admin_client.post(f"{MEMBERS}{row.pk}/remove/", {"confirm": "1"}, follow=True)
    assert "bo is removed from Platform." in response.content.decode()
    assert not Membership.objects.filter(pk=row.pk).exists()
    assert AuditEvent.objects.get().action == "membership.remove"


def test_posting_another_teams_member_id_is_not_found(admin_client, team) -> None:
    stranger = Membership.objects.get(user=member("viewer", TeamFactory(slug="other")))
    for url, data in (
        (role_url(stranger), {"role": "admin"}),
        (f"{MEMBERS}{stranger.pk}/remove/", {}),
    ):
        assert admin_client.post(url, data).status_code == 404
    stranger.refresh_from_db()
    assert stranger.role == "viewer"
    assert [e.action for e in AuditEvent.objects.all()] == ["access.denied"] * 2


def test_a_forged_role_on_change_is_refused_with_403(admin_client, team) -> None:
    row = Membership.objects.get(user=member("viewer", team, username="bo"))
    assert admin_client.post(role_url(row), {"role": "root"}).status_code == 403
    row.refresh_from_db()
    assert row.role == "viewer"


def test_an_admin_stepping_down_is_taken_to_the_team_list(admin_client, team) -> None:
    member("admin", team, username="bo")
    row = Membership.objects.get(user__username="ada")
    response = admin_client.post(
        role_url(row), {"role": "editor", "confirm": "1"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == "/teams/"
    assert admin_client.get(MEMBERS).status_code == 403
