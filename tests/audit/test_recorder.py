"""`Attempt`: one audit event per attempt, refusals filed as `access.denied`."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ActionDenied
from llmadmin.teams.models import Team
from llmadmin.vectara.errors import VectaraError

# A failure inside a rolled-back transaction is written on the second connection.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "audit"])

TARGET = Target("llm", "7", "gpt-team")


def attempt(team: Team | None = None) -> Attempt:
    return Attempt(
        Origin.system("test"),
        "llm.edit",
        team=team,
        target=TARGET,
        details={"before": {"model": "a"}},
    )


def test_success_adds_its_details_to_the_attempts(team) -> None:
    attempt(team).success("Updated.", upstream_status=200, after={"model": "b"})
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status, event.message) == (
        "llm.edit",
        "success",
        200,
        "Updated.",
    )
    assert (event.team_slug, event.target_id) == (team.slug, "7")
    assert event.details == {"before": {"model": "a"}, "after": {"model": "b"}}


def test_failure_takes_status_and_request_id_from_the_vectara_error() -> None:
    attempt().failure("Vectara said no.", exc=VectaraError(status=503, request_id="r-1"))
    event = AuditEvent.objects.get()
    assert (event.outcome, event.upstream_status, event.upstream_request_id) == (
        "failure",
        503,
        "r-1",
    )


def test_deny_records_access_denied_with_the_attempted_action(team) -> None:
    error = attempt(team).deny("You need the editor role.", role="viewer")
    assert isinstance(error, ActionDenied) and error.message == "You need the editor role."
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.target_label) == (
        "access.denied",
        "denied",
        "gpt-team",
    )
    assert event.details == {"action": "llm.edit", "before": {"model": "a"}, "role": "viewer"}
