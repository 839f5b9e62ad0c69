"""One test per role and action: `can()`, `teams_for()` and the template flags agree with the
table written out here from the issue, independently of ROLE_ACTIONS."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from llmadmin.teams.context_processors import teams as teams_context
from llmadmin.teams.permissions import SYSTEM, Action, can, roles_allowed, teams_for
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

    assert can(user, action, team) is expected
    # The list filter answers from the same table as the object check.
    assert teams_for(user, action).filter(pk=team.pk).exists() is expected
    # And so do the template flags.
    request = RequestFactory().get("/")
    request.user = user
    request.session = {"current_team_id": team.pk}
    flags = teams_context(request)["perms_in_team"]
    if kind != "outsider":  # an outsider's current team is their own, not `team`
        assert flags[action.name] is expected


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_roles_allowed_matches_the_table(action: Action) -> None:
    assert set(roles_allowed(action)) == {
        role for role in ("viewer", "editor", "admin", "auditor") if action in EXPECTED[role]
    }


@pytest.mark.django_db
def test_unowned_objects_are_for_org_admins_only() -> None:
    assert can(UserFactory(is_superuser=True), Action.LLM_VIEW, None)
    assert not can(member("admin"), Action.LLM_VIEW, None)
    assert can(SYSTEM, Action.TEAM_CREATE, None)


@pytest.mark.django_db
def test_inactive_and_anonymous_people_may_do_nothing() -> None:
    team = TeamFactory()
    inactive = member("admin", team)
    inactive.is_active = False
    inactive.save()
    for user in (inactive, AnonymousUser()):
        assert not any(can(user, action, team) for action in Action)
        assert not teams_for(user, Action.LLM_VIEW).exists()
