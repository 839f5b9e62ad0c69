"""Handing an unowned LLM (one created outside the dashboard) to a team."""

from __future__ import annotations

from django.db import transaction

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, User, can, needs_sentence

from ..models import LLMDefinition, Ownership
from .common import ActionDenied


def llm_assign(*, actor: User, origin: Origin, llm: LLMDefinition, team: Team) -> LLMDefinition:
    """Give an unowned customer LLM to `team`. Org admins only; nothing changes in Vectara,
    which has no notion of teams. One `llm.assign` event per call."""
    target = Target("llm", str(llm.pk), llm.name)

    def fail(message: str, outcome: Outcome = Outcome.FAILURE) -> None:
        record(
            origin=origin,
            action=Action.LLM_ASSIGN,
            outcome=outcome,
            team=team,
            target=target,
            message=message,
            details={"team": team.slug},
        )

    if not can(actor, Action.LLM_ASSIGN, None):
        message = f"{needs_sentence(Action.LLM_ASSIGN)} Ask an org admin to assign it."
        fail(message, Outcome.DENIED)
        raise ActionDenied(message)
    if llm.ownership == Ownership.PLATFORM:
        message = (
            f"{llm.name} is built into Vectara and is shared by every team; it can't be assigned."
        )
        fail(message)
        raise ApplicationError(message)

    with transaction.atomic():
        # Only while still unowned: two admins assigning at once can't both win.
        changed = LLMDefinition.objects.filter(pk=llm.pk, team__isnull=True).update(team=team)
        if changed:
            record(
                origin=origin,
                action=Action.LLM_ASSIGN,
                outcome=Outcome.SUCCESS,
                team=team,
                target=target,
                message=f"{llm.name} now belongs to the team {team.name}.",
                details={"team": team.slug},
            )
    if not changed:
        message = f"{llm.name} already belongs to a team, so it was left as it is."
        fail(message)
        raise ApplicationError(message)
    llm.refresh_from_db()
    return llm
