from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .policy import policy


def teams(request: HttpRequest) -> dict[str, Any]:
    """The current team, the person's teams for the switcher, and `perms_in_team`: what the
    policy lets them do in the current team (`perms_in_team.LLM_CREATE`)."""
    access = getattr(request, "access", None)
    if access is None or not access.signed_in:
        return {}
    team = access.team
    return {
        "current_team": team,
        "current_role": access.role_in(team),
        "my_teams": access.teams,
        "perms_in_team": policy.permissions_in(access, team),
    }
