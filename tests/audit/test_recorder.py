"""`Attempt`: one audit event per attempt, refusals filed as `access.denied`."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from llmadmin.audit.models import AuditEvent, RefusalTally
from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.audit.refusals import flush
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


def test_a_refusal_inside_a_transaction_that_rolls_back_is_still_counted(team) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's one writer is the caller's transaction (see recorder.py)")
    attempt(team).deny("You need the editor role.")
    with pytest.raises(ActionDenied), transaction.atomic():
        raise attempt(team).deny("You need the editor role.")
    assert RefusalTally.objects.get().count == 1
    assert flush(open_too=True) == 1
    assert AuditEvent.objects.order_by("id").last().details["repeated"] == 1
