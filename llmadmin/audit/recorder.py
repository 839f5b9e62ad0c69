"""Writing audit events. Services record one event per attempt of an action, through an
`Attempt` (or `record()` itself)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from llmadmin.core.errors import ActionDenied
from llmadmin.core.proxies import client_ip
from llmadmin.teams.models import Team

from . import chain, refusals
from .models import AuditEvent, Outcome

if TYPE_CHECKING:
    from llmadmin.vectara.errors import VectaraError


@dataclass(frozen=True)
class Origin:
    """Who asked and from where: what an audit event needs to know of the request."""

    actor_id: int | None = None
    actor_username: str = ""
    source_ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    # How the request came: "" for the dashboard's pages, "api" for /v2/ with a personal API
    # key, named by its prefix. Kept in the event's details, which the MAC covers.
    via: str = ""
    key_prefix: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Origin:
        user = request.user
        return cls(
            actor_id=user.pk if user.is_authenticated else None,
            actor_username=user.get_username() if user.is_authenticated else "",
            source_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:512],
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def system(cls, name: str) -> Origin:
        """For management commands and other work no person asked for over HTTP."""
        return cls(actor_username=name)


@dataclass(frozen=True)
class Target:
    type: str
    id: str
    label: str


def record(
    *,
    origin: Origin,
    action: str,
    outcome: Outcome,
    team: Team | None = None,
    target: Target | None = None,
    upstream_status: int | None = None,
    upstream_request_id: str | None = None,
    message: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    A success inside the caller's transaction is part of it and rolls back with it (the
    action didn't happen after all). A failure or refusal commits on its own, so it must be
    recorded outside any transaction of the caller's. An error writing a success inside the
    caller's transaction dooms that transaction: let it propagate out of the atomic block.
    """
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=origin.actor_id,
        actor_username=origin.actor_username[:150],
        source_ip=origin.source_ip,
        user_agent=origin.user_agent[:512],
        request_id=origin.request_id[:64],
        team_id=team.pk if team else None,
        team_slug=team.slug if team else "",
        action=str(action)[:64],
        outcome=outcome,
        target_type=target.type[:32] if target else "",
        target_id=target.id[:64] if target else "",
        target_label=target.label[:255] if target else "",
        upstream_status=upstream_status,
        upstream_request_id=(upstream_request_id or "")[:128],
        message=message,
        # What the MAC covers must be exactly what the JSON column gives back.
        details=json.loads(json.dumps(_details(origin, details), cls=DjangoJSONEncoder)),
    )
    if outcome == Outcome.SUCCESS:
        chain.append(event)  # part of the caller's transaction, if any
    else:
        # Kept whatever becomes of the action: a transaction of its own, which durable=True
        # refuses to nest in the caller's. Services record failures after leaving theirs.
        with transaction.atomic(durable=True):
            chain.append(event)
    refusals.sweep()
    return event


def _details(origin: Origin, details: Mapping[str, Any] | None) -> dict[str, Any]:
    via = {"via": origin.via, "api_key": origin.key_prefix} if origin.via else {}
    return {**dict(details or {}), **via}


def refuse(
    *,
    origin: Origin,
    action: str,
    outcome: Outcome = Outcome.DENIED,
    team: Team | None = None,
    target: Target | None = None,
    message: str,
    details: Mapping[str, Any] | None = None,
    same_as: Sequence[str],
) -> AuditEvent | None:
    """`record()` for a refusal someone may repeat many times a second.

    Refusals with the same action, `same_as` (the reason), actor (or, for anonymous
    clients, address) and team within LLMADMIN_AUDIT_COALESCE_SECONDS are one event plus,
    once the window closes, one summary event with their count (audit/refusals.py). Returns
    the event written, or None when this one was counted in an open tally.
    """
    event: dict[str, Any] = {
        "origin": origin,
        "action": action,
        "outcome": outcome,
        "team": team,
        "target": target,
        "message": message,
        "details": details,
    }
    if refusals.window() <= timedelta(0):
        return record(**event)
    who = f"actor:{origin.actor_id}" if origin.actor_id else f"address:{origin.source_ip}"
    key = refusals.key(action=action, who=who, team_id=team.pk if team else None, same_as=same_as)
    if refusals.bump(key, now=timezone.now()):
        return None
    # A closed tally of this key is summed up before its next first event.
    refusals.flush(tally_key=key)
    written = record(**event)
    refusals.open_tally(key, written)
    return written


@dataclass
class Attempt:
    """One attempt of `action`, which ends in exactly one of `success()`, `failure()` or
    `deny()`: one audit event.

    Call `success()` inside the transaction that makes the change, so the event commits and
    rolls back with it; `failure()` and `deny()` after it, so that they are kept (see
    `record()`). A service may fill in `target`, `team` and `details` as it learns
    them; each call adds its own details to `details`.
    """

    origin: Origin
    action: str
    _: KW_ONLY
    team: Team | None = None
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def success(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        upstream_request_id: str | None = None,
        **more_details: Any,
    ) -> AuditEvent:
        return self._record(
            Outcome.SUCCESS, message, upstream_status, upstream_request_id, more_details
        )

    def failure(
        self,
        message: str,
        *,
        exc: VectaraError | None = None,
        upstream_status: int | None = None,
        upstream_request_id: str | None = None,
        **more_details: Any,
    ) -> AuditEvent:
        """`exc`, when given, supplies Vectara's status and request id."""
        if exc is not None:
            upstream_status, upstream_request_id = exc.status, exc.request_id
        return self._record(
            Outcome.FAILURE, message, upstream_status, upstream_request_id, more_details
        )

    def deny(self, message: str, **more_details: Any) -> ActionDenied:
        """Record the refusal as `access.denied`, the attempted action in its details, like
        every other refusal; return the error to raise. `message` is shown to the person, so
        it says what is missing and what to do. Repeats are coalesced (see `refuse()`)."""
        refuse(
            origin=self.origin,
            action="access.denied",
            team=self.team,
            target=self.target,
            message=message,
            details={"action": str(self.action), **self.details, **more_details},
            same_as=(str(self.action), message),
        )
        return ActionDenied(message)

    def _record(
        self,
        outcome: Outcome,
        message: str,
        upstream_status: int | None,
        upstream_request_id: str | None,
        more_details: Mapping[str, Any],
    ) -> AuditEvent:
        return record(
            origin=self.origin,
            action=self.action,
            outcome=outcome,
            team=self.team,
            target=self.target,
            upstream_status=upstream_status,
            upstream_request_id=upstream_request_id,
            message=message,
            details={**self.details, **more_details},
        )
