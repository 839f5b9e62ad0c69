"""Events of failed or denied actions outlive the caller's transaction; successes don't."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.verify import verify_chain
from tests.audit.factories import event

# The independent write needs a real commit and the second connection ("audit").
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "audit"])


class Boom(Exception):
    pass


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's one writer is the caller's transaction from BEGIN IMMEDIATE on",
)
def test_a_failure_recorded_inside_a_rolled_back_transaction_is_kept() -> None:
    with pytest.raises(Boom), transaction.atomic():
        event(action="llm.create", outcome=Outcome.FAILURE, message="Vectara said no.")
        raise Boom
    kept = AuditEvent.objects.get()
    assert kept.message == "Vectara said no."
    assert verify_chain().intact


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's reader locks block the second connection (see recorder.py)",
)
def test_a_refusal_is_kept_even_after_the_transaction_read_the_database(team) -> None:
    with pytest.raises(Boom), transaction.atomic():
        list(AuditEvent.objects.all())  # the caller's transaction holds a read snapshot
        event(action="access.denied", outcome=Outcome.DENIED, team=team)
        raise Boom
    assert AuditEvent.objects.get().outcome == Outcome.DENIED


def test_a_success_inside_a_rolled_back_transaction_is_not_kept() -> None:
    with pytest.raises(Boom), transaction.atomic():
        event(outcome=Outcome.SUCCESS)
        raise Boom
    assert not AuditEvent.objects.exists()
    event()
    assert verify_chain().intact


def test_a_failure_after_a_success_in_the_same_transaction_does_not_hang() -> None:
    # The transaction already holds the chain's lock; a second connection would wait for it
    # forever, so the failure goes in the same transaction (and shares its fate).
    with transaction.atomic():
        event(outcome=Outcome.SUCCESS, message="first")
        event(outcome=Outcome.FAILURE, message="second")
    assert list(AuditEvent.objects.order_by("id").values_list("message", flat=True)) == [
        "first",
        "second",
    ]
    assert verify_chain().intact


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single writer")
def test_on_sqlite_a_failure_after_the_transaction_wrote_is_still_recorded(team) -> None:
    # SQLite has one writer and this transaction is it: the event can't be independent, but
    # it is not lost while the transaction commits.
    from tests.teams.factories import TeamFactory

    with transaction.atomic():
        TeamFactory(slug="written-first")
        event(outcome=Outcome.FAILURE, message="after a write")
    assert AuditEvent.objects.get().message == "after a write"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement append")
def test_a_failure_after_a_one_statement_append_in_the_same_transaction_does_not_hang() -> None:
    from llmadmin.audit import chain

    event(message="the head exists, so the next append takes the one-statement path")
    with transaction.atomic():
        event(outcome=Outcome.SUCCESS, message="first")
        # Known, so the failure goes into this transaction instead of waiting for it.
        assert chain.holds_lock(connection)
        event(outcome=Outcome.FAILURE, message="second")
    messages = AuditEvent.objects.order_by("id").values_list("message", flat=True)
    assert list(messages)[1:] == ["first", "second"]
    assert verify_chain().intact
