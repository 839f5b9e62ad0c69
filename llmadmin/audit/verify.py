"""Checking the whole audit chain, oldest first, in constant memory."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from .chain import GENESIS, HEAD_PK, mac_matches
from .models import AuditEvent, ChainHead


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


def verify_chain(*, checkpoint: Checkpoint | None = None, chunk_size: int = 2000) -> Report:
    """Walk every event in id order and stop at the first one that breaks the chain."""
    expected_prev = GENESIS
    previous_id: int | None = None
    checked = 0
    checkpoint_seen = False
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
        if checkpoint and event.pk == checkpoint.event_id:
            if not hmac.compare_digest(event.mac, checkpoint.mac):
                return Report(
                    checked,
                    head,
                    f"Event {event.pk} is not the event of the checkpoint: its MAC differs, so "
                    "the log was rewritten from there on.",
                )
            checkpoint_seen = True
        expected_prev, previous_id = event.mac, event.pk
        checked += 1

    head = Checkpoint(previous_id, expected_prev) if previous_id else None
    if checkpoint and not checkpoint_seen:
        return Report(
            checked,
            head,
            f"The checkpoint's event {checkpoint.event_id} is no longer in the log: the newest "
            f"events were deleted (the log now ends at "
            f"{f'event {previous_id}' if previous_id else 'nothing'}).",
        )
    recorded = ChainHead.objects.filter(pk=HEAD_PK).first()
    if recorded and (recorded.last_event_id != previous_id or recorded.last_mac != expected_prev):
        return Report(
            checked,
            head,
            f"The chain head says the newest event is {recorded.last_event_id}, but the log "
            f"ends at {previous_id}: the newest events were deleted.",
        )
    return Report(checked, head)


def newest_checkpoint() -> Checkpoint | None:
    event = AuditEvent.objects.only("id", "mac").order_by("-id").first()
    return Checkpoint(event.pk, event.mac) if event else None
