"""Truncation of the log's end, caught by `audit_verify` alone (the chain head, the id
counter, the LLM records) and by outside checkpoints, written automatically as log lines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from llmadmin.audit import chain
from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.core.logging import JsonFormatter
from llmadmin.llms.models import LLMDefinition
from tests.audit.factories import event
from tests.audit.support import append_only_lifted, broken, raw, verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_log")]


@pytest.fixture
def five() -> list[AuditEvent]:
    return [event(message=f"event {n}") for n in range(5)]


def witness_file(tmp_path: Path, *events: AuditEvent) -> str:
    """The checkpoint lines of `events` as a log collector keeps them, among other lines."""
    path = tmp_path / "witness.log"
    lines = ['{"logger": "llmadmin.access", "message": "GET /healthz 200"}', "not json"]
    for written in events:
        line = {"logger": chain.CHECKPOINT_LOGGER, "message": f"Audit checkpoint {written.pk}:"}
        line["message"] += written.mac
        lines.append(f"<14>1 2026-12-04T18:00:00Z host llmadmin - - - {json.dumps(line)}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def cut_tail(after: AuditEvent, *, head: str) -> None:
    """What someone with the database owner's rights does: delete the events after `after`,
    then leave the head, set it back onto `after`, or delete it."""
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent WHERE id > %s", [after.pk])
        if head == "rewound":
            raw(
                "UPDATE audit_chainhead SET last_event_id = %s, last_mac = %s",
                [after.pk, after.mac],
            )
        elif head == "deleted":
            raw("DELETE FROM audit_chainhead")


def empty_log(*, head: str) -> None:
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent")
        if head == "emptied":
            raw("UPDATE audit_chainhead SET last_event_id = NULL, last_mac = ''")
        else:
            raw("DELETE FROM audit_chainhead")


def forget_ids_issued() -> None:
    """The thorough attacker also resets the database's id counter."""
    with append_only_lifted():
        if connection.vendor == "postgresql":
            raw("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1, false)")
        else:
            raw("DELETE FROM sqlite_sequence WHERE name = 'audit_auditevent'")


# --- audit_verify alone ------------------------------------------------------------------


def test_an_intact_log_verifies_alone_and_against_its_checkpoints(
    five: list[AuditEvent], tmp_path: Path
) -> None:
    assert f"intact: 5 events verified; newest event {five[4].pk}:" in verify()
    witnessed = verify("--checkpoints", witness_file(tmp_path, five[1], five[4]))
    assert "intact: 5 events verified" in witnessed
    assert "against 2 checkpoints" in witnessed


def test_a_cut_tail_with_the_head_left_is_named(five: list[AuditEvent]) -> None:
    cut_tail(five[2], head="left")
    assert f"the newest event is {five[4].pk}, but the log ends at {five[2].pk}" in broken()


def test_a_cut_tail_with_the_head_set_back_is_named_by_the_id_counter(
    five: list[AuditEvent],
) -> None:
    cut_tail(five[2], head="rewound")
    assert (
        f"The database has issued event ids up to {five[4].pk}, but the log and its chain head "
        f"end at event {five[2].pk}: the newest events were deleted" in broken()
    )


def test_a_cut_tail_with_the_head_deleted_is_named(five: list[AuditEvent]) -> None:
    cut_tail(five[2], head="deleted")
    problem = broken()
    assert "The chain head is missing" in problem
    assert f"issued event ids up to {five[4].pk} and the log ends at event {five[2].pk}" in problem


@pytest.mark.parametrize("head", ["emptied", "deleted"])
def test_an_emptied_log_is_named(five: list[AuditEvent], head: str) -> None:
    empty_log(head=head)
    problem = broken()
    if head == "emptied":
        assert (
            f"issued event ids up to {five[4].pk}, but the log and its chain head end at "
            "nothing (it is empty)" in problem
        )
    else:
        assert "The chain head is missing" in problem


def test_an_emptied_log_with_its_id_counter_reset_is_named_by_the_llm_records(
    five: list[AuditEvent],
) -> None:
    LLMDefinition.objects.create(vectara_id="llm_kept", name="kept-model", type="openai-compatible")
    empty_log(head="emptied")
    forget_ids_issued()
    assert (
        "1 LLM record exists, but no successful llm.create or llm.sync event is in the log, "
        "which ends at nothing (it is empty): the log was emptied." in broken()
    )


def test_a_rewritten_head_is_named(five: list[AuditEvent]) -> None:
    with append_only_lifted():
        raw("UPDATE audit_chainhead SET last_event_id = %s", [five[1].pk])
    assert f"the newest event is {five[1].pk}, but the log ends at {five[4].pk}" in broken()


# --- with the checkpoints a log collector kept -----------------------------------------


@pytest.mark.parametrize("head", ["left", "rewound", "deleted"])
def test_a_cut_tail_is_named_by_the_checkpoints(
    five: list[AuditEvent], tmp_path: Path, head: str
) -> None:
    witness = witness_file(tmp_path, five[1], five[3])
    cut_tail(five[2], head=head)
    forget_ids_issued()
    assert (
        f"The checkpoint's event {five[3].pk} is no longer in the log: the newest events were "
        f"deleted (the log now ends at event {five[2].pk})" in broken("--checkpoints", witness)
    )


@pytest.mark.parametrize("head", ["emptied", "deleted"])
def test_an_emptied_log_is_named_by_the_checkpoints(
    five: list[AuditEvent], tmp_path: Path, head: str
) -> None:
    witness = witness_file(tmp_path, five[0])
    empty_log(head=head)
    forget_ids_issued()
    assert f"The checkpoint's event {five[0].pk} is no longer in the log" in broken(
        "--checkpoints", witness
    )


def test_a_rewritten_event_is_named_by_its_checkpoint(
    five: list[AuditEvent], tmp_path: Path
) -> None:
    witness = witness_file(tmp_path, five[2])
    # Rewritten and re-sealed from the checkpoint's event on, by someone holding the key.
    with append_only_lifted():
        raw("DELETE FROM audit_auditevent WHERE id >= %s", [five[2].pk])
        raw(
            "UPDATE audit_chainhead SET last_event_id = %s, last_mac = %s",
            [five[1].pk, five[1].mac],
        )
    forget_ids_issued()
    with append_only_lifted():
        if connection.vendor == "postgresql":
            raw(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)",
                [five[1].pk],
            )
        else:
            raw(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_auditevent', %s)",
                [five[1].pk],
            )
    event(message="nothing happened")
    assert f"Event {five[2].pk} is not the event of the checkpoint" in broken(
        "--checkpoints", witness
    )


def test_plain_id_mac_lines_and_json_fields_are_checkpoints_too(
    five: list[AuditEvent], tmp_path: Path
) -> None:
    path = tmp_path / "witness.txt"
    path.write_text(
        f"{five[1].pk}:{five[1].mac}\n"
        + json.dumps({"time": "2026-12-04T18:00:00Z", "event_id": five[4].pk, "mac": five[4].mac})
        + "\n"
    )
    assert "against 2 checkpoints" in verify("--checkpoints", str(path))
    cut_tail(five[3], head="rewound")
    assert f"checkpoint's event {five[4].pk} is no longer in the log" in broken(
        "--checkpoints", str(path)
    )


def test_a_witness_file_without_checkpoints_or_with_a_damaged_one_is_explained(
    five: list[AuditEvent], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text('{"logger": "llmadmin.access", "message": "GET / 200"}\n')
    assert "holds no checkpoint" in broken("--checkpoints", str(empty))
    damaged = tmp_path / "damaged.log"
    damaged.write_text(json.dumps({"event_id": "twelve", "mac": "00"}) + "\n")
    assert "Line 1 is a checkpoint line without a valid ID:MAC" in broken(
        "--checkpoints", str(damaged)
    )
    assert "Can't read the witness file" in broken("--checkpoints", str(tmp_path / "nowhere"))


# --- checkpoints written automatically --------------------------------------------------


def committed(
    count: int, *, at: datetime | None = None, step: timedelta = timedelta()
) -> list[AuditEvent]:
    """`count` events, each in a transaction of its own that commits (so on_commit runs)."""
    written = []
    for n in range(count):
        with transaction.atomic():
            new = AuditEvent(action="llm.create", outcome=Outcome.SUCCESS, message=f"{n}")
            if at:
                new.occurred_at = at + n * step
            written.append(chain.append(new))
    return written


def checkpoints_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage().split()[2]
        for record in caplog.records
        if record.name == chain.CHECKPOINT_LOGGER
    ]


@override_settings(LLMADMIN_AUDIT_CHECKPOINT_EVENTS=3, LLMADMIN_AUDIT_CHECKPOINT_MINUTES=0)
def test_a_checkpoint_is_logged_every_n_events_and_verifies(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks, tmp_path: Path
) -> None:
    with (
        caplog.at_level(logging.INFO, logger=chain.CHECKPOINT_LOGGER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        written = committed(7)
    assert checkpoints_in(caplog) == [f"{e.pk}:{e.mac}" for e in (written[2], written[5])]
    # The lines as the JSON log stream writes them are a witness file as they are.
    formatter = JsonFormatter()
    path = tmp_path / "collected.log"
    path.write_text(
        "\n".join(formatter.format(r) for r in caplog.records if r.name == chain.CHECKPOINT_LOGGER)
    )
    first = json.loads(path.read_text().splitlines()[0])
    assert first["logger"] == "llmadmin.audit.checkpoint"
    # A SIEM reads the checkpoint as fields, not by parsing the sentence.
    assert first["checkpoint"] == {"event_id": written[2].pk, "mac": written[2].mac}
    assert "against 2 checkpoints" in verify("--checkpoints", str(path))
    cut_tail(written[4], head="rewound")
    forget_ids_issued()
    assert f"checkpoint's event {written[5].pk} is no longer in the log" in broken(
        "--checkpoints", str(path)
    )


@override_settings(LLMADMIN_AUDIT_CHECKPOINT_EVENTS=0, LLMADMIN_AUDIT_CHECKPOINT_MINUTES=15)
def test_a_checkpoint_is_logged_at_the_first_event_of_each_window(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    start = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    with (
        caplog.at_level(logging.INFO, logger=chain.CHECKPOINT_LOGGER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # 18:00, 18:06, 18:12 | 18:18, 18:24 | 18:30
        written = committed(6, at=start, step=timedelta(minutes=6))
    assert checkpoints_in(caplog) == [
        f"{e.pk}:{e.mac}" for e in (written[0], written[3], written[5])
    ]


@override_settings(LLMADMIN_AUDIT_CHECKPOINT_EVENTS=1, LLMADMIN_AUDIT_CHECKPOINT_MINUTES=0)
def test_no_checkpoint_is_logged_for_an_event_rolled_back(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    with (
        caplog.at_level(logging.INFO, logger=chain.CHECKPOINT_LOGGER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        with pytest.raises(RuntimeError), transaction.atomic():
            event(message="undone")
            raise RuntimeError("the action failed after its event")
        kept = event(message="kept")
    assert checkpoints_in(caplog) == [f"{kept.pk}:{kept.mac}"]


def test_audit_checkpoint_prints_and_logs_the_newest_event(
    five: list[AuditEvent], caplog: pytest.LogCaptureFixture
) -> None:
    out = StringIO()
    with caplog.at_level(logging.INFO, logger=chain.CHECKPOINT_LOGGER):
        call_command("audit_checkpoint", stdout=out)
    assert out.getvalue().strip() == f"{five[4].pk}:{five[4].mac}"
    assert checkpoints_in(caplog) == [f"{five[4].pk}:{five[4].mac}"]
