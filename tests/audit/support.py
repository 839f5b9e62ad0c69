"""Helpers for tests that must go around the audit log's append-only triggers, as an
attacker with the database owner's rights would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("audit_auditevent", "audit_chainhead")


@contextmanager
def append_only_lifted(connection: BaseDatabaseWrapper = default_connection) -> Iterator[None]:
    """Disable (PostgreSQL) or drop and re-create (SQLite) the triggers on the audit tables
    (the events and the chain head)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table in TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
            list(TABLES),
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)


def raw(sql: str, params: list[object] | None = None) -> None:
    with default_connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def reset_log(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Leave an empty log as a new database has it: no events, ids starting again at 1, and
    the empty chain head migration 0002 creates. Call with the triggers lifted."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_chainhead")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1, false)"
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_auditevent'")
        cursor.execute(
            "INSERT INTO audit_chainhead (id, last_event_id, last_mac) VALUES (1, NULL, '')"
        )


def verify(*args: str) -> str:
    """What `manage.py audit_verify` says of an intact log."""
    out = StringIO()
    call_command("audit_verify", *args, "--chunk-size", "2", stdout=out)
    return out.getvalue()


def broken(*args: str) -> str:
    """The sentence `manage.py audit_verify` fails with."""
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return str(failure.value)
