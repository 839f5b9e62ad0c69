"""The one permission policy: which role may do which action, in which team.

Every view, service and template flag asks `can()`; list pages ask `teams_for()`. Both
read the same table, so an object check and a list filter can't drift apart.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import Role, Team


class Action(StrEnum):
    LLM_VIEW = "llm.view"
    LLM_CREATE = "llm.create"
    LLM_TEST = "llm.test"
    LLM_EDIT = "llm.edit"
    LLM_TOGGLE = "llm.toggle"
    LLM_DELETE = "llm.delete"
    MEMBERS_MANAGE = "members.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"


_EDIT = {Action.LLM_VIEW, Action.LLM_CREATE, Action.LLM_TEST, Action.LLM_EDIT, Action.LLM_TOGGLE}
_AUDIT = {Action.LLM_VIEW, Action.AUDIT_VIEW, Action.AUDIT_EXPORT}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.LLM_VIEW}),
    Role.EDITOR: frozenset(_EDIT),
    Role.ADMIN: frozenset(_EDIT | _AUDIT | {Action.LLM_DELETE, Action.MEMBERS_MANAGE}),
    Role.AUDITOR: frozenset(_AUDIT),
}

User = AbstractBaseUser | AnonymousUser


def roles_allowed(action: Action) -> list[str]:
    """The roles that may do `action`, for messages such as "needs the editor role"."""
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def teams_for(user: User, action: Action) -> QuerySet[Team]:
    """The teams in which `user` may do `action` (every team for an org admin)."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(
        memberships__user=user, memberships__role__in=roles_allowed(action)
    ).distinct()


def can(user: User, action: Action, team: Team | None) -> bool:
    """May `user` do `action` in `team`? Unowned objects (team None) are for org admins."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if team is None:
        return False
    return teams_for(user, action).filter(pk=team.pk).exists()
