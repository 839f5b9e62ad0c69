"""Helpers for tests that must go around the audit log's append-only triggers, as an
attacker with the database owner's rights would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"


@contextmanager
def append_only_lifted(connection: BaseDatabaseWrapper = default_connection) -> Iterator[None]:
    """Disable (PostgreSQL) or drop and re-create (SQLite) the triggers on the audit table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [TABLE],
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
