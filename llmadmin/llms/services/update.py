"""Editing an LLM: a PATCH of the changed fields only, guarded against lost updates."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.policy import Action, Actor, policy
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import BadRequest, VectaraError
from llmadmin.vectara.types import LLM

from ..models import LLMDefinition, Ownership
from ..spec import REDACTED, LLMChanges, auth_fingerprint, public_auth
from .common import failed_after_upstream

logger = logging.getLogger(__name__)

ACTION = "update the LLM"
STALE = (
    "Someone else changed this LLM since you opened the form; reload to see their change, "
    "then make yours again."
)
PLATFORM = (
    "This LLM is built into Vectara, which does not let anyone change it. Register your own "
    "LLM instead."
)
GONE = "This LLM was deleted meanwhile, so there is nothing to update. Go back to the list."
# Fields Vectara answers with, taken from its answer after a PATCH.
_ANSWERED = (
    "type", "description", "model", "uri", "headers", "capabilities", "enabled",
    "idle_timeout_seconds",
)  # fmt: skip


class StaleEdit(ApplicationError):
    """The form was based on an older version of the LLM than the one stored now."""


@sensitive_variables()  # the PATCH body may carry a new secret
def llm_update(
    *,
    actor: Actor,
    origin: Origin,
    llm: LLMDefinition,
    changes: LLMChanges,
    version: int,
    client: VectaraClient | None = None,
) -> LLMDefinition:
    """PATCH `changes` to Vectara, then update the local record from its answer.

    `version` is the one the person's form started from: the row is locked while Vectara is
    asked, and if it moved on meanwhile nothing is sent and `StaleEdit` is raised, so a
    concurrent edit is refused rather than silently overwritten. An empty `changes` sends
    nothing and records nothing. Otherwise exactly one `llm.edit` audit event is written,
    with the changed fields before and after (secrets as "[redacted]").
    """
    after = changes.audit_after()
    attempt = Attempt(
        origin,
        Action.LLM_EDIT,
        team=llm.team,
        target=Target("llm", str(llm.pk), llm.name),
        details={"before": _before(llm, changes), "after": after},
    )
    if not policy.user_has_permission(actor, Action.LLM_EDIT, llm.team):
        raise attempt.deny(policy.refusal(Action.LLM_EDIT, llm.team))
    if llm.ownership == Ownership.PLATFORM:
        raise attempt.deny(PLATFORM)
    if not changes:
        return llm

    client = client or get_client()
    body = changes.patch_body()
    changed = ", ".join(sorted(after))
    answer: LLM | None = None
    undo: dict[str, Any] = {}
    sent = False
    try:
        # The row stays locked while Vectara answers: a second editor waits here and then
        # finds the version moved on, instead of both PATCHes reaching Vectara.
        with transaction.atomic():
            locked = LLMDefinition.objects.select_for_update().filter(pk=llm.pk).first()
            if locked is None:
                raise ApplicationError(GONE)
            if locked.version != version:
                raise StaleEdit(STALE)
            undo = _undo_body(locked, changes)
            sent = True
            answer = client.update_llm(locked.vectara_id, body)
            _apply(locked, answer, changes)
            attempt.team = locked.team  # filed under the team that owns it now
            attempt.success(f"Updated {locked.name} in Vectara: {changed}.", upstream_status=200)
            llm.refresh_from_db()
    except VectaraError as exc:
        message = exc.user_message(ACTION)
        attempt.failure(message, exc=exc)
        field_errors = dict(exc.field_errors) if isinstance(exc, BadRequest) else {}
        raise ApplicationError(message, field_errors=field_errors) from None
    except ApplicationError as exc:
        attempt.failure(exc.message)
        raise
    except Exception as exc:
        if sent and answer is None:  # the client itself failed: a bug, not a state to describe
            raise
        if answer is None:  # nothing reached Vectara: the database failed first
            logger.exception("Reading %s to update it failed", llm.vectara_id)
            attempt.failure(NOT_SENT)
            raise ApplicationError(NOT_SENT) from None
        attempt.team = llm.team
        # A secret is never stored here, so a replaced auth can't be put back; then the whole
        # change stays in Vectara, as the person asked for it, rather than half of it.
        kept = "" if changes.auth is None else OLD_AUTH_GONE
        raise failed_after_upstream(
            attempt,
            exc,
            happened="Vectara saved your change but the dashboard could not record it.",
            upstream_status=200,
            undo=None if kept else lambda: client.update_llm(llm.vectara_id, undo),
            undone=CHANGED_BACK,
            not_undone=(
                f"Vectara keeps the new {changed}{kept}, while this page shows the old values: "
                "make the change again, or run a sync."
            ),
        ) from None
    return llm


NOT_SENT = (
    "The dashboard's database failed before the change was sent, so nothing changed. Try "
    "again in a minute; if it keeps failing, ask an operator to look at the dashboard's log."
)
CHANGED_BACK = (
    "So it was changed back in Vectara. Try again in a minute; if it keeps failing, ask an "
    "operator to look at the dashboard's log."
)
OLD_AUTH_GONE = " (the old secret was never stored here, so it can't be put back)"


def _undo_body(llm: LLMDefinition, changes: LLMChanges) -> dict[str, Any]:
    """The PATCH that puts back, from the local record, what `changes` replaces."""
    before = {name: getattr(llm, name) for name in changes.fields if hasattr(llm, name)}
    return {"type": llm.type, **before}


def _before(llm: LLMDefinition, changes: LLMChanges) -> dict[str, Any]:
    before = {name: getattr(llm, name) for name in changes.fields if hasattr(llm, name)}
    if "capabilities" in changes.fields:
        stored = llm.capabilities or {}
        before["capabilities"] = {k: stored.get(k) for k in changes.fields["capabilities"]}
    if changes.auth is not None:
        # The local record never had the secret; say that one was there, not what it was.
        before["auth"] = {"type": llm.auth_type, **(llm.auth_public or {})}
        if changes.auth["type"] == llm.auth_type:
            secret = {k: REDACTED for k in changes.auth if k not in public_auth(changes.auth)}
            before["auth"].update(secret)
    return before


def _apply(llm: LLMDefinition, answer: LLM, changes: LLMChanges) -> None:
    for name in _ANSWERED:
        if name in answer.raw:
            setattr(llm, name, getattr(answer, name))
        elif name in changes.fields:
            setattr(llm, name, changes.fields[name])
    llm.headers = dict(llm.headers or {})
    llm.capabilities = dict(llm.capabilities or {})
    if "test_model_parameters" in changes.fields:  # Vectara never answers with them
        llm.test_model_parameters = dict(changes.fields["test_model_parameters"])
    if changes.auth is not None:
        llm.auth_type = str(changes.auth["type"])
        llm.auth_public = public_auth(changes.auth)
        llm.auth_fingerprint = auth_fingerprint(changes.auth)
    llm.version += 1
    llm.save()
