"""Deleting an LLM: Vectara first, then the local record, one audit event."""

from __future__ import annotations

import logging

from django.db import transaction

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.policy import Action, Actor, policy
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import NotFound, VectaraError

from ..models import LLMDefinition, UpstreamState
from .common import failed_after_upstream
from .inspect import builtin_refusal, is_builtin, mark_upstream_state

logger = logging.getLogger(__name__)


def llm_delete(
    *,
    actor: Actor,
    origin: Origin,
    llm: LLMDefinition,
    client: VectaraClient | None = None,
) -> str:
    """DELETE the LLM in Vectara, then its local record; returns the sentence to show.

    A 404 from Vectara means it is already gone there, so the local record goes too. Any
    other failure leaves the local record, and so does a failure here after Vectara deleted
    it (then marked missing upstream). One `llm.delete` event per call; its target keeps
    the name, so the LLM's history still reads well after the row is gone.
    """
    team = llm.team
    attempt = Attempt(
        origin,
        Action.LLM_DELETE,
        team=team,
        target=Target("llm", str(llm.pk), llm.name),
        details={"vectara_id": llm.vectara_id},
    )
    # Said first, to everyone: no role could change a built-in LLM.
    if is_builtin(llm):
        raise attempt.deny(builtin_refusal(llm, "deleted"))
    if not policy.user_has_permission(actor, Action.LLM_DELETE, team):
        raise attempt.deny(policy.refusal(Action.LLM_DELETE, team))

    client = client or get_client()
    message = f"{llm.name} is deleted from Vectara and from this dashboard."
    try:
        status = client.delete_llm(llm.vectara_id)
    except NotFound:
        status = 404
        message = (
            f"{llm.name} was already gone from Vectara, so only the dashboard's record of it "
            "was deleted."
        )
    except VectaraError as exc:
        message = f"{exc.user_message(f'delete the LLM {llm.name}')} It is still listed here."
        attempt.failure(message, exc=exc)
        raise ApplicationError(message) from None

    try:
        with transaction.atomic():
            # filter().delete(), not llm.delete(): a second click racing this one finds nothing
            # to delete instead of failing.
            LLMDefinition.objects.filter(pk=llm.pk).delete()
            attempt.success(message, upstream_status=status)
    except Exception as exc:
        # A delete can't be undone in Vectara: keep the record, and say that it is gone there.
        try:
            mark_upstream_state(llm, UpstreamState.MISSING)
        except Exception:
            logger.exception("Marking %s missing upstream failed", llm.vectara_id)
        raise failed_after_upstream(
            attempt,
            exc,
            happened=(
                f"Vectara deleted {llm.name}, but the dashboard could not remove its own record "
                "of it. A delete can't be undone: the record stays here, marked as missing "
                "upstream; delete it again to remove it."
            ),
            upstream_status=status,
        ) from None
    return message
