"""One test per role and action: the policy's answers for a team, for the team list and for
the templates agree with the table written out here from the issue, independently of
ROLE_ACTIONS."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from llmadmin.llms.models import LLMDefinition, Ownership
from llmadmin.teams.context_processors import teams as teams_context
from llmadmin.teams.policy import SYSTEM, Access, Action, policy
from tests.teams.factories import TeamFactory, UserFactory, member

A = Action
EXPECTED: dict[str, set[Action]] = {
    "viewer": {A.LLM_VIEW},
    "editor": {A.LLM_VIEW, A.LLM_CREATE, A.LLM_TEST, A.LLM_EDIT, A.LLM_TOGGLE, A.LLM_SYNC},
    "admin": {
        A.LLM_VIEW,
        A.LLM_CREATE,
        A.LLM_TEST,
        A.LLM_EDIT,
        A.LLM_TOGGLE,
        A.LLM_SYNC,
        A.LLM_DELETE,
        A.MEMBERS_MANAGE,
        A.AUDIT_VIEW,
        A.AUDIT_EXPORT,
    },
    "auditor": {A.LLM_VIEW, A.AUDIT_VIEW, A.AUDIT_EXPORT},
    "outsider": set(),
    "superuser": set(Action),
}


def person(kind: str, team):
    if kind == "outsider":
        return member("admin")  # an admin, but of another team
    if kind == "superuser":
        return UserFactory(is_superuser=True)
    return member(kind, team)


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action), ids=str)
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_role_action_table(kind: str, action: Action) -> None:
    team = TeamFactory()
    user = person(kind, team)
    expected = action in EXPECTED[kind]

    assert policy.user_has_permission(user, action, team) is expected
    # The team list answers from the same table as the check.
    assert (team in policy.teams_user_has_permission_for(user, action)) is expected
    # And so do the template flags.
    request = RequestFactory().get("/")
    request.access = Access(user, chosen_team_id=team.pk)
    flags = teams_context(request)["perms_in_team"]
    if kind != "outsider":  # an outsider's current team is their own, not `team`
        assert flags[action.name] is expected


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_roles_allowed_matches_the_table(action: Action) -> None:
    assert set(policy.roles_allowed(action)) == {
        role for role in ("viewer", "editor", "admin", "auditor") if action in EXPECTED[role]
    }


@pytest.mark.django_db
def test_unowned_objects_are_for_org_admins_only() -> None:
    assert policy.user_has_permission(UserFactory(is_superuser=True), Action.LLM_VIEW, None)
    assert not policy.user_has_permission(member("admin"), Action.LLM_VIEW, None)
    assert policy.user_has_permission(SYSTEM, Action.TEAM_CREATE, None)


@pytest.mark.django_db
def test_inactive_and_anonymous_people_may_do_nothing() -> None:
    team = TeamFactory()
    inactive = member("admin", team)
    inactive.is_active = False
    inactive.save()
    for user in (inactive, AnonymousUser()):
        assert not any(policy.user_has_permission(user, a, team) for a in Action)
        assert policy.teams_user_has_permission_for(user, Action.LLM_VIEW) == []
        assert not policy.instances_user_has_permission_for(user, Action.LLM_VIEW).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_llms_built_into_vectara_are_seen_by_everyone_and_changed_by_no_one(kind) -> None:
    team = TeamFactory()
    user = person(kind, team)
    builtin = LLMDefinition.objects.create(
        vectara_id="builtin-1", name="mockingbird", type="openai-compatible",
        ownership=Ownership.PLATFORM,
    )  # fmt: skip
    ours = LLMDefinition.objects.create(
        vectara_id="ours-1", name="ours", type="anthropic", team=team
    )
    visible = set(policy.instances_user_has_permission_for(user, Action.LLM_VIEW))
    assert visible == ({builtin, ours} if A.LLM_VIEW in EXPECTED[kind] else {builtin})
    for action in Action:
        assert policy.user_has_permission_for_instance(user, action, builtin) is (
            action == A.LLM_VIEW
        )
        assert policy.user_has_permission_for_instance(user, action, ours) is (
            action in EXPECTED[kind]
        )


@pytest.mark.django_db
def test_a_person_is_read_once_however_often_the_policy_is_asked(
    django_assert_num_queries,
) -> None:
    team = TeamFactory()
    access = Access(member("editor", team), chosen_team_id=team.pk)
    with django_assert_num_queries(1):
        assert access.team == team
        for action in Action:
            policy.user_has_permission(access, action, team)
        policy.permissions_in(access, team)
