"""Events of failed or denied actions outlive the action's transaction; successes don't.
(Concurrent writers: tests/audit/test_chain.py.)"""

from __future__ import annotations

import pytest
from django.db import transaction

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.verify import verify_chain
from tests.audit.factories import event

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_a_failure_recorded_after_a_rolled_back_transaction_is_kept() -> None:
    with pytest.raises(Boom), transaction.atomic():
        event(outcome=Outcome.SUCCESS, message="the change")
        raise Boom
    event(action="llm.create", outcome=Outcome.FAILURE, message="Vectara said no.")
    assert list(AuditEvent.objects.values_list("message", flat=True)) == ["Vectara said no."]
    assert verify_chain().intact


@pytest.mark.parametrize("outcome", [Outcome.FAILURE, Outcome.DENIED])
def test_a_failure_recorded_inside_the_callers_transaction_is_refused_loudly(outcome) -> None:
    # It would share the fate of the action it reports: a bug, made to fail in every test.
    with pytest.raises(RuntimeError), transaction.atomic():
        event(outcome=outcome)
    assert not AuditEvent.objects.exists()


def test_a_success_inside_a_rolled_back_transaction_is_not_kept() -> None:
    with pytest.raises(Boom), transaction.atomic():
        event(outcome=Outcome.SUCCESS)
        raise Boom
    assert not AuditEvent.objects.exists()
    event()
    assert verify_chain().intact


def test_successes_in_one_transaction_chain_one_after_the_other() -> None:
    with transaction.atomic():
        event(outcome=Outcome.SUCCESS, message="first")
        event(outcome=Outcome.SUCCESS, message="second")
    assert list(AuditEvent.objects.order_by("id").values_list("message", flat=True)) == [
        "first",
        "second",
    ]
    assert verify_chain().intact
