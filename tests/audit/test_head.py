"""The chain head is protected like the events, and the application never re-creates it."""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from llmadmin.audit.chain import ChainHeadMissing
from llmadmin.audit.models import AuditEvent, ChainHead, Outcome
from tests.audit.factories import event
from tests.audit.support import append_only_lifted, raw

pytestmark = pytest.mark.django_db


def refused(sql: str, params: list[object] | None = None) -> None:
    with pytest.raises(DatabaseError, match="moves only by an append"), transaction.atomic():
        raw(sql, params)


def head() -> tuple[int | None, str]:
    row = ChainHead.objects.get()
    return row.last_event_id, row.last_mac


def test_an_append_moves_the_head_to_the_new_event() -> None:
    first, second = event(), event()
    assert head() == (second.pk, second.mac)
    assert second.prev_mac == first.mac


def test_the_database_refuses_to_delete_the_head() -> None:
    written = event()
    refused("DELETE FROM audit_chainhead")
    assert head() == (written.pk, written.mac)


def test_the_database_refuses_a_second_head() -> None:
    event()
    refused("INSERT INTO audit_chainhead (id, last_event_id, last_mac) VALUES (2, NULL, '')")
    assert ChainHead.objects.count() == 1


def test_the_database_refuses_to_rewind_the_head() -> None:
    first, second = event(), event()
    refused("UPDATE audit_chainhead SET last_event_id = %s, last_mac = %s", [first.pk, first.mac])
    refused("UPDATE audit_chainhead SET last_event_id = NULL, last_mac = ''")
    assert head() == (second.pk, second.mac)


def test_the_database_refuses_a_head_with_a_made_up_mac() -> None:
    written = event()
    refused("UPDATE audit_chainhead SET last_mac = %s", ["0" * 64])
    assert head() == (written.pk, written.mac)


def test_the_database_refuses_to_move_the_head_over_an_event_it_does_not_follow() -> None:
    # An event inserted beside the chain (not linked to the head) can't become the head.
    first = event()
    with append_only_lifted():
        raw(
            "INSERT INTO audit_auditevent (occurred_at, actor_username, user_agent, request_id,"
            " team_slug, action, outcome, target_type, target_id, target_label,"
            " upstream_request_id, message, details, prev_mac, mac)"
            " VALUES (CURRENT_TIMESTAMP, 'mallory', '', '', '', 'llm.delete', 'success', '', '',"
            " '', '', '', '{}', %s, %s)",
            ["f" * 64, "e" * 64],
        )
    forged = AuditEvent.objects.get(actor_username="mallory")
    refused("UPDATE audit_chainhead SET last_event_id = %s, last_mac = %s", [forged.pk, "e" * 64])
    assert head() == (first.pk, first.mac)


def test_a_missing_head_refuses_every_append_loudly_and_is_not_recreated(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    written = event()
    assert client.get("/healthz").json()["status"] == "ok"
    with append_only_lifted():
        raw("DELETE FROM audit_chainhead")

    with caplog.at_level(logging.ERROR, logger="llmadmin.audit.chain"):
        # A success is written in the action's transaction, which the refusal rolls back.
        with pytest.raises(ChainHeadMissing) as refusal, transaction.atomic():
            event(outcome=Outcome.SUCCESS)
        assert "chain head is missing, so this action can't be recorded" in refusal.value.message
        # A failure is written in a transaction of its own.
        with pytest.raises(ChainHeadMissing):
            event(outcome=Outcome.FAILURE)
    assert "refusing to append audit events" in caplog.text
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [written.pk]
    assert not ChainHead.objects.exists()

    health = client.get("/healthz")
    assert health.status_code == 200  # lists and the log itself stay readable
    assert health.json()["status"] == "degraded"
    assert health.json()["audit_log"] == "chain head missing, actions refused"
