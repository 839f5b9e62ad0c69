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
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F

from .models import AuditEvent, ChainHead

# The previous MAC of the first event ever written.
GENESIS = ""
HEAD_PK = 1
HEAD_TABLE, EVENTS_TABLE = ChainHead._meta.db_table, AuditEvent._meta.db_table  # for the SQL below
_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


# PostgreSQL's one-statement append (see `_swap_head_and_insert`).
_COLUMNS = ", ".join(f'"{f.column}"' for f in _FIELDS)
_SWAP_SQL = (
    f"WITH head AS (UPDATE {HEAD_TABLE} SET last_mac = %s, "  # noqa: S608
    f"last_event_id = nextval(pg_get_serial_sequence('{EVENTS_TABLE}', 'id')) "
    f"WHERE id = %s AND last_mac = %s RETURNING last_event_id) "
    f"INSERT INTO {EVENTS_TABLE} (id, {_COLUMNS}) "
    f"SELECT last_event_id, {', '.join(['%s'] * len(_FIELDS))} FROM head "
    f"RETURNING id, txid_current()"
)


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


def _lock_and_read_head(using: str) -> str | None:
    """Take the chain's one write lock and read the head's MAC in one statement, or None
    when there is no head yet.

    An UPDATE rather than SELECT ... FOR UPDATE, because it locks on both databases: the
    row on PostgreSQL, SQLite's database write lock on SQLite (which ignores FOR UPDATE).
    RETURNING hands back the row as it is once the lock is ours (PostgreSQL re-reads a row
    another writer changed while we waited), so the MAC read is the one we chain onto.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:  # RETURNING is supported
            xid = ", txid_current()" if connection.vendor == "postgresql" else ""
            cursor.execute(
                f"UPDATE {HEAD_TABLE} SET last_event_id = last_event_id WHERE id = %s "  # noqa: S608
                f"RETURNING last_mac{xid}",
                [HEAD_PK],
            )
            row = cursor.fetchone()
            if row is not None and xid:
                _note_lock_holder(connection, row[1])
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
    """Seal `event` onto the end of the chain and insert it.

    On PostgreSQL, first without waiting: read the head, seal, then swap the head and insert
    the event in one statement that does nothing if another writer moved the head meanwhile
    (two round trips and one commit, against five under a lock; see bench figure 5). If the
    swap loses a race, or on SQLite (no UPDATE inside WITH), the event is sealed under the
    chain's lock, which always succeeds.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Outside atomic(), so say it: a failure here dooms the caller's transaction, as it
        # does PostgreSQL's, rather than let a caught error end in a COMMIT that rolls back.
        with transaction.mark_for_rollback_on_error(using):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT last_mac FROM {HEAD_TABLE} WHERE id = %s", [HEAD_PK])  # noqa: S608
                seen = cursor.fetchone()
            if seen is not None and _swap_head_and_insert(event, connection, seen[0]):
                return event
    # Inside the caller's transaction no savepoint is needed: a failure here must roll the
    # caller's change back too, as the event and the change stand or fall together.
    with transaction.atomic(using=using, savepoint=False):
        event.prev_mac = _lock_head(using)
        event.mac = mac_for(event)
        event.save(using=using, force_insert=True)
        ChainHead.objects.using(using).filter(pk=HEAD_PK).update(
            last_event_id=event.pk, last_mac=event.mac
        )
    return event


def _swap_head_and_insert(event: AuditEvent, connection: BaseDatabaseWrapper, prev: str) -> bool:
    """Seal `event` onto `prev` and, in one statement, move the head from `prev` to it and
    insert it; False, with nothing written, when the head no longer holds `prev`.

    PostgreSQL runs a statement atomically; a competing writer's UPDATE waits for our row
    lock and then re-checks `last_mac = prev` against the row as we left it, so exactly one
    of two racers inserts. The event's id comes from its own sequence inside the UPDATE, so
    the head names it without a second statement.
    """
    event.prev_mac = prev
    event.mac = mac_for(event)  # covers prev_mac: seal after setting it
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_SWAP_SQL, [event.mac, HEAD_PK, prev, *values])
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk = row[0]
    event._state.adding, event._state.db = False, connection.alias
    _note_lock_holder(connection, row[1])
    return True


def _note_lock_holder(connection: BaseDatabaseWrapper, xid: int) -> None:
    # The transaction that moved the head holds its row lock until it ends.
    connection.audit_chain_xid = xid  # type: ignore[attr-defined]


def holds_lock(connection: BaseDatabaseWrapper) -> bool:
    """Whether the current transaction on `connection` has moved the head and so holds its
    lock until it ends (PostgreSQL only). Another connection appending now would wait for
    this one forever."""
    xid = getattr(connection, "audit_chain_xid", None)
    if connection.vendor != "postgresql" or xid is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current_if_assigned()")
        return bool(cursor.fetchone()[0] == xid)
