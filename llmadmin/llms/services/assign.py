"""Handing an unowned LLM (one created outside the dashboard) to a team."""

from __future__ import annotations

from django.db import transaction

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action, Actor, policy

from ..models import LLMDefinition, Ownership


def llm_assign(*, actor: Actor, origin: Origin, llm: LLMDefinition, team: Team) -> LLMDefinition:
    """Give an unowned customer LLM to `team`. Org admins only; nothing changes in Vectara,
    which has no notion of teams. One `llm.assign` event per call."""
    attempt = Attempt(
        origin,
        Action.LLM_ASSIGN,
        team=team,
        target=Target("llm", str(llm.pk), llm.name),
        details={"team": team.slug},
    )
    if not policy.user_has_permission(actor, Action.LLM_ASSIGN, None):
        raise attempt.deny(f"{policy.needs(Action.LLM_ASSIGN)} Ask an org admin to assign it.")
    if llm.ownership == Ownership.PLATFORM:
        message = (
            f"{llm.name} is built into Vectara and is shared by every team; it can't be assigned."
        )
        attempt.failure(message)
        raise ApplicationError(message)

    with transaction.atomic():
        # Only while still unowned: two admins assigning at once can't both win.
        changed = LLMDefinition.objects.filter(pk=llm.pk, team__isnull=True).update(team=team)
        if changed:
            attempt.success(f"{llm.name} now belongs to the team {team.name}.")
    if not changed:
        message = f"{llm.name} already belongs to a team, so it was left as it is."
        attempt.failure(message)
        raise ApplicationError(message)
    llm.refresh_from_db()
    return llm
