"""What every LLM service shares."""

from __future__ import annotations

from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, roles_allowed


class ActionDenied(ApplicationError):
    """The person's role in the team does not allow the action."""


def denied_message(action: Action, team: Team | None) -> str:
    roles = " or ".join(roles_allowed(action))
    where = f"the team {team.name}" if team else "a team"
    return f"You need the {roles} role in {where} to do this. Ask a team admin for access."


def name_taken(name: str) -> str:
    return f"An LLM named {name!r} already exists. Choose another name."
