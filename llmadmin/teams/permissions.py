"""The one permission policy: which role may do which action, in which team.

Every view, service and template flag asks `can()` (or `allowed()`, its body, when the
person's role is already known); list pages ask `teams_for()`. All of them read the same
table, so an object check, a list filter and a hidden button can't drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet

from .models import Membership, Role, Team


class Action(StrEnum):
    LLM_VIEW = "llm.view"
    LLM_CREATE = "llm.create"
    LLM_TEST = "llm.test"
    LLM_EDIT = "llm.edit"
    LLM_TOGGLE = "llm.toggle"
    LLM_DELETE = "llm.delete"
    # Sync only copies what Vectara holds into the dashboard, so the people who maintain a
    # team's LLMs may run it.
    LLM_SYNC = "llm.sync"
    # In no role: only org admins hand unowned LLMs to a team.
    LLM_ASSIGN = "llm.assign"
    MEMBERS_MANAGE = "members.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    # In no role: only org admins create teams.
    TEAM_CREATE = "team.create"


_EDIT = {
    Action.LLM_VIEW,
    Action.LLM_CREATE,
    Action.LLM_TEST,
    Action.LLM_EDIT,
    Action.LLM_TOGGLE,
    Action.LLM_SYNC,
}
_AUDIT = {Action.LLM_VIEW, Action.AUDIT_VIEW, Action.AUDIT_EXPORT}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.LLM_VIEW}),
    Role.EDITOR: frozenset(_EDIT),
    Role.ADMIN: frozenset(_EDIT | _AUDIT | {Action.LLM_DELETE, Action.MEMBERS_MANAGE}),
    Role.AUDITOR: frozenset(_AUDIT),
}


class SystemActor:
    """The actor of scripted set-up (`manage.py grant_role`): whoever can run manage.py
    already owns the database, so it acts with an org admin's rights."""

    pk = None
    # Literal, so that once `is_superuser` is ruled out the type checker knows this isn't one.
    is_authenticated: Literal[True] = True
    is_active: Literal[True] = True
    is_superuser: Literal[True] = True

    def get_username(self) -> str:
        return "manage.py"


SYSTEM = SystemActor()

User = AuthUser | AnonymousUser | SystemActor


def roles_allowed(action: Action) -> list[str]:
    """The roles that may do `action`, for messages such as "needs the editor role"."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def needs_sentence(action: Action, team: Team | None = None) -> str:
    """Who may do `action`, as a sentence for a refusal."""
    roles = roles_allowed(action)
    if not roles:
        return "Only an org admin can do this."
    where = f"the team {team.name}" if team else "a team"
    return f"This needs the {' or '.join(roles)} role in {where}; you don't have it."


def denied_message(action: Action, team: Team | None) -> str:
    """The whole refusal shown to a person: what is missing and what to do."""
    return f"{needs_sentence(action, team)} Ask a team admin for access."


def allowed(user: User, action: Action, *, role: str | None) -> bool:
    """The decision itself, given `user`'s role in the team (None when not a member)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


def teams_for(user: User, action: Action) -> QuerySet[Team]:
    """The teams in which `user` may do `action` (every team for an org admin)."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(
        memberships__user=user, memberships__role__in=roles_allowed(action)
    ).distinct()


# Set on a request's user object by teams.selectors.team_choices_for_request, which reads
# all their memberships: {team id: role}. That object lives for one request, so this is
# never staler than the request (a role changed during it applies from the next one).
ROLES_READ = "_llmadmin_roles"


def role_in(user: User, team: Team | None) -> str | None:
    """`user`'s role in `team`, or None when they are not a member."""
    if team is None or isinstance(user, SystemActor) or not user.is_authenticated:
        return None
    roles: dict[int, str] | None = getattr(user, ROLES_READ, None)
    if roles is not None:
        return roles.get(team.pk)
    return Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()


def can(user: User, action: Action, team: Team | None) -> bool:
    """May `user` do `action` in `team`? Unowned objects (team None) are for org admins."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return allowed(user, action, role=role_in(user, team))
