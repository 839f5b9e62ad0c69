"""Least privilege on PostgreSQL: the application's role may append to the audit log and
read it, nothing else there; the role that runs the migrations owns the tables and triggers.

Applied after every `manage.py migrate` run as a role other than the app's (settings:
MIGRATION_DATABASE_URL), so tables added by later migrations get their grants too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

AUDIT_EVENTS = "audit_auditevent"
CHAIN_HEAD = "audit_chainhead"


def grant_app_role(*, using: str = "default", **_: Any) -> None:
    connection = connections[using]
    app = settings.LLMADMIN_APP_DATABASE_USER
    if connection.vendor != "postgresql" or not app:
        return
    from psycopg import sql  # PostgreSQL only

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        if app == owner:
            return  # one role for both: nothing to separate (README says why not to)
        role, space = sql.Identifier(app), sql.Identifier(schema)
        statements = [
            "GRANT USAGE ON SCHEMA {space} TO {role}",
            # Everything else: what Django's ORM does at run time, and no DDL.
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {space} TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {space} TO {role}",
            "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {role}",
            # The audit log: append and read. setval on its sequence needs UPDATE: not given.
            f"REVOKE ALL ON {AUDIT_EVENTS}, {CHAIN_HEAD} FROM {{role}}",
            f"GRANT SELECT, INSERT ON {AUDIT_EVENTS} TO {{role}}",
            # The append moves the head (the triggers allow nothing else) and locks it.
            f"GRANT SELECT, UPDATE (last_event_id, last_mac) ON {CHAIN_HEAD} TO {{role}}",
        ]
        for statement in statements:
            composed = sql.SQL(statement).format(role=role, space=space)
            cursor.execute(composed.as_string(connection.connection))
