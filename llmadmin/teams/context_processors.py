from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .permissions import Action, allowed
from .selectors import team_choices_for_request, team_current_choice


def teams(request: HttpRequest) -> dict[str, Any]:
    """The current team, the person's teams for the switcher, and `perms_in_team`: which
    actions their role allows in the current team (`perms_in_team.LLM_CREATE`), decided by
    the same rule as `can()`. One query per request, shared with the view decorator."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = team_current_choice(request)
    role = current.role if current else None
    return {
        "current_team": current.team if current else None,
        "current_role": role,
        "my_teams": [choice.team for choice in team_choices_for_request(request)],
        "perms_in_team": {action.name: allowed(user, action, role=role) for action in Action},
    }
