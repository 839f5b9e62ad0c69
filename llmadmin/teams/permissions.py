"""Temporary: the names the teams services still import, answered by `policy.policy`."""

from __future__ import annotations

from .models import Team
from .policy import SYSTEM, Action, SystemActor, User, policy

__all__ = ["SYSTEM", "Action", "SystemActor", "User", "can", "denied_message", "needs_sentence"]


def can(user: User, action: Action, team: Team | None) -> bool:
    return policy.user_has_permission(user, action, team)


def denied_message(action: Action, team: Team | None) -> str:
    return policy.refusal(action, team)


def needs_sentence(action: Action, team: Team | None = None) -> str:
    return policy.needs(action, team)
