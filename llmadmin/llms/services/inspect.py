"""Looking at an LLM in Vectara beside its local record, and what the lifecycle services
share: the built-in refusal and the "missing upstream" mark."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.teams.policy import Action
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.contract import MASK, SECRET_AUTH_FIELDS
from llmadmin.vectara.errors import NotFound, VectaraError
from llmadmin.vectara.types import LLM

from ..models import LLMDefinition, Ownership, UpstreamState

logger = logging.getLogger(__name__)

# A failed read is recorded once per LLM and kind of failure in this many seconds.
VIEW_FAILURE_WINDOW = 5 * 60


def builtin_refusal(llm: LLMDefinition, verb: str) -> str:
    return (
        f"{llm.name} is built into Vectara, so it can't be {verb} here. "
        "Only LLMs registered by your organisation can be changed."
    )


def is_builtin(llm: LLMDefinition) -> bool:
    return llm.ownership == Ownership.PLATFORM


def mark_upstream_state(llm: LLMDefinition, state: str) -> None:
    # One UPDATE of one column: it can't half-apply, and it doesn't bump `version`, because
    # it records what Vectara holds rather than an edit.
    if llm.upstream_state != state:
        LLMDefinition.objects.filter(pk=llm.pk).update(upstream_state=state)
        llm.upstream_state = state


def masked_auth(auth: Mapping[str, Any] | None) -> dict[str, Any]:
    """Vectara masks secrets itself; masking again means a misbehaving upstream still can't
    make the dashboard show one."""
    return {k: (MASK if k in SECRET_AUTH_FIELDS else v) for k, v in (auth or {}).items()}


@dataclass(frozen=True)
class Difference:
    field: str
    local: Any
    upstream: Any


@dataclass(frozen=True)
class UpstreamComparison:
    """What Vectara says about an LLM now. `upstream` is None when it could not be read;
    then `missing` tells a 404 from a failure, and `message` says what happened."""

    upstream: LLM | None = None
    upstream_auth: dict[str, Any] = field(default_factory=dict)
    differences: tuple[Difference, ...] = ()
    missing: bool = False
    message: str = ""


def _differences(llm: LLMDefinition, upstream: LLM) -> tuple[Difference, ...]:
    local_caps, upstream_caps = dict(llm.capabilities or {}), dict(upstream.capabilities or {})
    pairs = {
        "name": (llm.name, upstream.name),
        "type": (llm.type, upstream.type),
        "model": (llm.model, upstream.model),
        "uri": (llm.uri, upstream.uri),
        "enabled": (llm.enabled, upstream.enabled),
        # Built-in LLMs carry no auth at all; neither side has a type to compare.
        "auth type": (llm.auth_type or None, upstream.auth_type),
        "headers": (dict(llm.headers or {}), dict(upstream.headers or {})),
        "description": (llm.description, upstream.description),
        # Vectara infers what it was not told: only what the dashboard set can disagree.
        "capabilities": (local_caps, {k: upstream_caps.get(k) for k in local_caps}),
        "idle time-out": (llm.idle_timeout_seconds, upstream.idle_timeout_seconds),
    }
    return tuple(Difference(name, a, b) for name, (a, b) in pairs.items() if a != b)


def _first_failure_in_window(llm: LLMDefinition, exc: VectaraError) -> bool:
    """True for the first read of this LLM that fails this way in VIEW_FAILURE_WINDOW.

    `cache.add` writes only a missing key and says whether it did, atomically in a shared
    cache (Redis), so two workers failing at the same moment don't both record; with the
    default local-memory cache each worker records its own. With the cache down, record:
    an event too many beats a detail page that fails."""
    key = f"llmadmin:llm-view-failure:{llm.pk}:{type(exc).__name__}:{exc.status}"
    try:
        return bool(cache.add(key, 1, timeout=VIEW_FAILURE_WINDOW))
    except Exception:
        logger.warning("The cache failed; recording this llm.view failure anyway", exc_info=True)
        return True


def llm_inspect(
    *,
    origin: Origin,
    llm: LLMDefinition,
    client: VectaraClient | None = None,
) -> UpstreamComparison:
    """GET the LLM from Vectara and compare it field by field with the local record.

    Never raises for an upstream failure: the detail page must still show the local record,
    and the failure message, on every view. A 404 marks the record missing upstream; a later
    successful read marks it present again.

    Reads that succeed are not audited. A failing one is worth one `llm.view` event, but not
    one per page view: during an outage every view fails, and the auditor's list would fill
    with the same failure. So one event per LLM and kind of failure (error class and status)
    per VIEW_FAILURE_WINDOW.
    """
    client = client or get_client()
    attempt = Attempt(
        origin, Action.LLM_VIEW, team=llm.team, target=Target("llm", str(llm.pk), llm.name)
    )
    try:
        upstream = client.get_llm(llm.vectara_id)
    except VectaraError as exc:
        if isinstance(exc, NotFound):
            mark_upstream_state(llm, UpstreamState.MISSING)
            message = (
                f"Vectara has no LLM {llm.name} any more (404): it was deleted outside the "
                "dashboard. It is now marked as missing upstream."
            )
        else:
            message = (
                f"{exc.user_message('read the LLM from Vectara')} "
                "The dashboard's own record is shown below and may be out of date."
            )
        if _first_failure_in_window(llm, exc):
            attempt.failure(message, exc=exc)
        return UpstreamComparison(missing=isinstance(exc, NotFound), message=message)
    mark_upstream_state(llm, UpstreamState.PRESENT)
    return UpstreamComparison(
        upstream=upstream,
        upstream_auth=masked_auth(upstream.auth),
        differences=_differences(llm, upstream),
    )
