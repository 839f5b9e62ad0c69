"""Writing audit events. Services call `record()` once per attempt of an action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from llmadmin.teams.models import Team

from .models import AuditEvent, Outcome


@dataclass(frozen=True)
class Origin:
    """Who asked and from where: what an audit event needs to know of the request."""

    actor_id: int | None = None
    actor_username: str = ""
    source_ip: str | None = None
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Origin:
        user = request.user
        return cls(
            actor_id=user.pk if user.is_authenticated else None,
            actor_username=user.get_username() if user.is_authenticated else "",
            # Proxies are not trusted yet: the peer address is the only one we know is real.
            source_ip=request.META.get("REMOTE_ADDR") or None,
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
    """Append one event. Call it outside any transaction that may roll back when the event
    reports a failure, so the failure is kept."""
    return AuditEvent.objects.create(
        actor_id=origin.actor_id,
        actor_username=origin.actor_username,
        source_ip=origin.source_ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
        team_id=team.pk if team else None,
        team_slug=team.slug if team else "",
        action=action,
        outcome=outcome,
        target_type=target.type if target else "",
        target_id=target.id if target else "",
        target_label=target.label[:255] if target else "",
        upstream_status=upstream_status,
        upstream_request_id=upstream_request_id or "",
        message=message,
        details=dict(details or {}),
    )
