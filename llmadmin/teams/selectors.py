from __future__ import annotations

from django.http import HttpRequest

from .models import Team
from .permissions import Action, teams_for

SESSION_KEY = "current_team_id"


def team_current(request: HttpRequest) -> Team | None:
    """The team the person is working in: the one chosen in this session, else their first."""
    teams = teams_for(request.user, Action.LLM_VIEW).order_by("name")
    chosen = request.session.get(SESSION_KEY)
    team = teams.filter(pk=chosen).first() if chosen else None
    return team or teams.first()
