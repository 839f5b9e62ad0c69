from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from llmadmin.audit.models import AuditEvent
from tests.audit.factories import event
from tests.audit.support import append_only_lifted, broken, raw, verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_log")]


def checkpoint() -> str:
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def five() -> list[int]:
    return [event(message=f"event {n}").pk for n in range(5)]


def test_an_intact_log_verifies(five: list[int]) -> None:
    assert "intact: 5 events verified" in verify()


def test_an_empty_log_verifies() -> None:
    assert "intact: 0 events verified" in verify()


def test_an_edited_event_is_named(five: list[int]) -> None:
    with append_only_lifted():
        raw(
            "UPDATE audit_auditevent SET outcome = 'success', message = 'nothing to see' "
            "WHERE id = %s",
            [five[2]],
        )
    assert f"Event {five[2]} was changed after it was written" in broken()


def test_a_deleted_event_is_noticed_at_the_next_one(five: list[int]) -> None:
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent WHERE id = %s", [five[1]])
    assert f"Event {five[2]} does not follow event {five[0]}" in broken()


def test_reordered_events_are_noticed(five: list[int]) -> None:
    # Swap the contents (and seals) of two rows: each one still verifies on its own.
    rows = {
        row.pk: (row.occurred_at, row.message, row.prev_mac, row.mac)
        for row in AuditEvent.objects.filter(pk__in=[five[1], five[3]])
    }
    with append_only_lifted():
        for mine, theirs in ((five[1], five[3]), (five[3], five[1])):
            raw(
                "UPDATE audit_auditevent SET occurred_at = %s, message = %s, prev_mac = %s, "
                "mac = %s WHERE id = %s",
                [*rows[theirs], mine],
            )
    assert f"Event {five[1]} does not follow event {five[0]}" in broken()


def test_a_deleted_tail_is_noticed_by_the_chain_head(five: list[int]) -> None:
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent WHERE id >= %s", [five[3]])
    assert f"the newest event is {five[4]}, but the log ends at {five[2]}" in broken()


def test_a_deleted_tail_is_noticed_by_a_checkpoint_even_with_a_forged_head(
    five: list[int],
) -> None:
    head = checkpoint()
    assert head == f"{five[4]}:{AuditEvent.objects.get(pk=five[4]).mac}"
    assert "intact" in verify("--checkpoint", head)
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent WHERE id >= %s", [five[3]])
        # The attacker also rewinds the chain head; the checkpoint kept elsewhere
        # and the database's id counter know.
        raw(
            "UPDATE audit_chainhead SET last_event_id = %s, "
            "last_mac = (SELECT mac FROM audit_auditevent WHERE id = %s)",
            [five[2], five[2]],
        )
    assert f"issued event ids up to {five[4]}, but the log and its chain head end" in broken()
    assert f"checkpoint's event {five[4]} is no longer in the log" in broken("--checkpoint", head)


def test_a_checkpoint_for_a_rewritten_event_fails(five: list[int]) -> None:
    forged = f"{five[4]}:{'0' * 64}"
    assert f"Event {five[4]} is not the event of the checkpoint" in broken("--checkpoint", forged)


def test_a_malformed_checkpoint_is_explained(five: list[int]) -> None:
    assert "is not a checkpoint; give it as ID:MAC" in broken("--checkpoint", "12")


def test_checkpoint_of_an_empty_log_says_so() -> None:
    with pytest.raises(CommandError, match="empty"):
        checkpoint()
