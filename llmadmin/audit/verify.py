"""Checking the whole audit chain, oldest first, in constant memory."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from .chain import CHECKPOINT_LOGGER, GENESIS, HEAD_PK, mac_matches
from .models import AuditEvent, ChainHead

# What a plain line of a witness file looks like: ID:MAC, as audit_checkpoint prints it.
CHECKPOINT_SHAPE = re.compile(r"\b\d+:[0-9a-fA-F]{64}\b")


@dataclass(frozen=True)
class Checkpoint:
    """The newest event at some moment, kept off the box: the log must still contain it."""

    event_id: int
    mac: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        event_id, _, mac = text.strip().partition(":")
        if not event_id.isdigit() or len(mac) != 64:
            raise ValueError(
                f"{text!r} is not a checkpoint; give it as ID:MAC, as audit_checkpoint prints it."
            )
        return cls(int(event_id), mac.lower())

    def __str__(self) -> str:
        return f"{self.event_id}:{self.mac}"


@dataclass(frozen=True)
class Report:
    checked: int
    head: Checkpoint | None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def ids_issued() -> int:
    """The highest event id the database ever handed out, also to events deleted since.

    PostgreSQL's sequence never goes back, even when the transaction that took an id rolls
    back; SQLite's AUTOINCREMENT counter keeps its highest committed id. Neither can be set
    back through the application's role (PostgreSQL: setval needs UPDATE on the sequence).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_sequence_last_value("
                "pg_get_serial_sequence('audit_auditevent', 'id')::regclass)"
            )
            (last_value,) = cursor.fetchone()
            return int(last_value or 0)  # NULL: no id was ever taken
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_auditevent'")
        row = cursor.fetchone()
        return int(row[0]) if row else 0


# An LLM record exists only after one of these was recorded (the create, or a sync adopting it).
LLM_RECORDING_ACTIONS = ("llm.create", "llm.sync")


def _truncation(previous_id: int | None, last_mac: str) -> str:
    """What the database still knows about events the log no longer holds, as a sentence."""
    from llmadmin.llms.models import LLMDefinition

    ends_at = f"event {previous_id}" if previous_id else "nothing (it is empty)"
    recorded = ChainHead.objects.filter(pk=HEAD_PK).first()
    issued = ids_issued()
    if recorded is None:
        written = (
            f" The database has issued event ids up to {issued} and the log ends at {ends_at}."
            if issued
            else ""
        )
        return (
            "The chain head is missing: the database refuses to delete it, so someone went "
            "around its triggers, perhaps to hide that the newest events were deleted, and "
            f"every action is refused until it is back.{written}"
        )
    if recorded.last_event_id != previous_id or recorded.last_mac != last_mac:
        return (
            f"The chain head says the newest event is {recorded.last_event_id}, but the log "
            f"ends at {previous_id}: the newest events were deleted."
        )
    if issued > (previous_id or 0):
        return (
            f"The database has issued event ids up to {issued}, but the log and its chain head "
            f"end at {ends_at}: the newest events were deleted and the head set back to hide "
            "it. (On PostgreSQL, an action whose transaction failed after taking an id leaves "
            "the same trace until the next event is written; see README.)"
        )
    # Only an empty log is judged by the LLM records: older databases hold LLMs recorded
    # before the log existed, and a sync's one event stands for many records.
    llms = LLMDefinition.objects.count() if previous_id is None else 0
    if llms:
        return (
            f"{llms} LLM record{'s exist' if llms != 1 else ' exists'}, but no successful "
            f"{' or '.join(LLM_RECORDING_ACTIONS)} event is in the log, which ends at "
            f"{ends_at}: the log was emptied."
        )
    return ""


def verify_chain(
    *,
    checkpoint: Checkpoint | None = None,
    checkpoints: Iterable[Checkpoint] = (),
    chunk_size: int = 2000,
) -> Report:
    """Walk every event in id order and stop at the first one that breaks the chain, then
    check that every checkpoint is still in it and that nothing was cut off its end."""
    expected: dict[int, set[str]] = {}
    for kept in [*checkpoints, *([checkpoint] if checkpoint else [])]:
        expected.setdefault(kept.event_id, set()).add(kept.mac)
    expected_prev = GENESIS
    previous_id: int | None = None
    checked = 0
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)
    for event in events:
        head = Checkpoint(previous_id, expected_prev) if previous_id else None
        if event.prev_mac != expected_prev:
            after = f"event {previous_id}" if previous_id else "the start of the log"
            return Report(
                checked,
                head,
                f"Event {event.pk} does not follow {after}: an event between them was deleted, "
                "or events were moved or edited.",
            )
        if not mac_matches(event):
            return Report(
                checked,
                head,
                f"Event {event.pk} was changed after it was written: its MAC does not match "
                "its content.",
            )
        for mac in expected.pop(event.pk, ()):
            if not hmac.compare_digest(event.mac, mac):
                return Report(
                    checked,
                    head,
                    f"Event {event.pk} is not the event of the checkpoint: its MAC differs, so "
                    "the log was rewritten from there on.",
                )
        expected_prev, previous_id = event.mac, event.pk
        checked += 1

    head = Checkpoint(previous_id, expected_prev) if previous_id else None
    if expected:
        lost = max(expected)
        return Report(
            checked,
            head,
            f"The checkpoint's event {lost} is no longer in the log: the newest "
            f"events were deleted (the log now ends at "
            f"{f'event {previous_id}' if previous_id else 'nothing'}).",
        )
    return Report(checked, head, _truncation(previous_id, expected_prev))


def read_checkpoints(lines: Iterable[str]) -> list[Checkpoint]:
    """Every checkpoint in a witness file: the JSON log lines of `llmadmin.audit.checkpoint`
    (with whatever a log collector put before them), or plain ID:MAC lines. Other lines, such
    as the rest of a collected log, are skipped."""
    found = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if "{" in text:
            try:
                fields = json.loads(text[text.index("{") :])
            except ValueError:
                continue
            if not isinstance(fields, dict):
                continue
            if "event_id" in fields and "mac" in fields:
                text = f"{fields['event_id']}:{fields['mac']}"
            elif fields.get("logger") == CHECKPOINT_LOGGER:
                shape = CHECKPOINT_SHAPE.search(str(fields.get("message", "")))
                text = shape.group() if shape else ""
            else:
                continue
        elif not CHECKPOINT_SHAPE.fullmatch(text):
            continue
        try:
            found.append(Checkpoint.parse(text))
        except ValueError:
            raise ValueError(
                f"Line {number} is a checkpoint line without a valid ID:MAC in it; the witness "
                "file was damaged."
            ) from None
    return found


def newest_checkpoint() -> Checkpoint | None:
    event = AuditEvent.objects.only("id", "mac").order_by("-id").first()
    return Checkpoint(event.pk, event.mac) if event else None
