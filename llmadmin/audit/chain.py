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
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F

from .models import AuditEvent, ChainHead

# The previous MAC of the first event ever written.
GENESIS = ""
HEAD_PK = 1


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ip(value: str | None) -> str | None:
    # PostgreSQL's inet and Python spell some IPv6 addresses differently; compare addresses.
    return str(ipaddress.ip_address(value.split("/")[0])) if value else None


def _json_stable(value: Any) -> Any:
    # jsonb gives 1e16 back as the integer 10000000000000000; make both spell it alike.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _json_stable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_stable(item) for item in value]
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


def _lock_and_read_head(using: str) -> str | None:
    """Take the chain's one write lock and read the head's MAC in one statement, or None
    when there is no head yet.

    An UPDATE rather than SELECT ... FOR UPDATE, because it locks on both databases: the
    row on PostgreSQL, SQLite's database write lock on SQLite (which ignores FOR UPDATE).
    RETURNING hands back the row as it is once the lock is ours (PostgreSQL re-reads a row
    another writer changed while we waited), so the MAC read is the one we chain onto.
    """
    connection = connections[using]
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    last_event = connection.ops.quote_name("last_event_id")
    pk = connection.ops.quote_name(ChainHead._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:  # RETURNING is supported
            cursor.execute(
                f"UPDATE {table} SET {last_event} = {last_event} WHERE {pk} = %s "  # noqa: S608
                f"RETURNING {connection.ops.quote_name('last_mac')}",
                [HEAD_PK],
            )
            row = cursor.fetchone()
            return None if row is None else row[0]
    heads = ChainHead.objects.using(using)
    if not heads.filter(pk=HEAD_PK).update(last_event_id=F("last_event_id")):
        return None
    return heads.values_list("last_mac", flat=True).get(pk=HEAD_PK)


def _lock_head(using: str) -> str:
    """Take the chain's lock and return the head's MAC, starting the head if there is none."""
    last_mac = _lock_and_read_head(using)
    if last_mac is None:
        # No head yet (a new database, or one a test run has flushed): start it from the
        # newest event, if any, in a savepoint so that a worker racing us here is harmless.
        heads = ChainHead.objects.using(using)
        newest = AuditEvent.objects.using(using).order_by("-id").first()
        try:
            with transaction.atomic(using=using):
                heads.create(
                    pk=HEAD_PK,
                    last_event_id=newest.pk if newest else None,
                    last_mac=newest.mac if newest else GENESIS,
                )
        except IntegrityError:
            pass
        last_mac = _lock_and_read_head(using)
        assert last_mac is not None  # created just above; the head row is never deleted
    return last_mac


def append(event: AuditEvent, *, using: str = "default") -> AuditEvent:
    """Seal `event` onto the end of the chain and insert it, all under the chain's lock."""
    with transaction.atomic(using=using):
        event.prev_mac = _lock_head(using)
        event.mac = mac_for(event)
        event.save(using=using, force_insert=True)
        ChainHead.objects.using(using).filter(pk=HEAD_PK).update(
            last_event_id=event.pk, last_mac=event.mac
        )
    return event
