"""What every LLM service shares."""

from __future__ import annotations

from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, needs_sentence

__all__ = ["denied_message", "name_taken"]


def denied_message(action: Action, team: Team | None) -> str:
    return f"{needs_sentence(action, team)} Ask a team admin for access."


def name_taken(name: str) -> str:
    return f"An LLM named {name!r} already exists. Choose another name."
