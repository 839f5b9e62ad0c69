from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from llmadmin.teams.permissions import Action, allowed
from llmadmin.teams.selectors import team_current_choice


def may(request: HttpRequest, action: Action) -> bool:
    """May the person do `action` in their current team? For links and buttons."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    # The same decision team_action_required makes for the current team, so a link never
    # leads to a 403; the team choices are cached on the request (no new query).
    if user.is_superuser:
        return allowed(user, action, role=None)
    choice = team_current_choice(request)
    return choice is not None and allowed(user, action, role=choice.role)


def audit_nav(request: HttpRequest) -> dict[str, object]:
    """`can_view_audit` for the nav: worked out only if a template reads it, at most once."""
    return {"can_view_audit": SimpleLazyObject(lambda: may(request, Action.AUDIT_VIEW))}
