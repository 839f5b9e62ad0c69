from __future__ import annotations

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
