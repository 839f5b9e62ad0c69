"""Enabling or disabling an LLM: Vectara first, then the local record, one audit event."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.policy import Action, Actor, policy
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import NotFound, VectaraError

from ..models import LLMDefinition, UpstreamState
from .common import failed_after_upstream
from .inspect import builtin_refusal, is_builtin, mark_upstream_state


def llm_set_enabled(
    *,
    actor: Actor,
    origin: Origin,
    llm: LLMDefinition,
    enabled: bool,
    client: VectaraClient | None = None,
) -> LLMDefinition:
    """Send PATCH {"enabled": …} (that field only) and, once Vectara accepted it, store it.

    One `llm.enable` or `llm.disable` event per call. If Vectara refuses or fails, the local
    record is left as it was; a 404 also marks the record missing upstream. If recording the
    change fails after Vectara made it, Vectara is changed back.
    """
    verb = "enable" if enabled else "disable"
    attempt = Attempt(
        origin,
        "llm.enable" if enabled else "llm.disable",
        team=llm.team,
        target=Target("llm", str(llm.pk), llm.name),
        details={"enabled": enabled},
    )
    # Said first, to everyone: no role could change a built-in LLM.
    if is_builtin(llm):
        raise attempt.deny(builtin_refusal(llm, "enabled or disabled"))
    if not policy.user_has_permission(actor, Action.LLM_TOGGLE, llm.team):
        raise attempt.deny(policy.refusal(Action.LLM_TOGGLE, llm.team))

    client = client or get_client()
    try:
        updated = client.update_llm(llm.vectara_id, {"enabled": enabled})
    except VectaraError as exc:
        if isinstance(exc, NotFound):
            mark_upstream_state(llm, UpstreamState.MISSING)
            message = (
                f"Vectara has no LLM {llm.name} any more (404), so it could not {verb} it. "
                "It is now marked as missing upstream; delete it here or run a sync."
            )
        else:
            message = exc.user_message(f"{verb} the LLM {llm.name}")
        attempt.failure(message, exc=exc)
        raise ApplicationError(message) from None

    # A sparse answer may leave `enabled` out: then it is what was asked for.
    now_enabled = updated.enabled if "enabled" in updated.raw else enabled
    state = "enabled" if now_enabled else "disabled"
    was_enabled = llm.enabled
    try:
        with transaction.atomic():
            LLMDefinition.objects.filter(pk=llm.pk).update(
                enabled=now_enabled,
                upstream_state=UpstreamState.PRESENT,
                # An edit form opened before this change must not silently undo it.
                version=F("version") + 1,
            )
            attempt.success(
                f"{llm.name} is now {state} in Vectara.", upstream_status=200, enabled=now_enabled
            )
            llm.refresh_from_db()
    except Exception as exc:
        previous = "enabled" if was_enabled else "disabled"
        raise failed_after_upstream(
            attempt,
            exc,
            happened=f"Vectara {state} {llm.name} but the dashboard could not record it.",
            upstream_status=200,
            undo=lambda: _put_back(client, llm, was_enabled, now_enabled),
            undone=(
                f"So it was {previous} again in Vectara. Try again in a minute; if it keeps "
                "failing, ask an operator to look at the dashboard's log."
            ),
            not_undone=(
                f"It stays {state} in Vectara, while this page shows it {previous}: try again, "
                "or run a sync."
            ),
            enabled=now_enabled,
        ) from None
    return llm


def _put_back(client: VectaraClient, llm: LLMDefinition, was: bool, now: bool) -> None:
    if was != now:  # nothing to put back if it already was that way
        client.update_llm(llm.vectara_id, {"enabled": was})
