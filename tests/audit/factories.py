from __future__ import annotations

from datetime import datetime
from typing import Any

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.recorder import Origin, Target, record
from llmadmin.teams.models import Team


def event(
    *,
    action: str = "llm.create",
    outcome: Outcome = Outcome.SUCCESS,
    team: Team | None = None,
    actor: str = "erin",
    target: Target | None = None,
    message: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event written the way the application writes one: through record(), chained."""
    return record(
        origin=Origin(actor_id=None, actor_username=actor, source_ip="198.51.100.7"),
        action=action,
        outcome=outcome,
        team=team,
        target=target,
        message=message,
        details=details,
    )


def events_at(
    when: datetime,
    *,
    count: int = 1,
    outcome: Outcome = Outcome.SUCCESS,
    team: Team | None = None,
    action: str = "llm.create",
) -> list[AuditEvent]:
    """`count` events at a chosen time, inserted in bulk and unsealed: for what reads the log
    (lists, charts, exports), not for the chain, which record() must write."""
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            occurred_at=when,
            actor_username="erin",
            team_id=team.pk if team else None,
            team_slug=team.slug if team else "",
            action=action,
            outcome=outcome,
        )
        for _ in range(count)
    )
