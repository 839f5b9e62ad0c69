"""`Attempt`: one audit event per attempt, refusals filed as `access.denied`."""

from __future__ import annotations

import pytest
from django.db import transaction

from llmadmin.audit.models import AuditEvent, RefusalTally
from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ActionDenied
from llmadmin.teams.models import Team
from llmadmin.vectara.errors import VectaraError

# Real commits: a failure or refusal is written in a transaction of its own.
pytestmark = pytest.mark.django_db(transaction=True)

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


def test_a_repeated_refusal_is_counted_not_written_again(team) -> None:
    for _ in range(3):
        error = attempt(team).deny("You need the editor role.")
        assert error.message == "You need the editor role."
    assert AuditEvent.objects.count() == 1
    tally = RefusalTally.objects.get()
    assert (tally.count, tally.event_id) == (2, AuditEvent.objects.get().pk)
    # Another reason is another refusal.
    attempt(team).deny("You need the admin role.")
    assert AuditEvent.objects.count() == 2


def test_a_refusal_inside_the_callers_transaction_is_refused_loudly(team) -> None:
    # It would roll back with the action it refuses; services deny before their transaction.
    with pytest.raises(RuntimeError), transaction.atomic():
        attempt(team).deny("You need the editor role.")
    assert not AuditEvent.objects.exists()
