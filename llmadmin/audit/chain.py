"""The hash chain that makes the audit log tamper-evident.

Each event's MAC is an HMAC (key `AUDIT_HMAC_KEY`, kept out of the database) over a stable
JSON of all its fields, including `prev_mac`, the MAC of the event before it. Editing an
event breaks its own MAC; deleting or re-ordering events breaks the next event's link.
Deleting the newest events breaks nothing inside the chain, which is why the chain head
(models.ChainHead) and checkpoints kept elsewhere (`manage.py audit_checkpoint`) exist.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from llmadmin.core.errors import ApplicationError

from .models import AuditEvent, ChainHead

# The previous MAC of the first event ever written.
GENESIS = ""
HEAD_PK = 1

logger = logging.getLogger(__name__)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ip(value: str | None) -> str | None:
    # PostgreSQL's inet and Python spell some IPv6 addresses differently; compare addresses.
    return str(ipaddress.ip_address(value.split("/")[0])) if value else None


# Far deeper than any event's details (the forms allow JSON 32 levels deep), far shallower
# than what makes Python's recursion, or json.dumps's, give up with a RecursionError.
MAX_DETAILS_DEPTH = 100


def _json_stable(value: Any, depth: int = 0) -> Any:
    # jsonb gives 1e16 back as the integer 10000000000000000; make both spell it alike.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict | list | tuple) and depth >= MAX_DETAILS_DEPTH:
        raise ValueError(
            f"An audit event's details nest more than {MAX_DETAILS_DEPTH} levels deep, so they "
            "can't be sealed; the service that built them must bound them first."
        )
    if isinstance(value, dict):
        return {str(key): _json_stable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_stable(item, depth + 1) for item in value]
    return value


def canonical(event: AuditEvent) -> bytes:
    """Every field of the event that the MAC covers, as bytes that don't depend on the database.

    The row id is left out: the chain position is fixed by `prev_mac` instead, and an id is
    only known after the insert, which can't be followed by an update on this table.
    """
    content = {
        "occurred_at": _utc(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "source_ip": _ip(event.source_ip),
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "team_id": event.team_id,
        "team_slug": event.team_slug,
        "action": event.action,
        "outcome": str(event.outcome),
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "upstream_status": event.upstream_status,
        "upstream_request_id": event.upstream_request_id,
        "message": event.message,
        "details": _json_stable(event.details),
        "prev_mac": event.prev_mac,
    }
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def mac_for(event: AuditEvent, *, key: str | None = None) -> str:
    secret = (key or settings.AUDIT_HMAC_KEY).encode()
    return hmac.new(secret, canonical(event), hashlib.sha256).hexdigest()


def mac_matches(event: AuditEvent) -> bool:
    return hmac.compare_digest(mac_for(event), event.mac)


class ChainHeadMissing(ApplicationError):
    """The head row is gone: the log can't be extended without hiding what was cut off."""


HEAD_MISSING = (
    "The audit log's chain head is missing, so this action can't be recorded and was not "
    "done. Ask an administrator to run `manage.py audit_verify`."
)


def _locked_head() -> ChainHead:
    """The chain head, locked until the transaction ends: appends from every worker queue
    here, so they form one line. (SQLite ignores FOR UPDATE; BEGIN IMMEDIATE has already
    given the transaction the database's one write lock.)

    The head is created by migration 0002 and the database refuses to delete it. A missing
    head means someone with the database removed it, perhaps with the newest events:
    re-seeding it here would make that cut look intact, so refuse instead.
    """
    head = ChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        logger.error(
            "The audit chain head is missing; refusing to append audit events until an "
            "administrator has checked the log with `manage.py audit_verify`."
        )
        raise ChainHeadMissing(HEAD_MISSING)
    return head


def head_is_missing() -> bool:
    return not ChainHead.objects.filter(pk=HEAD_PK).exists()


CHECKPOINT_LOGGER = "llmadmin.audit.checkpoint"
checkpoint_logger = logging.getLogger(CHECKPOINT_LOGGER)


def emit_checkpoint(event_id: int, mac: str) -> None:
    """One log line that witnesses the newest event: collected off this machine, it lets
    `audit_verify --checkpoints FILE` prove that no event up to it was removed since."""
    checkpoint_logger.info(
        "Audit checkpoint %s:%s (keep this line off this machine; "
        "audit_verify --checkpoints checks the log against it).",
        event_id,
        mac,
        extra={"checkpoint": {"event_id": event_id, "mac": mac}},
    )


def _checkpoint_due(event: AuditEvent, head: ChainHead) -> bool:
    """Every LLMADMIN_AUDIT_CHECKPOINT_EVENTS ids, and at the first event of each
    LLMADMIN_AUDIT_CHECKPOINT_MINUTES window of the clock (cron runs `audit_checkpoint`
    for the quiet windows). Decided from the ids and one primary-key read: cheap."""
    every = settings.LLMADMIN_AUDIT_CHECKPOINT_EVENTS
    previous_id = head.last_event_id or 0
    if every > 0 and event.pk // every != previous_id // every:
        return True
    minutes = settings.LLMADMIN_AUDIT_CHECKPOINT_MINUTES
    if minutes <= 0:
        return False
    previous_at = (
        AuditEvent.objects.filter(pk=previous_id).values_list("occurred_at", flat=True).first()
    )
    window = minutes * 60
    return previous_at is None or (
        event.occurred_at.timestamp() // window != previous_at.timestamp() // window
    )


def append(event: AuditEvent) -> AuditEvent:
    """Seal `event` onto the end of the chain and insert it, under the chain's lock.

    Inside the caller's transaction no savepoint is needed: the event and the caller's
    change stand or fall together.
    """
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        event.prev_mac = head.last_mac
        event.mac = mac_for(event)  # covers prev_mac: seal after setting it
        event.save(force_insert=True)
        if _checkpoint_due(event, head):
            # Only once committed: a checkpoint of an event rolled back would be a false alarm.
            event_id, mac = event.pk, event.mac
            transaction.on_commit(lambda: emit_checkpoint(event_id, mac))
        head.last_event_id, head.last_mac = event.pk, event.mac
        head.save(update_fields=["last_event_id", "last_mac"])
    return event
